"""The process's built parts (pipeline, catalog, store), built at startup or lazily when Chroma returns.

Usage::

    holder = PipelineHolder(settings)
    pipeline = holder.get()            # raises IndexUnavailableError while Chroma is down
    holder.parts().catalog.documents()
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from core.config import Settings
from core.errors import GeneratorError, GeneratorUnavailableError, IndexUnavailableError, ZoneQAError
from rag.components import Components, build
from rag.pipeline import RagPipeline

logger = logging.getLogger("zoneqa.api")


def build_ready(settings: Settings) -> Components:
    """The parts with the pipeline built and warmed up (models loaded, BM25 read, Chroma opened)."""
    parts = build(settings)
    parts.pipeline.warm_up()
    return parts


class PipelineHolder:
    """One set of :class:`~rag.components.Components` per process; a failed build is retried every ``retry_seconds``."""

    def __init__(
        self,
        settings: Settings,
        factory: Callable[[Settings], Components] = build_ready,
        retry_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._factory = factory
        self._retry_seconds = settings.api.index_retry_seconds if retry_seconds is None else retry_seconds
        self._clock = clock
        self._parts: Components | None = None
        self._last_error: ZoneQAError = IndexUnavailableError("not loaded yet")
        self._last_attempt: float | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._parts is not None

    def get(self) -> RagPipeline:
        """The pipeline, building the parts if needed."""
        return self.parts().pipeline

    def parts(self) -> Components:
        """The built parts (at most one build attempt every ``retry_seconds`` after a failure)."""
        parts = self._parts
        if parts is not None:
            return parts
        with self._lock:
            if self._parts is not None:
                return self._parts
            now = self._clock()
            if self._last_attempt is not None and now - self._last_attempt < self._retry_seconds:
                raise self._last_error
            self._last_attempt = now
            try:
                self._parts = self._factory(self.settings)
            except GeneratorError as exc:  # a model problem, not an index one: say so
                self._last_error = GeneratorUnavailableError(f"The answer generator cannot be loaded: {exc}")
                logger.error("pipeline not available: %s", self._last_error)
                raise self._last_error from exc
            except ZoneQAError as exc:  # the index, the embedding model, a setting: each says what it is
                self._last_error = exc
                logger.warning("pipeline not available: %s", exc)
                raise
            except Exception as exc:  # noqa: BLE001 - Chroma's clients raise many types of their own
                self._last_error = IndexUnavailableError(str(exc) or type(exc).__name__)
                logger.warning("pipeline not available: %s", self._last_error, exc_info=True)
                raise self._last_error from exc
            logger.info("pipeline ready (generator %s)", self._parts.pipeline.model_name)
            return self._parts

    def check_store(self) -> None:
        """Raise :class:`IndexUnavailableError` when the loaded store stops answering."""
        self.parts().catalog.heartbeat()

    def refresh_lexical(self) -> None:
        """Make the next search re-check the BM25 index at once (after this process changed it)."""
        if self._parts is not None:
            self._parts.lexical.invalidate()
