"""Hybrid retrieval: BM25 and dense candidates fused, adjacent chunks merged.

``HybridSearcher`` does the work and returns :class:`RetrievedChunk` objects; ``HybridRetriever``
wraps it as a LangChain ``BaseRetriever`` for anyone composing LangChain chains.

The BM25 index is loaded once per process and reloaded only when the store's version stamp
changes (another process ingested), checked at most every ``bm25_reload_seconds``.

Usage::

    searcher = build(get_settings()).searcher      # rag.components
    hits = searcher.search("Which city hosted the 2016 G20 summit?", top_k=5)
    retriever = HybridRetriever(searcher=searcher)
    docs = retriever.invoke("free trade zone negative list")
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from core.config import RetrievalSettings, Settings
from core.documents import Chunk
from index.bm25 import BM25Index, refresh_from_store
from index.embedders import Embedder
from index.store import ChromaStore

Fusion = Literal["rrf", "weighted"]
SearchMode = Literal["hybrid", "bm25", "dense"]


@dataclass
class RetrievedChunk:
    """A fused retrieval hit. ``chunk`` may be several adjacent chunks merged into one span."""

    chunk: Chunk
    score: float
    bm25_score: float = 0.0
    dense_score: float = 0.0
    merged_ids: list[str] = field(default_factory=list)
    chunk_indexes: list[int] = field(default_factory=list)

    def to_document(self) -> Document:
        metadata: dict[str, Any] = self.chunk.metadata()
        metadata.update(score=self.score, bm25_score=self.bm25_score, dense_score=self.dense_score)
        metadata["merged_ids"] = list(self.merged_ids or [self.chunk.chunk_id])
        return Document(page_content=self.chunk.text, metadata=metadata)


def reciprocal_rank_fusion(rankings: Sequence[Sequence[str]], k: int = 60) -> dict[str, float]:
    """RRF (Cormack et al. 2009): sum of 1 / (k + rank) over the rankings an id appears in."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return scores


def weighted_score_fusion(bm25: dict[str, float], dense: dict[str, float], dense_weight: float) -> dict[str, float]:
    """Min-max normalise each score list, then mix: ``dense_weight * dense + (1 - w) * bm25``."""

    def normalise(scores: dict[str, float]) -> dict[str, float]:
        if not scores:
            return {}
        low, high = min(scores.values()), max(scores.values())
        spread = high - low
        return {key: (value - low) / spread if spread > 0 else 1.0 for key, value in scores.items()}

    bm25_norm, dense_norm = normalise(bm25), normalise(dense)
    return {
        key: dense_weight * dense_norm.get(key, 0.0) + (1.0 - dense_weight) * bm25_norm.get(key, 0.0)
        for key in dict.fromkeys([*bm25_norm, *dense_norm])  # in a fixed order: ties rank the same every run
    }


def merge_adjacent(first: Chunk, second: Chunk) -> Chunk:
    """One chunk spanning two consecutive chunks of a document (overlap counted once)."""
    if second.char_start < first.char_start:
        first, second = second, first
    if second.char_start <= first.char_end:
        tail_offset = first.char_end - second.char_start
        text = first.text + second.text[tail_offset:]
        second_offset = second.char_start - first.char_start
    else:
        separator = "\n\n"
        text = first.text + separator + second.text
        second_offset = len(first.text) + len(separator)
    page_spans = list(first.page_spans)
    known_pages = {page for _offset, page in page_spans}
    for offset, page in second.page_spans:
        if page not in known_pages and offset + second_offset >= 0:
            page_spans.append((max(offset + second_offset, 0), page))
    return Chunk(
        chunk_id=first.chunk_id,
        source=first.source,
        title=first.title,
        text=text,
        chunk_index=first.chunk_index,
        char_start=first.char_start,
        char_end=max(first.char_end, second.char_end),
        sha256=first.sha256,
        page=first.page,
        page_end=second.page_end if second.page_end is not None else first.page_end,
        section=first.section or second.section,
        page_spans=page_spans,
        # The merged text starts where the first chunk does: a table it continues keeps its caption and header.
        context=first.context,
    )


class LexicalIndexHolder:
    """Keeps the BM25 index in memory and reloads it when the store's version changes."""

    def __init__(self, settings: Settings, store: ChromaStore) -> None:
        self.settings = settings
        self.store = store
        self._index: BM25Index | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()

    def get(self) -> BM25Index:
        with self._lock:
            now = time.monotonic()
            stale = now - self._checked_at >= self.settings.retrieval.bm25_reload_seconds
            if self._index is None or stale:
                self._checked_at = now
                version = self.store.version()
                if self._index is None or self._index.version != version:
                    self._index = self._load(version)
            return self._index

    def invalidate(self) -> None:
        """Re-check the store version on the next search (after this process changed the index)."""
        with self._lock:
            self._checked_at = float("-inf")

    def _load(self, version: str) -> BM25Index:
        folder = self.settings.bm25_dir
        # Another process changed the store and has not saved BM25 yet (or crashed): rebuild.
        refresh_from_store(self.store, folder)
        return BM25Index.load(folder)


