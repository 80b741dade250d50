"""The vector store: chunks and document records in Chroma (embedded or ``chroma run`` server).

Two collections: ``<name>`` holds chunks (cosine space, embeddings supplied by ZoneQA, never by
Chroma's default embedding function, which would try to download a model), and
``<name>__documents`` holds one record per ingested file. A document record is written only
after all of its chunks, and removed before them, so a file is "in" exactly when its record
exists; chunks without a record are leftovers of an interrupted write and are removed by the
next ingest. A version record changes on every write, so other processes (and the BM25 index)
can tell cheaply that the index moved.

Usage::

    store = ChromaStore.from_settings(get_settings())
    store.replace_document(record, chunks, vectors)
    hits = store.query(vector, k=10, sources=["a.pdf"])
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.config import Settings
from core.documents import Chunk
from core.errors import IndexUnavailableError

_VERSION_ID = "__index_version__"
# Document records carry no meaningful vector; Chroma still wants one.
_PLACEHOLDER_VECTOR = [1.0]
_PAGE_SIZE = 5000


@dataclass
class DocumentRecord:
    """What the index knows about one ingested file."""

    source: str
    title: str
    sha256: str
    chunks: int
    pages: int | None = None
    publisher: str | None = None
    date: str | None = None
    ingested_at: float = 0.0
    chunking: str = ""  # the chunking configuration that produced the chunks

    def metadata(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}

    @classmethod
    def from_metadata(cls, meta: dict[str, Any]) -> DocumentRecord:
        return cls(
            source=str(meta["source"]),
            title=str(meta.get("title", meta["source"])),
            sha256=str(meta.get("sha256", "")),
            chunks=int(meta.get("chunks", 0)),
            pages=int(meta["pages"]) if meta.get("pages") is not None else None,
            publisher=meta.get("publisher"),
            date=meta.get("date"),
            ingested_at=float(meta.get("ingested_at", 0.0)),
            chunking=str(meta.get("chunking", "")),
        )


@dataclass
class ScoredChunk:
    """A chunk with a retrieval score (higher is better)."""

    chunk: Chunk
    score: float


def make_chroma_client(settings: Settings) -> Any:
    """``HttpClient`` when ``chroma_host`` is set, else an embedded ``PersistentClient``."""
    import chromadb
    from chromadb.config import Settings as ChromaClientSettings

    client_settings = ChromaClientSettings(anonymized_telemetry=False, allow_reset=False)
    try:
        if settings.chroma_host:
            host, _, port = settings.chroma_host.rpartition(":")
            return chromadb.HttpClient(host=host, port=int(port), settings=client_settings)
        settings.chroma_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=client_settings)
    except Exception as exc:  # noqa: BLE001 - connection errors come in many types
        where = f"server {settings.chroma_host}" if settings.chroma_host else f"folder {settings.chroma_dir}"
        raise IndexUnavailableError(f"Cannot open Chroma at {where}: {exc}") from exc


def release_embedded_chroma(chroma_dir: Path) -> None:
    """Close this process's embedded Chroma for ``chroma_dir``, e.g. before its folder is deleted.

    Chroma keeps one open system per path per process; a folder deleted and re-created under a
    still-open system fails with "attempt to write a readonly database". Usage::

        release_embedded_chroma(settings.chroma_dir)
        shutil.rmtree(settings.data_dir)
    """
    from chromadb.api.shared_system_client import SharedSystemClient

    system = SharedSystemClient._identifier_to_system.pop(str(chroma_dir), None)
    SharedSystemClient._identifier_to_refcount.pop(str(chroma_dir), None)
    if system is not None:
        system.stop()


class ChromaStore:
    """Chunks and document records in Chroma; see the module docstring."""

    def __init__(self, client: Any, collection: str) -> None:
        if not collection or "__" in collection:
            raise ValueError("collection must be a non-empty name without '__'")
        self.client = client
        self.collection_name = collection
        self._chunks = client.get_or_create_collection(
            name=collection, metadata={"hnsw:space": "cosine"}, embedding_function=None
        )
        self._documents = client.get_or_create_collection(name=f"{collection}__documents", embedding_function=None)
        self._max_batch = int(client.get_max_batch_size())

    @classmethod
    def from_settings(cls, settings: Settings) -> ChromaStore:
        client = make_chroma_client(settings)
        try:
            return cls(client, settings.collection)
        except Exception as exc:  # noqa: BLE001
            raise IndexUnavailableError(f"Cannot open the Chroma collection {settings.collection!r}: {exc}") from exc

    # ---- writes -----------------------------------------------------------------------------
    @property
    def max_batch(self) -> int:
        """The most records Chroma accepts in one write call."""
        return self._max_batch

    def replace_document(self, record: DocumentRecord, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Make ``chunks`` the whole content of ``record.source``; the record is written last."""
        self.replace_documents([(record, chunks, vectors)])

    def replace_documents(self, documents: Sequence[tuple[DocumentRecord, Sequence[Chunk], np.ndarray]]) -> None:
        """:meth:`replace_document` for many files at once: a handful of Chroma calls, not five per file.

        Order keeps an interrupted write recoverable: old records and chunks go first, the new
        chunks next, the records last; a file whose record is missing is re-ingested by the next
        run, and its stray chunks are removed as orphans.
        """
        if not documents:
            return
        for record, chunks, vectors in documents:
            if len(chunks) != len(vectors):
                raise ValueError(f"{record.source}: one vector per chunk is required")
        sources = [record.source for record, _chunks, _vectors in documents]
        self._documents.delete(ids=sources)
        for start in range(0, len(sources), self._max_batch):
            self._chunks.delete(where={"source": {"$in": sources[start : start + self._max_batch]}})
        chunks = [chunk for _record, doc_chunks, _vectors in documents for chunk in doc_chunks]
        all_vectors = [vector for _record, _chunks, doc_vectors in documents for vector in np.asarray(doc_vectors)]
        for start in range(0, len(chunks), self._max_batch):
            batch = chunks[start : start + self._max_batch]
            self._chunks.add(
                ids=[chunk.chunk_id for chunk in batch],
                embeddings=[vector.tolist() for vector in all_vectors[start : start + self._max_batch]],
                documents=[chunk.text for chunk in batch],
                metadatas=[chunk.metadata() for chunk in batch],
            )
        records = [record for record, _chunks, _vectors in documents]
        for record, doc_chunks, _vectors in documents:
            record.chunks = len(doc_chunks)
            record.ingested_at = record.ingested_at or time.time()
        for start in range(0, len(records), self._max_batch):
            batch_records = records[start : start + self._max_batch]
            self._documents.add(
                ids=[record.source for record in batch_records],
                embeddings=[_PLACEHOLDER_VECTOR] * len(batch_records),
                metadatas=[record.metadata() for record in batch_records],
            )
        self.bump_version()

    def remove_document(self, source: str) -> None:
        """Forget a file: its record first, then its chunks."""
        self._documents.delete(ids=[source])
        self._chunks.delete(where={"source": source})
        self.bump_version()

    def remove_orphan_chunks(self) -> int:
        """Delete chunks whose file has no record (an interrupted write). Returns how many."""
        recorded = {record.source for record in self.documents()}
        orphan_sources = {meta["source"] for meta in self._iter_chunk_metadata()} - recorded
        removed = 0
        for source in orphan_sources:
            removed += len(self._chunks.get(where={"source": source}, include=[])["ids"])
            self._chunks.delete(where={"source": source})
        if removed:
            self.bump_version()
        return removed

    def bump_version(self) -> str:
        version = uuid.uuid4().hex
        self._documents.upsert(
            ids=[_VERSION_ID],
            embeddings=[_PLACEHOLDER_VECTOR],
            metadatas=[{"version": version, "updated_at": time.time()}],
        )
        return version

    # ---- reads ------------------------------------------------------------------------------
    def version(self) -> str:
        """Changes whenever the index changes; '' for an index never written."""
        result = self._documents.get(ids=[_VERSION_ID], include=["metadatas"])
        metas = result.get("metadatas") or []
        return str(metas[0]["version"]) if metas else ""

    def documents(self) -> list[DocumentRecord]:
        result = self._documents.get(include=["metadatas"])
        records = [
            DocumentRecord.from_metadata(meta)
            for doc_id, meta in zip(result["ids"], result.get("metadatas") or [], strict=False)
            if doc_id != _VERSION_ID and meta
        ]
        return sorted(records, key=lambda record: record.source)

    def document(self, source: str) -> DocumentRecord | None:
        result = self._documents.get(ids=[source], include=["metadatas"])
        metas = result.get("metadatas") or []
        return DocumentRecord.from_metadata(metas[0]) if metas and metas[0] else None

    def count(self) -> int:
        return int(self._chunks.count())

    def _iter_chunk_metadata(self) -> Iterator[dict[str, Any]]:
        for _ids, _texts, metas in self.iter_chunks(include_text=False):
            yield from metas

    def iter_chunks(
        self, *, include_text: bool = True, page_size: int = _PAGE_SIZE
    ) -> Iterator[tuple[list[str], list[str], list[dict[str, Any]]]]:
        """All chunks, a page at a time: ``(ids, texts, metadatas)``."""
        include = ["metadatas", "documents"] if include_text else ["metadatas"]
        offset = 0
        while True:
            result = self._chunks.get(include=include, limit=page_size, offset=offset)
            ids = list(result["ids"])
            if not ids:
                return
            texts = list(result.get("documents") or [""] * len(ids)) if include_text else [""] * len(ids)
            yield ids, texts, [dict(meta or {}) for meta in result.get("metadatas") or []]
            offset += len(ids)

    def chunks_by_source(self) -> dict[str, set[str]]:
        grouped: dict[str, set[str]] = {}
        for ids, _texts, metas in self.iter_chunks(include_text=False):
            for chunk_id, meta in zip(ids, metas, strict=True):
                grouped.setdefault(str(meta.get("source")), set()).add(chunk_id)
        return grouped

    def get_chunks(self, ids: Sequence[str]) -> list[Chunk]:
        """Chunks by id, in the order asked (missing ids are skipped)."""
        if not ids:
            return []
        result = self._chunks.get(ids=list(ids), include=["metadatas", "documents"])
        found = {
            chunk_id: Chunk.from_metadata(text or "", dict(meta or {}))
            for chunk_id, text, meta in zip(
                result["ids"], result.get("documents") or [], result.get("metadatas") or [], strict=False
            )
        }
        return [found[chunk_id] for chunk_id in ids if chunk_id in found]

    def get_by_position(self, source: str, chunk_indexes: Sequence[int]) -> list[Chunk]:
        """Chunks of ``source`` at the given ``chunk_index`` positions (for merging neighbours)."""
        if not chunk_indexes:
            return []
        where = {"$and": [{"source": source}, {"chunk_index": {"$in": [int(i) for i in chunk_indexes]}}]}
        result = self._chunks.get(where=where, include=["metadatas", "documents"])
        return [
            Chunk.from_metadata(text or "", dict(meta or {}))
            for text, meta in zip(result.get("documents") or [], result.get("metadatas") or [], strict=False)
        ]

    def query(self, vector: np.ndarray, k: int, sources: Sequence[str] | None = None) -> list[ScoredChunk]:
        """Nearest chunks by cosine similarity (score = 1 - cosine distance).

        Chroma 1.x returns fewer than ``k`` hits when the collection (or the filtered part of it)
        is smaller, so no ``count()`` round trip is made per query.
        """
        where: dict[str, Any] | None = None
        if sources:
            where = {"source": sources[0]} if len(sources) == 1 else {"source": {"$in": list(sources)}}
        result = self._chunks.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32).tolist()],
            n_results=k,
            where=where,
            include=["metadatas", "documents", "distances"],
        )
        hits = []
        for text, meta, distance in zip(
            (result["documents"] or [[]])[0],
            (result["metadatas"] or [[]])[0],
            (result["distances"] or [[]])[0],
            strict=False,
        ):
            hits.append(ScoredChunk(Chunk.from_metadata(text or "", dict(meta or {})), 1.0 - float(distance)))
        return hits

    def heartbeat(self) -> None:
        """Raise :class:`IndexUnavailableError` if Chroma does not answer."""
        try:
            self.client.heartbeat()
            self._documents.count()
        except Exception as exc:  # noqa: BLE001
            raise IndexUnavailableError(f"Chroma is not answering: {exc}") from exc
