"""Incremental, idempotent ingestion: folders → clean chunks → Chroma + BM25.

A run compares each file's sha256 (and the chunking configuration) with the document records in
the store: unchanged files cost nothing, changed files have their chunks replaced, files gone
from the folders are pruned, and chunks left by an interrupted run are removed. Embedding happens
before any write, and a file's record is written after its chunks, so a crash at any point leaves
an index that the next run brings to the exact right state.

Usage::

    report = Ingestor(get_settings()).run()
    print(report.counts(), report.failed)
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from core.config import CHUNK_MAX_CHARS, IngestLimits, Settings
from core.documents import Chunk, LoadedDocument
from core.errors import LoaderError
from index.bm25 import refresh_from_store
from index.embedders import Embedder, get_embedder
from index.store import ChromaStore, DocumentRecord
from ingest.chunker import StructuredChunker, TokenCounter
from ingest.manifest import ManifestEntry

Status = Literal["added", "updated", "unchanged", "removed", "failed"]


class FileLoader(Protocol):
    """``ingest.loaders.load_file``'s signature: a path in, a LoadedDocument (or LoaderError) out."""

    def __call__(
        self, path: Path, *, limits: IngestLimits, manifest: dict[str, ManifestEntry] | None = None
    ) -> LoadedDocument: ...


MANIFEST_NAMES = {"manifest.yaml", "manifest.yml", "manifest.json"}


class PhaseProgress(Protocol):
    """Receives progress; the CLI shows rich bars, the API and tests pass nothing."""

    def start(self, phase: str, total: int) -> None: ...

    def advance(self, phase: str, amount: int = 1) -> None: ...


@dataclass
class FileOutcome:
    source: str
    status: Status
    chunks: int = 0
    reason: str = ""


