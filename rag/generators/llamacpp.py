"""The embedded local LLM: a GGUF model run in-process by llama.cpp (``llama-cpp-python``).

Concurrency: llama.cpp's context is not re-entrant, so one :class:`LlamaCppGenerator` holds one
model instance and serialises requests with a lock. The lock is held from the first piece of a
stream until the stream ends or is closed; close streams you abandon (``stream.close()``, or
``contextlib.closing``) so the next request does not wait for garbage collection.

Prompt reuse: ``llama_cpp.Llama`` keeps the KV cache of the previous prompt and, when the next
prompt starts with the same tokens (the fixed system prompt), evaluates only the new suffix. No
``LlamaRAMCache`` is needed for that; keeping the system prompt byte-identical between requests is.
(Measured: Qwen2.5-1.5B, 2 busy cores, 250-token system prompt: first token 21-39 s cold,
1.6 s reused.)

Prompt states: a follow-up (condense, then answer) or a Chinese question (translate, answer,
translate back) switches between system prompts, and each switch evicts the previous prefix. A
small RAM cache of recent model states (``prompt_states_mb``, llama-cpp-python's ``LlamaRAMCache``)
restores the longest matching prefix instead of re-reading it. llama-cpp-python saves each state
with its logits buffer (n_batch x vocabulary floats: 300 MB for Qwen2.5, 0.2-0.7 s to copy after
every answer) and writes it all back on restore; nothing reads those logits here (``logits_all`` is
off: sampling reads llama.cpp's own), so the model class saves and restores one row of them: a
state is then about 30 KB per token of its prompt (measured: 14 MB for 500 tokens).

Usage::

    from rag.llm_models import resolve_model_path
    gen = LlamaCppGenerator(resolve_model_path(settings), settings.llamacpp)
    for piece in gen.stream([{"role": "user", "content": "What is a free zone?"}]):
        print(piece, end="", flush=True)
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import GeneratorUnavailableError
from rag.generators.base import ChatMessage
from rag.generators.chat import ask_yes_no

if TYPE_CHECKING:
    from core.config import LlamaCppSettings


def _threads(configured: int) -> int:
    """0 means "all cores" (llama.cpp's own default is fewer)."""
    return configured if configured > 0 else (os.cpu_count() or 1)


class LlamaCppGenerator:
    """Streams chat answers from a local GGUF model (thread-safe: requests are serialised).

    Usage::

        gen = LlamaCppGenerator(Path("model.gguf"), LlamaCppSettings(n_threads=2))
        text = "".join(gen.stream(messages, max_tokens=64))
        gen.count_tokens("free trade zone")   # -> 4
    """

    def __init__(self, model_path: Path, settings: LlamaCppSettings, *, verbose: bool = False) -> None:
        try:
            lean_llama = _lean_llama_class()
        except ImportError as error:
            raise GeneratorUnavailableError(
                "llama-cpp-python is not installed: run `make install` (it builds the wheel once) "
                "or `pip install '.[llm]'`."
            ) from error
        if not Path(model_path).is_file():
            raise GeneratorUnavailableError(f"Model file {model_path} does not exist: run `zoneqa models pull`.")
        self.name = Path(model_path).stem
        self.model_path = Path(model_path)
        self._settings = settings
        self._lock = threading.Lock()
        try:
            self._llm = lean_llama(
                model_path=str(model_path),
                n_ctx=settings.n_ctx,
                n_threads=_threads(settings.n_threads),
                n_threads_batch=_threads(settings.n_threads_batch),
                verbose=verbose,
            )
        except (ValueError, RuntimeError) as error:  # llama-cpp-python raises ValueError on a bad file
            raise GeneratorUnavailableError(f"llama.cpp could not load {model_path}: {error}") from error
        self._use_prompt_states()

    def stream(
        self, messages: list[ChatMessage], *, max_tokens: int | None = None, stop: list[str] | None = None
    ) -> Iterator[str]:
        """Yield the answer's text pieces; closing the iterator stops generation and frees the model."""
        with self._lock:
            chunks: Any = self._llm.create_chat_completion(
                messages=[dict(message) for message in messages],  # type: ignore[misc]
                max_tokens=max_tokens or self._settings.max_tokens,
                temperature=self._settings.temperature,
                stop=stop or [],
                stream=True,
            )
            try:
                for chunk in chunks:
                    piece = chunk["choices"][0]["delta"].get("content")
                    if piece:
                        yield piece
            finally:
                # On GeneratorExit (consumer closed us) close llama-cpp's generator too, so it
                # stops decoding before the lock is released.
                chunks.close()

    def complete(self, messages: list[ChatMessage], *, max_tokens: int | None = None) -> str:
        """The whole answer as one string."""
        return "".join(self.stream(messages, max_tokens=max_tokens))

    def complete_yes_no(self, question: str) -> bool:
        """Ask a yes/no question (used by the support judge); anything but a clear "yes" is False.

        Usage::

            gen.complete_yes_no("Does 'Zones cut tariffs' follow from '...tariffs are cut...'?")
        """
        return ask_yes_no(self, question)

    def forget_prompt_cache(self) -> None:
        """Drop the KV cache of the previous prompt, so the next request evaluates its whole prompt.

        Prefix reuse evaluates the prompt in different batches, which changes logits in the last
        bits; with greedy decoding that can (rarely) change the answer. Call this before a request
        that must be bit-for-bit reproducible, or to measure the cost of a cold prompt.
        """
        with self._lock:
            self._llm.reset()
            self._use_prompt_states()

    def _use_prompt_states(self) -> None:
        """A fresh (empty) cache of recent prompt states, or none when ``prompt_states_mb`` is 0."""
        from llama_cpp import LlamaRAMCache

        capacity = self._settings.prompt_states_mb << 20
        self._llm.set_cache(LlamaRAMCache(capacity) if capacity else None)

    @property
    def cached_prompt_states(self) -> int:
        """How many prompt states the cache holds (0 when it is off)."""
        cache: Any = self._llm.cache  # a LlamaRAMCache, whose states sit in ``cache_state``
        return len(cache.cache_state) if cache is not None else 0

    def count_tokens(self, text: str) -> int:
        """Tokens ``text`` costs in a prompt (no BOS; special tokens are not parsed)."""
        if not text:
            return 0
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))


def _lean_llama_class() -> Any:
    """``llama_cpp.Llama`` whose saved states hold one logits row (see the module docstring)."""
    from llama_cpp import Llama

    class LeanLlama(Llama):
        def save_state(self) -> Any:
            full, self.scores = self.scores, self.scores[:1]  # the base copies scores[:n_tokens]
            try:
                return super().save_state()
            finally:
                self.scores = full

        def load_state(self, state: Any) -> None:
            full, self.scores = self.scores, self.scores[:1]  # the base writes state.scores over its rows
            try:
                super().load_state(state)
            finally:
                self.scores = full

    return LeanLlama
