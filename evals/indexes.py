"""Evaluation indexes, built once and cached under ``<data_dir>/eval-cache/``.

* SciFact through ZoneQA's own chunker, embedder, Chroma store and BM25 index (each abstract is
  a document), plus one whole-abstract vector per document (the published all-MiniLM-L6-v2
  protocol: ``title + " " + text`` truncated at 256 word pieces).
* The naive baseline index: LangChain tutorial splits (1,000 characters, 200 overlap), dense only,
  in its own Chroma collection and data dir.

A build writes ``build.json`` last; a folder without it (or with another signature) is rebuilt.

Usage::

    index = SciFactIndex.build(scifact, settings, cache_root(settings))
    naive = NaiveIndex.build(documents, cache_root(settings) / "naive-zone", settings)
    naive.search("customs clearance", k=4)
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.config import Settings
from core.documents import Block, Chunk, LoadedDocument, make_chunk_id
from evals.datasets import SciFact

# The LangChain RAG tutorial's splitter settings: the naive baseline, by definition.
NAIVE_CHUNK_CHARS = 1000
NAIVE_OVERLAP_CHARS = 200
NAIVE_TOP_K = 4
# Context window the naive baseline's LLM needs: four stuffed chunks of digits tokenise densely.
NAIVE_CONTEXT_TOKENS = 4096
_BUILD_FILE = "build.json"
_EMBED_BATCH = 512

Progress = Callable[[str, int, int], None]  # (phase, done, total)


def cache_root(settings: Settings) -> Path:
    """Where eval indexes live (inside the git-ignored data dir)."""
    return settings.data_dir / "eval-cache"


def _built(folder: Path, signature: str) -> bool:
    try:
        return bool(json.loads((folder / _BUILD_FILE).read_text())["signature"] == signature)
    except (OSError, ValueError, KeyError):
        return False


def _mark_built(folder: Path, signature: str, **extra: Any) -> None:
    (folder / _BUILD_FILE).write_text(json.dumps({"signature": signature, **extra}))


def _embed_all(embedder: Any, texts: list[str], phase: str, progress: Progress | None) -> np.ndarray:
    parts = []
    for start in range(0, len(texts), _EMBED_BATCH):
        parts.append(embedder.embed_documents(texts[start : start + _EMBED_BATCH]))
        if progress:
            progress(phase, min(start + _EMBED_BATCH, len(texts)), len(texts))
    return np.concatenate(parts) if parts else np.zeros((0, 1), dtype=np.float32)


# ---- SciFact -----------------------------------------------------------------------------------
def scifact_document(doc_id: str, title: str, text: str) -> LoadedDocument:
    """One abstract as a document: the title is a heading block, the abstract a paragraph."""
    blocks: list[Block] = []
    body_start = 0
    full = text
    if title:
        full = f"{title}\n\n{text}"
        blocks.append(Block(kind="heading", start=0, end=len(title)))
        body_start = len(title) + 2
    blocks.append(Block(kind="paragraph", start=body_start, end=len(full)))
    digest = hashlib.sha256(full.encode()).hexdigest()
    return LoadedDocument(source=doc_id, title=title or doc_id, text=full, blocks=blocks, sha256=digest)


def _embed_resumable(embedder: Any, texts: list[str], folder: Path, name: str, progress: Progress | None) -> np.ndarray:
    """Embed in shards saved as they finish, so an interrupted build resumes where it stopped."""
    shards = folder / f"{name}-shards"
    shards.mkdir(parents=True, exist_ok=True)
    parts = []
    for number, start in enumerate(range(0, len(texts), _EMBED_BATCH)):
        shard = shards / f"{number:05d}.npy"
        batch = texts[start : start + _EMBED_BATCH]
        if shard.exists():
            vectors = np.load(shard)
        else:
            vectors = embedder.embed_documents(batch)
            np.save(shard, vectors)
        parts.append(vectors)
        if progress:
            progress(f"embed {name}", min(start + _EMBED_BATCH, len(texts)), len(texts))
    matrix = np.concatenate(parts) if parts else np.zeros((0, 1), dtype=np.float32)
    np.save(folder / f"{name}.npy", matrix)
    shutil.rmtree(shards, ignore_errors=True)
    return matrix


@dataclass
class SciFactIndex:
    """SciFact through ZoneQA's chunker, embedder and BM25 index, searched exactly in memory.

    ``whole`` holds one vector per abstract (the published protocol); ``chunk_vectors`` one per
    ZoneQA chunk (``None`` until built: it is the slow part on a small CPU).
    """

    folder: Path
    doc_ids: list[str]
    whole: np.ndarray
    chunk_ids: list[str]
    chunk_sources: list[str]
    chunk_vectors: np.ndarray | None
    bm25: Any

    @classmethod
    def build(
        cls,
        scifact: SciFact,
        base: Settings,
        root: Path,
        *,
        with_chunk_vectors: bool = True,
        progress: Progress | None = None,
    ) -> SciFactIndex:
        """Build what is missing (whole-abstract vectors first), reuse what a previous run left."""
        from index.bm25 import BM25Index
        from index.embedders import get_embedder
        from ingest.chunker import StructuredChunker, TokenCounter

        chunking = base.chunking
        signature = (
            f"{len(scifact.corpus)}|{base.embedding.identity}|{chunking.chunk_tokens}|"
            f"{chunking.overlap_tokens}|{base.embedding.max_seq_tokens}|v2"
        )
        folder = root / "scifact"
        if not _built(folder, signature):
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            _mark_built(folder, signature)
        embedder = get_embedder(base.embedding)
        doc_ids = list(scifact.corpus)
        whole_path = folder / "whole.npy"
        whole = (
            np.load(whole_path)
            if whole_path.exists()
            else _embed_resumable(
                embedder, [scifact.corpus[d].published_text for d in doc_ids], folder, "whole", progress
            )
        )

        chunks_path = folder / "chunks.json"
        if chunks_path.exists():
            stored = json.loads(chunks_path.read_text())
        else:
            counter = TokenCounter.from_model_dir(embedder.tokenizer_dir)
            chunker = StructuredChunker(counter, chunking.chunk_tokens, chunking.overlap_tokens)
            stored = {"ids": [], "sources": [], "texts": []}
            for number, doc_id in enumerate(doc_ids, start=1):
                doc = scifact.corpus[doc_id]
                for chunk in chunker.split(scifact_document(doc_id, doc.title, doc.text)):
                    stored["ids"].append(chunk.chunk_id)
                    stored["sources"].append(chunk.source)
                    stored["texts"].append(chunk.indexed_text)
                if progress and number % 500 == 0:
                    progress("chunk", number, len(doc_ids))
            chunks_path.write_text(json.dumps(stored))
        bm25_dir = folder / "bm25"
        if BM25Index.saved_version(bm25_dir) != signature:
            BM25Index.build(stored["ids"], stored["texts"], stored["sources"], version=signature).save(bm25_dir)
        bm25 = BM25Index.load(bm25_dir)

        vectors_path = folder / "chunks.npy"
        chunk_vectors = None
        if vectors_path.exists():
            chunk_vectors = np.load(vectors_path)
        elif with_chunk_vectors:
            chunk_vectors = _embed_resumable(embedder, stored["texts"], folder, "chunks", progress)
        return cls(folder, doc_ids, whole, stored["ids"], stored["sources"], chunk_vectors, bm25)

    def dense_whole(self, query_vector: np.ndarray, k: int) -> list[str]:
        return [self.doc_ids[i] for i in _top(self.whole @ query_vector, k)]

    def dense_chunks(self, query_vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        if self.chunk_vectors is None:
            raise RuntimeError("chunk vectors are not built: run the SciFact build with chunk vectors")
        scores = self.chunk_vectors @ query_vector
        return [(self.chunk_ids[i], float(scores[i])) for i in _top(scores, k)]

    def source_of(self) -> dict[str, str]:
        return dict(zip(self.chunk_ids, self.chunk_sources, strict=True))


def _top(scores: np.ndarray, k: int) -> list[int]:
    k = min(k, len(scores))
    top = np.argpartition(-scores, k - 1)[:k]
    return [int(i) for i in top[np.argsort(-scores[top])]]


# ---- the naive baseline ------------------------------------------------------------------------
@dataclass
class NaiveHit:
    chunk: Chunk
    score: float


class NaiveIndex:
    """LangChain-tutorial retrieval: 1000/200 character splits, dense only, top 4."""

    def __init__(self, settings: Settings) -> None:
        from index.embedders import get_embedder
        from index.store import ChromaStore

        self.settings = settings
        self.store = ChromaStore.from_settings(settings)
        self.embedder = get_embedder(settings.embedding)

    @staticmethod
    def split(document: LoadedDocument) -> list[Chunk]:
        """The document cut by ``RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)``."""
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        splitter = RecursiveCharacterTextSplitter(
            chunk_size=NAIVE_CHUNK_CHARS, chunk_overlap=NAIVE_OVERLAP_CHARS, add_start_index=True
        )
        chunks: list[Chunk] = []
        for piece in splitter.create_documents([document.text]):
            start = int(piece.metadata.get("start_index", 0))
            if start < 0:  # the splitter could not locate the piece; fall back to a search
                start = max(document.text.find(piece.page_content), 0)
            end = start + len(piece.page_content)
            chunks.append(
                Chunk(
                    chunk_id=make_chunk_id(document.source, f"{len(chunks)}:{piece.page_content}"),
                    source=document.source,
                    title=document.title,
                    text=piece.page_content,
                    chunk_index=len(chunks),
                    char_start=start,
                    char_end=end,
                    sha256=document.sha256,
                    page=document.page_at(start),
                    page_end=document.page_at(max(end - 1, start)),
                    page_spans=document.page_spans(start, end),
                )
            )
        return chunks

    @classmethod
    def build(
        cls, documents: Sequence[LoadedDocument], folder: Path, base: Settings, progress: Progress | None = None
    ) -> NaiveIndex:
        """Build (or reuse) the naive index of ``documents`` in ``folder``."""
        from index.embedders import get_embedder
        from index.store import DocumentRecord, release_embedded_chroma

        settings = base.model_copy(
            update={"data_dir": folder, "corpus_dir": folder / "no-corpus", "collection": "naive", "chroma_host": ""}
        )
        digest = hashlib.sha256()
        for document in documents:
            digest.update(f"{document.source}\x00{document.sha256}\x00{len(document.text)}\n".encode())
        signature = f"{digest.hexdigest()}|{base.embedding.identity}|{NAIVE_CHUNK_CHARS}|{NAIVE_OVERLAP_CHARS}|v1"
        if _built(folder, signature):
            return cls(settings)
        release_embedded_chroma(settings.chroma_dir)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        chunked = [(document, cls.split(document)) for document in documents]
        all_chunks = [chunk for _doc, chunks in chunked for chunk in chunks]
        embedder = get_embedder(base.embedding)
        vectors = _embed_all(embedder, [chunk.text for chunk in all_chunks], "embed naive", progress)
        index = cls(settings)
        documents_to_write: list[tuple[DocumentRecord, Sequence[Chunk], np.ndarray]] = []
        offset = 0
        for document, chunks in chunked:
            if chunks:
                record = DocumentRecord(
                    source=document.source,
                    title=document.title,
                    sha256=document.sha256,
                    chunks=len(chunks),
                    chunking="naive-1000-200",
                )
                documents_to_write.append((record, chunks, vectors[offset : offset + len(chunks)]))
                offset += len(chunks)
        index.store.replace_documents(documents_to_write)  # a few Chroma batches, not five calls a file
        if progress:
            progress("store naive", len(chunked), len(chunked))
        _mark_built(folder, signature, chunks=len(all_chunks))
        return index

    def search(self, query: str, k: int = NAIVE_TOP_K) -> list[NaiveHit]:
        vector = self.embedder.embed_query(query)
        return [NaiveHit(hit.chunk, hit.score) for hit in self.store.query(vector, k)]

    def search_vector(self, vector: np.ndarray, k: int) -> list[NaiveHit]:
        return [NaiveHit(hit.chunk, hit.score) for hit in self.store.query(vector, k)]


def load_corpus_documents(settings: Settings) -> list[LoadedDocument]:
    """The corpus files as loaded by ZoneQA's loaders (what the naive baseline splits)."""
    from ingest.loaders import load_file
    from ingest.manifest import load_manifest
    from ingest.pipeline import file_sha256, scan_document_folders

    documents = []
    manifests: dict[Path, Any] = {}
    for _source, path in sorted(scan_document_folders(settings.document_dirs).items()):
        if path.parent not in manifests:
            manifests[path.parent] = load_manifest(path.parent)
        document = load_file(path, limits=settings.limits, manifest=manifests[path.parent])
        document.sha256 = file_sha256(path)
        documents.append(document)
    return documents


def scifact_documents(scifact: SciFact) -> list[LoadedDocument]:
    """SciFact abstracts as plain documents for the naive splitter (``title + " " + text``)."""
    documents = []
    for doc in scifact.corpus.values():
        text = doc.published_text
        documents.append(
            LoadedDocument(
                source=doc.doc_id,
                title=doc.title or doc.doc_id,
                text=text,
                blocks=[Block(kind="paragraph", start=0, end=len(text))],
                sha256=hashlib.sha256(text.encode()).hexdigest(),
            )
        )
    return documents
