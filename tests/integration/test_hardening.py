"""Hardening against a hostile probe (issue 18): no 500s, no deleted metadata, no forged uploads,
no request or document that stalls the server.

Two real uvicorn servers over one small corpus (a text file, the corpus manifest and an unrelated
``NOTES.txt.bak``): ``open_server`` without keys (the default) and ``keyed_server`` with read and
admin keys. Both are started by ``api.server`` (the same uvicorn configuration as ``zoneqa serve``)
with short slow-client timeouts so those tests stay bounded.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from api.testing import ApiServer
from core.config import Settings
from tests.conftest import CORPUS_DIR, make_settings, settings_env
from tests.unit.test_reliability_helpers import record_figures

READ_KEY, ADMIN_KEY = "hardening-read-key-1", "hardening-admin-key-2"
CORPUS_DOC = "free-zone-congress-2025.txt"
TIMEOUT = httpx.Timeout(120.0)
HEADER_TIMEOUT_SECONDS = 2
BODY_TIMEOUT_SECONDS = 3
PARSE_SECONDS = 3
BOUNDARY = "zoneqa-hardening-boundary"
MULTIPART = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
SERVER_ENV = {
    "ZONEQA_API__RATE_LIMIT_PER_MINUTE": "1000000",
    "ZONEQA_API__AUTH_FAILURES_PER_MINUTE": "20",
    "ZONEQA_API__HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT_SECONDS),
    "ZONEQA_API__BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT_SECONDS),
    "ZONEQA_LIMITS__MAX_PARSE_SECONDS": str(PARSE_SECONDS),
}


def _settings(root: Path) -> Settings:
    from ingest.pipeline import Ingestor

    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    shutil.copy(CORPUS_DIR / CORPUS_DOC, corpus / CORPUS_DOC)
    (corpus / "manifest.yaml").write_text(f'{CORPUS_DOC}:\n  title: "Free Zone Congress"\n', encoding="utf-8")
    (corpus / "NOTES.txt.bak").write_text("Not a document.\n", encoding="utf-8")
    settings = make_settings(root / "data", corpus, generator="extractive")
    assert not Ingestor(settings).run().failed
    return settings


@pytest.fixture(scope="module")
def open_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return _settings(tmp_path_factory.mktemp("hardening-open"))


@pytest.fixture(scope="module")
def open_server(open_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    env = settings_env(open_settings)
    env.update(SERVER_ENV, ZONEQA_API_KEYS="", ZONEQA_ADMIN_KEYS="")
    log = tmp_path_factory.mktemp("hardening-logs") / "open.log"
    with ApiServer(env, log_path=log, log_level="info") as running:
        yield running


@pytest.fixture(scope="module")
def keyed_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return _settings(tmp_path_factory.mktemp("hardening-keyed"))


@pytest.fixture(scope="module")
def keyed_server(keyed_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    env = settings_env(keyed_settings)
    env.update(SERVER_ENV, ZONEQA_API_KEYS=READ_KEY, ZONEQA_ADMIN_KEYS=ADMIN_KEY)
    log = tmp_path_factory.mktemp("hardening-logs") / "keyed.log"
    with ApiServer(env, log_path=log, log_level="info") as running:
        yield running


@pytest.fixture()
def client(open_server: ApiServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=open_server.url, timeout=TIMEOUT) as http:
        yield http


@pytest.fixture()
def admin(keyed_server: ApiServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=keyed_server.url, timeout=TIMEOUT, headers={"X-API-Key": ADMIN_KEY}) as http:
        yield http


def multipart(*files: tuple[str, bytes], extra: str = "") -> bytes:
    """A multipart body with raw file names (httpx would encode or reject some of them)."""
    out = extra.encode()
    for name, content in files:
        head = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        )
        out += head.encode("utf-8", "surrogateescape") + content + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


def upload(http: httpx.Client, name: str, content: bytes = b"The Zorbland free port opened in 1987.") -> httpx.Response:
    return http.post("/documents", content=multipart((name, content)), headers=MULTIPART)


def assert_error(response: httpx.Response, status: int | tuple[int, ...]) -> dict[str, Any]:
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert body["detail"] and body["request_id"] == response.headers["X-Request-ID"]
    assert "Traceback" not in response.text
    return dict(body)


def listed(http: httpx.Client) -> set[str]:
    return {doc["source"] for doc in http.get("/documents").json()["documents"]}


# ---- 2: DELETE acts only on indexed documents ---------------------------------------------------------
def test_delete_refuses_files_that_are_not_indexed_documents(client: httpx.Client, open_settings: Settings) -> None:
    corpus = open_settings.corpus_dir
    (corpus / "stray.txt").write_text("Dropped here after the ingest.\n", encoding="utf-8")
    for name in ("manifest.yaml", "NOTES.txt.bak", "stray.txt", "no-such-file.txt"):
        assert_error(client.delete(f"/documents/{name}"), 404)
    assert (corpus / "manifest.yaml").is_file()
    assert (corpus / "NOTES.txt.bak").is_file()
    assert (corpus / "stray.txt").is_file()
    assert CORPUS_DOC in listed(client)


# ---- 1: long non-ASCII names are 4xx, never 500 ------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    ["zqevil-" + "é" * 120 + ".txt", "日" * 90 + ".txt", "a" * 250 + ".txt", "x" * 300 + ".md"],
)
def test_long_names_are_rejected_with_400(client: httpx.Client, open_settings: Settings, name: str) -> None:
    body = assert_error(upload(client, name), 400)
    assert "bytes" in body["detail"]
    uploads = open_settings.uploads_dir
    assert not uploads.exists() or not [p for p in uploads.iterdir() if p.name.endswith(".partial")]


@pytest.mark.parametrize("name", ["é" * 150 + ".txt", "日" * 90 + ".txt", "a" * 300 + ".txt"])
def test_delete_of_a_long_name_is_4xx(client: httpx.Client, name: str) -> None:
    assert_error(client.delete(f"/documents/{name}"), (400, 404))


# ---- 8: names are NFC, from a documented safe set, and not confusable -----------------------------------
@pytest.mark.parametrize(
    "name",
    [
        "del\x7fname.txt",
        "next\u0085line.txt",
        "free-zone-congress-2025\u200b.txt",
        "zero\u200dwidth.txt",
        "bidi\u202eeman.txt",
        "C:\\temp\\x.txt",
        "tab\tname.txt",
        "quote\u2019s?.txt",
        "star*.txt",
        "pipe|name.txt",
        "nbsp\u00a0name.txt",
    ],
)
def test_unsafe_characters_are_rejected(client: httpx.Client, name: str) -> None:
    body = assert_error(upload(client, name), 400)
    assert "Invalid file name" in body["detail"]


@pytest.mark.parametrize(
    "name",
    [
        "FREE-ZONE-CONGRESS-2025.txt",  # differs only in case
        "free-zone-c\u043engress-2025.txt",  # Cyrillic o
        "free_zone_congress_2025.txt",  # separators swapped
        "free-zone-congress-2025.TXT",
    ],
)
def test_names_confusable_with_an_existing_document_are_rejected(client: httpx.Client, name: str) -> None:
    body = assert_error(upload(client, name), 409)
    assert CORPUS_DOC in body["detail"]


def test_names_are_nfc_normalised(client: httpx.Client, open_settings: Settings) -> None:
    decomposed = "cafe\u0301-zone.txt"  # "café" with a combining accent
    created = upload(client, decomposed)
    assert created.status_code == 201, created.text
    assert created.json()["source"] == "caf\u00e9-zone.txt"
    assert (open_settings.uploads_dir / "caf\u00e9-zone.txt").is_file()
    assert client.delete("/documents/cafe\u0301-zone.txt").status_code == 200
    assert not (open_settings.uploads_dir / "caf\u00e9-zone.txt").exists()


# ---- 9: failed authentication is rate limited; auth comes before the body ------------------------------
def test_auth_is_checked_before_the_body(keyed_server: ApiServer) -> None:
    with httpx.Client(base_url=keyed_server.url, timeout=TIMEOUT) as anonymous:
        assert_error(anonymous.post("/ask", content=b"{not json", headers={"content-type": "application/json"}), 401)
        assert_error(anonymous.post("/search", content=b"query", headers={"content-type": "text/plain"}), 401)
        assert_error(anonymous.post("/documents", content=b"garbage", headers=MULTIPART), 401)
        assert_error(anonymous.post("/ask", json={}), 401)


def test_failed_authentication_is_rate_limited(keyed_settings: Settings, tmp_path: Path) -> None:
    env = settings_env(keyed_settings)
    env.update(SERVER_ENV, ZONEQA_API_KEYS=READ_KEY, ZONEQA_ADMIN_KEYS=ADMIN_KEY)
    env["ZONEQA_API__AUTH_FAILURES_PER_MINUTE"] = "10"
    with (
        ApiServer(env, log_path=tmp_path / "api.log") as server,
        httpx.Client(base_url=server.url, timeout=TIMEOUT) as http,
    ):
        statuses = [http.get("/documents", headers={"X-API-Key": f"wrong-{n}"}).status_code for n in range(30)]
        assert statuses[:10] == [401] * 10
        assert 429 in statuses[10:] and set(statuses) <= {401, 429}
        limited = http.get("/documents", headers={"X-API-Key": "wrong"})
        assert_error(limited, 429)
        assert int(limited.headers["Retry-After"]) >= 1
        # The right key still works from the same address: a flood cannot lock the owner out.
        assert http.get("/documents", headers={"X-API-Key": READ_KEY}).status_code == 200


# ---- 10: query strings are redacted in the access log ---------------------------------------------------
def test_query_strings_are_redacted_in_the_access_log(keyed_server: ApiServer) -> None:
    secret = "querystring-secret-key-77"
    with httpx.Client(base_url=keyed_server.url, timeout=TIMEOUT) as http:
        http.post(f"/ask?api_key={secret}", json={"question": "What is a free zone?"})
        http.get(f"/documents?key={secret}", headers={"X-API-Key": READ_KEY})
        http.get(f"/healthz?token={secret}")
    log = keyed_server.log()
    assert "/healthz" in log  # the access log is on
    assert secret not in log


# ---- 12: smaller mismatches ---------------------------------------------------------------------------------
def test_a_body_without_content_type_is_read_as_json(client: httpx.Client) -> None:
    response = client.post("/search", content=b'{"query": "free zone congress"}')
    assert response.status_code == 200, response.text
    assert response.json()["results"]


@pytest.mark.parametrize(
    "body",
    [b'{"question": "\xff\xfe bad utf-8"}', b"[" * 10_000 + b"]" * 10_000, b'{"question": 1' + b"9" * 5000 + b"}"],
    ids=["invalid-utf8", "deep-nesting", "huge-number"],
)
def test_unparseable_json_is_422_with_a_position(client: httpx.Client, body: bytes) -> None:
    detail = assert_error(client.post("/ask", content=body, headers={"content-type": "application/json"}), 422)
    assert "Malformed JSON body" in detail["detail"] and "at character" in detail["detail"]


def test_an_upload_without_a_file_name_is_400(client: httpx.Client) -> None:
    assert_error(upload(client, ""), 400)
    no_file = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="other"\r\n\r\nx\r\n--{BOUNDARY}--\r\n'
    assert_error(client.post("/documents", content=no_file.encode(), headers=MULTIPART), 400)
    assert_error(client.post("/documents", json={"file": "x"}), (400, 415))


def test_two_files_in_one_upload_are_400(client: httpx.Client) -> None:
    body = multipart(("first-one.txt", b"First file text here."), ("second-one.txt", b"Second file text here."))
    assert_error(client.post("/documents", content=body, headers=MULTIPART), 400)
    assert not {"first-one.txt", "second-one.txt"} & listed(client)


def test_errors_raised_by_the_http_server_are_json_with_a_request_id(open_server: ApiServer) -> None:
    with socket.create_connection(("127.0.0.1", open_server.port), timeout=10) as sock:
        sock.sendall(b"GARBAGE\x01 / HTTP/1.1\r\nHost: x\r\n\r\n")
        reply = _read_all(sock)
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), reply[:200]
    assert b"application/json" in head.lower() and b"x-request-id" in head.lower()
    assert b'"request_id"' in body


def test_413_states_the_configured_limit(client: httpx.Client) -> None:
    big = b"word " * (21 * 1024 * 1024 // 5)
    detail = assert_error(upload(client, "big-file.txt", big), 413)["detail"]
    assert "20 MiB" in detail and "21037056" not in detail.replace(",", "")


def test_head_healthz(client: httpx.Client) -> None:
    assert client.head("/healthz").status_code == 200


def test_trailing_slash_redirect_neither_trusts_host_nor_skips_auth(keyed_server: ApiServer) -> None:
    with httpx.Client(base_url=keyed_server.url, timeout=TIMEOUT) as http:
        response = http.get("/documents/", headers={"Host": "evil.example"})
        assert_error(response, 401)
        keyed = http.get("/documents/", headers={"Host": "evil.example", "X-API-Key": READ_KEY})
        assert keyed.status_code in (200, 307, 404), keyed.text
        assert "evil.example" not in keyed.headers.get("location", "")


@pytest.mark.parametrize("question", ["\u200b\u200b\u200b", "\u200d\ufeff", " \u2060 "])
def test_a_question_of_invisible_characters_is_blank(client: httpx.Client, question: str) -> None:
    assert_error(client.post("/ask", json={"question": question}), 422)
    assert_error(client.post("/search", json={"query": question}), 422)


@pytest.mark.parametrize(
    "body",
    [{"question": "What is a free zone?", "generator": "openai"}, {"question": "What is a free zone?", "admin": True}],
)
def test_unknown_fields_are_422(client: httpx.Client, body: dict[str, Any]) -> None:
    detail = assert_error(client.post("/ask", json=body), 422)
    assert "generator" in detail["detail"] or "admin" in detail["detail"]


def test_request_ids_are_chosen_by_the_server(client: httpx.Client) -> None:
    ids = [
        client.get("/healthz", headers={"X-Request-ID": "chosen-by-client"}).headers["X-Request-ID"] for _ in range(3)
    ]
    assert "chosen-by-client" not in ids
    assert len(set(ids)) == 3


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def test_delete_of_an_indexed_corpus_document_removes_its_file(admin: httpx.Client, keyed_settings: Settings) -> None:
    assert admin.delete(f"/documents/{CORPUS_DOC}").status_code == 200
    assert not (keyed_settings.corpus_dir / CORPUS_DOC).exists()
    assert (keyed_settings.corpus_dir / "manifest.yaml").is_file()
    assert CORPUS_DOC not in listed(admin)
    assert_error(admin.delete(f"/documents/{CORPUS_DOC}"), 404)


# ---- 3: without admin keys, document changes are loopback-only and never cross-site ---------------------
CROSS_SITE = [
    {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    {"Origin": "https://evil.example"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site", "Origin": "http://localhost.evil.example"},
    {"Origin": "null"},
]


@pytest.mark.parametrize("headers", CROSS_SITE)
def test_cross_site_document_changes_are_refused_without_keys(
    client: httpx.Client, open_settings: Settings, headers: dict[str, str]
) -> None:
    form = multipart(("forged-upload.txt", b"The zone was abolished yesterday, says a forged page."))
    detail = assert_error(client.post("/documents", content=form, headers={**MULTIPART, **headers}), 403)
    assert "cross-site" in detail["detail"].lower()
    assert not (open_settings.uploads_dir / "forged-upload.txt").exists()
    assert_error(client.delete(f"/documents/{CORPUS_DOC}", headers=headers), 403)
    assert CORPUS_DOC in listed(client)


def test_same_origin_document_changes_still_work_without_keys(open_server: ApiServer, client: httpx.Client) -> None:
    own = {"Origin": open_server.url, "Sec-Fetch-Site": "same-origin"}
    created = client.post(
        "/documents",
        content=multipart(("same-origin.txt", b"A same-origin upload text.")),
        headers={**MULTIPART, **own},
    )
    assert created.status_code == 201, created.text
    assert client.delete("/documents/same-origin.txt", headers=own).status_code == 200


def test_without_keys_document_changes_are_loopback_only(open_settings: Settings) -> None:
    from fastapi.testclient import TestClient

    from api.main import create_app

    app = create_app(open_settings.model_copy(update={"api_keys": [], "admin_keys": []}))
    remote = TestClient(app, client=("203.0.113.7", 50000))  # no lifespan: nothing is loaded
    form = multipart(("remote-upload.txt", b"From another machine."))
    response = remote.post("/documents", content=form, headers=MULTIPART)
    assert response.status_code == 403 and "loopback" in response.json()["detail"]
    assert remote.delete(f"/documents/{CORPUS_DOC}").status_code == 403
    assert not (open_settings.uploads_dir / "remote-upload.txt").exists()


# ---- 7: a document that repeats a question does not displace its answer ---------------------------------
GOLD_FACTS = 20


def _gold_facts() -> list[dict[str, Any]]:
    import json

    from core.config import REPO_ROOT

    path = REPO_ROOT / "evals" / "datasets" / "zone_gold.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [row for row in rows if row["type"] == "fact" and not row.get("history")][:GOLD_FACTS]


def _restating_documents(folder: Path) -> list[Path]:
    """An FAQ page whose headings and lines restate every gold question, and an SEO page stuffed
    with each question's keywords."""
    from core.text.terms import tokenize

    faq = ["# Frequently asked questions about free trade zones", ""]
    seo = ["# Free trade zone keywords", ""]
    for row in _gold_facts():
        question = row["question"]
        faq += [f"## {question}", "", f"{question} Many readers ask: {question.rstrip('?').lower()}?", ""]
        words = [word for word in tokenize(question) if len(word) > 3]
        seo += [" ".join(words * 3) + ".", ""]
    faq_path, seo_path = folder / "zone-faq.md", folder / "zone-keywords.txt"
    faq_path.write_text("\n".join(faq), encoding="utf-8")
    seo_path.write_text("\n".join(seo), encoding="utf-8")
    return [faq_path, seo_path]


