"""The API's long-lived parts: the shared pipeline, the LLM gate, feedback storage, uploads.

Usage::

    holder = PipelineHolder(settings)
    pipeline = holder.get()                 # raises IndexUnavailableError while Chroma is down
    gate = GenerationGate(enabled=True, queue=8, wait_seconds=30)
    with gate.admit():
        pipeline.answer("...")
    FeedbackStore(settings.data_dir / "feedback.sqlite3").add("q", "a", "up", None)
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.settings import Settings
from ingest.store import StoreUnavailableError
from rag.generators.base import GeneratorError

logger = logging.getLogger("zoneqa.api")

# How often a process whose index was unreachable tries again (on the next request, not in a loop).
# What a 503 "busy" tells clients to wait before trying again.
BUSY_RETRY_AFTER_SECONDS = 2
FEEDBACK_DB_NAME = "feedback.sqlite3"
_SQLITE_BUSY_TIMEOUT_SECONDS = 10.0
_MAX_FILENAME_CHARS = 200


class IndexUnavailableError(RuntimeError):
    """The index (Chroma) cannot be reached; the message says why."""


class GeneratorUnavailableError(IndexUnavailableError):
    """The answer generator cannot be built (missing model, failed sha256); the message says why."""


class GenerationBusyError(RuntimeError):
    """The LLM queue is full or the wait for it ran out."""


class UploadRejectedError(ValueError):
    """An upload the API refuses; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def utc_iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).isoformat(timespec="seconds")


