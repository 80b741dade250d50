"""The composition root: every long-lived part of ZoneQA, built from settings in one place.

The API, the CLI, :func:`rag.answer`, the evals and the benchmarks all call :func:`build`; tests
pass ready-made parts as overrides instead of monkeypatching. Parts are built lazily on first
access, so ``build(settings).catalog`` opens Chroma without loading the embedding model, and
``build(settings).searcher`` does not load an LLM.

Usage::

    parts = build(get_settings())
    parts.pipeline.answer("Which city hosted the 2016 G20 summit?")
    parts.catalog.known_sources()
    build(settings, store=my_store, generator=ExtractiveGenerator())   # overrides (tests, evals)
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from core.config import Settings
from index.catalog import IndexCatalog
from index.embedders import Embedder, get_embedder
from index.store import ChromaStore
from rag.citations import CitationChecker
from rag.evidence import EvidenceSelector
from rag.generators import Generator, build_generator
from rag.pipeline import RagPipeline
from rag.retriever import HybridSearcher, LexicalIndexHolder

#: The parts :func:`build` accepts as overrides.
PARTS = ("store", "embedder", "lexical", "searcher", "generator", "selector", "checker", "pipeline", "catalog")


class Components:
    """ZoneQA's parts for one settings tree; each is built on first access (or given as an override)."""

    def __init__(self, settings: Settings, **overrides: Any) -> None:
        unknown = sorted(set(overrides) - set(PARTS))
        if unknown:
            raise TypeError(f"unknown parts {unknown}; build() accepts {', '.join(PARTS)}")
        self.settings = settings
        # cached_property reads the instance dict first: an override is simply a pre-built part.
        self.__dict__.update({name: part for name, part in overrides.items() if part is not None})

    @cached_property
    def store(self) -> ChromaStore:
        if "searcher" in self.__dict__:  # a given searcher brings its own store and embedder
            return self.searcher.store
        return ChromaStore.from_settings(self.settings)

    @cached_property
    def embedder(self) -> Embedder:
        if "searcher" in self.__dict__:
            return self.searcher.embedder
        return get_embedder(self.settings.embedding)

    @cached_property
    def lexical(self) -> LexicalIndexHolder:
        if "searcher" in self.__dict__:
            return self.searcher.lexical
        return LexicalIndexHolder(self.settings, self.store)

    @cached_property
    def searcher(self) -> HybridSearcher:
        return HybridSearcher(self.store, self.embedder, self.lexical, self.settings.retrieval)

    @cached_property
    def generator(self) -> Generator:
        return build_generator(self.settings)

    @cached_property
    def selector(self) -> EvidenceSelector:
        return EvidenceSelector(self.embedder, self.settings.evidence)

    @cached_property
    def checker(self) -> CitationChecker:
        return CitationChecker(self.embedder, self.settings.evidence, judge=self.generator.support_judge)

    @cached_property
    def pipeline(self) -> RagPipeline:
        return RagPipeline(
            searcher=self.searcher,
            selector=self.selector,
            checker=self.checker,
            generator=self.generator,
            evidence=self.settings.evidence,
        )

    @cached_property
    def catalog(self) -> IndexCatalog:
        return IndexCatalog(self.store)


def build(settings: Settings, **overrides: Any) -> Components:
    """ZoneQA's parts for ``settings``; ``overrides`` (any of :data:`PARTS`) replace the built ones."""
    return Components(settings, **overrides)
