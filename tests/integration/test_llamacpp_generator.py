"""LLM generators: llama.cpp with the tiny SmolLM2 model, and the OpenAI-compatible client
against a small fake server."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from core.config import LlamaCppSettings, OpenAISettings
from core.errors import GeneratorError
from rag.generators.base import ChatMessage, ChatModel

QUESTION: list[ChatMessage] = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Name three colours of the rainbow."},
]


# ------------------------------------------------------------------------------------ llama.cpp


@pytest.fixture(scope="module")
def smol() -> Any:
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (pip install '.[llm]')")
    from rag.generators.llamacpp import LlamaCppGenerator
    from rag.llm_models import smollm_path

    try:
        model = smollm_path()
    except GeneratorError as missing:  # the message says how to install it
        pytest.skip(str(missing))

    settings = LlamaCppSettings.model_validate(
        {"n_ctx": 512, "n_threads": 2, "n_threads_batch": 2, "max_tokens": 24, "temperature": 0.0}
    )
    return LlamaCppGenerator(model, settings)


def test_llamacpp_streams_pieces_that_join_to_the_full_answer(smol: Any) -> None:
    as_protocol: object = smol  # keeps mypy from narrowing the fixture to the bare protocol
    assert isinstance(as_protocol, ChatModel)
    assert smol.name == "SmolLM2-135M-Instruct.Q4_1"
    smol.forget_prompt_cache()  # prefix reuse may change greedy output; compare two cold runs
    pieces = list(smol.stream(QUESTION))
    assert len(pieces) >= 3 and all(pieces)
    smol.forget_prompt_cache()
    assert "".join(pieces) == smol.complete(QUESTION)


# A long fixed system prompt, as the answer prompt has: what the prompt-state cache saves re-reading.
_LONG_SYSTEM = "You answer questions about free trade zones. " + "Use only the evidence given. " * 20


def _prompt_tokens_read(smol: Any, messages: list[ChatMessage]) -> int:
    """Prompt tokens llama.cpp evaluated to answer ``messages`` (its perf counter, reset before)."""
    import llama_cpp

    llama_cpp.llama_perf_context_reset(smol._llm.ctx)
    smol.complete(messages, max_tokens=2)
    return int(llama_cpp.llama_perf_context(smol._llm.ctx).n_p_eval)


def test_llamacpp_switching_prompts_restores_the_system_prompt_from_its_saved_state(smol: Any) -> None:
    """A follow-up condenses (one system prompt), then answers (another): back on the answer's
    system prompt, only the new user message is read; the saved states keep one logits row each."""
    answer_prompt: list[ChatMessage] = [{"role": "system", "content": _LONG_SYSTEM}, {"role": "user", "content": "Hi"}]
    condense_prompt: list[ChatMessage] = [
        {"role": "system", "content": "Rewrite the question as one standalone question."},
        {"role": "user", "content": "And the second one?"},
    ]
    follow_up: list[ChatMessage] = [
        {"role": "system", "content": _LONG_SYSTEM},
        {"role": "user", "content": "Which zone was first?"},
    ]
    system_tokens = smol.count_tokens(_LONG_SYSTEM)
    smol.forget_prompt_cache()
    assert _prompt_tokens_read(smol, answer_prompt) > system_tokens  # cold: everything is read
    _prompt_tokens_read(smol, condense_prompt)  # evicts the answer prompt from the context
    assert smol.cached_prompt_states == 2
    assert _prompt_tokens_read(smol, follow_up) < system_tokens / 4
    assert all(state.scores.shape[0] == 1 for state in smol._llm.cache.cache_state.values())


def test_llamacpp_without_prompt_states_reads_the_system_prompt_again(smol: Any) -> None:
    from rag.generators.llamacpp import LlamaCppGenerator

    off = LlamaCppGenerator(smol.model_path, smol._settings.model_copy(update={"prompt_states_mb": 0}))
    answer_prompt: list[ChatMessage] = [{"role": "system", "content": _LONG_SYSTEM}, {"role": "user", "content": "Hi"}]
    off.complete(answer_prompt, max_tokens=2)
    off.complete([{"role": "system", "content": "Reply briefly."}, {"role": "user", "content": "Hi"}], max_tokens=2)
    assert off.cached_prompt_states == 0
    assert _prompt_tokens_read(off, answer_prompt) > smol.count_tokens(_LONG_SYSTEM)


def test_llamacpp_closing_early_stops_and_the_model_stays_usable(smol: Any) -> None:
    stream = smol.stream(QUESTION, max_tokens=24)
    first = next(stream)
    stream.close()  # GeneratorExit inside: stops decoding and releases the lock
    assert first
    assert smol._lock.acquire(blocking=False)  # released, not leaked
    smol._lock.release()
    assert "".join(smol.stream(QUESTION, max_tokens=8))


def test_llamacpp_serialises_concurrent_requests(smol: Any) -> None:
    results: dict[int, str] = {}
    errors: list[BaseException] = []

    def ask(slot: int) -> None:
        try:
            results[slot] = "".join(smol.stream(QUESTION, max_tokens=8))
        except BaseException as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=ask, args=(slot,)) for slot in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert results[0].strip() and results[1].strip()


def test_llamacpp_counts_tokens_and_answers_yes_no(smol: Any) -> None:
    assert smol.count_tokens("Free trade zones reduce tariffs.") > 3
    assert smol.count_tokens("") == 0
    assert isinstance(smol.complete_yes_no("Is the sky blue on a clear day?"), bool)


def test_llamacpp_missing_model_is_a_clear_error(tmp_path: Any) -> None:
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    from rag.generators.llamacpp import LlamaCppGenerator

    with pytest.raises(GeneratorError, match="zoneqa models pull"):
        LlamaCppGenerator(tmp_path / "none.gguf", LlamaCppSettings.model_validate({}))


# ----------------------------------------------------------------------------- OpenAI-compatible


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def fake_openai() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A FastAPI app that streams the words of a canned answer as OpenAI SSE chunks."""
    app = FastAPI()
    requests: list[dict[str, Any]] = []

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Any:
        body = await request.json()
        requests.append({"body": body, "auth": request.headers.get("authorization")})
        if body["model"] == "broken":
            return JSONResponse({"error": {"message": "no such model"}}, status_code=404)

        def events() -> Iterator[str]:
            for word in ["Free ", "zones ", "cut ", "tariffs."]:
                chunk = {"choices": [{"index": 0, "delta": {"content": word}}]}
                yield f"data: {json.dumps(chunk)}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "fake OpenAI server did not start"
    yield f"http://127.0.0.1:{port}/v1", requests
    server.should_exit = True
    thread.join(timeout=10)


