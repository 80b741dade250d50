"""The real ``openai`` Python client against a live uvicorn ZoneQA (``base_url=.../v1``).

* ``client``: the session's open API server (no keys), for answers, refusals, streams, follow-ups
  and the unsupported parameters.
* ``keyed_api_server``: the same index behind keys, for the SDK's AuthenticationError, the Bearer
  key and the rate limit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from openai import OpenAI

from api.testing import ApiServer
from rag.pipeline import REFUSAL_TEXT
from tests.conftest import KEYED_RATE_LIMIT_PER_MINUTE, LIMITED_KEY, READ_KEY

QUESTION = "Which city hosted the 2016 G20 summit that adopted the G20 Global Investment Principles?"
OFF_CORPUS = "What is the boiling point of liquid nitrogen?"
APEC_QUESTION = "What roadmap did the 2014 APEC meeting in Beijing produce?"
TIMEOUT = 120.0


def sdk(server: ApiServer, key: str = "not-needed", **options: Any) -> OpenAI:
    return OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0, timeout=TIMEOUT, **options)


@pytest.fixture(scope="module")
def client(api_server: ApiServer) -> Iterator[OpenAI]:
    with sdk(api_server) as opened:
        yield opened


def ask(client: OpenAI, content: str, **options: Any) -> Any:
    return client.chat.completions.create(model="zoneqa", messages=[{"role": "user", "content": content}], **options)


def extra(model: Any, name: str) -> Any:
    """A ZoneQA field the SDK's models keep as an extra (``citations``, ``zoneqa``)."""
    return (model.model_extra or {})[name]


def streamed(client: OpenAI, messages: list[dict[str, Any]], **options: Any) -> tuple[str, list[Any]]:
    chunks = list(client.chat.completions.create(model="zoneqa", messages=messages, stream=True, **options))
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    return text, chunks


# ---- answers ----------------------------------------------------------------------------------------
def test_models_lists_the_configured_generator(client: OpenAI) -> None:
    models = client.models.list()
    assert [model.id for model in models.data] == ["zoneqa"]
    assert extra(models.data[0], "generator") == "extractive"
    assert client.models.retrieve("zoneqa").id == "zoneqa"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4o")


def test_cited_answer_plain_and_streamed(client: OpenAI) -> None:
    reply = ask(client, QUESTION)
    assert reply.object == "chat.completion" and reply.model == "zoneqa"
    choice = reply.choices[0]
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    content = choice.message.content
    assert content and "Hangzhou" in content.split("\n\nSources:\n")[0] and "[1]" in content
    citations = extra(choice.message, "citations")
    assert citations and {"source", "page", "quote", "title", "n"} <= set(citations[0])
    for citation in citations:
        # Any chat window shows the sources: each one is listed, with its page and sentence, under the answer.
        assert f"[{citation['n']}]" in content and " ".join(citation["quote"].split()) in content
    pdf = next(c for c in citations if c["source"] == "ftz-tenth-anniversary-pei-2024.pdf")
    assert f", p. {pdf['page']} (" in content
    answer = extra(reply, "zoneqa")
    assert answer["answerable"] is True and answer["citations"] == citations

    text, chunks = streamed(client, [{"role": "user", "content": QUESTION}])
    assert text == content  # the reassembled stream is the plain reply
    assert chunks[0].choices[0].delta.role == "assistant"
    assert {chunk.id for chunk in chunks} == {chunks[0].id} and chunks[0].object == "chat.completion.chunk"
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert [(c["n"], c["source"], c["page"], c["quote"]) for c in extra(last.choices[0].delta, "citations")] == [
        (c["n"], c["source"], c["page"], c["quote"]) for c in citations
    ]
    assert extra(last, "zoneqa")["answerable"] is True


def test_off_corpus_question_is_refused_as_a_plain_message(client: OpenAI) -> None:
    reply = ask(client, OFF_CORPUS)
    message = reply.choices[0].message
    assert message.content and message.content.startswith(REFUSAL_TEXT)
    assert message.refusal is None and extra(message, "citations") == []
    assert not re.search(r"\[\d+\]", message.content)
    assert extra(reply, "zoneqa")["answerable"] is False
    text, chunks = streamed(client, [{"role": "user", "content": OFF_CORPUS}])
    assert text == message.content and chunks[-1].choices[0].finish_reason == "stop"


