"""The official MCP Python client against ZoneQA's MCP server, over stdio and over streamable HTTP.

* stdio: the client spawns ``zoneqa mcp`` with ``ZONEQA_DATA_DIR`` pointing at the session index.
* HTTP: ``/mcp`` on a live uvicorn with keys (``keyed_api_server``), the key sent as a Bearer token.

Each test drives one client session with ``anyio.run`` (no async test plugin needed).
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client, MCPError, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from api.testing import ApiServer
from core.config import Settings
from tests.conftest import READ_KEY, settings_env

QUESTION = "Which city hosted the 2016 G20 summit that adopted the G20 Global Investment Principles?"
PDF_NAME = "ftz-tenth-anniversary-pei-2024.pdf"
TOOLS = {"search_documents", "ask", "list_documents"}
TIMEOUT = 120.0


def zoneqa_command() -> str:
    """The ``zoneqa`` console script of this environment."""
    script = Path(sys.executable).parent / "zoneqa"
    assert script.exists(), f"{script} is missing: install the project (pip install -e .)"
    return str(script)


async def exercise(client: Client) -> dict[str, Any]:
    """List the tools and call each one; returns what the assertions need."""
    listed = await client.list_tools()
    tools = {tool.name: tool for tool in listed.tools}
    ask = await client.call_tool("ask", {"question": QUESTION})
    refusal = await client.call_tool("ask", {"question": "What is the boiling point of liquid nitrogen?"})
    search = await client.call_tool("search_documents", {"query": "G20 summit Hangzhou", "top_k": 3})
    only = await client.call_tool("search_documents", {"query": "free zones", "sources": [PDF_NAME]})
    documents = await client.call_tool("list_documents", {})
    typo = await client.call_tool("ask", {"question": QUESTION, "sources": ["typo.pdf"]})
    follow_up = await client.call_tool(
        "ask",
        {
            "question": "How many members reached it?",
            "history": [
                {"role": "user", "content": "What roadmap did the 2014 APEC meeting in Beijing produce?"},
                {"role": "assistant", "content": "The APEC Beijing Roadmap for an Asia-Pacific FTA [1]."},
            ],
        },
    )
    return {
        "tools": tools,
        "ask": ask,
        "refusal": refusal,
        "search": search,
        "only": only,
        "documents": documents,
        "typo": typo,
        "follow_up": follow_up,
    }


def check(results: dict[str, Any]) -> None:
    tools = results["tools"]
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.description and len(tool.description) > 80  # something an assistant can act on
        assert tool.input_schema["type"] == "object" and tool.output_schema is not None
    assert tools["ask"].input_schema["required"] == ["question"]
    assert {"question", "history", "sources"} == set(tools["ask"].input_schema["properties"])
    assert {"query", "top_k", "sources"} == set(tools["search_documents"].input_schema["properties"])

    ask = results["ask"]
    assert not ask.is_error
    answer = ask.structured_content
    assert answer["answerable"] is True and "Hangzhou" in answer["answer"]
    assert answer["citations"] and all(c["source"] and c["quote"] for c in answer["citations"])
    pdf = next(c for c in answer["citations"] if c["source"] == PDF_NAME)
    assert isinstance(pdf["page"], int) and pdf["page"] >= 1
    text = ask.content[0].text  # plain text for clients that ignore structured content: sources listed
    assert "Hangzhou" in text and "Sources:" in text and f"p. {pdf['page']}" in text

    refusal = results["refusal"].structured_content
    assert not results["refusal"].is_error and refusal["answerable"] is False and refusal["citations"] == []

    hits = results["search"].structured_content["results"]
    assert 1 <= len(hits) <= 3 and {"source", "title", "page", "text", "score"} <= set(hits[0])
    assert {hit["source"] for hit in results["only"].structured_content["results"]} == {PDF_NAME}

    documents = results["documents"].structured_content["documents"]
    assert PDF_NAME in {document["source"] for document in documents}
    assert next(d for d in documents if d["source"] == PDF_NAME)["pages"]

    typo = results["typo"]
    assert typo.is_error and "typo.pdf" in typo.content[0].text and PDF_NAME in typo.content[0].text
    follow_up = results["follow_up"].structured_content
    assert "APEC" in follow_up["question_used"] and "21" in follow_up["answer"]


def run(session: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
    result: dict[str, Any] = anyio.run(session)
    return result


@pytest.mark.slow  # spawns `zoneqa mcp`, which loads the models
def test_stdio_zoneqa_mcp(ingested_settings: Settings) -> None:
    env = settings_env(ingested_settings.model_copy(update={"generator": "extractive"}))
    params = StdioServerParameters(command=zoneqa_command(), args=["mcp"], env=env)

    async def session() -> dict[str, Any]:
        async with Client(params, read_timeout_seconds=TIMEOUT) as client:
            assert client.server_info is None or client.server_info.name == "zoneqa"
            return await exercise(client)

    check(run(session))


def test_streamable_http_behind_the_api_keys(keyed_api_server: ApiServer) -> None:
    url = f"{keyed_api_server.url}/mcp"

    async def session() -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {READ_KEY}"}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=TIMEOUT) as http,
            Client(streamable_http_client(url, http_client=http), read_timeout_seconds=TIMEOUT) as client,
        ):
            return await exercise(client)

    check(run(session))


def test_streamable_http_handshake_era_clients(keyed_api_server: ApiServer) -> None:
    """Clients of the initialize handshake (protocol 2025-x) are served too (stateless, any worker)."""
    url = f"{keyed_api_server.url}/mcp"

    async def session() -> dict[str, Any]:
        async with (
            httpx2.AsyncClient(headers={"X-API-Key": READ_KEY}, timeout=TIMEOUT) as http,
            Client(streamable_http_client(url, http_client=http), mode="legacy") as client,
        ):
            assert client.protocol_version.startswith("2025")
            listed = await client.list_tools()
            documents = await client.call_tool("list_documents", {})
            return {"tools": {tool.name for tool in listed.tools}, "documents": documents.structured_content}

    result = run(session)
    assert result["tools"] == TOOLS and result["documents"]["documents"]


def test_mcp_http_refuses_missing_and_wrong_keys(keyed_api_server: ApiServer) -> None:
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    headers = {"Accept": "application/json, text/event-stream"}
    with httpx.Client(base_url=keyed_api_server.url, timeout=TIMEOUT, headers=headers) as http:
        for auth in ({}, {"Authorization": "Bearer wrong-key"}, {"X-API-Key": "wrong-key"}):
            refused = http.post("/mcp", json=ping, headers=auth)
            assert refused.status_code == 401, refused.text
            assert refused.json()["detail"] and refused.json()["request_id"] == refused.headers["X-Request-ID"]
        browser = http.post("/mcp", json=ping, headers={"X-API-Key": READ_KEY, "Origin": "http://evil.example"})
        assert browser.status_code == 403  # DNS rebinding: a web page cannot drive a local server's tools

    async def wrong_key_session() -> None:
        async with (
            httpx2.AsyncClient(headers={"Authorization": "Bearer wrong-key"}, timeout=TIMEOUT) as http,
            Client(streamable_http_client(f"{keyed_api_server.url}/mcp", http_client=http)) as client,
        ):
            await client.list_tools()

    with pytest.raises(ExceptionGroup) as failed:  # the SDK's error for the 401, inside its task groups
        anyio.run(wrong_key_session)
    assert failed.group_contains(MCPError, depth=None)