@pytest.mark.slow  # 40 extractive answers over two indexes
def test_documents_that_restate_questions_keep_the_gold_answers(
    default_pipeline: Any, ingested_settings: Settings, tmp_path: Path
) -> None:
    from ingest.pipeline import Ingestor
    from rag.components import build

    data_dir = tmp_path / "data"
    shutil.copytree(ingested_settings.data_dir, data_dir)
    settings = ingested_settings.model_copy(update={"data_dir": data_dir, "generator": "extractive"})
    hostile = _restating_documents(tmp_path)
    report = Ingestor(settings).run(prune=False, only=hostile)
    assert not report.failed, report.failed
    pipeline = build(settings).pipeline
    hostile_names = {path.name for path in hostile}
    changed, quoted_hostile = [], []
    for row in _gold_facts():
        clean = default_pipeline.answer(row["question"])
        poisoned = pipeline.answer(row["question"])
        if {citation.source for citation in poisoned.citations} & hostile_names:
            quoted_hostile.append(f"{row['id']}: {poisoned.answer[:120]!r}")
        if (clean.answer, clean.answerable) != (poisoned.answer, poisoned.answerable):
            changed.append(f"{row['id']}: {clean.answer[:80]!r} -> {poisoned.answer[:80]!r}")
    # The evidence guarantee: a restatement is never quoted as the answer.
    assert not quoted_hostile, "\n".join(quoted_hostile)
    # Nor do restating pages crowd the answering passage out of the top k (fact-018 did, before the
    # search was widened by the places they take).
    assert not changed, "\n".join(changed)


