"""Ingestion end to end, against the real embedding model and a real on-disk Chroma.

Most tests ingest a small copy of the corpus (two short articles) into their own data dir;
read-only checks reuse the session index (``ingested_settings``).
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import CORPUS_DIR, PDF_NAME, make_settings, settings_env
from pypdf import PdfReader

from core.config import REPO_ROOT, Settings
from index.bm25 import BM25Index
from index.embedders.base import resolve_model_dir
from index.store import ChromaStore
from ingest.chunker import TokenCounter
from ingest.pipeline import Ingestor

ALLIANCE = "sez-alliance-qianhai-2020.txt"  # 4 chunks; the only corpus text naming Qianhai
WESTERN = "western-pilot-ftz-strategy-2025.txt"  # 8 chunks
SMALL_CORPUS = (ALLIANCE, WESTERN)
ALLIANCE_ONLY_PHRASE = "Qianhai Shekou"  # words found in no other corpus text
# A sentence of the corpus PDF and the page it is printed on (checked against pypdf below).
HANGZHOU_SENTENCE = "The 2016 G20 Summit in Hangzhou facilitated the adoption"
HANGZHOU_PAGE = 5
SUBPROCESS_TIMEOUT = 300  # seconds; model loading is slow on a busy 2-core machine


def zoneqa_command(*args: str) -> list[str]:
    """The installed ``zoneqa`` console script (``python -m zoneqa.cli`` when not installed)."""
    script = Path(sys.executable).parent / "zoneqa"
    return [str(script), *args] if script.exists() else [sys.executable, "-m", "zoneqa.cli", *args]


def child_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = settings_env(settings)
    env["COLUMNS"] = "200"  # one line per failure message, whatever the terminal
    env["PYTHONPATH"] = str(REPO_ROOT)
    env.update(extra)
    return env


def small_corpus(folder: Path, names: tuple[str, ...] = SMALL_CORPUS, *, manifest: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in (*names, "manifest.yaml") if manifest else names:
        shutil.copyfile(CORPUS_DIR / name, folder / name)
    return folder


def chunk_pairs(store: ChromaStore) -> set[tuple[str, str]]:
    return {(chunk_id, source) for source, ids in store.chunks_by_source().items() for chunk_id in ids}


def bm25_pairs(settings: Settings) -> list[tuple[str, str]]:
    index = BM25Index.load(settings.bm25_dir)
    return list(zip(index.ids, index.sources, strict=True))


@pytest.fixture()
def fresh(tmp_path: Path) -> tuple[Settings, Ingestor]:
    """The two short articles ingested into a new data dir."""
    settings = make_settings(tmp_path / "data", small_corpus(tmp_path / "corpus"))
    ingestor = Ingestor(settings)
    report = ingestor.run()
    assert report.counts()["added"] == 2 and not report.failed
    return settings, ingestor


def test_second_run_embeds_nothing_and_keeps_the_same_chunks(fresh: tuple[Settings, Ingestor]) -> None:
    settings, ingestor = fresh
    before = chunk_pairs(ingestor.store)
    count_before = ingestor.store.count()
    assert count_before == len(before) > 0

    report = Ingestor(settings).run()

    assert report.chunks_embedded == 0
    assert report.chunks_written == 0
    assert report.counts()["unchanged"] == 2
    assert report.counts()["added"] == report.counts()["updated"] == report.counts()["removed"] == 0
    assert not report.bm25_rebuilt
    store = ChromaStore.from_settings(settings)
    assert chunk_pairs(store) == before
    assert store.count() == count_before
    assert sorted(bm25_pairs(settings)) == sorted(before)


def test_an_edited_file_has_only_its_chunks_replaced(fresh: tuple[Settings, Ingestor]) -> None:
    settings, ingestor = fresh
    before = ingestor.store.chunks_by_source()
    path = settings.corpus_dir / WESTERN
    added_sentence = "A brand-new closing paragraph about bonded logistics parks was added by the editor."
    path.write_text(path.read_text(encoding="utf-8").rstrip() + "\n\n" + added_sentence + "\n", encoding="utf-8")

    report = Ingestor(settings).run()

    counts = report.counts()
    assert (counts["updated"], counts["unchanged"], counts["added"], counts["removed"]) == (1, 1, 0, 0)
    assert 0 < report.chunks_embedded == report.chunks_written
    after = ChromaStore.from_settings(settings).chunks_by_source()
    assert after[ALLIANCE] == before[ALLIANCE], "the untouched file keeps its chunk ids"
    assert after[WESTERN] != before[WESTERN]
    store = ChromaStore.from_settings(settings)
    texts = [chunk.text for chunk in store.get_chunks(sorted(after[WESTERN]))]
    assert any(added_sentence in text for text in texts)
    record = store.document(WESTERN)
    assert record is not None and record.chunks == len(after[WESTERN])
    assert store.count() == sum(len(ids) for ids in after.values()), "no stale chunk of the old version is left"
    assert sorted(bm25_pairs(settings)) == sorted(chunk_pairs(store))


def test_a_deleted_file_leaves_chroma_and_bm25(fresh: tuple[Settings, Ingestor]) -> None:
    settings, _ingestor = fresh
    index = BM25Index.load(settings.bm25_dir)
    hits = index.search(ALLIANCE_ONLY_PHRASE, k=5)
    assert hits and {index.sources[index.ids.index(chunk_id)] for chunk_id, _score in hits} == {ALLIANCE}

    (settings.corpus_dir / ALLIANCE).unlink()
    report = Ingestor(settings).run()

    assert report.counts()["removed"] == 1 and report.counts()["unchanged"] == 1
    store = ChromaStore.from_settings(settings)
    assert set(store.chunks_by_source()) == {WESTERN}
    assert store.document(ALLIANCE) is None
    index = BM25Index.load(settings.bm25_dir)
    assert ALLIANCE not in index.sources
    assert set(index.ids) == store.chunks_by_source()[WESTERN]
    assert index.search(ALLIANCE_ONLY_PHRASE, k=5) == []
    assert index.search(ALLIANCE_ONLY_PHRASE, k=5, sources=[ALLIANCE]) == []
    from rag.components import build

    searcher = build(settings, store=store).searcher
    assert all(hit.chunk.source != ALLIANCE for hit in searcher.search(ALLIANCE_ONLY_PHRASE, top_k=5))
    assert searcher.search(ALLIANCE_ONLY_PHRASE, top_k=5, sources=[ALLIANCE]) == []


def test_a_document_without_manifest_entry_gets_a_title_from_its_file_name(tmp_path: Path) -> None:
    corpus = small_corpus(tmp_path / "corpus", names=())  # the corpus manifest, which lacks this file
    (corpus / "customs-clearance_notes-2024.txt").write_text(
        "Goods entering the zone are cleared within two working days.\n\n"
        "Bonded storage in the zone has no time limit, and processing trade is exempt from duties.\n",
        encoding="utf-8",
    )
    settings = make_settings(tmp_path / "data", corpus)

    report = Ingestor(settings).run()

    assert report.counts()["added"] == 1 and not report.failed
    store = ChromaStore.from_settings(settings)
    record = store.document("customs-clearance_notes-2024.txt")
    assert record is not None
    assert record.title == "Customs Clearance Notes 2024"
    assert record.publisher is None and record.date is None
    for _ids, _texts, metas in store.iter_chunks(include_text=False):
        assert {meta["title"] for meta in metas} == {"Customs Clearance Notes 2024"}


def test_a_changed_chunking_setting_reingests_everything(
    fresh: tuple[Settings, Ingestor], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, ingestor = fresh
    before = chunk_pairs(ingestor.store)
    smaller_budget = 120
    monkeypatch.setenv("ZONEQA_CHUNKING__CHUNK_TOKENS", str(smaller_budget))
    changed = make_settings(settings.data_dir, settings.corpus_dir)
    assert changed.chunking.chunk_tokens == smaller_budget

    report = Ingestor(changed).run()

    assert report.counts()["updated"] == 2 and report.counts()["unchanged"] == 0
    assert report.chunks_embedded == report.chunks_written > len(before)
    store = ChromaStore.from_settings(changed)
    after = chunk_pairs(store)
    assert not after & before, "every chunk was cut again with the new budget"
    counter = TokenCounter.from_model_dir(resolve_model_dir(changed.embedding.model))
    for chunk in store.get_chunks([chunk_id for chunk_id, _source in after]):
        assert counter.count(chunk.text) <= smaller_budget
    assert Ingestor(changed).run().chunks_embedded == 0, "the new setting is now the recorded one"


def test_bad_files_are_reported_and_the_good_ones_ingested(tmp_path: Path) -> None:
    corpus = small_corpus(tmp_path / "corpus", names=(ALLIANCE,))
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nthis is not a PDF\n")
    (corpus / "empty.txt").write_bytes(b"")
    settings = make_settings(tmp_path / "data", corpus)

    result = subprocess.run(
        zoneqa_command("ingest"),
        env=child_env(settings),
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        cwd=tmp_path,
    )

    assert result.returncode != 0, result.stdout + result.stderr
    failures = {
        line.split(":", 1)[0].removeprefix("failed ").strip(): line.split(":", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("failed ")
    }
    assert set(failures) == {"broken.pdf", "empty.txt"}, result.stderr
    assert all(len(reason) > 5 for reason in failures.values()), failures
    assert "empty" in failures["empty.txt"]
    store = ChromaStore.from_settings(settings)
    assert set(store.chunks_by_source()) == {ALLIANCE}
    assert [record.source for record in store.documents()] == [ALLIANCE]
    assert {source for _id, source in bm25_pairs(settings)} == {ALLIANCE}


def test_a_sentence_comes_back_with_the_page_it_is_printed_on(ingested_settings: Settings) -> None:
    from rag.components import build

    # The page is a fact of the PDF, not of our loader: check it with pypdf first.
    reader = PdfReader(str(CORPUS_DIR / PDF_NAME))
    printed_on = [
        number
        for number, page in enumerate(reader.pages, start=1)
        if HANGZHOU_SENTENCE in " ".join(page.extract_text().split())
    ]
    assert printed_on == [HANGZHOU_PAGE]

    store = ChromaStore.from_settings(ingested_settings)
    holders = [
        chunk
        for chunk in store.get_chunks(sorted(store.chunks_by_source()[PDF_NAME]))
        if HANGZHOU_SENTENCE in chunk.text
    ]
    assert holders
    for chunk in holders:
        assert chunk.page_at(chunk.text.index(HANGZHOU_SENTENCE)) == HANGZHOU_PAGE

    searcher = build(ingested_settings, store=store).searcher
    hits = searcher.search("Which summit in Hangzhou adopted the G20 Global Investment Principles?", top_k=3)
    assert hits
    top = hits[0].chunk
    assert top.source == PDF_NAME and HANGZHOU_SENTENCE in top.text
    assert top.page_at(top.text.index(HANGZHOU_SENTENCE)) == HANGZHOU_PAGE


def test_a_new_process_reads_the_same_index(ingested_settings: Settings) -> None:
    """The session index was written by this process; ``zoneqa stats`` in another one sees it all."""
    result = subprocess.run(
        zoneqa_command("stats", "--json"),
        env=child_env(ingested_settings),
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
    )
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    store = ChromaStore.from_settings(ingested_settings)
    expected = {source: len(ids) for source, ids in store.chunks_by_source().items()}
    assert {doc["source"]: doc["chunks"] for doc in stats["documents"]} == expected
    assert stats["chunks"] == store.count() == sum(expected.values())
    titles = {record.source: record.title for record in store.documents()}
    assert {doc["source"]: doc["title"] for doc in stats["documents"]} == titles


@pytest.mark.slow
def test_sigkill_mid_embed_then_rerun_equals_a_clean_ingest(tmp_path: Path, ingested_settings: Settings) -> None:
    corpus = small_corpus(tmp_path / "corpus")
    settings = make_settings(tmp_path / "data", corpus)
    assert Ingestor(settings).run().counts()["added"] == 2  # an index exists when the crash happens
    shutil.copyfile(CORPUS_DIR / PDF_NAME, corpus / PDF_NAME)  # 86 chunks: a long embed phase

    # Rich draws its live bars only on a terminal; these make it draw them into the pipe.
    env = child_env(settings, TTY_COMPATIBLE="1", TTY_INTERACTIVE="1")
    process = subprocess.Popen(
        zoneqa_command("ingest"), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp_path
    )
    embedding = threading.Event()
    seen: list[bytes] = []

    def watch() -> None:
        assert process.stderr is not None
        while chunk := process.stderr.read1(4096):  # type: ignore[attr-defined]
            seen.append(chunk)
            if b"Embedding" in b"".join(seen[-2:]):
                embedding.set()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        assert embedding.wait(SUBPROCESS_TIMEOUT), b"".join(seen)[-2000:].decode(errors="replace")
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    watcher.join(timeout=10)
    assert process.returncode == -signal.SIGKILL, "the ingest was killed, not finished"

    report = Ingestor(settings).run()

    assert not report.failed
    store = ChromaStore.from_settings(settings)
    got = chunk_pairs(store)
    # The session index is a clean ingest of a folder holding these same three files.
    clean_store = ChromaStore.from_settings(ingested_settings)
    clean = {pair for pair in chunk_pairs(clean_store) if pair[1] in {*SMALL_CORPUS, PDF_NAME}}
    assert got == clean
    assert store.count() == len(clean), "no duplicates"
    bm25 = bm25_pairs(settings)
    assert len(bm25) == len(set(bm25)) and set(bm25) == got
    assert {record.source for record in store.documents()} == {*SMALL_CORPUS, PDF_NAME}
