"""The lexical index: BM25 (bm25s) over the same chunks as Chroma, persisted beside it.

Built at ingest time from the store's chunks and saved with the store version it reflects.
Queries load it once per process; :meth:`BM25Index.load` is cheap (memory-mapped arrays).
Never rebuilt per query.

Usage::

    index = BM25Index.build(ids, texts, sources, version="abc")
    index.save(settings.bm25_dir)
    index = BM25Index.load(settings.bm25_dir)
    index.search("customs clearance time", k=10, sources=["a.txt"])  # [(chunk_id, score), ...]
    refresh_from_store(store, settings.bm25_dir)   # rebuild only if the store changed since the last save
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.documents import with_context
from core.text.terms import TERMS_VERSION, content_terms, tokenize

if TYPE_CHECKING:
    from index.store import ChromaStore

_META_FILE = "zoneqa_meta.json"


class BM25Index:
    """A bm25s index plus the chunk ids and sources of its rows."""

    def __init__(self, retriever: Any, ids: list[str], sources: list[str], version: str) -> None:
        self._retriever = retriever
        self.ids = ids
        self.sources = sources
        self.version = version
        rows_by_source: dict[str, list[int]] = {}
        for row, source in enumerate(sources):
            rows_by_source.setdefault(source, []).append(row)
        self._source_rows = {src: np.asarray(rows) for src, rows in rows_by_source.items()}

    @classmethod
    def build(cls, ids: Sequence[str], texts: Sequence[str], sources: Sequence[str], version: str) -> BM25Index:
        import bm25s

        if not (len(ids) == len(texts) == len(sources)):
            raise ValueError("ids, texts and sources must have the same length")
        retriever = bm25s.BM25()
        if ids:
            tokens = [tokenize(text) or ["\u2205"] for text in texts]  # bm25s dislikes empty rows
            retriever.index(tokens, show_progress=False)
        return cls(retriever, list(ids), list(sources), version)

    def __len__(self) -> int:
        return len(self.ids)

    def save(self, folder: Path) -> None:
        """Write atomically: a reader never sees a half-written index."""
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".bm25-", dir=folder.parent))
        try:
            if self.ids:
                self._retriever.save(str(staging))
            meta = {"ids": self.ids, "sources": self.sources, "version": self.version, "terms": TERMS_VERSION}
            (staging / _META_FILE).write_text(json.dumps(meta))
            backup = folder.with_name(folder.name + ".old")
            if folder.exists():
                shutil.rmtree(backup, ignore_errors=True)
                os.replace(folder, backup)
            os.replace(staging, folder)
            shutil.rmtree(backup, ignore_errors=True)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    @staticmethod
    def saved_version(folder: Path) -> str | None:
        """The store version a saved index reflects, or None if there is none or its terms are outdated."""
        try:
            meta = json.loads((folder / _META_FILE).read_text())
        except (OSError, ValueError):
            return None
        if meta.get("terms") != TERMS_VERSION:
            return None  # built by an older tokenizer: its terms no longer match the queries'
        return str(meta.get("version")) if "version" in meta else None

    @classmethod
    def load(cls, folder: Path) -> BM25Index:
        import bm25s

        meta = json.loads((folder / _META_FILE).read_text())
        retriever = bm25s.BM25.load(str(folder), mmap=True) if meta["ids"] else bm25s.BM25()
        return cls(retriever, meta["ids"], meta["sources"], meta["version"])

    def search(self, query: str, k: int, sources: Sequence[str] | None = None) -> list[tuple[str, float]]:
        """Top ``k`` chunk ids by BM25 score (only positive scores), optionally within ``sources``."""
        if not self.ids or k < 1:
            return []
        query_tokens = [token for token in content_terms(query) if token in self._vocab]
        if not query_tokens:
            return []
        mask = None
        if sources:
            mask = np.zeros(len(self.ids), dtype=np.float32)
            for source in sources:
                rows = self._source_rows.get(source)
                if rows is not None:
                    mask[rows] = 1.0
            if not mask.any():
                return []
        k = min(k, len(self.ids))
        results, scores = self._retriever.retrieve(
            [query_tokens], k=k, weight_mask=mask, show_progress=False, n_threads=1
        )
        return [
            (self.ids[int(row)], float(score)) for row, score in zip(results[0], scores[0], strict=True) if score > 0
        ]

    def knows(self, token: str) -> bool:
        """Whether a (tokenized) term occurs anywhere in the indexed chunks."""
        return token in self._vocab

    @property
    def _vocab(self) -> dict[str, int]:
        return self._retriever.vocab_dict  # type: ignore[no-any-return]


def refresh_from_store(
    store: ChromaStore,
    folder: Path,
    *,
    force: bool = False,
    on_start: Callable[[int], None] | None = None,
    on_done: Callable[[int], None] | None = None,
) -> bool:
    """Rebuild the BM25 index in ``folder`` from the store's chunks unless it already reflects the store's version.

    Both the writer (ingest) and a reader that finds the saved index stale (another process
    changed the store and crashed before saving BM25) call this. ``on_start``/``on_done`` get the
    row count, for progress bars. Returns whether it rebuilt.
    """
    version = store.version()
    if not force and BM25Index.saved_version(folder) == version:
        return False
    ids: list[str] = []
    texts: list[str] = []
    sources: list[str] = []
    for batch_ids, batch_texts, metas in store.iter_chunks():
        ids.extend(batch_ids)
        contexts = (str(meta.get("context") or "") for meta in metas)
        texts.extend(with_context(text, context) for text, context in zip(batch_texts, contexts, strict=True))
        sources.extend(str(meta.get("source", "")) for meta in metas)
    if on_start:
        on_start(len(ids))
    BM25Index.build(ids, texts, sources, version=version).save(folder)
    if on_done:
        on_done(len(ids))
    return True
