"""Schemathesis over the OpenAI-compatible routes (``/v1``) of the live ``/openapi.json``: generated
requests never get a 5xx, and every response matches the documented status codes, content types and
schemas (JSON replies, the ``text/event-stream`` of ``stream: true``, the OpenAI error objects).

Same pattern as ``test_api_schemathesis.py``; the /v1 routes change nothing, so the session's
read-only API server is used.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.testing import ApiServer

MAX_EXAMPLES_PER_OPERATION = 25
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _pin_model(case: Any) -> Any:
    if isinstance(case.body, dict):
        case.body["model"] = "zoneqa"
    return case


@pytest.mark.slow
def test_generated_v1_requests_conform_to_the_schema(api_server: ApiServer) -> None:
    schema = schemathesis.openapi.from_url(f"{api_server.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    v1 = [operation for operation in operations if operation.path.startswith("/v1/")]
    assert {operation.label for operation in v1} == {
        "GET /v1/models",
        "GET /v1/models/{model}",
        "POST /v1/chat/completions",
    }

    statuses: dict[str, set[int]] = {operation.label: set() for operation in v1}
    chat = next(operation for operation in v1 if operation.label == "POST /v1/chat/completions")
    # Every operation as generated, then the chat route again with the model id pinned, so that the
    # generated messages, streams and parameters reach the pipeline instead of stopping at a 404.
    strategies = [operation.as_strategy() for operation in v1] + [chat.as_strategy().map(_pin_model)]
    for strategy in strategies:

        @given(case=strategy)
        @settings(
            max_examples=MAX_EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case: Any) -> None:
            response = case.call_and_validate(base_url=api_server.url, checks=CHECKS, timeout=60)
            statuses[case.operation.label].add(response.status_code)

        check()
    assert 200 in statuses["POST /v1/chat/completions"] and 400 in statuses["POST /v1/chat/completions"]
