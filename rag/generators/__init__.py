"""Generators behind one interface, picked from settings with lazy imports.

The generator *names* and what they need live in :data:`core.config.GENERATORS` (read by the
settings validator, the CLI and the evals); this module maps each LLM name to the backend that
serves it.

Usage::

    generator = build_generator(get_settings())   # ZONEQA_GENERATOR=extractive|llamacpp|openai
"""

from __future__ import annotations

from collections.abc import Callable

from core.config import GENERATORS, Settings
from core.errors import ConfigurationError
from rag.generators.base import ChatMessage, ChatModel, Draft, Generator, SupportJudge

__all__ = ["CHAT_MODELS", "ChatMessage", "ChatModel", "Draft", "Generator", "SupportJudge", "build_generator"]


def _llamacpp(settings: Settings) -> ChatModel:
    from rag.generators.llamacpp import LlamaCppGenerator
    from rag.llm_models import resolve_model_path

    return LlamaCppGenerator(resolve_model_path(settings), settings.llamacpp)


def _openai(settings: Settings) -> ChatModel:
    from rag.generators.openai_compat import OpenAICompatGenerator

    return OpenAICompatGenerator(settings.openai)


#: The backend of every generator name in ``core.config.GENERATORS`` that uses an LLM.
CHAT_MODELS: dict[str, Callable[[Settings], ChatModel]] = {"llamacpp": _llamacpp, "openai": _openai}


def build_generator(settings: Settings, *, chat_model: ChatModel | None = None) -> Generator:
    """The configured generator; heavy back-ends (llama.cpp, httpx) are imported only when chosen.

    ``chat_model`` reuses an already loaded backend (loading a GGUF model costs seconds and a GB).
    """
    info = GENERATORS.get(settings.generator)
    if info is None:
        raise ConfigurationError(f"unknown generator {settings.generator!r}: use {', '.join(GENERATORS)}")
    if not info.uses_llm:
        from rag.generators.extractive import ExtractiveGenerator

        return ExtractiveGenerator()
    from rag.generators.chat import ChatGenerator

    model = chat_model or CHAT_MODELS[info.name](settings)
    # The yes/no judge costs one short completion per cited sentence: only where asked for.
    judge = settings.llamacpp.judge and info.name == "llamacpp"
    return ChatGenerator(model, settings.evidence.max_prompt_tokens, judge=judge)
