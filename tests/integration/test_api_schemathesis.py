"""Schemathesis against the live ``/openapi.json``: generated requests never get a 5xx, and every
response matches the documented status codes, content types and schemas.

Bounded: a few examples per operation and no shrinking deadline. The server has its own data dir
(one small document), because generated uploads and deletions change the index.
``POST /ask/stream`` is checked like the others (its body is read whole; the stream's content is
covered by ``test_api.py``).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
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
from tests.conftest import CORPUS_DIR, make_settings, settings_env

MAX_EXAMPLES_PER_OPERATION = 15
SMALL_DOC = "sez-alliance-qianhai-2020.txt"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    from ingest.pipeline import Ingestor

    root = tmp_path_factory.mktemp("api-fuzz")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS_DIR / SMALL_DOC, corpus / SMALL_DOC)
    fuzz_settings = make_settings(root / "data", corpus, generator="extractive")
    assert not Ingestor(fuzz_settings).run().failed
    env = settings_env(fuzz_settings)
    env.update(ZONEQA_API_KEYS="", ZONEQA_ADMIN_KEYS="", ZONEQA_API__RATE_LIMIT_PER_MINUTE="100000")
    with ApiServer(env) as running:
        yield running


@pytest.mark.slow
def test_generated_requests_conform_to_the_schema(fuzz_server: ApiServer) -> None:
    schema = schemathesis.openapi.from_url(f"{fuzz_server.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    labels = {operation.label for operation in operations}
    assert {"POST /ask", "POST /ask/stream", "POST /search", "POST /documents", "GET /readyz"} <= labels

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case: Any) -> None:
            case.call_and_validate(base_url=fuzz_server.url, checks=CHECKS, timeout=60)

        check()