def test_follow_up_uses_the_conversation(client: OpenAI) -> None:
    first = ask(client, APEC_QUESTION).choices[0].message.content
    assert first and "Roadmap" in first
    messages = [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": APEC_QUESTION},
        {"role": "assistant", "content": first},  # the reply as the client got it, sources and all
        {"role": "user", "content": "How many members reached it?"},
    ]
    reply = client.chat.completions.create(model="zoneqa", messages=messages)
    answer = extra(reply, "zoneqa")
    assert answer["answerable"] and "APEC" in answer["question_used"]
    assert re.search(r"\b21\b", reply.choices[0].message.content or "")
    alone = extra(ask(client, "How many members reached it?"), "zoneqa")
    assert alone["question_used"] == "How many members reached it?"


def test_sources_restriction_travels_as_an_extra_field(client: OpenAI) -> None:
    only = "free-zone-congress-2025.txt"
    reply = ask(client, "What is the World Free Zones Congress?", extra_body={"sources": [only]})
    citations = extra(reply.choices[0].message, "citations")
    assert {citation["source"] for citation in citations} <= {only}
    with pytest.raises(openai.UnprocessableEntityError) as refused:
        ask(client, QUESTION, extra_body={"sources": ["typo.pdf"]})
    assert "typo.pdf" in refused.value.body["message"]


# ---- what is refused, and how ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("options", "param"),
    [
        ({"n": 2}, "n"),
        ({"tools": [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]}, "tools"),
        ({"logprobs": True}, "logprobs"),
        ({"response_format": {"type": "json_object"}}, "response_format"),
        ({"extra_body": {"frobnicate": True}}, "frobnicate"),
    ],
)
def test_unsupported_parameters_get_a_clear_400(client: OpenAI, options: dict[str, Any], param: str) -> None:
    with pytest.raises(openai.BadRequestError) as refused:
        ask(client, QUESTION, **options)
    error = refused.value.body
    assert isinstance(error, dict) and error["type"] == "invalid_request_error" and error["param"] == param
    assert error["message"] and refused.value.status_code == 400


def test_ignored_sampling_parameters_still_answer(client: OpenAI) -> None:
    reply = ask(client, QUESTION, temperature=0.2, max_tokens=50, seed=1, user="me", n=1)
    assert "Hangzhou" in (reply.choices[0].message.content or "")
    text, chunks = streamed(client, [{"role": "user", "content": QUESTION}], stream_options={"include_usage": True})
    assert text and chunks[-1].choices == [] and chunks[-1].usage is not None


def test_messages_zoneqa_cannot_answer_from(client: OpenAI) -> None:
    last_is_assistant = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": "Hangzhou."}]
    with pytest.raises(openai.BadRequestError, match="last message"):
        client.chat.completions.create(model="zoneqa", messages=last_is_assistant)
    image = [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}}]}]
    with pytest.raises(openai.BadRequestError, match="image_url"):
        client.chat.completions.create(model="zoneqa", messages=image)
    with pytest.raises(openai.NotFoundError) as unknown:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": QUESTION}])
    assert unknown.value.body["code"] == "model_not_found"
    parts = [{"role": "user", "content": [{"type": "text", "text": QUESTION}]}]
    reply = client.chat.completions.create(model="zoneqa", messages=parts)
    assert "Hangzhou" in (reply.choices[0].message.content or "")