@dataclass
class IngestReport:
    outcomes: list[FileOutcome] = field(default_factory=list)
    chunks_written: int = 0
    chunks_embedded: int = 0
    orphans_removed: int = 0
    bm25_rebuilt: bool = False
    seconds: float = 0.0
    phase_seconds: dict[str, float] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        counts = {status: 0 for status in ("added", "updated", "unchanged", "removed", "failed")}
        for outcome in self.outcomes:
            counts[outcome.status] += 1
        return {"seen": sum(1 for o in self.outcomes if o.status != "removed"), **counts}

    @property
    def failed(self) -> list[FileOutcome]:
        return [outcome for outcome in self.outcomes if outcome.status == "failed"]

    @property
    def changed(self) -> bool:
        return any(o.status in ("added", "updated", "removed") for o in self.outcomes) or self.orphans_removed > 0


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def ingest_lock(data_dir: Path) -> Iterator[None]:
    """One writer at a time per data dir (CLI, API uploads, tests)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / ".ingest.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def scan_document_folders(folders: Sequence[Path]) -> dict[str, Path]:
    """Supported files in ``folders`` by source name (the first folder wins a clash); opens no index."""
    from ingest.loaders import SUPPORTED_SUFFIXES

    found: dict[str, Path] = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if (
                path.is_file()
                and not path.name.startswith(".")
                and path.name not in MANIFEST_NAMES
                and path.suffix.lower() in SUPPORTED_SUFFIXES
            ):
                found.setdefault(path.name, path)
    return found


class Ingestor:
    """Runs ingestion for the folders in settings; see the module docstring."""

    def __init__(
        self,
        settings: Settings,
        *,
        store: ChromaStore | None = None,
        embedder: Embedder | None = None,
        progress: PhaseProgress | None = None,
        loader: FileLoader | None = None,
    ) -> None:
        self.settings = settings
        self.store = store or ChromaStore.from_settings(settings)
        self._embedder = embedder
        self._chunker: StructuredChunker | None = None
        self.progress = progress
        # How a file becomes a LoadedDocument: ``load_file`` in this process by default; the API
        # passes an ``ingest.isolation.IsolatedLoader`` (a killable worker process, time-limited).
        self.loader = loader

    # ---- lazily built heavy parts ----------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = get_embedder(self.settings.embedding)
        return self._embedder

    @property
    def chunker(self) -> StructuredChunker:
        if self._chunker is None:
            model_dir = getattr(self.embedder, "tokenizer_dir", None)
            counter = TokenCounter.from_model_dir(model_dir) if model_dir else TokenCounter.whitespace()
            chunking = self.settings.chunking
            self._chunker = StructuredChunker(
                counter, chunking.chunk_tokens, chunking.overlap_tokens, max_chars=chunking.max_chars
            )
        return self._chunker

    @property
    def chunking_signature(self) -> str:
        """Changes when chunks would come out differently, forcing a re-ingest of every file."""
        chunking = self.settings.chunking
        # The default character cap cuts no chunk an index built before it holds (ordinary text stays
        # far below it), so it keeps the old signature and upgrades cost no re-embedding.
        cap = "" if chunking.max_chars == CHUNK_MAX_CHARS else f"|{chunking.max_chars}"
        return f"{self.settings.embedding.identity}|{chunking.chunk_tokens}|{chunking.overlap_tokens}{cap}|v3"

    # ---- the run -----------------------------------------------------------------------------
    def scan(self) -> dict[str, Path]:
        """Supported files in the document folders by source name (the first folder wins a clash)."""
        return scan_document_folders(self.settings.document_dirs)

    def run(self, *, prune: bool = True, only: Sequence[Path] | None = None) -> IngestReport:
        """Bring the index in step with the folders (or with just the files in ``only``)."""
        started = time.perf_counter()
        report = IngestReport()
        with ingest_lock(self.settings.data_dir):
            report.orphans_removed = self.store.remove_orphan_chunks()
            records = {record.source: record for record in self.store.documents()}
            files = {path.name: path for path in only} if only is not None else self.scan()

            to_load: list[tuple[Path, str]] = []
            for source, path in files.items():
                try:
                    digest = file_sha256(path)
                except OSError as exc:
                    report.outcomes.append(FileOutcome(source, "failed", reason=f"cannot read: {exc}"))
                    continue
                record = records.get(source)
                if record and record.sha256 == digest and record.chunking == self.chunking_signature:
                    report.outcomes.append(FileOutcome(source, "unchanged", record.chunks))
                else:
                    to_load.append((path, digest))

            loaded = self._load_and_chunk(to_load, report)
            vectors = self._embed(loaded, report)
            self._write(loaded, vectors, records, report)

            if prune and only is None:
                for source in sorted(set(records) - set(files)):
                    self.store.remove_document(source)
                    report.outcomes.append(FileOutcome(source, "removed", records[source].chunks))

            report.bm25_rebuilt = self.refresh_lexical_index(force=report.changed)
        report.seconds = time.perf_counter() - started
        return report

    def remove(self, source: str) -> bool:
        """Remove one document from the index (not from disk). False if it was not indexed."""
        with ingest_lock(self.settings.data_dir):
            if self.store.document(source) is None:
                return False
            self.store.remove_document(source)
            self.refresh_lexical_index(force=True)
        return True

    def refresh_lexical_index(self, *, force: bool = False) -> bool:
        """Rebuild BM25 from the store when it does not reflect the store's current version."""
        return refresh_from_store(
            self.store,
            self.settings.bm25_dir,
            force=force,
            on_start=lambda rows: self._start("index", rows),
            on_done=lambda rows: self._advance("index", rows),
        )

    # ---- phases ------------------------------------------------------------------------------
    def _load_and_chunk(
        self, to_load: list[tuple[Path, str]], report: IngestReport
    ) -> list[tuple[LoadedDocument, list[Chunk]]]:
        from ingest.loaders import load_file
        from ingest.manifest import load_manifest

        manifests: dict[Path, dict] = {}
        documents: list[LoadedDocument] = []
        self._start("load", len(to_load))
        with self._timed("load", report):
            for path, digest in to_load:
                try:
                    if path.parent not in manifests:
                        manifests[path.parent] = load_manifest(path.parent)
                    load = self.loader or load_file
                    doc = load(path, limits=self.settings.limits, manifest=manifests[path.parent])
                    doc.sha256 = digest
                    documents.append(doc)
                except LoaderError as exc:
                    report.outcomes.append(FileOutcome(path.name, "failed", reason=str(exc)))
                except Exception as exc:  # noqa: BLE001 - one bad file never stops the run
                    report.outcomes.append(FileOutcome(path.name, "failed", reason=f"{type(exc).__name__}: {exc}"))
                self._advance("load")

        chunked: list[tuple[LoadedDocument, list[Chunk]]] = []
        self._start("chunk", len(documents))
        with self._timed("chunk", report):
            for doc in documents:
                try:
                    chunks = self.chunker.split(doc)
                except Exception as exc:  # noqa: BLE001
                    report.outcomes.append(FileOutcome(doc.source, "failed", reason=f"chunking failed: {exc}"))
                    continue
                if chunks:
                    chunked.append((doc, chunks))
                else:
                    report.outcomes.append(FileOutcome(doc.source, "failed", reason="no text to index"))
                self._advance("chunk")
        return chunked

    def _embed(self, loaded: list[tuple[LoadedDocument, list[Chunk]]], report: IngestReport) -> list[np.ndarray]:
        total = sum(len(chunks) for _doc, chunks in loaded)
        self._start("embed", total)
        batch = max(self.settings.embedding.batch_size * 4, 1)
        # Batches span documents: many small files (abstracts, web pages) embedded one file per
        # call ran 3-4x slower (tiny batches; measured in benchmarks/, SciFact).
        all_texts = [chunk.indexed_text for _doc, chunks in loaded for chunk in chunks]
        parts: list[np.ndarray] = []
        with self._timed("embed", report):
            for start in range(0, len(all_texts), batch):
                texts = all_texts[start : start + batch]
                parts.append(self.embedder.embed_documents(texts))
                self._advance("embed", len(texts))
        matrix = np.concatenate(parts) if parts else np.zeros((0, 1), dtype=np.float32)
        bounds = np.cumsum([0] + [len(chunks) for _doc, chunks in loaded])
        vectors = [matrix[bounds[i] : bounds[i + 1]] for i in range(len(loaded))]
        report.chunks_embedded = total
        return vectors

    def _write(
        self,
        loaded: list[tuple[LoadedDocument, list[Chunk]]],
        vectors: list[np.ndarray],
        records: dict[str, DocumentRecord],
        report: IngestReport,
    ) -> None:
        self._start("write", len(loaded))
        with self._timed("write", report):
            # Files are written in groups of up to one Chroma batch of chunks: per-file writes cost
            # five Chroma calls each, which dominated ingesting many small files.
            group: list[tuple[DocumentRecord, list[Chunk], np.ndarray]] = []
            outcomes: list[FileOutcome] = []
            group_chunks = 0
            for (doc, chunks), doc_vectors in zip(loaded, vectors, strict=True):
                if group and group_chunks + len(chunks) > self.store.max_batch:
                    self._write_group(group, outcomes, report)
                    group, outcomes, group_chunks = [], [], 0
                group_chunks += len(chunks)
                record = DocumentRecord(
                    source=doc.source,
                    title=doc.title,
                    sha256=doc.sha256,
                    chunking=self.chunking_signature,
                    chunks=len(chunks),
                    pages=doc.pages,
                    publisher=doc.publisher,
                    date=doc.date,
                    ingested_at=time.time(),
                )
                group.append((record, chunks, doc_vectors))
                status: Status = "updated" if doc.source in records else "added"
                outcomes.append(FileOutcome(doc.source, status, len(chunks), "; ".join(doc.warnings)))
            self._write_group(group, outcomes, report)

    def _write_group(
        self,
        group: list[tuple[DocumentRecord, list[Chunk], np.ndarray]],
        outcomes: list[FileOutcome],
        report: IngestReport,
    ) -> None:
        """Write a group of files; their outcomes are reported only once the write succeeded."""
        self.store.replace_documents(group)
        report.outcomes.extend(outcomes)
        report.chunks_written += sum(len(chunks) for _record, chunks, _vectors in group)
        self._advance("write", len(group))

    # ---- progress helpers --------------------------------------------------------------------
    def _start(self, phase: str, total: int) -> None:
        if self.progress:
            self.progress.start(phase, total)

    def _advance(self, phase: str, amount: int = 1) -> None:
        if self.progress:
            self.progress.advance(phase, amount)

    @contextlib.contextmanager
    def _timed(self, phase: str, report: IngestReport) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            report.phase_seconds[phase] = report.phase_seconds.get(phase, 0.0) + time.perf_counter() - started
