"""Generators behind one interface, picked from settings with lazy imports.

Usage::

    generator = build_generator(get_settings())   # ZONEQA_GENERATOR=extractive|llamacpp|openai
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rag.generators.base import ChatMessage, Generator, GeneratorError

if TYPE_CHECKING:
    from ingest.settings import Settings

__all__ = ["ChatMessage", "Generator", "GeneratorError", "build_generator"]


def build_generator(settings: Settings) -> Generator:
    """The configured generator. Heavy back-ends (llama.cpp, httpx) are imported only when chosen."""
    if settings.generator == "extractive":
        from rag.generators.extractive import ExtractiveGenerator

        return ExtractiveGenerator()
    if settings.generator == "llamacpp":
        from rag.generators.llamacpp import LlamaCppGenerator
        from rag.llm_models import resolve_model_path

        return LlamaCppGenerator(resolve_model_path(settings), settings.llamacpp)
    if settings.generator == "openai":
        from rag.generators.openai_compat import OpenAICompatGenerator

        return OpenAICompatGenerator(settings.openai)
    raise GeneratorError(f"unknown generator {settings.generator!r}: use extractive, llamacpp or openai")
