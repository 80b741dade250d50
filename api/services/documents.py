"""Uploads and deletions that keep Chroma, BM25 and the document folders in step.

Usage::

    service = DocumentService(settings, holder)
    record = service.add("zone report.pdf", upload.file.read, 1 << 20)   # saved, ingested, indexed
    service.remove("zone report.pdf")                                    # False if unknown
"""

from __future__ import annotations

import errno
import logging
import threading
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

from api.middleware import describe_bytes
from api.services.filenames import name_skeleton, sanitise_filename
from api.services.pipeline import PipelineHolder
from core.config import Settings
from core.errors import RejectionReason, UploadRejectedError
from index.store import DocumentRecord
from ingest.isolation import IsolatedLoader
from ingest.loaders import SUPPORTED_SUFFIXES
from ingest.manifest import MANIFEST_FILENAME
from ingest.pipeline import Ingestor, ingest_lock

logger = logging.getLogger("zoneqa.api")
#: OS errors that mean "this name cannot be a file here" (a 400, not a 500).
_NAME_ERRNOS = {errno.ENAMETOOLONG, errno.EINVAL, errno.EILSEQ}

__all__ = ["DocumentService", "sanitise_filename"]


def _name_error(name: str, error: OSError) -> UploadRejectedError:
    return UploadRejectedError(
        RejectionReason.INVALID_NAME, f"Invalid file name {name!r}: the file system refuses it ({error.strerror})."
    )


class DocumentService:
    """Adds and removes documents, keeping Chroma, BM25 and the upload folder in step."""

    def __init__(self, settings: Settings, holder: PipelineHolder) -> None:
        self.settings = settings
        self.holder = holder
        # One document change at a time in this process (the ingest file lock covers other processes).
        self._lock = threading.Lock()
        # Uploads are parsed in a worker process with a time limit: a hostile file can neither hold
        # the GIL (searches stay fast) nor run on after its limit (the worker is killed).
        self.loader = IsolatedLoader(settings.limits.max_parse_seconds)

    def _ingestor(self) -> Ingestor:
        parts = self.holder.parts()
        return Ingestor(self.settings, store=parts.store, embedder=parts.embedder, loader=self.loader)

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
            try:
                # An unindexed file in the uploads folder is what an upload interrupted by a crash
                # leaves (the client never got its 201): a retry replaces it instead of a 409.
                clashes = [
                    folder / name
                    for folder in self.settings.document_dirs
                    if (folder / name).exists() and (indexed or folder != self.settings.uploads_dir)
                ]
            except OSError as error:
                raise _name_error(name, error) from error
            if clashes or indexed:
                raise UploadRejectedError(
                    RejectionReason.ALREADY_EXISTS, f"A document named {name!r} already exists; delete it first."
                )
            self._refuse_lookalike(name, catalog.documents())
            try:
                self._save(target, read_chunk, chunk_size)
            except OSError as error:
                if error.errno not in _NAME_ERRNOS:
                    raise
                raise _name_error(name, error) from error
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
                            RejectionReason.TOO_LARGE, f"The file is larger than the limit of {describe_bytes(limit)}."
                        )
                    handle.write(chunk)
            if written == 0:
                raise UploadRejectedError(RejectionReason.EMPTY, "The file is empty.")
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)

    def _refuse_lookalike(self, name: str, records: Iterable[DocumentRecord]) -> None:
        """409 for a name that only a careful reader tells apart from a document's (case, separators,
        Cyrillic or Greek look-alikes, 0/O, 1/l): a forged twin of a real document."""
        skeleton = name_skeleton(name)
        existing = {record.source for record in records}
        for folder in self.settings.document_dirs:
            if folder.is_dir():
                existing.update(path.name for path in folder.iterdir() if path.suffix.lower() in SUPPORTED_SUFFIXES)
        for other in sorted(existing):
            if other != name and name_skeleton(other) == skeleton:
                raise UploadRejectedError(
                    RejectionReason.ALREADY_EXISTS,
                    f"The name {name!r} is too similar to the existing document {other!r}; choose a distinct name.",
                )

    def file_of(self, source: str) -> tuple[DocumentRecord, Path] | None:
        """An indexed document's record and its file in the document folders; None if either is missing.

        The name must be an indexed document's exact name and the file must sit directly in one of
        the document folders, so no name can reach any other file (``..``, links, the manifest).
        """
        source = unicodedata.normalize("NFC", source)
        if not source or "/" in source or "\\" in source or "\x00" in source or source in (".", ".."):
            raise UploadRejectedError(RejectionReason.INVALID_NAME, f"Invalid document name {source!r}.")
        if source == MANIFEST_FILENAME or Path(source).suffix.lower() not in SUPPORTED_SUFFIXES:
            return None
        record = self.holder.parts().catalog.document(source)
        if record is None:
            return None
        for folder in self.settings.document_dirs:
            path = folder / source
            try:
                if path.is_file() and not path.is_symlink() and path.resolve().parent == folder.resolve():
                    return record, path
            except OSError:
                continue
        return None

    def remove(self, source: str) -> bool:
        """Forget an indexed document and delete its file from the document folders. False if unknown.

        Only documents the index knows, with a supported suffix, are removed: the manifest, stray
        files and anything else in the document folders are never touched (they are a 404).
        """
        source = unicodedata.normalize("NFC", source)
        if not source or "/" in source or "\\" in source or "\x00" in source or source in (".", ".."):
            raise UploadRejectedError(RejectionReason.INVALID_NAME, f"Invalid document name {source!r}.")
        if source == MANIFEST_FILENAME or Path(source).suffix.lower() not in SUPPORTED_SUFFIXES:
            return False
        with self._lock:
            if self.holder.parts().catalog.document(source) is None:
                return False
            self._ingestor().remove(source)
            for folder in self.settings.document_dirs:
                path = folder / source
                # Corpus files go too, or the next `zoneqa ingest` would add the document back.
                try:
                    if path.is_file() and path.resolve().parent == folder.resolve():
                        path.unlink()
                except OSError as error:
                    if error.errno not in _NAME_ERRNOS:
                        raise
                    raise _name_error(source, error) from error
            self.holder.refresh_lexical()
        return True
