"""In-process tests of the API's parts: keys, rate limit, LLM gate, file names, lazy index, streams, errors.

The end-to-end behaviour (a real uvicorn process) is in ``test_api.py``.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.routes.ask import _stream_events
from api.security import Caller, KeyRing, RateLimiter
from api.services.documents import sanitise_filename
from api.services.feedback import FeedbackStore
from api.services.gate import GenerationGate
from api.services.pipeline import PipelineHolder
from core.errors import GeneratorBusyError, IndexUnavailableError, RejectionReason, UploadRejectedError
from tests.conftest import free_port, make_settings


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_keyring_roles() -> None:
    keys = KeyRing(read_keys=["read-1"], admin_keys=["admin-1"])
    assert keys.role("read-1") == "read"
    assert keys.role("admin-1") == "admin"
    assert keys.role("admin-1x") is None
    assert keys.role(None) is None
    assert KeyRing([], []).role(None) == "anonymous"
    assert Caller("anonymous", "ip:1").is_admin and not Caller("read", "key:1").is_admin


def test_rate_limiter_frees_one_request_every_60_over_n_seconds() -> None:
    clock = FakeClock()
    limiter = RateLimiter(per_minute=30, clock=clock)
    assert all(limiter.acquire("a") == 0.0 for _ in range(30))
    wait = limiter.acquire("a")
    assert wait == pytest.approx(2.0)
    assert RateLimiter.retry_after_header(wait) == "2"
    assert limiter.acquire("b") == 0.0  # buckets are per caller
    clock.now += 2.0
    assert limiter.acquire("a") == 0.0
    assert limiter.acquire("a") > 0.0


def test_generation_gate_times_out_while_the_llm_is_busy() -> None:
    gate = GenerationGate(enabled=True, queue=1, wait_seconds=0.05)
    running = gate.acquire()
    with pytest.raises(GeneratorBusyError, match="wait"):
        gate.acquire()
    running.release()
    gate.acquire().release()  # free again: the timed-out request gave its slot back


def test_generation_gate_refuses_beyond_the_queue() -> None:
    gate = GenerationGate(enabled=True, queue=1, wait_seconds=10)
    running = gate.acquire()
    admitted: list[bool] = []
    waiter = threading.Thread(target=lambda: admitted.append(gate.acquire() is not None))
    waiter.start()
    for _ in range(500):  # until the waiter holds the only queue slot
        if gate._slots._value == 0:  # type: ignore[attr-defined]
            break
        time.sleep(0.01)
    with pytest.raises(GeneratorBusyError, match="too many"):
        gate.acquire()
    running.release()
    waiter.join(10)
    assert admitted == [True]
    assert GenerationGate(enabled=False, queue=0, wait_seconds=1).acquire() is not None


@pytest.mark.parametrize(
    "name", ["../etc/passwd", "a/b.pdf", "a\\b.pdf", ".hidden.pdf", "a\x00.pdf", "/abs.pdf", "", "x..pdf"]
)
def test_unsafe_file_names_are_rejected(name: str) -> None:
    with pytest.raises(UploadRejectedError) as error:
        sanitise_filename(name)
    assert error.value.reason == RejectionReason.INVALID_NAME


def test_plain_file_names_pass() -> None:
    assert sanitise_filename("Zone report 2024.pdf") == "Zone report 2024.pdf"


def test_pipeline_holder_retries_lazily_and_recovers() -> None:
    clock = FakeClock()
    calls: list[int] = []
    available = {"up": False}

    class Loaded:
        pipeline = type("FakePipeline", (), {"model_name": "fake"})()

    def factory(_settings: Any) -> Any:
        calls.append(1)
        if not available["up"]:
            raise ConnectionError("chroma down")
        return Loaded()

    holder = PipelineHolder(make_settings(Path("/nonexistent")), factory=factory, retry_seconds=3, clock=clock)
    with pytest.raises(IndexUnavailableError, match="chroma down"):
        holder.get()
    available["up"] = True
    with pytest.raises(IndexUnavailableError):  # too soon: no new attempt
        holder.get()
    assert len(calls) == 1
    clock.now += 3
    assert isinstance(holder.parts(), Loaded)
    assert holder.get() is holder.get() and len(calls) == 2


def test_feedback_store_round_trip(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    first = store.add("q", "a", "up", None)
    second = FeedbackStore(tmp_path / "feedback.sqlite3").add("q2", "a2", "down", "wrong page")
    rows = store.all()
    assert [row.id for row in rows] == [first, second]
    assert rows[1].comment == "wrong page" and rows[1].created_at.endswith("+00:00")


class _FakeRequest:
    def __init__(self, disconnect_after: int) -> None:
        self.checks = 0
        self.disconnect_after = disconnect_after
        self.state = type("State", (), {"request_id": "rid"})()

    async def is_disconnected(self) -> bool:
        self.checks += 1
        return self.checks > self.disconnect_after


def test_stream_stops_and_closes_the_pipeline_when_the_client_leaves() -> None:
    closed: list[bool] = []
    produced: list[int] = []

    def endless() -> Iterator[Any]:
        from rag.pipeline import StreamEvent

        try:
            for n in range(1000):
                produced.append(n)
                yield StreamEvent("token", text=f"piece {n} ")
        finally:
            closed.append(True)

    released: list[bool] = []
    holder = PipelineHolder(make_settings(Path("/nonexistent")), factory=lambda s: None)
    from api.metrics import ApiMetrics

    async def consume() -> list[str]:
        events = _stream_events(
            _FakeRequest(disconnect_after=2),  # type: ignore[arg-type]
            endless(),
            lambda: released.append(True),
            holder,
            ApiMetrics(),
        )
        return [chunk async for chunk in events]

    chunks = asyncio.run(consume())
    assert len(chunks) == 2 and chunks[0].startswith("event: token\ndata: ")
    assert closed == [True], "the pipeline generator must be closed"
    assert len(produced) == 2 and released == [True]


@pytest.fixture()
def offline_app(tmp_path: Path) -> Any:
    """An app whose Chroma server is not running (a port nobody listens on)."""
    settings = make_settings(tmp_path / "data", chroma_host=f"127.0.0.1:{free_port()}")
    app = create_app(settings)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    return app


def test_unreachable_index_gives_503_and_health_stays_ok(offline_app: Any) -> None:
    with TestClient(offline_app) as client:  # the lifespan runs: startup survives the missing index
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["detail"].startswith("The index is not available")
        ask = client.post("/ask", json={"question": "Which city?"})
        assert ask.status_code == 503
        assert ask.json()["detail"].startswith("The index is not available: ")
        assert ask.headers["X-Request-ID"] == ask.json()["request_id"]
        search = client.post("/search", json={"query": "zones"})
        assert search.status_code == 503


def test_unexpected_errors_are_json_without_traceback(offline_app: Any) -> None:
    client = TestClient(offline_app, raise_server_exceptions=False)
    response = client.get("/boom", headers={"X-Request-ID": "trace-me-1"})
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error", "request_id": response.headers["X-Request-ID"]}
    # The id is the server's own (a client-chosen one could repeat), never the client's.
    assert "secret" not in response.text and response.headers["X-Request-ID"] != "trace-me-1"