# ---- 11: header limits and slow-client timeouts --------------------------------------------------------
def _closed_by_server(sock: socket.socket, drip: bytes, rounds: int, pause: float) -> tuple[bool, bytes]:
    """Send ``drip`` every ``pause`` s for at most ``rounds`` rounds; whether the server hung up (and
    what it said). Bounded: it never waits longer than rounds * pause."""
    import time

    sock.settimeout(pause)
    reply = b""
    for _ in range(rounds):
        try:
            sock.sendall(drip)
        except (BrokenPipeError, ConnectionResetError):
            return True, reply
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            return True, reply
        if not chunk:
            return True, reply
        reply += chunk
        time.sleep(0)
    return False, reply


def test_oversized_and_too_many_headers_are_refused(open_server: ApiServer) -> None:
    with httpx.Client(base_url=open_server.url, timeout=TIMEOUT) as http:
        for headers in ({"X-Big": "a" * (64 * 1024)}, {f"X-H{n}": "b" for n in range(2000)}):
            try:
                response = http.get("/healthz", headers=headers)
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
                continue  # the server closed the connection: refused too
            assert response.status_code in (400, 431), response.status_code
            assert response.json()["request_id"]
        many = {f"X-H{n}": "b" for n in range(150)}  # small enough in bytes, too many in number
        assert_error(http.get("/healthz", headers=many), 431)
        assert http.get("/healthz").status_code == 200


