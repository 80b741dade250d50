"""Hardening against a hostile probe (issue 18): no 500s, no deleted metadata, no forged uploads,
no request or document that stalls the server.

Two real uvicorn servers over one small corpus (a text file, the corpus manifest and an unrelated
``NOTES.txt.bak``): ``open_server`` without keys (the default) and ``keyed_server`` with read and
admin keys. Both are started by ``api.server`` (the same uvicorn configuration as ``zoneqa serve``)
with short slow-client timeouts so those tests stay bounded.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.testing import ApiServer
from core.config import Settings
from tests.conftest import CORPUS_DIR, make_settings, settings_env

READ_KEY, ADMIN_KEY = "hardening-read-key-1", "hardening-admin-key-2"
CORPUS_DOC = "free-zone-congress-2025.txt"
TIMEOUT = httpx.Timeout(120.0)
HEADER_TIMEOUT_SECONDS = 2
BODY_TIMEOUT_SECONDS = 3
BOUNDARY = "zoneqa-hardening-boundary"
MULTIPART = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
SERVER_ENV = {
    "ZONEQA_API__RATE_LIMIT_PER_MINUTE": "1000000",
    "ZONEQA_API__AUTH_FAILURES_PER_MINUTE": "20",
    "ZONEQA_API__HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT_SECONDS),
    "ZONEQA_API__BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT_SECONDS),
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
    with ApiServer(env, log_path=tmp_path / "api.log") as server:
        with httpx.Client(base_url=server.url, timeout=TIMEOUT) as http:
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
    "body", [{"question": "What is a free zone?", "generator": "openai"}, {"question": "What is a free zone?", "admin": True}]
)
def test_unknown_fields_are_422(client: httpx.Client, body: dict[str, Any]) -> None:
    detail = assert_error(client.post("/ask", json=body), 422)
    assert "generator" in detail["detail"] or "admin" in detail["detail"]


def test_request_ids_are_chosen_by_the_server(client: httpx.Client) -> None:
    ids = [client.get("/healthz", headers={"X-Request-ID": "chosen-by-client"}).headers["X-Request-ID"] for _ in range(3)]
    assert "chosen-by-client" not in ids
    assert len(set(ids)) == 3


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, TimeoutError, socket.timeout):
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
    created = client.post("/documents", content=multipart(("same-origin.txt", b"A same-origin upload text.")),
                          headers={**MULTIPART, **own})
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
    changed = []
    for row in _gold_facts():
        clean = default_pipeline.answer(row["question"])
        poisoned = pipeline.answer(row["question"])
        cited = {citation.source for citation in poisoned.citations}
        if (clean.answer, clean.answerable) != (poisoned.answer, poisoned.answerable) or cited & hostile_names:
            changed.append(f"{row['id']}: {clean.answer[:80]!r} -> {poisoned.answer[:80]!r}")
    assert not changed, "\n".join(changed)
