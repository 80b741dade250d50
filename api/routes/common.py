"""Helpers shared by the answer and search routers.

Usage::

    check_sources(catalog, ["a.pdf"])                      # 422 listing the known sources
    hits = guarded(holder, lambda: pipeline.searcher.search("q"))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from fastapi.exceptions import RequestValidationError

from api.services.pipeline import PipelineHolder
from core.errors import GeneratorError, IndexUnavailableError
from index.catalog import IndexCatalog

T = TypeVar("T")


def check_sources(catalog: IndexCatalog, sources: Sequence[str] | None) -> None:
    """Reject unknown document names with the list of known ones (a typo must not silently match nothing)."""
    if not sources:
        return
    unknown = catalog.unknown(sources)
    if unknown:
        known = catalog.known_sources()
        message = f"unknown sources {unknown}; known sources are {known}"
        raise RequestValidationError([{"loc": ("body", "sources"), "msg": message, "type": "unknown_source"}])


def guarded(holder: PipelineHolder, work: Callable[[], T]) -> T:
    """Run ``work``; if it fails because Chroma went away, answer 503 instead of 500."""
    try:
        return work()
    except (IndexUnavailableError, GeneratorError, RequestValidationError):
        raise
    except Exception:
        holder.check_store()  # raises IndexUnavailableError when the store is the culprit
        raise
