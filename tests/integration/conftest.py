"""Fixtures of the integration tests that more than one module shares.

``keyed_api_server``: a real uvicorn over the session's default corpus (read-only use) with keys
configured, for the clients that must show they go through the API keys and the rate limit: the
openai SDK (``test_openai_compat.py``) and the MCP client over HTTP (``test_mcp.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api.testing import ApiServer
from core.config import Settings
from tests.conftest import settings_env

READ_KEY = "ecosystem-read-key"
LIMITED_KEY = "ecosystem-limited-key"
KEYED_RATE_LIMIT_PER_MINUTE = 60


@pytest.fixture(scope="session")
def keyed_api_server(ingested_settings: Settings) -> Iterator[ApiServer]:
    env = settings_env(ingested_settings.model_copy(update={"generator": "extractive"}))
    env.update(
        ZONEQA_API_KEYS=f"{READ_KEY},{LIMITED_KEY}",
        ZONEQA_ADMIN_KEYS="",
        ZONEQA_API__RATE_LIMIT_PER_MINUTE=str(KEYED_RATE_LIMIT_PER_MINUTE),
    )
    with ApiServer(env) as running:
        yield running