# ---- the shared pipeline --------------------------------------------------------------------------
class PipelineHolder:
    """One :class:`rag.pipeline.RagPipeline` per process, built at startup or lazily when Chroma returns."""

    def __init__(
        self,
        settings: Settings,
        factory: Callable[[Settings], Any] | None = None,
        retry_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._factory = factory or _default_factory
        self._retry_seconds = settings.api.index_retry_seconds if retry_seconds is None else retry_seconds
        self._clock = clock
        self._pipeline: Any | None = None
        self._last_error = "not loaded yet"
        self._last_error_type: type[IndexUnavailableError] = IndexUnavailableError
        self._last_attempt: float | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._pipeline is not None

    def get(self) -> Any:
        """The pipeline, building it if needed (at most every ``retry_seconds`` after a failure)."""
        pipeline = self._pipeline
        if pipeline is not None:
            return pipeline
        with self._lock:
            if self._pipeline is not None:
                return self._pipeline
            now = self._clock()
            if self._last_attempt is not None and now - self._last_attempt < self._retry_seconds:
                raise self._last_error_type(self._last_error)
            self._last_attempt = now
            try:
                self._pipeline = self._factory(self.settings)
            except GeneratorError as exc:  # a model problem, not an index one: say so
                self._last_error = f"The answer generator cannot be loaded: {exc}"
                self._last_error_type = GeneratorUnavailableError
                logger.error("pipeline not available: %s", self._last_error)
                raise GeneratorUnavailableError(self._last_error) from exc
            except Exception as exc:  # noqa: BLE001 - Chroma failures come in many types
                self._last_error = str(exc) or type(exc).__name__
                self._last_error_type = IndexUnavailableError
                logger.warning("pipeline not available: %s", self._last_error)
                raise IndexUnavailableError(self._last_error) from exc
            logger.info("pipeline ready (generator %s)", self._pipeline.model_name)
            return self._pipeline

    def check_store(self) -> None:
        """Raise :class:`IndexUnavailableError` when the loaded pipeline's store stops answering."""
        pipeline = self.get()
        try:
            pipeline.searcher.store.heartbeat()
        except StoreUnavailableError as exc:
            raise IndexUnavailableError(str(exc)) from exc

    def refresh_lexical(self) -> None:
        """Make the next search re-check the BM25 index at once (after this process changed it)."""
        if self._pipeline is not None:
            self._pipeline.searcher.lexical.invalidate()


def _default_factory(settings: Settings) -> Any:
    from rag.pipeline import RagPipeline

    return RagPipeline.from_settings(settings)


# ---- the LLM gate -----------------------------------------------------------------------------------
class _Ticket:
    """Releases a gate admission exactly once (explicitly, or when garbage collected)."""

    def __init__(self, releases: list[threading.Semaphore]) -> None:
        self._releases = releases
        self._lock = threading.Lock()

    def release(self) -> None:
        with self._lock:
            releases, self._releases = self._releases, []
        for semaphore in releases:
            semaphore.release()

    def __del__(self) -> None:  # a stream whose generator never started must not leak its slot
        self.release()


class GenerationGate:
    """Serialises LLM generation with a bounded queue: 1 running + ``queue`` waiting, then 503.

    The extractive generator is cheap and thread-safe, so its gate is disabled (always admits).
    """

    def __init__(self, *, enabled: bool, queue: int, wait_seconds: float) -> None:
        self.enabled = enabled
        self.wait_seconds = wait_seconds
        self._slots = threading.BoundedSemaphore(queue + 1)
        self._running = threading.Semaphore(1)

    def acquire(self) -> _Ticket:
        """Admit one request (blocking up to ``wait_seconds``) or raise :class:`GenerationBusyError`."""
        if not self.enabled:
            return _Ticket([])
        if not self._slots.acquire(blocking=False):
            raise GenerationBusyError("The answer generator is busy: too many questions are waiting.")
        if not self._running.acquire(timeout=self.wait_seconds):
            self._slots.release()
            raise GenerationBusyError("The answer generator is busy: the wait for it ran out.")
        return _Ticket([self._running, self._slots])

    @contextlib.contextmanager
    def admit(self) -> Iterator[None]:
        ticket = self.acquire()
        try:
            yield
        finally:
            ticket.release()


# ---- feedback -----------------------------------------------------------------------------------------
@dataclass
class FeedbackRow:
    id: int
    question: str
    answer: str
    rating: str
    comment: str | None
    created_at: str


class FeedbackStore:
    """Ratings in SQLite (WAL; one connection per call, so threads and processes can share the file)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(
                """CREATE TABLE IF NOT EXISTS feedback (
                       id INTEGER PRIMARY KEY AUTOINCREMENT,
                       question TEXT NOT NULL,
                       answer TEXT NOT NULL,
                       rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
                       comment TEXT,
                       created_at TEXT NOT NULL
                   )"""
            )

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        connection = sqlite3.connect(self.path, timeout=_SQLITE_BUSY_TIMEOUT_SECONDS)
        try:
            with connection:  # commits, or rolls back on error
                yield connection
        finally:
            connection.close()

    def add(self, question: str, answer: str, rating: str, comment: str | None) -> int:
        with self._connect() as connection:
            cursor = connection.execute(
                "INSERT INTO feedback (question, answer, rating, comment, created_at) VALUES (?, ?, ?, ?, ?)",
                (question, answer, rating, comment, utc_iso(time.time())),
            )
            return int(cursor.lastrowid or 0)

    def all(self) -> list[FeedbackRow]:
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT id, question, answer, rating, comment, created_at FROM feedback ORDER BY id"
            ).fetchall()
        return [FeedbackRow(*row) for row in rows]


# ---- uploads ----------------------------------------------------------------------------------------------
def sanitise_filename(name: str | None) -> str:
    """The upload's name if it is a plain file name, else :class:`UploadRejectedError` (400).

    >>> sanitise_filename("zone report.pdf")
    'zone report.pdf'
    """
    if not name:
        raise UploadRejectedError(400, "The upload has no file name.")
    problems = []
    if "\x00" in name:
        problems.append("a NUL character")
    if "/" in name or "\\" in name:
        problems.append("a path separator")
    if ".." in name:
        problems.append("'..'")
    if name.startswith("."):
        problems.append("a leading dot (hidden file)")
    if len(name) > _MAX_FILENAME_CHARS:
        problems.append(f"more than {_MAX_FILENAME_CHARS} characters")
    if any(ord(char) < 32 for char in name.replace("\x00", "")):
        problems.append("control characters")
    if name != name.strip():
        problems.append("leading or trailing spaces")
    if problems:
        raise UploadRejectedError(400, f"Invalid file name {name!r}: it contains {', '.join(problems)}.")
    return name


class DocumentService:
    """Adds and removes documents, keeping Chroma, BM25 and the upload folder in step."""

    def __init__(self, settings: Settings, holder: PipelineHolder) -> None:
        self.settings = settings
        self.holder = holder
        # One document change at a time in this process (the ingest file lock covers other processes).
        self._lock = threading.Lock()

    def _ingestor(self) -> Any:
        from ingest.pipeline import Ingestor

        store = self.holder.get().searcher.store
        return Ingestor(self.settings, store=store)

    def list(self) -> list[Any]:
        return list(self.holder.get().searcher.store.documents())

    def add(self, name: str, read_chunk: Callable[[int], bytes], chunk_size: int) -> Any:
        """Save an upload into ``uploads_dir`` and ingest it; returns its DocumentRecord."""
        from ingest.loaders import SUPPORTED_SUFFIXES

        name = sanitise_filename(name)
        suffix = Path(name).suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            allowed = ", ".join(sorted(SUPPORTED_SUFFIXES))
            raise UploadRejectedError(
                415, f"Unsupported file type {suffix or '(none)'!r}: allowed are {allowed}."
            )
        uploads = self.settings.uploads_dir
        uploads.mkdir(parents=True, exist_ok=True)
        target = uploads / name
        with self._lock:
            store = self.holder.get().searcher.store
            indexed = store.document(name) is not None
            # An unindexed file in the uploads folder is what an upload interrupted by a crash
            # leaves (the client never got its 201): a retry replaces it instead of a 409.
            clashes = [
                folder / name
                for folder in self.settings.document_dirs
                if (folder / name).exists() and (indexed or folder != self.settings.uploads_dir)
            ]
            if clashes or indexed:
                raise UploadRejectedError(409, f"A document named {name!r} already exists; delete it first.")
            self._save(target, read_chunk, chunk_size)
            try:
                report = self._ingestor().run(prune=False, only=[target])
            except BaseException:
                target.unlink(missing_ok=True)
                raise
            if report.failed:
                target.unlink(missing_ok=True)
                raise UploadRejectedError(422, f"Cannot read {name!r}: {report.failed[0].reason}")
            self.holder.refresh_lexical()
            record = store.document(name)
        if record is None:  # ingested and then removed by someone else at once: treat as a failure
            raise UploadRejectedError(422, f"{name!r} was not indexed.")
        return record

    def recover(self) -> int:
        """Delete chunks left without a document record by a crash mid-write; returns how many.

        Takes the ingest lock, so it waits for (and never disturbs) an ingest in progress.
        """
        from ingest.pipeline import ingest_lock

        with self._lock, ingest_lock(self.settings.data_dir):
            removed = int(self.holder.get().searcher.store.remove_orphan_chunks())
        if removed:
            logger.warning("removed %d chunks left by an interrupted ingest", removed)
            self.holder.refresh_lexical()
        return removed

    def _save(self, target: Path, read_chunk: Callable[[int], bytes], chunk_size: int) -> None:
        """Write to a hidden partial file, then rename: a crash never leaves a half file to ingest."""
        limit = self.settings.api.max_upload_bytes
        partial = target.with_name(f".{target.name}.partial")
        written = 0
        try:
            with partial.open("wb") as handle:
                while chunk := read_chunk(chunk_size):
                    written += len(chunk)
                    if written > limit:
                        raise UploadRejectedError(413, f"The file is larger than the limit of {limit} bytes.")
                    handle.write(chunk)
            if written == 0:
                raise UploadRejectedError(422, "The file is empty.")
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)

    def remove(self, source: str) -> bool:
        """Forget a document and delete its file from the document folders. False if unknown."""
        sanitise_filename(source)
        with self._lock:
            indexed = self._ingestor().remove(source)
            deleted_file = False
            for folder in self.settings.document_dirs:
                path = folder / source
                # Corpus files go too, or the next `zoneqa ingest` would add the document back.
                if path.is_file() and path.resolve().parent == folder.resolve():
                    path.unlink()
                    deleted_file = True
            if indexed:
                self.holder.refresh_lexical()
        return indexed or deleted_file
