"""HttpClient mode against a real ``chroma run`` server gives the same index as embedded mode."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import CORPUS_DIR, make_settings

from core.config import Settings
from index.store import ChromaStore
from ingest.pipeline import Ingestor

SMALL_CORPUS = ("sez-alliance-qianhai-2020.txt", "western-pilot-ftz-strategy-2025.txt", "manifest.yaml")
QUERIES = (
    "Which zones founded the special economic zone alliance?",
    "How can pilot free trade zones open up the western region?",
    "Qianhai Shekou",
)


def snapshot(store: ChromaStore) -> dict[str, tuple[str, dict[str, Any]]]:
    """``chunk_id -> (text, metadata)`` of every chunk."""
    chunks: dict[str, tuple[str, dict[str, Any]]] = {}
    for ids, texts, metas in store.iter_chunks():
        for chunk_id, text, meta in zip(ids, texts, metas, strict=True):
            chunks[chunk_id] = (text, meta)
    return chunks


# A server that stops answering must fail the test, not hang the suite.
@pytest.mark.timeout(600)
def test_server_mode_and_embedded_mode_build_the_same_index(chroma_server: str, tmp_path: Path) -> None:
    from rag.components import build

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in SMALL_CORPUS:
        shutil.copyfile(CORPUS_DIR / name, corpus / name)
    server: Settings = make_settings(tmp_path / "data-server", corpus, chroma_host=chroma_server)
    embedded: Settings = make_settings(tmp_path / "data-embedded", corpus)

    server_report = Ingestor(server).run()
    embedded_report = Ingestor(embedded).run()

    assert server_report.counts() == embedded_report.counts()
    assert server_report.counts()["added"] == 2 and not server_report.failed
    assert not (server.data_dir / "chroma").exists(), "server mode keeps no embedded Chroma"
    server_store = ChromaStore.from_settings(server)  # a new HttpClient: the data lives in the server
    embedded_store = ChromaStore.from_settings(embedded)
    server_chunks = snapshot(server_store)
    assert server_chunks and server_chunks == snapshot(embedded_store)
    assert server_store.count() == embedded_store.count() == len(server_chunks)
    records = {r.source: (r.title, r.sha256, r.chunks, r.chunking) for r in server_store.documents()}
    assert records == {r.source: (r.title, r.sha256, r.chunks, r.chunking) for r in embedded_store.documents()}

    assert Ingestor(server).run().chunks_embedded == 0, "server mode is incremental too"

    server_searcher = build(server, store=server_store).searcher
    embedded_searcher = build(embedded, store=embedded_store).searcher
    for query in QUERIES:
        for mode in ("hybrid", "dense"):
            server_ids = [hit.chunk.chunk_id for hit in server_searcher.search(query, top_k=3, mode=mode)]
            embedded_ids = [hit.chunk.chunk_id for hit in embedded_searcher.search(query, top_k=3, mode=mode)]
            assert server_ids and server_ids == embedded_ids, (query, mode)
