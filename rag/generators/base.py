"""The generator interface: anything that turns chat messages into a stream of text pieces.

Implementations: :mod:`rag.generators.extractive` (no LLM), :mod:`rag.generators.llamacpp`
(local GGUF model), :mod:`rag.generators.openai_compat` (any OpenAI-compatible server).
:func:`rag.generators.build_generator` picks one from settings with lazy imports.

Usage::

    gen = build_generator(get_settings())
    for piece in gen.stream([{"role": "user", "content": "Hi"}], max_tokens=20):
        print(piece, end="")
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, TypedDict, runtime_checkable


class ChatMessage(TypedDict):
    role: str  # "system" | "user" | "assistant"
    content: str


class GeneratorError(RuntimeError):
    """The generator cannot run (model missing, server down); the message says what to do."""


@runtime_checkable
class Generator(Protocol):
    """Streams an answer for chat messages. Implementations must be safe to call from several threads."""

    #: Model name reported in answers (e.g. "qwen2.5-coder-1.5b-instruct-q4_k_m").
    name: str
    #: False for the extractive generator, which does not read prompts.
    uses_llm: bool

    def stream(
        self, messages: list[ChatMessage], *, max_tokens: int | None = None, stop: list[str] | None = None
    ) -> Iterator[str]:
        """Yield text pieces as they are generated. Closing the iterator stops generation."""
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens ``text`` costs in this model's prompt (an estimate for remote servers)."""
        ...