class HybridSearcher:
    """BM25 + dense retrieval with fusion and neighbour merging."""

    def __init__(
        self,
        store: ChromaStore,
        embedder: Embedder,
        lexical: LexicalIndexHolder,
        settings: RetrievalSettings,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.lexical = lexical
        self.settings = settings

    def search(
        self,
        query: str,
        *,
        top_k: int | None = None,
        sources: Sequence[str] | None = None,
        fusion: Fusion | None = None,
        mode: SearchMode = "hybrid",
        merge_neighbours: bool = True,
        exclude: Callable[[Chunk], bool] | None = None,
    ) -> list[RetrievedChunk]:
        """The best ``top_k`` passages; chunks for which ``exclude`` is true are dropped from both
        candidate lists before fusion, so they neither take places nor skew the score normalisation."""
        if not query.strip():
            return []
        top_k = top_k or self.settings.top_k
        if top_k < 1:
            raise ValueError("top_k must be >= 1")
        fusion = fusion or self.settings.fusion
        candidates = max(self.settings.candidates, top_k)

        bm25_hits: list[tuple[str, float]] = []
        dense_hits: dict[str, tuple[Chunk, float]] = {}
        if mode in ("hybrid", "bm25"):
            bm25_hits = self.lexical.get().search(query, candidates, sources)
        if mode in ("hybrid", "dense"):
            vector = self.embedder.embed_query(query)
            for hit in self.store.query(vector, candidates, sources):
                dense_hits[hit.chunk.chunk_id] = (hit.chunk, hit.score)

        if exclude is not None:
            lexical_only = [cid for cid, _ in bm25_hits if cid not in dense_hits]
            known = {cid: chunk for cid, (chunk, _score) in dense_hits.items()}
            known.update({chunk.chunk_id: chunk for chunk in self.store.get_chunks(lexical_only)})
            dropped = {cid for cid, chunk in known.items() if exclude(chunk)}
            bm25_hits = [(cid, score) for cid, score in bm25_hits if cid not in dropped]
            dense_hits = {cid: hit for cid, hit in dense_hits.items() if cid not in dropped}
        bm25_scores = dict(bm25_hits)
        dense_scores = {chunk_id: score for chunk_id, (_chunk, score) in dense_hits.items()}
        if mode == "bm25":
            fused = bm25_scores
        elif mode == "dense":
            fused = dense_scores
        elif fusion == "rrf":
            dense_ranking = sorted(dense_scores, key=lambda cid: dense_scores[cid], reverse=True)
            fused = reciprocal_rank_fusion([[cid for cid, _ in bm25_hits], dense_ranking], self.settings.rrf_k)
        else:
            fused = weighted_score_fusion(bm25_scores, dense_scores, self.settings.dense_weight)

        # Equal scores (a chunk at 1.0 in one list and 0 in the other) go by chunk id, not by hash order.
        ranked_ids = sorted(fused, key=lambda cid: (-fused[cid], cid))
        # Take a few extra so that merging neighbours still leaves top_k results.
        wanted = ranked_ids[: top_k * 2 if merge_neighbours else top_k]
        missing = [cid for cid in wanted if cid not in dense_hits]
        chunks = {chunk.chunk_id: chunk for chunk in self.store.get_chunks(missing)}
        chunks.update({cid: chunk for cid, (chunk, _score) in dense_hits.items()})
        hits = [
            RetrievedChunk(
                chunk=chunks[cid],
                score=fused[cid],
                bm25_score=bm25_scores.get(cid, 0.0),
                dense_score=dense_scores.get(cid, 0.0),
                merged_ids=[cid],
                chunk_indexes=[chunks[cid].chunk_index],
            )
            for cid in wanted
            if cid in chunks
        ]
        if merge_neighbours:
            hits = self._merge_neighbours(hits)
        return hits[:top_k]

    @staticmethod
    def _merge_neighbours(hits: list[RetrievedChunk]) -> list[RetrievedChunk]:
        """Fold a hit into a better-ranked hit of the same document when their chunks are adjacent."""
        kept: list[RetrievedChunk] = []
        for hit in hits:
            for earlier in kept:
                same_doc = earlier.chunk.source == hit.chunk.source
                position = hit.chunk.chunk_index
                if same_doc and (position - 1 in earlier.chunk_indexes or position + 1 in earlier.chunk_indexes):
                    earlier.chunk = merge_adjacent(earlier.chunk, hit.chunk)
                    earlier.merged_ids.append(hit.chunk.chunk_id)
                    earlier.bm25_score = max(earlier.bm25_score, hit.bm25_score)
                    earlier.dense_score = max(earlier.dense_score, hit.dense_score)
                    earlier.chunk_indexes.append(position)
                    break
            else:
                kept.append(hit)
        return kept


class HybridRetriever(BaseRetriever):
    """LangChain face of :class:`HybridSearcher` (metadata carries source, page, score...).

    ``top_k`` and ``sources`` are set on the retriever or per call: ``retriever.invoke(q, top_k=3)``.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    searcher: Any
    top_k: int | None = None
    sources: list[str] | None = None

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        top_k: int | None = None,
        sources: Sequence[str] | None = None,
    ) -> list[Document]:
        wanted = top_k or self.top_k
        only = list(sources) if sources is not None else self.sources
        hits = self.searcher.search(query, top_k=wanted, sources=only)
        return [hit.to_document() for hit in hits]
