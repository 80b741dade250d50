"""Prometheus metrics of one API process, in their own registry (no global state between apps).

Usage::

    metrics = ApiMetrics()
    metrics.observe_request("POST", "/ask", 200, 0.12)
    metrics.refusals.inc()
    body = metrics.render()        # text exposition format for GET /metrics
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

# Answers take from milliseconds (extractive) to tens of seconds (a CPU LLM).
LATENCY_BUCKETS_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
UNMATCHED_ROUTE = "unmatched"


class ApiMetrics:
    """Request count and latency per route template and status, refusals, generated tokens."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "zoneqa_http_requests",
            "HTTP requests by method, route template and status code.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "zoneqa_http_request_duration_seconds",
            "HTTP request latency (for streams: until the last byte) by method, route template and status.",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS_SECONDS,
            registry=self.registry,
        )
        self.refusals = Counter(
            "zoneqa_refusals",
            "Questions answered with a refusal (no supporting evidence).",
            registry=self.registry,
        )
        self.answers = Counter("zoneqa_answers", "Questions answered (refusals included).", registry=self.registry)
        self.tokens = Counter(
            "zoneqa_generated_tokens",
            "Text pieces produced by the generator (LLM tokens; sentences for the extractive generator).",
            registry=self.registry,
        )

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route, str(status)).observe(seconds)

    def observe_answer(self, answerable: bool, pieces: int) -> None:
        self.answers.inc()
        if not answerable:
            self.refusals.inc()
        self.tokens.inc(pieces)

    def render(self) -> bytes:
        return generate_latest(self.registry)