def test_openai_compat_streams_sse_deltas(fake_openai: tuple[str, list[dict[str, Any]]]) -> None:
    from rag.generators.openai_compat import OpenAICompatGenerator

    base_url, requests = fake_openai
    settings = OpenAISettings.model_validate({"base_url": base_url + "/", "model": "m", "api_key": "secret"})
    gen = OpenAICompatGenerator(settings)
    assert isinstance(gen, ChatModel)
    pieces = list(gen.stream([{"role": "user", "content": "Hi"}], max_tokens=7, stop=["\n"]))
    assert pieces == ["Free ", "zones ", "cut ", "tariffs."]
    sent = requests[-1]
    assert sent["auth"] == "Bearer secret"
    assert sent["body"]["stream"] is True
    assert sent["body"]["max_tokens"] == 7 and sent["body"]["stop"] == ["\n"]
    assert gen.count_tokens("x" * 40) == 10


def test_openai_compat_http_error_is_a_generator_error(fake_openai: tuple[str, list[dict[str, Any]]]) -> None:
    from rag.generators.openai_compat import OpenAICompatGenerator

    settings = OpenAISettings.model_validate({"base_url": fake_openai[0], "model": "broken"})
    gen = OpenAICompatGenerator(settings)
    with pytest.raises(GeneratorError, match="404"):
        list(gen.stream([{"role": "user", "content": "Hi"}]))


def test_openai_compat_unreachable_server_is_a_generator_error() -> None:
    from rag.generators.openai_compat import OpenAICompatGenerator

    closed_port_url = f"http://127.0.0.1:{_free_port()}/v1"
    settings = OpenAISettings.model_validate({"base_url": closed_port_url, "timeout_seconds": 5})
    gen = OpenAICompatGenerator(settings)
    with pytest.raises(GeneratorError, match="Cannot reach"):
        list(gen.stream([{"role": "user", "content": "Hi"}]))
