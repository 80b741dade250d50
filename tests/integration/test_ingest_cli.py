"""``zoneqa ingest`` and ``zoneqa stats`` as a maintainer runs them: real subprocesses, real index."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PDF_NAME, make_settings, settings_env

from core.config import REPO_ROOT, Settings
from index.store import ChromaStore

SUBPROCESS_TIMEOUT = 400  # seconds; a full ingest on a busy 2-core machine
SUMMARY_COLUMNS = ("seen", "added", "updated", "unchanged", "removed", "failed", "chunks written", "seconds")
CORPUS_FILES = 5
PDF_PAGES = 22


def zoneqa(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed ``zoneqa`` console script (``python -m zoneqa.cli`` when not installed)."""
    script = Path(sys.executable).parent / "zoneqa"
    command = [str(script), *args] if script.exists() else [sys.executable, "-m", "zoneqa.cli", *args]
    env = settings_env(settings)
    env["COLUMNS"] = "200"
    env["PYTHONPATH"] = str(REPO_ROOT)
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT, cwd=settings.data_dir.parent
    )


def summary_row(stdout: str) -> dict[str, float]:
    """The numbers of the ``Ingest summary`` table, by column name."""
    assert "Ingest summary" in stdout, stdout
    rows = [
        [cell.strip() for cell in line.strip().strip("│|").split("│")]
        for line in stdout.splitlines()
        if "│" in line and any(char.isdigit() for char in line)
    ]
    assert len(rows) == 1, stdout
    values = rows[0]
    assert len(values) == len(SUMMARY_COLUMNS), stdout
    return {name: float(value) for name, value in zip(SUMMARY_COLUMNS, values, strict=True)}


@pytest.mark.slow
def test_ingest_then_stats_on_a_copy_of_the_default_corpus(corpus_copy: Path, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", corpus_copy)

    first = zoneqa(settings, "ingest")

    assert first.returncode == 0, first.stdout + first.stderr
    row = summary_row(first.stdout)
    assert (row["seen"], row["added"], row["updated"], row["unchanged"], row["removed"], row["failed"]) == (
        CORPUS_FILES,
        CORPUS_FILES,
        0,
        0,
        0,
        0,
    )
    store = ChromaStore.from_settings(settings)
    assert row["chunks written"] == store.count() > 0
    assert "Nothing embedded" not in first.stdout

    stats = zoneqa(settings, "stats", "--json")

    assert stats.returncode == 0, stats.stderr
    data = json.loads(stats.stdout)
    documents = {doc["source"]: doc for doc in data["documents"]}
    assert len(documents) == CORPUS_FILES
    assert set(documents) == {path.name for path in corpus_copy.iterdir() if path.name != "manifest.yaml"}
    assert documents[PDF_NAME]["pages"] == PDF_PAGES
    assert all(doc["pages"] is None for source, doc in documents.items() if source != PDF_NAME)
    assert data["chunks"] == store.count() == sum(doc["chunks"] for doc in documents.values())
    per_source = {source: len(ids) for source, ids in store.chunks_by_source().items()}
    assert {source: doc["chunks"] for source, doc in documents.items()} == per_source
    titles = {record.source: record.title for record in store.documents()}
    assert {source: doc["title"] for source, doc in documents.items()} == titles

    table = zoneqa(settings, "stats")
    assert table.returncode == 0, table.stderr
    assert f"{CORPUS_FILES} documents, {store.count()} chunks" in table.stdout
    assert PDF_NAME in table.stdout

    second = zoneqa(settings, "ingest")

    assert second.returncode == 0, second.stdout + second.stderr
    assert "Nothing embedded" in second.stdout
    row = summary_row(second.stdout)
    assert (row["seen"], row["unchanged"], row["added"], row["updated"], row["chunks written"]) == (
        CORPUS_FILES,
        CORPUS_FILES,
        0,
        0,
        0,
    )
    assert ChromaStore.from_settings(settings).count() == data["chunks"]


def test_stats_on_an_empty_data_dir(tmp_path: Path) -> None:
    empty_corpus = tmp_path / "corpus"
    empty_corpus.mkdir()
    settings = make_settings(tmp_path / "data", empty_corpus)

    as_json = zoneqa(settings, "stats", "--json")
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == {"documents": [], "chunks": 0}

    table = zoneqa(settings, "stats")
    assert table.returncode == 0, table.stderr
    assert "0 documents, 0 chunks" in table.stdout
