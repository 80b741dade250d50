"""The generator interfaces.

* :class:`Generator` is what the pipeline talks to, and every generator implements it, the
  extractive one included: ``draft`` an answer from numbered evidence, ``rewrite`` a follow-up
  (``None`` without an LLM), and an optional ``support_judge`` for the citation check.
* :class:`ChatModel` is an LLM backend that streams chat completions: :mod:`rag.generators.llamacpp`
  (local GGUF model) and :mod:`rag.generators.openai_compat` (any OpenAI-compatible server).
  :class:`rag.generators.chat.ChatGenerator` turns one into a :class:`Generator`.

:func:`rag.generators.build_generator` picks the implementation from settings with lazy imports.

Usage::

    generator = build_generator(get_settings())
    draft = generator.draft("Which city hosted the 2016 G20 summit?", evidence)
    text = "".join(draft.pieces)            # "The 2016 G20 Summit in Hangzhou ... [1]."
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypedDict, runtime_checkable

if TYPE_CHECKING:
    from rag.evidence import Evidence

#: ``judge(claim, evidence_text)``: whether the evidence supports the claim.
SupportJudge = Callable[[str, str], bool]


class ChatMessage(TypedDict):
    role: str  # "system" | "user" | "assistant"
    content: str


@dataclass
class Draft:
    """An answer as it is being written: text pieces (closing ``pieces`` stops generation) and the prompt size."""

    pieces: Iterator[str]
    prompt_tokens: int | None = None


@runtime_checkable
class Generator(Protocol):
    """Writes answers from numbered evidence. Implementations must be safe to call from several threads."""

    #: Model name reported in answers (e.g. "qwen2.5-coder-1.5b-instruct-q4_k_m", "extractive").
    name: str
    #: The LLM behind the generator, for callers that need raw completions (the naive eval baseline).
    chat_model: ChatModel | None
    #: A yes/no support check for the citation checker, or None when this generator does not judge.
    support_judge: SupportJudge | None

    def draft(self, question: str, evidence: Sequence[Evidence]) -> Draft:
        """Stream an answer whose sentences cite the evidence as ``[n]`` (or a refusal sentinel)."""
        ...

    def rewrite(self, messages: list[ChatMessage], *, max_tokens: int) -> str | None:
        """The model's reply to a rewriting prompt (e.g. condensing a follow-up); None without an LLM."""
        ...


@runtime_checkable
class ChatModel(Protocol):
    """An LLM backend: streams chat completions. Must be safe to call from several threads."""

    name: str

    def stream(
        self, messages: list[ChatMessage], *, max_tokens: int | None = None, stop: list[str] | None = None
    ) -> Iterator[str]:
        """Yield text pieces as they are generated. Closing the iterator stops generation."""
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens ``text`` costs in this model's prompt (an estimate for remote servers)."""
        ...
