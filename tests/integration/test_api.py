"""End-to-end tests of the HTTP API: a real uvicorn process per module fixture, httpx against it.

* ``server``: the session's ingested default corpus, no keys (read-only use: it never uploads).
* ``admin_server``: its own data dir and corpus (one small file), keys and a 30/minute rate limit;
  every upload, deletion and restart happens here.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import httpx
import pytest
from httpx_sse import connect_sse

from api.testing import ApiServer
from core.config import Settings
from tests.conftest import CORPUS_DIR, make_settings, settings_env

QUESTION = "Which city hosted the 2016 G20 summit that adopted the G20 Global Investment Principles?"
SMALL_DOC = "sez-alliance-qianhai-2020.txt"
READ_KEY, ADMIN_KEY, LIMITED_KEY = "read-key-123", "admin-key-456", "limited-key-789"
RATE_LIMIT_PER_MINUTE = 30
MAX_UPLOAD_BYTES = 200_000
TIMEOUT = httpx.Timeout(120.0)
UPLOAD_FACT = "The Zorbland Free Port was founded in 1987 by the harbour council of Quillon."
UPLOAD_LINES = [
    "Zorbland Free Port annual report",
    UPLOAD_FACT,
    "The Zorbland Free Port handles bonded warehousing for the Quillon estuary.",
    "Its customs office clears goods within four hours of arrival.",
]


def make_text_pdf(lines: list[str]) -> bytes:
    """A minimal valid one-page PDF with ``lines`` of text (no PDF library needed)."""

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    body = "BT /F1 12 Tf 14 TL 72 720 Td " + " ".join(f"({escape(line)}) Tj T*" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(body)} >>\nstream\n{body}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{content}\nendobj\n".encode("latin-1")
    xref_at = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n".encode()
    return out


# ---- fixtures -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server(api_server: ApiServer) -> ApiServer:
    return api_server


@pytest.fixture(scope="module")
def client(server: ApiServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=TIMEOUT) as http:
        yield http


@pytest.fixture(scope="module")
def admin_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    from ingest.pipeline import Ingestor

    root = tmp_path_factory.mktemp("api-admin")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS_DIR / SMALL_DOC, corpus / SMALL_DOC)
    settings = make_settings(root / "data", corpus, generator="extractive")
    assert not Ingestor(settings).run().failed
    return settings


@pytest.fixture(scope="module")
def admin_server(admin_settings: Settings) -> Iterator[ApiServer]:
    env = settings_env(admin_settings)
    env.update(
        ZONEQA_API_KEYS=f"{READ_KEY},{LIMITED_KEY}",
        ZONEQA_ADMIN_KEYS=ADMIN_KEY,
        ZONEQA_API__RATE_LIMIT_PER_MINUTE=str(RATE_LIMIT_PER_MINUTE),
        ZONEQA_API__MAX_UPLOAD_BYTES=str(MAX_UPLOAD_BYTES),
    )
    with ApiServer(env) as running:
        yield running


def keyed(server: ApiServer, key: str | None) -> httpx.Client:
    headers = {"X-API-Key": key} if key else {}
    return httpx.Client(base_url=server.url, timeout=TIMEOUT, headers=headers)


def assert_error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["detail"] and body["request_id"] == response.headers["X-Request-ID"]
    assert "Traceback" not in response.text
    return dict(body)


# ---- read-only routes on the default corpus ----------------------------------------------------------------
def test_health_ready_and_metrics(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["documents"] >= 5 and ready["chunks"] > 0
    assert ready["generator"] == "extractive"
    client.post("/ask", json={"question": QUESTION})
    metrics = client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    assert 'zoneqa_http_requests_total{method="POST",route="/ask",status="200"}' in metrics.text
    assert "zoneqa_http_request_duration_seconds_bucket" in metrics.text
    assert "zoneqa_refusals_total" in metrics.text and "zoneqa_generated_tokens_total" in metrics.text


def test_ask_answers_with_verifiable_citations(client: httpx.Client) -> None:
    response = client.post("/ask", json={"question": QUESTION}, headers={"X-Request-ID": "client-id-1"})
    assert response.status_code == 200, response.text
    # The server chooses the id (a client's could repeat); it is never the client's.
    assert response.headers["X-Request-ID"] not in ("", "client-id-1")
    answer = response.json()
    assert answer["answerable"] is True and "Hangzhou" in answer["answer"]
    assert answer["citations"] and answer["model"] == "extractive" and "total" in answer["timings_ms"]
    for citation in answer["citations"]:
        assert f"[{citation['n']}]" in answer["answer"]
        assert citation["passage"][citation["quote_start"] : citation["quote_end"]] == citation["quote"]


def test_refusal_names_the_closest_documents(client: httpx.Client) -> None:
    answer = client.post("/ask", json={"question": "What is the boiling point of liquid nitrogen?"}).json()
    assert answer["answerable"] is False and answer["citations"] == []
    assert answer["closest_documents"]


def test_stream_reassembles_into_the_ask_answer(client: httpx.Client) -> None:
    expected = client.post("/ask", json={"question": QUESTION}).json()
    tokens: list[str] = []
    finals: list[dict[str, Any]] = []
    order: list[str] = []
    sources: list[dict[str, Any]] = []
    with connect_sse(client, "POST", "/ask/stream", json={"question": QUESTION}) as source:
        assert source.response.headers["content-type"].startswith("text/event-stream")
        assert source.response.headers["X-Request-ID"]
        for event in source.iter_sse():
            assert event.event in ("sources", "token", "answer"), event.data
            order.append(event.event)
            if event.event == "sources":
                sources = json.loads(event.data)["sources"]
            elif event.event == "token":
                tokens.append(json.loads(event.data)["text"])
            else:
                finals.append(json.loads(event.data))
    assert tokens and len(finals) == 1
    # The passages come first, before any text, and the verified citations are among them.
    assert order[0] == "sources" and order.count("sources") == 1
    assert {c["quote"] for c in finals[0]["citations"]} <= {s["quote"] for s in sources}
    assert all({"n", "source", "title", "page", "chunk_id", "quote"} <= set(s) for s in sources)
    final = finals[0]
    assert final["answer"] == expected["answer"]
    strip = ("n", "source", "page", "chunk_id", "quote", "quote_start", "quote_end")
    assert [{k: c[k] for k in strip} for c in final["citations"]] == [
        {k: c[k] for k in strip} for c in expected["citations"]
    ]


def test_stream_validates_before_streaming(client: httpx.Client) -> None:
    response = client.post("/ask/stream", json={"question": ""})
    assert_error(response, 422)
    assert response.headers["content-type"].startswith("application/json")


def test_search_and_source_filter(client: httpx.Client) -> None:
    results = client.post("/search", json={"query": "G20 summit Hangzhou", "top_k": 3}).json()["results"]
    assert 1 <= len(results) <= 3
    assert set(results[0]) == {"chunk_id", "source", "title", "page", "section", "text", "score"}
    only = "free-zone-congress-2025.txt"
    filtered = client.post("/search", json={"query": "free zones", "sources": [only]}).json()["results"]
    assert filtered and {hit["source"] for hit in filtered} == {only}


def test_documents_list(client: httpx.Client) -> None:
    documents = client.get("/documents").json()["documents"]
    sources = {document["source"] for document in documents}
    assert {"ftz-tenth-anniversary-pei-2024.pdf", SMALL_DOC} <= sources
    pdf = next(document for document in documents if document["source"].endswith(".pdf"))
    assert pdf["pages"] and pdf["chunks"] > 0
    assert datetime.fromisoformat(pdf["ingested_at"]).tzinfo is not None


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"question": ""}, "question"),
        ({"question": "   "}, "question"),
        ({"question": "x" * 2001}, "question"),
        ({"question": "q", "top_k": 0}, "top_k"),
        ({"question": "q", "top_k": 21}, "top_k"),
        ({"question": "q", "history": [{"role": "user", "content": "hi"}] * 21}, "history"),
        ({"question": "q", "history": [{"role": "system", "content": "hi"}]}, "role"),
        ({"question": "q", "sources": ["nope.pdf"]}, "known sources"),
        ({}, "question"),
    ],
)
def test_ask_validation(client: httpx.Client, body: dict[str, Any], needle: str) -> None:
    error = assert_error(client.post("/ask", json=body), 422)
    assert needle in error["detail"] and error["errors"]


def test_unknown_sources_lists_the_known_ones(client: httpx.Client) -> None:
    error = assert_error(client.post("/search", json={"query": "zones", "sources": ["typo.pdf"]}), 422)
    assert "typo.pdf" in error["detail"] and "ftz-tenth-anniversary-pei-2024.pdf" in error["detail"]


def test_malformed_json_wrong_type_and_size(client: httpx.Client) -> None:
    json_header = {"content-type": "application/json"}
    malformed = assert_error(client.post("/ask", content=b'{"question": ', headers=json_header), 422)
    assert "Malformed JSON" in malformed["detail"]
    assert_error(client.post("/ask", content=b"question=hi", headers={"content-type": "text/plain"}), 415)
    assert_error(client.post("/feedback", data={"question": "q"}), 415)
    big = json.dumps({"question": "x" * 70_000}).encode()
    assert_error(client.post("/ask", content=big, headers=json_header), 413)

    def chunked() -> Iterator[bytes]:  # no Content-Length: the limit is enforced while reading
        yield b'{"question": "'
        for _ in range(100):
            yield b"x" * 1000
        yield b'"}'

    assert_error(client.post("/search", content=chunked(), headers=json_header), 413)


def test_feedback_validation(client: httpx.Client) -> None:
    assert_error(client.post("/feedback", json={"question": "q", "answer": "a", "rating": "meh"}), 422)
    long_comment = {"question": "q", "answer": "a", "rating": "up", "comment": "c" * 2001}
    assert_error(client.post("/feedback", json=long_comment), 422)


def test_unknown_route_is_json_404(client: httpx.Client) -> None:
    assert_error(client.get("/no-such-route"), 404)


def test_twenty_concurrent_questions(server: ApiServer) -> None:
    questions = [QUESTION, "What is the negative list?", "How many free trade pilot zones has China set up?"]

    def ask(index: int) -> httpx.Response:
        with httpx.Client(base_url=server.url, timeout=TIMEOUT) as http:
            return http.post("/ask", json={"question": questions[index % len(questions)]})

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(ask, range(20)))
    assert [response.status_code for response in responses] == [200] * 20
    for response in responses:
        answer = response.json()
        assert answer["answer"].strip() and answer["question_used"]
        assert bool(answer["citations"]) == answer["answerable"]
    assert len({response.headers["X-Request-ID"] for response in responses}) == 20


def test_openapi_page(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["info"]["title"] == "ZoneQA API"
    for path in ("/ask", "/ask/stream", "/search", "/documents", "/documents/{source}", "/feedback"):
        assert path in spec["paths"]
    assert "text/event-stream" in spec["paths"]["/ask/stream"]["post"]["responses"]["200"]["content"]
    assert {"401", "413", "415", "422", "429"} <= set(spec["paths"]["/ask"]["post"]["responses"])


# ---- keys, uploads, deletion, rate limit, restart (own data dir) -----------------------------------
def test_auth_401_403(admin_server: ApiServer) -> None:
    with keyed(admin_server, None) as anonymous, keyed(admin_server, READ_KEY) as reader:
        assert anonymous.get("/healthz").status_code == 200
        assert_error(anonymous.get("/documents"), 401)
        assert_error(anonymous.get("/readyz"), 401)
        assert_error(anonymous.post("/ask", json={"question": QUESTION}), 401)
        with keyed(admin_server, "wrong-key") as stranger:
            assert_error(stranger.post("/search", json={"query": "zones"}), 401)
        assert reader.get("/documents").status_code == 200
        assert_error(reader.get("/feedback/export"), 403)
        assert_error(reader.post("/documents", files={"file": ("a.txt", b"Some text here.")}), 403)
        assert_error(reader.delete(f"/documents/{SMALL_DOC}"), 403)
    with keyed(admin_server, ADMIN_KEY) as admin:  # admin keys are read keys too
        assert admin.post("/search", json={"query": "alliance"}).status_code == 200
        assert admin.get("/feedback/export").status_code == 200


def test_upload_search_ask_delete(admin_server: ApiServer, admin_settings: Settings) -> None:
    name = "zorbland-report.pdf"
    with keyed(admin_server, ADMIN_KEY) as admin:
        created = admin.post("/documents", files={"file": (name, make_text_pdf(UPLOAD_LINES), "application/pdf")})
        assert created.status_code == 201, created.text
        assert created.json()["source"] == name and created.json()["pages"] == 1 and created.json()["chunks"] >= 1
        assert (admin_settings.uploads_dir / name).is_file()
        assert name in {d["source"] for d in admin.get("/documents").json()["documents"]}

        hits = admin.post("/search", json={"query": "Zorbland Free Port founded"}).json()["results"]
        assert hits[0]["source"] == name
        answer = admin.post("/ask", json={"question": "When was the Zorbland Free Port founded?"}).json()
        assert answer["answerable"] and "1987" in answer["answer"]
        assert answer["citations"][0]["source"] == name and answer["citations"][0]["page"] == 1

        assert_error(admin.post("/documents", files={"file": (name, make_text_pdf(["again"]))}), 409)

        deleted = admin.delete(f"/documents/{name}")
        assert deleted.status_code == 200 and deleted.json() == {"source": name, "deleted": True}
        assert not (admin_settings.uploads_dir / name).exists()
        assert name not in {d["source"] for d in admin.get("/documents").json()["documents"]}
        hits = admin.post("/search", json={"query": "Zorbland Free Port founded"}).json()["results"]
        assert name not in {hit["source"] for hit in hits}
        assert_error(admin.delete(f"/documents/{name}"), 404)


def test_upload_rejections(admin_server: ApiServer, admin_settings: Settings) -> None:
    with keyed(admin_server, ADMIN_KEY) as admin:
        for bad_name in ("../escape.txt", ".hidden.txt", "a\\b.txt"):
            assert_error(admin.post("/documents", files={"file": (bad_name, b"Some text.")}), 400)
        assert_error(admin.post("/documents", files={"file": ("tool.exe", b"MZ")}), 415)
        assert_error(admin.post("/documents", files={"file": (SMALL_DOC, b"clash")}), 409)
        broken = assert_error(admin.post("/documents", files={"file": ("broken.pdf", b"%PDF-1.4 nonsense")}), 422)
        assert "broken.pdf" in broken["detail"]
        assert not (admin_settings.uploads_dir / "broken.pdf").exists()
        assert_error(admin.post("/documents", files={"file": ("big.txt", b"word " * 45_000)}), 413)
        assert_error(admin.post("/documents", files={"file": ("huge.txt", b"word " * 80_000)}), 413)
        assert not any(admin_settings.uploads_dir.glob("*big*")) and not any(admin_settings.uploads_dir.glob("*huge*"))


def test_rate_limit_then_recovery(admin_server: ApiServer) -> None:
    with keyed(admin_server, LIMITED_KEY) as limited:
        statuses = [limited.get("/documents").status_code for _ in range(RATE_LIMIT_PER_MINUTE + 10)]
        assert statuses[0] == 200 and 429 in statuses
        refused = limited.get("/documents")
        assert_error(refused, 429)
        retry_after = int(refused.headers["Retry-After"])
        assert 1 <= retry_after <= 60 / RATE_LIMIT_PER_MINUTE + 1
        with keyed(admin_server, READ_KEY) as other:  # other keys are not affected
            assert other.get("/documents").status_code == 200
        time.sleep(retry_after)
        assert limited.get("/documents").status_code == 200


def test_delete_corpus_document_removes_the_file(admin_server: ApiServer, admin_settings: Settings) -> None:
    extra = "delete-me.md"
    (admin_settings.corpus_dir / extra).write_text("# Delete me\n\nThe Orvan enclave exports copper and tin.\n")
    with keyed(admin_server, ADMIN_KEY) as admin:
        # On disk but never indexed: not a document, so a 404, and the file is left alone (issue 18;
        # deleting an indexed corpus document removes its file: tests/integration/test_hardening.py).
        assert_error(admin.delete(f"/documents/{extra}"), 404)
    assert (admin_settings.corpus_dir / extra).exists()


@pytest.mark.slow  # restarts the server (a model load)
def test_feedback_survives_restart(admin_server: ApiServer) -> None:
    entry = {"question": QUESTION, "answer": "Hangzhou [1].", "rating": "down", "comment": "wrong page"}
    with keyed(admin_server, READ_KEY) as reader:
        created = reader.post("/feedback", json=entry)
        assert created.status_code == 201
        feedback_id = created.json()["id"]
    admin_server.restart()
    with keyed(admin_server, ADMIN_KEY) as admin:
        exported = admin.get("/feedback/export").json()["feedback"]
    stored = next(item for item in exported if item["id"] == feedback_id)
    assert {key: stored[key] for key in entry} == entry
    assert datetime.fromisoformat(stored["created_at"]).tzinfo is not None