def test_slow_headers_are_cut_off(open_server: ApiServer) -> None:
    with socket.create_connection(("127.0.0.1", open_server.port)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        closed, reply = _closed_by_server(sock, b"X-Slow: y\r\n", rounds=40, pause=0.25)
    assert closed, "a client sending one header every 0.25 s was never cut off"
    assert not reply or reply.startswith(b"HTTP/1.1 408")


def test_idle_and_half_open_connections_are_closed(open_server: ApiServer, client: httpx.Client) -> None:
    import time

    sockets = [socket.create_connection(("127.0.0.1", open_server.port)) for _ in range(50)]
    try:
        assert client.get("/healthz").status_code == 200  # normal requests keep working meanwhile
        assert client.post("/search", json={"query": "free zone congress"}).status_code == 200
        deadline = time.monotonic() + HEADER_TIMEOUT_SECONDS * 4
        open_ones = list(sockets)
        while open_ones and time.monotonic() < deadline:
            still = []
            for sock in open_ones:
                sock.settimeout(0.05)
                try:
                    data = sock.recv(65536)
                    if data and not data.startswith(b"HTTP/1.1 408"):
                        still.append(sock)
                except TimeoutError:
                    still.append(sock)
                except ConnectionResetError:
                    pass
            open_ones = still
        assert not open_ones, f"{len(open_ones)} of 50 silent connections were never closed"
    finally:
        for sock in sockets:
            sock.close()


@pytest.mark.parametrize("drip", [b"", b"x"], ids=["stalled-body", "dripping-body"])
def test_slow_bodies_are_cut_off(open_server: ApiServer, client: httpx.Client, drip: bytes) -> None:
    head = b"POST /search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    with socket.create_connection(("127.0.0.1", open_server.port)) as sock:
        sock.sendall(head + b'{"query": "free zone congress", "top_k": 3, "x"')  # 38+ of 1000 bytes
        closed, reply = _closed_by_server(sock, drip, rounds=40, pause=0.25)
        assert client.get("/healthz").status_code == 200
    assert closed, "a body that never completes held the connection"
    assert reply.startswith(b"HTTP/1.1 408"), reply[:200]
    assert b'"request_id"' in reply


# ---- 4: a PDF cannot stall the server ---------------------------------------------------------------------
TEXT_OP = b"BT /F1 12 Tf 72 720 Td (The Quillon free zone opened in 1987.) Tj ET\n"


def test_pdfs_with_huge_content_streams_are_refused(client: httpx.Client) -> None:
    from tests.unit.test_hardening_units import raw_pdf

    one_stream = raw_pdf([TEXT_OP + b"q Q " * (8 * 1024 * 1024 // 4)], compress=True)  # 8 MB of no-ops
    shared = raw_pdf([TEXT_OP + b"q Q " * (2 * 1024 * 1024 // 4)], pages=3, compress=True)  # 3 pages, one 2 MB stream
    assert len(one_stream) < 20_000 and len(shared) < 10_000
    for name, data in (("noop-stream.pdf", one_stream), ("shared-stream.pdf", shared)):
        detail = assert_error(upload(client, name, data), 422)["detail"]
        assert "decompressed" in detail, detail
        assert name not in listed(client)


def test_a_slow_pdf_is_stopped_and_searches_keep_working(client: httpx.Client, open_server: ApiServer) -> None:
    import threading

    from tests.unit.test_hardening_units import raw_pdf

    # Under the stream limits (0.9 MB per page, 9 MB in all) but many seconds of parsing.
    slow = raw_pdf([TEXT_OP + b"q Q " * (900 * 1024 // 4)], pages=10, compress=True)
    result: dict[str, httpx.Response] = {}

    def post() -> None:
        with httpx.Client(base_url=open_server.url, timeout=TIMEOUT) as http:
            result["upload"] = upload(http, "slow-parse.pdf", slow)

    uploader = threading.Thread(target=post)
    uploader.start()
    try:
        searched = [client.post("/search", json={"query": "free zone congress"}) for _ in range(3)]
        upload_running_after_searches = uploader.is_alive()
    finally:
        uploader.join(timeout=120)
    assert all(response.status_code == 200 for response in searched)
    detail = assert_error(result["upload"], 422)["detail"]
    assert "longer than" in detail and "stopped" in detail, detail
    assert upload_running_after_searches, "the searches waited for the upload's parsing"
    # The killed parser is replaced: the next upload is parsed normally.
    fine = upload(client, "after-the-slow-one.txt", b"The Quillon free zone handles bonded goods.")
    assert fine.status_code == 201, fine.text


# ---- the hostile-upload fuzz --------------------------------------------------------------------------------
FUZZ_UPLOADS = int(os.environ.get("ZONEQA_FUZZ_UPLOADS", "60"))
_NAME_CHARS = st.characters(codec="utf-8", exclude_characters='\r\n"')  # raw in a multipart header


@st.composite
def hostile_upload(draw: st.DrawFn) -> tuple[str, bytes]:
    from tests.unit.test_fuzz_loaders import hostile_bytes

    suffix = draw(st.sampled_from([".pdf", ".html", ".md", ".txt"]))
    safe = st.text("abcdefghijklmnopqrstuvwxyz0123456789-_ .é日", min_size=1, max_size=40)
    stem = draw(
        st.one_of(
            st.text(_NAME_CHARS, min_size=0, max_size=120),
            safe,
            safe.map(lambda text: "doc-" + text.strip(" .") + "-x"),
            st.sampled_from(
                ["..", "../x", "C:\\\\t\\\\x", "manifest", "a" * 250, "é" * 120, "free-zone-congress-2025"]
            ),
        )
    )
    name = stem + draw(st.sampled_from([suffix, suffix, suffix, suffix.upper(), "", ".yaml", suffix + ".bak"]))
    return name, draw(hostile_bytes(suffix))


def _tree(root: Path) -> set[Path]:
    return {path for path in root.rglob("*") if path.is_file()}


@pytest.mark.slow  # FUZZ_UPLOADS uploads and deletions through the real API
def test_hostile_upload_fuzz(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "fuzz")
    env = settings_env(settings)
    env.update(SERVER_ENV, ZONEQA_API_KEYS="", ZONEQA_ADMIN_KEYS="")
    root = tmp_path / "fuzz"
    outside_before = {path for path in _tree(root) if not path.is_relative_to(settings.data_dir)}
    statuses: Counter[int] = Counter()
    with (
        ApiServer(env, log_path=tmp_path / "api.log") as server,
        httpx.Client(base_url=server.url, timeout=TIMEOUT) as http,
    ):

        @settings_for_fuzz
        @given(upload_case=hostile_upload(), delete=st.booleans())
        def check(upload_case: tuple[str, bytes], delete: bool) -> None:
            name, data = upload_case
            response = http.post("/documents", content=multipart((name, data)), headers=MULTIPART)
            statuses[response.status_code] += 1
            assert response.status_code < 500, (name, response.text[:300])
            assert response.headers["content-type"].startswith("application/json")
            if response.status_code == 201 and delete:
                source = response.json()["source"]
                assert http.delete(f"/documents/{source}").status_code == 200
            _assert_consistent(http, settings)

        check()
        outside_after = {path for path in _tree(root) if not path.is_relative_to(settings.data_dir)}
        assert outside_after <= outside_before | {root / "corpus" / CORPUS_DOC}, outside_after - outside_before
        assert not [path for path in Path("/tmp").glob("zoneqa-escape*")]
    record_figures("hardening.upload_fuzz", {"uploads": sum(statuses.values()), "statuses": dict(statuses)})
    assert sum(count for status, count in statuses.items() if status >= 500) == 0, statuses
    # The fuzz must reach ingestion, not only the name check (runs measured 7-18% accepted uploads).
    assert statuses[201] >= FUZZ_UPLOADS // 25, statuses


def _assert_consistent(http: httpx.Client, settings: Settings) -> None:
    """Every indexed document has its file; every uploaded file is indexed; no temporary file is left."""
    indexed = listed(http)
    on_disk = {path.name for folder in settings.document_dirs if folder.is_dir() for path in folder.iterdir()}
    assert indexed <= on_disk, indexed - on_disk
    uploads = settings.uploads_dir
    uploaded = {path.name for path in uploads.iterdir()} if uploads.is_dir() else set()
    assert uploaded <= indexed, uploaded - indexed  # no file without index entries, no .partial left


settings_for_fuzz = hypothesis_settings(
    max_examples=FUZZ_UPLOADS,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
