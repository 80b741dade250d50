"""The eval's naive baseline index: LangChain tutorial splits, real MiniLM, real on-disk Chroma."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from conftest import make_settings

from core.documents import LoadedDocument
from evals.indexes import NAIVE_CHUNK_CHARS, NAIVE_OVERLAP_CHARS, NAIVE_TOP_K, NaiveIndex, load_corpus_documents


@pytest.fixture(scope="module")
def corpus_documents(tmp_path_factory: pytest.TempPathFactory) -> list[LoadedDocument]:
    return load_corpus_documents(make_settings(tmp_path_factory.mktemp("naive-load") / "data"))


def test_split_follows_the_tutorial_defaults(corpus_documents: list[LoadedDocument]) -> None:
    for document in corpus_documents:
        chunks = NaiveIndex.split(document)
        assert chunks, document.source
        assert all(len(chunk.text) <= NAIVE_CHUNK_CHARS for chunk in chunks)
        # Each chunk's span points at its text in the document, and its page is the page of its start.
        for chunk in chunks:
            assert document.text[chunk.char_start : chunk.char_end] == chunk.text
            assert chunk.page == document.page_at(chunk.char_start)
        # Neighbours overlap by at most the tutorial's 200 characters and leave no gap of text uncovered.
        for before, after in zip(chunks, chunks[1:], strict=False):
            assert after.char_start <= before.char_end + 2  # the splitter drops the separator between pieces
            assert before.char_end - after.char_start <= NAIVE_OVERLAP_CHARS
        assert len({chunk.chunk_id for chunk in chunks}) == len(chunks)


@pytest.mark.slow
def test_build_search_and_reuse(tmp_path: Path, corpus_documents: list[LoadedDocument]) -> None:
    base = make_settings(tmp_path / "data")
    folder = tmp_path / "naive"
    index = NaiveIndex.build(corpus_documents, folder, base)
    expected_chunks = sum(len(NaiveIndex.split(document)) for document in corpus_documents)
    assert index.store.count() == expected_chunks

    hits = index.search("Which city hosted the 2016 G20 summit that adopted the Global Investment Principles?")
    assert len(hits) == NAIVE_TOP_K
    assert any("Hangzhou" in hit.chunk.text for hit in hits)
    assert hits == sorted(hits, key=lambda hit: -hit.score)

    # The same documents reuse the built index; a changed document rebuilds it.
    stamp = (folder / "build.json").stat().st_mtime_ns
    NaiveIndex.build(corpus_documents, folder, base)
    assert (folder / "build.json").stat().st_mtime_ns == stamp
    changed = [replace(corpus_documents[0], sha256="0" * 64), *corpus_documents[1:]]
    rebuilt = NaiveIndex.build(changed, folder, base)
    assert (folder / "build.json").stat().st_mtime_ns != stamp
    assert rebuilt.store.count() == expected_chunks
