"""In-process tests of the integrations' parts: the OpenAI message and chunk rules, the /v1 error
shape, Bearer keys, the MCP tools (over fakes) and the LangChain input rules.

The real clients against real servers are in ``tests/integration/test_openai_compat.py``,
``test_mcp.py`` and ``test_langchain.py``.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import anyio
import pytest
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from mcp import Client

from api.bearer import BearerAsApiKey, bearer_token
from api.deps import identify
from api.mcp_server import build_mcp_server
from api.openai_errors import OpenAIErrorShape, reshape
from api.openai_models import ChatCompletionRequest, ChatMessage
from api.routes.openai_v1 import _chunks
from api.security import KeyRing
from api.services.answer_text import SOURCES_HEADING, answer_with_sources, strip_sources
from api.services.chat_completions import (
    MAX_TURN_CHARS,
    ChatRequestError,
    check_supported,
    content_chunks,
    conversation,
    split_content,
    to_completion,
)
from api.services.gate import GenerationGate
from core.documents import Chunk
from core.errors import IndexUnavailableError
from core.schemas import Answer, Citation
from index.store import DocumentRecord
from rag.langchain import _query
from rag.retriever import RetrievedChunk

CITATION = Citation(
    n=1,
    source="zones.pdf",
    title="Zones  report",
    page=5,
    chunk_id="c1",
    quote="Hangzhou hosted the 2016\nG20 summit.",
    score=0.9,
)
ANSWER = Answer(
    answer="Hangzhou hosted it [1].", citations=[CITATION], answerable=True, question_used="q", model="extractive"
)
REFUSAL = Answer(
    answer="I could not find an answer to this in the documents.",
    answerable=False,
    question_used="q",
    model="extractive",
    closest_documents=["Zones report", "Ports"],
)


def request(**fields: Any) -> ChatCompletionRequest:
    return ChatCompletionRequest.model_validate(
        {"model": "zoneqa", "messages": [{"role": "user", "content": "q"}]} | fields
    )


# ---- the text of a reply ------------------------------------------------------------------------------
def test_answer_text_lists_its_sources_and_strips_back() -> None:
    text = answer_with_sources(ANSWER)
    assert text == (
        "Hangzhou hosted it [1].\n\nSources:\n"
        "[1] Zones report, p. 5 (zones.pdf): \u201cHangzhou hosted the 2016 G20 summit.\u201d"
    )
    assert strip_sources(text) == ANSWER.answer
    refusal = answer_with_sources(REFUSAL)
    assert refusal.startswith(REFUSAL.answer) and "Zones report; Ports." in refusal and SOURCES_HEADING not in refusal
    assert strip_sources(refusal) == REFUSAL.answer
    no_page = ANSWER.model_copy(update={"citations": [CITATION.model_copy(update={"page": None})]})
    assert "[1] Zones report (zones.pdf)" in answer_with_sources(no_page)
    assert strip_sources("  a plain reply  ") == "a plain reply"


@given(st.text(max_size=300))
def test_split_content_gives_the_text_back(text: str) -> None:
    assert "".join(split_content(text)) == text


# ---- parameters -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"n": 2}, "n"),
        ({"n": 0}, "n"),
        ({"logprobs": True}, "logprobs"),
        ({"top_logprobs": 2}, "top_logprobs"),
        ({"tools": [{"type": "function"}]}, "tools"),
        ({"tool_choice": "auto"}, "tool_choice"),
        ({"functions": [{"name": "f"}]}, "functions"),
        ({"response_format": {"type": "json_schema"}}, "response_format"),
        ({"modalities": ["text", "audio"]}, "modalities"),
        ({"audio": {"voice": "alloy"}}, "audio"),
        ({"frobnicate": 1}, "frobnicate"),
    ],
)
def test_unsupported_parameters_are_refused(fields: dict[str, Any], param: str) -> None:
    with pytest.raises(ChatRequestError) as refused:
        check_supported(request(**fields))
    assert refused.value.status == 400 and refused.value.param == param and refused.value.message


def test_sampling_parameters_are_accepted() -> None:
    check_supported(
        request(
            n=1,
            logprobs=False,
            tools=[],
            temperature=0.3,
            top_p=0.9,
            max_tokens=10,
            seed=3,
            stop=["\n"],
            user="u",
            metadata={"a": "b"},
            store=False,
            stream_options={"include_usage": True},
            response_format={"type": "text"},
            modalities=["text"],
            parallel_tool_calls=False,
        )
    )


# ---- messages ------------------------------------------------------------------------------------------------
def messages(*pairs: tuple[str, Any]) -> list[ChatMessage]:
    return [ChatMessage(role=role, content=content) for role, content in pairs]  # type: ignore[arg-type]


def test_conversation_question_and_history() -> None:
    question, history = conversation(
        messages(
            ("system", "You are helpful."),
            ("user", "What roadmap did APEC produce?"),
            ("assistant", answer_with_sources(ANSWER)),
            ("assistant", None),
            ("user", [{"type": "text", "text": "How many"}, {"type": "text", "text": "members  reached it?"}]),
        )
    )
    assert question == "How many members reached it?"
    assert [(turn.role, turn.content) for turn in history] == [
        ("user", "What roadmap did APEC produce?"),
        ("assistant", ANSWER.answer),  # what was said, without the source list
    ]


def test_conversation_keeps_the_latest_turns_and_trims_long_ones() -> None:
    many = [("user", f"question {i}") for i in range(30)] + [("assistant", "x" * (MAX_TURN_CHARS + 5)), ("user", "q?")]
    _question, history = conversation(messages(*many))
    assert len(history) == 20 and history[0].content == "question 11"
    assert len(history[-1].content) == MAX_TURN_CHARS


@pytest.mark.parametrize(
    ("pairs", "needle"),
    [
        ([("user", "q"), ("assistant", "a")], "last message"),
        ([("user", "   ")], "empty"),
        ([("user", "x" * 2001)], "2001 characters"),
        ([("tool", "{}"), ("user", "q")], "tool messages"),
        ([("user", [{"type": "image_url", "image_url": {"url": "data:,"}}])], "image_url"),
        ([("user", [{"type": "text", "text": 3}])], "'text'"),
    ],
)
def test_conversations_zoneqa_cannot_answer(pairs: list[tuple[str, Any]], needle: str) -> None:
    with pytest.raises(ChatRequestError, match=needle) as refused:
        conversation(messages(*pairs))
    assert refused.value.status == 400


# ---- replies and chunks -------------------------------------------------------------------------------------
def test_plain_reply_and_chunks_carry_the_same_content() -> None:
    meta: dict[str, Any] = {"model": "zoneqa", "completion_id": "chatcmpl-1", "created": 7}
    completion = to_completion(ANSWER, pieces=2, **meta)
    message = completion.choices[0].message
    assert message.content == answer_with_sources(ANSWER) and message.citations == [CITATION]
    assert completion.usage.completion_tokens == 2 and completion.zoneqa == ANSWER
    chunks = list(content_chunks(ANSWER, pieces=2, include_usage=True, **meta))
    text = "".join(chunk["choices"][0]["delta"].get("content", "") for chunk in chunks if chunk["choices"])
    assert text == message.content
    last, usage = chunks[-2], chunks[-1]
    assert last["choices"][0]["finish_reason"] == "stop" and last["choices"][0]["delta"]["citations"][0]["page"] == 5
    assert last["zoneqa"]["answerable"] is True
    assert usage["choices"] == [] and usage["usage"]["total_tokens"] == 2
    assert all(chunk["object"] == "chat.completion.chunk" and chunk["id"] == "chatcmpl-1" for chunk in chunks)
    refused = list(content_chunks(REFUSAL, pieces=1, **meta))
    assert refused[-1]["choices"][0]["delta"]["citations"] == [] and refused[-1]["zoneqa"]["answerable"] is False


# ---- the /v1 error shape -----------------------------------------------------------------------------------
def test_reshape_adds_the_openai_error_object() -> None:
    body = json.loads(
        reshape(422, json.dumps({"detail": "bad", "request_id": "r", "errors": [{"loc": ["body", "n"]}]}).encode())
    )
    assert body["error"] == {"message": "bad", "type": "invalid_request_error", "code": "invalid_value", "param": "n"}
    assert body["detail"] == "bad" and body["request_id"] == "r" and body["errors"]
    already = json.dumps({"error": {"message": "m", "type": "t"}, "detail": "m", "request_id": "r"}).encode()
    assert reshape(400, already) == already
    text = json.loads(reshape(502, b"Bad gateway"))
    assert text["error"]["type"] == "server_error" and text["detail"] == "Bad gateway"
    assert json.loads(reshape(429, b'{"detail": "slow down"}'))["error"]["code"] == "rate_limit_exceeded"


def test_error_shape_applies_under_v1_only() -> None:
    app = FastAPI()

    @app.get("/v1/fail")
    def fail_v1() -> None:
        raise HTTPException(401, "who are you")

    @app.get("/other/fail")
    def fail_other() -> None:
        raise HTTPException(401, "who are you")

    @app.get("/v1/ok")
    def ok() -> dict[str, str]:
        return {"detail": "fine"}

    app.add_middleware(OpenAIErrorShape)
    with TestClient(app) as client:
        v1 = client.get("/v1/fail")
        assert v1.status_code == 401 and v1.json()["error"]["type"] == "authentication_error"
        assert int(v1.headers["content-length"]) == len(v1.content)
        assert "error" not in client.get("/other/fail").json()
        assert client.get("/v1/ok").json() == {"detail": "fine"}
        assert client.get("/v1/missing").json()["error"]["type"] == "not_found_error"


# ---- keys -----------------------------------------------------------------------------------------------------
def test_bearer_token_becomes_the_api_key() -> None:
    assert bearer_token("Bearer abc") == "abc" and bearer_token("bearer  abc ") == "abc"
    assert bearer_token("Basic abc") is None and bearer_token("Bearer ") is None and bearer_token(None) is None
    seen: list[str | None] = []

    async def echo(scope: Any, receive: Any, send: Any) -> None:
        seen.append(dict(scope["headers"]).get(b"x-api-key", b"").decode() or None)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    client = TestClient(BearerAsApiKey(echo))  # no `with`: no lifespan for this bare ASGI app
    client.get("/", headers={"Authorization": "Bearer from-bearer"})
    client.get("/", headers={"Authorization": "Bearer from-bearer", "X-API-Key": "from-header"})
    client.get("/", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert seen == ["from-bearer", "from-header", None]


def test_identify_callers() -> None:
    keys = KeyRing(["read-1"], [])
    caller = identify(keys, "read-1", "10.0.0.1")
    assert caller is not None and caller.role == "read" and caller.identity.startswith("key:")
    assert identify(keys, "wrong", "10.0.0.1") is None and identify(keys, None, None) is None
    open_caller = identify(KeyRing([], []), None, "10.0.0.1")
    assert open_caller is not None and open_caller.identity == "ip:10.0.0.1"


# ---- MCP tools over fake parts --------------------------------------------------------------------------------
class FakeCatalog:
    def documents(self) -> list[DocumentRecord]:
        return [DocumentRecord(source="zones.pdf", title="Zones report", sha256="0", chunks=3, pages=9)]

    def known_sources(self) -> list[str]:
        return ["zones.pdf"]

    def unknown(self, sources: list[str]) -> list[str]:
        return [source for source in sources if source != "zones.pdf"]


class FakeSearcher:
    def search(self, query: str, *, top_k: int | None = None, sources: Any = None) -> list[RetrievedChunk]:
        chunk = Chunk(
            chunk_id="c1",
            source="zones.pdf",
            title="Zones report",
            text="Hangzhou hosted the 2016 G20 summit.",
            chunk_index=0,
            char_start=0,
            char_end=36,
            sha256="0",
            page=5,
        )
        return [RetrievedChunk(chunk=chunk, score=0.5)][: top_k or 5]


class FakePipeline:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def answer(self, question: str, history: Any = None, sources: Any = None) -> Answer:
        self.calls.append({"question": question, "history": history, "sources": sources})
        if "down" in question:
            raise IndexUnavailableError("chroma at 127.0.0.1:1 is not answering")
        return ANSWER if "Hangzhou" in question else REFUSAL


class FakeHolder:
    def __init__(self) -> None:
        self.pipeline = FakePipeline()

    def parts(self) -> Any:
        return SimpleNamespace(catalog=FakeCatalog(), searcher=FakeSearcher(), pipeline=self.pipeline)

    def check_store(self) -> None:
        return None


def test_mcp_tools_in_process() -> None:
    holder = FakeHolder()
    server = build_mcp_server(holder, GenerationGate(enabled=True, queue=1, wait_seconds=1))  # type: ignore[arg-type]

    async def session() -> dict[str, Any]:
        async with Client(server) as client:
            return {
                "tools": (await client.list_tools()).tools,
                "ask": await client.call_tool(
                    "ask", {"question": "Who hosted it, Hangzhou?", "history": [{"role": "user", "content": "G20?"}]}
                ),
                "search": await client.call_tool("search_documents", {"query": "G20", "top_k": 1}),
                "documents": await client.call_tool("list_documents", {}),
                "typo": await client.call_tool("search_documents", {"query": "G20", "sources": ["typo.pdf"]}),
                "down": await client.call_tool("ask", {"question": "is it down?"}),
                "blank": await client.call_tool("ask", {"question": "   "}),
                "too_many": await client.call_tool("search_documents", {"query": "G20", "top_k": 99}),
            }

    results: dict[str, Any] = anyio.run(session)
    assert {tool.name for tool in results["tools"]} == {"search_documents", "ask", "list_documents"}
    assert all(tool.annotations and tool.annotations.read_only_hint for tool in results["tools"])
    answer = results["ask"].structured_content
    assert answer["answerable"] and answer["citations"] == [
        {"n": 1, "source": "zones.pdf", "title": "Zones  report", "page": 5, "section": None, "quote": CITATION.quote}
    ]
    assert results["ask"].content[0].text == answer_with_sources(ANSWER)
    assert holder.pipeline.calls[0]["history"][0].content == "G20?"
    assert results["search"].structured_content["results"][0]["page"] == 5
    assert results["documents"].structured_content["documents"][0]["pages"] == 9
    for name, needle in (("typo", "typo.pdf"), ("down", "not answering"), ("blank", "empty"), ("too_many", "top_k")):
        assert results[name].is_error and needle in results[name].content[0].text, name


# ---- LangChain input -------------------------------------------------------------------------------------------
def test_chain_input_forms() -> None:
    assert _query("q") == ("q", None, None, None)
    question, history, sources, top_k = _query(
        {"question": "q", "history": [{"role": "user", "content": "a"}], "sources": ["a.pdf"], "top_k": 3}
    )
    assert question == "q" and history and history[0].content == "a" and sources == ["a.pdf"] and top_k == 3
    with pytest.raises(TypeError, match="question"):
        _query({"text": "q"})
    with pytest.raises(TypeError, match="unknown input keys"):
        _query({"question": "q", "k": 3})
    with pytest.raises(TypeError):
        _query(3)


# ---- the stream's end: failures and clients that leave ------------------------------------------------------
class FakeRequest:
    def __init__(self, leaves_after: int | None = None) -> None:
        self.state = SimpleNamespace(request_id="req-1")
        self.checks = 0
        self.leaves_after = leaves_after

    async def is_disconnected(self) -> bool:
        self.checks += 1
        return self.leaves_after is not None and self.checks > self.leaves_after


class Events:
    """A pipeline stream: a few token events, then a failure (or the answer)."""

    def __init__(self, fail: bool) -> None:
        self.fail = fail
        self.closed = False
        self.sent = 0

    def __iter__(self) -> Events:
        return self

    def __next__(self) -> Any:
        self.sent += 1
        if self.sent <= 2:
            return SimpleNamespace(kind="token", text="piece ", answer=None)
        if self.fail:
            raise IndexUnavailableError("gone")
        if self.sent == 3:
            return SimpleNamespace(kind="answer", text="", answer=ANSWER)
        raise StopIteration

    def close(self) -> None:
        self.closed = True


class DownHolder:
    def check_store(self) -> None:
        raise IndexUnavailableError("chroma at 127.0.0.1:1 is not answering")


def run_stream(request: FakeRequest, events: Events) -> tuple[list[str], list[bool]]:
    released: list[bool] = []
    metrics = SimpleNamespace(observe_answer=lambda answerable, pieces: None)
    state = SimpleNamespace(metrics=metrics, pipelines=DownHolder())
    meta = {"model": "zoneqa", "completion_id": "chatcmpl-1", "created": 1}

    async def collect() -> list[str]:
        return [part async for part in _chunks(request, events, lambda: released.append(True), state, meta, False)]

    return anyio.run(collect), released


def test_stream_failure_is_one_openai_error_chunk_then_done() -> None:
    events = Events(fail=True)
    parts, released = run_stream(FakeRequest(), events)
    error = json.loads(parts[-2].removeprefix("data: "))
    assert error["error"]["type"] == "server_error" and "not answering" in error["error"]["message"]
    assert error["request_id"] == "req-1" and parts[-1] == "data: [DONE]\n\n"
    assert events.closed and released == [True]


def test_stream_stops_the_generation_when_the_client_leaves() -> None:
    events = Events(fail=False)
    parts, released = run_stream(FakeRequest(leaves_after=1), events)
    assert len(parts) == 1 and '"role": "assistant"' in parts[0]  # the role chunk, then nothing
    assert events.closed and released == [True] and events.sent == 1


def test_stream_sends_the_checked_answer() -> None:
    parts, released = run_stream(FakeRequest(), Events(fail=False))
    chunks = [json.loads(part.removeprefix("data: ")) for part in parts[:-1]]
    text = "".join(chunk["choices"][0]["delta"].get("content", "") for chunk in chunks)
    assert text == answer_with_sources(ANSWER) and parts[-1] == "data: [DONE]\n\n" and released == [True]


# ---- the route over fake parts: the LLM gate and the index, as /ask has them -------------------------------
class FakeRagPipeline:
    model_name = "extractive"

    def stream(self, question: str, **options: Any) -> Any:
        from rag.pipeline import StreamEvent

        yield StreamEvent("token", text="Hangzhou hosted it [1].")
        yield StreamEvent("answer", answer=ANSWER)


@pytest.fixture()
def fake_app(tmp_path: Any) -> Any:
    from api.main import create_app
    from api.services.pipeline import PipelineHolder
    from tests.conftest import make_settings

    settings = make_settings(tmp_path / "data")
    app = create_app(settings)
    parts = SimpleNamespace(pipeline=FakeRagPipeline(), catalog=FakeCatalog())
    app.state.zoneqa.pipelines = PipelineHolder(settings, factory=lambda _settings: parts)  # type: ignore[arg-type,return-value]
    return app


def test_chat_completions_go_through_the_generation_gate(fake_app: Any) -> None:
    body = {"model": "zoneqa", "messages": [{"role": "user", "content": "Which city?"}]}
    client = TestClient(fake_app)  # no lifespan: the fake parts need no start-up
    assert client.post("/v1/chat/completions", json=body).json()["choices"][0]["message"]["citations"]
    gate = fake_app.state.zoneqa.gate = GenerationGate(enabled=True, queue=0, wait_seconds=0.05)
    running = gate.acquire()  # an LLM answer in progress, nobody may wait
    try:
        for stream in (False, True):
            busy = client.post("/v1/chat/completions", json=body | {"stream": stream})
            assert busy.status_code == 503 and busy.headers["Retry-After"]
            assert busy.json()["error"]["type"] == "server_error" and "busy" in busy.json()["error"]["message"]
    finally:
        running.release()
    streamed = client.post("/v1/chat/completions", json=body | {"stream": True})
    assert streamed.status_code == 200 and streamed.text.endswith("data: [DONE]\n\n")
    gate.acquire().release()  # the stream gave its slot back
