"""Scale-out: one ``chroma run`` server, two API processes with their own data dirs.

An upload through process A becomes visible to process B (``/documents`` and ``/search``, the
BM25 side included: B rebuilds its own BM25 copy from Chroma when the store's version stamp
changes), and a deletion through B disappears from A.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.testing import ApiServer
from index.bm25 import BM25Index
from tests.conftest import make_settings, settings_env

ADMIN_KEY = "scale-admin-key"
RARE_WORD = "Quorblaxian"
DOC_NAME = "quorblax-free-port.txt"
DOC_TEXT = (
    f"The {RARE_WORD} Free Port was founded in 1987 on the island of Vellmor.\n\n"
    "Its customs office clears ships within six hours and charges no import duty on transit cargo.\n"
).encode()
POLL_SECONDS = 60.0
TIMEOUT = 60.0


def poll(check: Callable[[], bool], what: str) -> None:
    """Wait until ``check`` holds (bounded): other processes see changes within seconds, not at once."""
    deadline = time.monotonic() + POLL_SECONDS
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"{what} did not happen within {POLL_SECONDS}s")


def sources_found(client: httpx.Client, query: str) -> list[str]:
    response = client.post("/search", json={"query": query, "top_k": 3})
    assert response.status_code == 200, response.text
    return [hit["source"] for hit in response.json()["results"]]


def documents(client: httpx.Client) -> set[str]:
    response = client.get("/documents")
    assert response.status_code == 200, response.text
    return {document["source"] for document in response.json()["documents"]}


@pytest.fixture()
def two_processes(chroma_server: str, tmp_path: Path) -> Iterator[tuple[Any, Any, Any]]:
    """Processes A and B against one Chroma server; yields (A, B, B's settings)."""
    servers: list[ApiServer] = []
    settings_b = None
    for name in ("a", "b"):
        corpus = tmp_path / f"corpus-{name}"
        corpus.mkdir()
        settings = make_settings(tmp_path / f"data-{name}", corpus, chroma_host=chroma_server, generator="extractive")
        env = settings_env(settings)
        env.update(ZONEQA_ADMIN_KEYS=ADMIN_KEY, ZONEQA_API_KEYS="", ZONEQA_API__RATE_LIMIT_PER_MINUTE="100000")
        servers.append(ApiServer(env, log_path=tmp_path / f"api-{name}.log"))
        settings_b = settings
    try:
        for server in servers:
            server.start()
        yield servers[0], servers[1], settings_b
    finally:
        for server in servers:
            server.stop()


@pytest.mark.slow
def test_upload_through_one_process_is_seen_by_the_other(two_processes: tuple[Any, Any, Any]) -> None:
    server_a, server_b, settings_b = two_processes
    headers = {"X-API-Key": ADMIN_KEY}
    with (
        httpx.Client(base_url=server_a.url, headers=headers, timeout=TIMEOUT) as a,
        httpx.Client(base_url=server_b.url, headers=headers, timeout=TIMEOUT) as b,
    ):
        assert DOC_NAME not in documents(b)
        created = a.post("/documents", files={"file": (DOC_NAME, DOC_TEXT, "text/plain")})
        assert created.status_code == 201, created.text

        poll(lambda: DOC_NAME in documents(b), "B listing A's upload")
        poll(lambda: DOC_NAME in sources_found(b, RARE_WORD), "B's /search finding A's upload")

        # Dense search may find the upload first; B's own BM25 copy (in its data dir) must follow
        # once B notices the new version stamp (checked at most every bm25_reload_seconds).
        def bm25_of_b_finds_it() -> bool:
            sources_found(b, RARE_WORD)  # a search makes B check the version stamp
            try:
                lexical = BM25Index.load(settings_b.bm25_dir)
            except (OSError, ValueError):  # B is swapping in its new copy right now
                return False
            source_of = dict(zip(lexical.ids, lexical.sources, strict=True))
            return {source_of[chunk_id] for chunk_id, _score in lexical.search(RARE_WORD, k=3)} == {DOC_NAME}

        poll(bm25_of_b_finds_it, "B's own BM25 index containing A's upload")

        deleted = b.delete(f"/documents/{DOC_NAME}")
        assert deleted.status_code == 200, deleted.text
        poll(lambda: DOC_NAME not in documents(a), "A forgetting the document deleted through B")
        poll(lambda: DOC_NAME not in sources_found(a, RARE_WORD), "A's /search dropping it")
