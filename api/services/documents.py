"""Uploads and deletions that keep Chroma, BM25 and the document folders in step.

Usage::

    service = DocumentService(settings, holder)
    record = service.add("zone report.pdf", upload.file.read, 1 << 20)   # saved, ingested, indexed
    service.remove("zone report.pdf")                                    # False if unknown
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from api.services.pipeline import PipelineHolder
from core.config import Settings
from core.errors import RejectionReason, UploadRejectedError
from index.store import DocumentRecord
from ingest.loaders import SUPPORTED_SUFFIXES
from ingest.pipeline import Ingestor, ingest_lock

logger = logging.getLogger("zoneqa.api")
_MAX_FILENAME_CHARS = 200


def sanitise_filename(name: str | None) -> str:
    """The upload's name if it is a plain file name, else :class:`UploadRejectedError` (400).

    >>> sanitise_filename("zone report.pdf")
    'zone report.pdf'
    """
    if not name:
        raise UploadRejectedError(RejectionReason.INVALID_NAME, "The upload has no file name.")
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
        raise UploadRejectedError(
            RejectionReason.INVALID_NAME, f"Invalid file name {name!r}: it contains {', '.join(problems)}."
        )
    return name


class DocumentService:
    """Adds and removes documents, keeping Chroma, BM25 and the upload folder in step."""

    def __init__(self, settings: Settings, holder: PipelineHolder) -> None:
        self.settings = settings
        self.holder = holder
        # One document change at a time in this process (the ingest file lock covers other processes).
        self._lock = threading.Lock()

    def _ingestor(self) -> Ingestor:
        parts = self.holder.parts()
        return Ingestor(self.settings, store=parts.store, embedder=parts.embedder)

    def list(self) -> list[DocumentRecord]:
        return self.holder.parts().catalog.documents()

    def add(self, name: str, read_chunk: Callable[[int], bytes], chunk_size: int) -> DocumentRecord:
        """Save an upload into ``uploads_dir`` and ingest it; returns its DocumentRecord."""
        name = sanitise_filename(name)
        suffix = Path(name).suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            allowed = ", ".join(sorted(SUPPORTED_SUFFIXES))
            raise UploadRejectedError(
                RejectionReason.UNSUPPORTED_TYPE,
                f"Unsupported file type {suffix or '(none)'!r}: allowed are {allowed}.",
            )
        uploads = self.settings.uploads_dir
        uploads.mkdir(parents=True, exist_ok=True)
        target = uploads / name
        with self._lock:
            catalog = self.holder.parts().catalog
            indexed = catalog.document(name) is not None
            # An unindexed file in the uploads folder is what an upload interrupted by a crash
            # leaves (the client never got its 201): a retry replaces it instead of a 409.
            clashes = [
                folder / name
                for folder in self.settings.document_dirs
                if (folder / name).exists() and (indexed or folder != self.settings.uploads_dir)
            ]
            if clashes or indexed:
                raise UploadRejectedError(
                    RejectionReason.ALREADY_EXISTS, f"A document named {name!r} already exists; delete it first."
                )
            self._save(target, read_chunk, chunk_size)
            try:
                report = self._ingestor().run(prune=False, only=[target])
            except BaseException:
                target.unlink(missing_ok=True)
                raise
            if report.failed:
                target.unlink(missing_ok=True)
                raise UploadRejectedError(
                    RejectionReason.UNREADABLE, f"Cannot read {name!r}: {report.failed[0].reason}"
                )
            self.holder.refresh_lexical()
            record = catalog.document(name)
        if record is None:  # ingested and then removed by someone else at once: treat as a failure
            raise UploadRejectedError(RejectionReason.UNREADABLE, f"{name!r} was not indexed.")
        return record

    def recover(self) -> int:
        """Delete chunks left without a document record by a crash mid-write; returns how many.

        Takes the ingest lock, so it waits for (and never disturbs) an ingest in progress.
        """
        with self._lock, ingest_lock(self.settings.data_dir):
            removed = int(self.holder.parts().store.remove_orphan_chunks())
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
                        raise UploadRejectedError(
                            RejectionReason.TOO_LARGE, f"The file is larger than the limit of {limit} bytes."
                        )
                    handle.write(chunk)
            if written == 0:
                raise UploadRejectedError(RejectionReason.EMPTY, "The file is empty.")
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