def test_errors_have_openai_and_zoneqa_shapes(api_server: ApiServer) -> None:
    """Whoever answers (validation, the body limit, an unknown route), a /v1 error has both shapes."""
    with httpx.Client(base_url=api_server.url, timeout=TIMEOUT) as http:
        cases = [
            http.post("/v1/chat/completions", json={"model": "zoneqa", "messages": []}),
            http.post("/v1/chat/completions", json={"model": "zoneqa", "messages": [{"content": "x" * 70_000}]}),
            http.post("/v1/chat/completions", content=b"model=zoneqa", headers={"content-type": "text/plain"}),
            http.get("/v1/no-such-route"),
        ]
        assert [response.status_code for response in cases] == [422, 413, 415, 404]
        kinds = ["invalid_request_error"] * 3 + ["not_found_error"]
        for response, kind in zip(cases, kinds, strict=True):
            body = response.json()
            assert body["error"]["type"] == kind and body["error"]["message"] == body["detail"]
            assert body["request_id"] == response.headers["X-Request-ID"]
        assert cases[0].json()["error"]["param"] == "messages"
        assert http.post("/ask", json={}).json().get("error") is None  # the rest of the API is unchanged


# ---- keys and limits ---------------------------------------------------------------------------------
def test_wrong_key_is_an_authentication_error(keyed_api_server: ApiServer) -> None:
    with sdk(keyed_api_server, key="wrong-key") as stranger, pytest.raises(openai.AuthenticationError) as refused:
        ask(stranger, QUESTION)
    assert refused.value.status_code == 401 and refused.value.body["type"] == "authentication_error"
    with sdk(keyed_api_server, key=READ_KEY) as reader:  # the SDK sends it as Authorization: Bearer
        assert "Hangzhou" in (ask(reader, QUESTION).choices[0].message.content or "")
        text, _chunks = streamed(reader, [{"role": "user", "content": QUESTION}])
        assert "Hangzhou" in text
    with httpx.Client(base_url=keyed_api_server.url, timeout=TIMEOUT) as http:
        assert http.get("/v1/models", headers={"X-API-Key": READ_KEY}).status_code == 200
        assert http.get("/documents", headers={"Authorization": f"Bearer {READ_KEY}"}).status_code == 200
        assert http.get("/documents", headers={"Authorization": "Bearer wrong-key"}).status_code == 401


def test_rate_limit_is_the_sdk_rate_limit_error(keyed_api_server: ApiServer) -> None:
    with sdk(keyed_api_server, key=LIMITED_KEY) as limited:
        with pytest.raises(openai.RateLimitError) as refused:
            for _ in range(KEYED_RATE_LIMIT_PER_MINUTE + 10):
                limited.models.list()
        assert int(refused.value.response.headers["Retry-After"]) >= 1
        assert refused.value.body["code"] == "rate_limit_exceeded"


def test_openapi_page_shows_the_v1_routes(api_server: ApiServer) -> None:
    spec = httpx.get(f"{api_server.url}/openapi.json", timeout=TIMEOUT).json()
    chat = spec["paths"]["/v1/chat/completions"]["post"]
    assert {"/v1/models", "/v1/models/{model}"} <= set(spec["paths"]) and chat["tags"] == ["openai"]
    content = chat["responses"]["200"]["content"]
    assert content["application/json"]["example"]["choices"][0]["message"]["citations"]
    assert "data: [DONE]" in content["text/event-stream"]["example"]
    assert {"400", "401", "404", "413", "422", "429"} <= set(chat["responses"])
    request_schema = spec["components"]["schemas"]["ChatCompletionRequest"]
    assert request_schema["examples"][0]["model"] == "zoneqa"
    assert "HTTPBearer" in spec["components"]["securitySchemes"]


def test_stream_chunks_are_openai_sse(api_server: ApiServer) -> None:
    """Byte level: ``data:`` lines without event names, JSON chunks, ``data: [DONE]`` last."""
    body = {"model": "zoneqa", "stream": True, "messages": [{"role": "user", "content": QUESTION}]}
    with httpx.Client(base_url=api_server.url, timeout=TIMEOUT) as http:
        response = http.post("/v1/chat/completions", json=body)
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [block for block in response.text.split("\n\n") if block.strip()]
    assert events[-1] == "data: [DONE]"
    payloads = [json.loads(event.removeprefix("data: ")) for event in events[:-1] if not event.startswith(":")]
    assert all(event.startswith(("data: ", ":")) for event in events)
    assert payloads[-1]["choices"][0]["finish_reason"] == "stop" and payloads[-1]["zoneqa"]["answerable"]
