"""Load: 50 clients for a minute against a real server, and the LLM's bounded queue (503 + Retry-After).

The figures (requests served, 5xx, p95, gate outcomes) are printed and appended to
``test-artifacts/reliability.json``. Nothing here asserts a timing: the machine may be loaded.
``ZONEQA_LOAD_SECONDS`` / ``ZONEQA_LOAD_CLIENTS`` override the duration and the client count.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest

from api.testing import ApiServer
from core.config import Settings
from tests.conftest import settings_env
from tests.unit.test_reliability_helpers import percentile, record_figures

LOAD_SECONDS = float(os.environ.get("ZONEQA_LOAD_SECONDS", "60"))
LOAD_CLIENTS = int(os.environ.get("ZONEQA_LOAD_CLIENTS", "50"))
# A client stops after this many requests even if time remains (every loop is bounded twice).
MAX_REQUESTS_PER_CLIENT = 10_000
# Generous: 50 clients share 2 loaded cores, so one request may wait a long time; none may hang.
REQUEST_TIMEOUT = httpx.Timeout(300.0)
NO_RATE_LIMIT = "1000000000"
QUESTIONS = [
    "Which city hosted the 2016 G20 summit that adopted the G20 Global Investment Principles?",
    "What is the negative list?",
    "How many free trade pilot zones has China set up?",
    "What does the SEZ alliance in Qianhai do?",
    "What is the boiling point of liquid nitrogen?",  # a refusal is part of the mix
]
SEARCHES = ["negative list foreign investment", "bonded warehouse customs", "western pilot FTZ strategy"]

GATE_CLIENTS = 8
GATE_QUEUE = 1
GATE_WAIT_SECONDS = 2.0
GATE_QUESTION = QUESTIONS[0]


@dataclass
class Outcome:
    route: str
    status: int  # 0: no response (transport error or timeout)
    seconds: float
    retry_after: str | None = None
    detail: str = ""


@pytest.fixture(scope="module")
def open_server(ingested_settings: Settings) -> Iterator[ApiServer]:
    env = settings_env(ingested_settings.model_copy(update={"generator": "extractive"}))
    env.update(ZONEQA_API_KEYS="", ZONEQA_ADMIN_KEYS="", ZONEQA_API__RATE_LIMIT_PER_MINUTE=NO_RATE_LIMIT)
    with ApiServer(env) as running:
        yield running


def _one(http: httpx.Client, route: str, body: dict[str, object]) -> Outcome:
    started = time.perf_counter()
    try:
        response = http.post(route, json=body)
    except httpx.HTTPError as error:
        return Outcome(route, 0, time.perf_counter() - started, detail=f"{type(error).__name__}: {error}")
    detail = "" if response.status_code == 200 else response.text[:300]
    return Outcome(
        route, response.status_code, time.perf_counter() - started, response.headers.get("Retry-After"), detail
    )


@pytest.mark.slow  # a minute of load by default
def test_fifty_clients_for_a_minute_get_no_5xx(open_server: ApiServer) -> None:
    deadline = time.monotonic() + LOAD_SECONDS
    outcomes: list[Outcome] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        mine: list[Outcome] = []
        with httpx.Client(base_url=open_server.url, timeout=REQUEST_TIMEOUT) as http:
            for turn in range(MAX_REQUESTS_PER_CLIENT):
                if time.monotonic() >= deadline:
                    break
                if (index + turn) % 2:
                    mine.append(_one(http, "/ask", {"question": QUESTIONS[(index + turn) % len(QUESTIONS)]}))
                else:
                    mine.append(_one(http, "/search", {"query": SEARCHES[(index + turn) % len(SEARCHES)], "top_k": 5}))
        with lock:
            outcomes.extend(mine)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=LOAD_CLIENTS) as pool:
        list(pool.map(client, range(LOAD_CLIENTS)))
    elapsed = time.monotonic() - started

    statuses = Counter(outcome.status for outcome in outcomes)
    served = [outcome for outcome in outcomes if outcome.status == 200]
    by_route = {route: [o.seconds for o in served if o.route == route] for route in ("/ask", "/search")}
    figures = {
        "clients": LOAD_CLIENTS,
        "seconds": round(elapsed, 1),
        "requests": len(outcomes),
        "served_200": len(served),
        "statuses": {str(status): count for status, count in sorted(statuses.items())},
        "5xx": sum(count for status, count in statuses.items() if status >= 500),
        "no_response": statuses.get(0, 0),
        "p50_ms": round(percentile([o.seconds for o in served], 50) * 1000, 1),
        "p95_ms": round(percentile([o.seconds for o in served], 95) * 1000, 1),
        "p95_ask_ms": round(percentile(by_route["/ask"], 95) * 1000, 1),
        "p95_search_ms": round(percentile(by_route["/search"], 95) * 1000, 1),
        "requests_per_second": round(len(served) / elapsed, 2) if elapsed else 0.0,
    }
    record_figures("load", figures)
    failures = [o for o in outcomes if o.status != 200][:5]
    assert figures["5xx"] == 0, failures
    assert statuses.get(429, 0) == 0, failures  # the limit is set far above what 50 clients can send
    assert statuses.get(0, 0) == 0, failures  # no timeouts, no dropped connections
    assert served and by_route["/ask"] and by_route["/search"]
    assert httpx.get(f"{open_server.url}/readyz", timeout=30).status_code == 200  # still healthy after


@pytest.mark.slow  # loads SmolLM2 through llama.cpp
def test_llm_queue_is_bounded_and_answers_503_with_retry_after(ingested_settings: Settings) -> None:
    pytest.importorskip("llama_cpp")
    from core.errors import GeneratorError
    from rag.llm_models import smollm_path

    try:
        model = smollm_path()
    except GeneratorError as error:
        pytest.skip(str(error))
    env = settings_env(ingested_settings.model_copy(update={"generator": "llamacpp"}))
    env.update(
        ZONEQA_LLAMACPP__MODEL_PATH=str(model),
        ZONEQA_LLAMACPP__MAX_TOKENS="16",
        ZONEQA_API__GENERATION_QUEUE=str(GATE_QUEUE),
        ZONEQA_API__GENERATION_WAIT_SECONDS=str(GATE_WAIT_SECONDS),
        ZONEQA_API__RATE_LIMIT_PER_MINUTE=NO_RATE_LIMIT,
        ZONEQA_API_KEYS="",
        ZONEQA_ADMIN_KEYS="",
    )
    with ApiServer(env) as server:
        assert httpx.get(f"{server.url}/readyz", timeout=60).json()["generator"] != "extractive"
        barrier = threading.Barrier(GATE_CLIENTS)

        def ask(_: int) -> Outcome:
            with httpx.Client(base_url=server.url, timeout=REQUEST_TIMEOUT) as http:
                barrier.wait(timeout=30)
                return _one(http, "/ask", {"question": GATE_QUESTION})

        with ThreadPoolExecutor(max_workers=GATE_CLIENTS) as pool:
            outcomes = list(pool.map(ask, range(GATE_CLIENTS)))
    statuses = Counter(outcome.status for outcome in outcomes)
    busy = [o for o in outcomes if o.status == 503]
    figures = {
        "clients": GATE_CLIENTS,
        "queue": GATE_QUEUE,
        "wait_seconds": GATE_WAIT_SECONDS,
        "statuses": {str(status): count for status, count in sorted(statuses.items())},
        "max_503_ms": round(max((o.seconds for o in busy), default=0.0) * 1000, 1),
        "max_200_ms": round(max((o.seconds for o in outcomes if o.status == 200), default=0.0) * 1000, 1),
        "busy_details": sorted({o.detail[:120] for o in busy}),
    }
    record_figures("llm_gate", figures)
    assert set(statuses) <= {200, 503}, outcomes  # no 500, no timeout (status 0)
    assert statuses[200] >= 1 and statuses[503] >= 1, outcomes
    for outcome in busy:
        assert outcome.retry_after and int(outcome.retry_after) >= 1
        assert "busy" in outcome.detail
