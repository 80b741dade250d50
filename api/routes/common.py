"""Helpers shared by the answer and search routers.

Usage::

    check_sources(pipeline, ["a.pdf"])                      # 422 listing the known sources
    hits = guarded(holder, lambda: pipeline.searcher.search("q"))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from fastapi.exceptions import RequestValidationError

from api.services import IndexUnavailableError, PipelineHolder
from rag.generators import GeneratorError

T = TypeVar("T")


def check_sources(pipeline: Any, sources: Sequence[str] | None) -> None:
    """Reject unknown document names with the list of known ones (a typo must not silently match nothing)."""
    if not sources:
        return
    known = sorted(record.source for record in pipeline.searcher.store.documents())
    unknown = [source for source in sources if source not in known]
    if unknown:
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
