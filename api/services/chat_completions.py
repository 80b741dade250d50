"""OpenAI Chat Completions in ZoneQA's terms: messages to (question, history), an Answer to a reply or chunks.

Pure functions (no I/O), so the route stays thin and every rule can be tested on its own.

Usage::

    check_supported(body)                         # ChatRequestError (400) for tools, n>1, logprobs...
    question, history = conversation(body.messages)
    completion = to_completion(answer, pieces=3, model="zoneqa", completion_id=new_completion_id(), created=now)
    for chunk in content_chunks(answer, model="zoneqa", completion_id=..., created=...): ...
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator, Sequence
from typing import Any

from api.models import MAX_HISTORY_TURNS, MAX_QUESTION_CHARS
from api.openai_models import (
    AssistantMessage,
    ChatCompletion,
    ChatCompletionRequest,
    ChatMessage,
    Choice,
    Usage,
)
from api.services.answer_text import answer_with_sources, strip_sources
from core.schemas import Answer, ChatTurn

#: Longest earlier turn kept in the history (``ChatTurn`` allows no more).
MAX_TURN_CHARS = next(
    (int(rule.max_length) for rule in ChatTurn.model_fields["content"].metadata if hasattr(rule, "max_length")), 8000
)
#: Words per streamed content chunk.
WORDS_PER_CHUNK = 6
_PIECE = re.compile(r"\s*\S+\s*")

# Request fields accepted and ignored: sampling settings have no meaning for checked sentences.
IGNORED_PARAMETERS = frozenset(
    {
        "temperature",
        "top_p",
        "max_tokens",
        "max_completion_tokens",
        "seed",
        "stop",
        "presence_penalty",
        "frequency_penalty",
        "logit_bias",
        "user",
        "metadata",
        "store",
        "service_tier",
        "reasoning_effort",
        "parallel_tool_calls",
        "stream_options",
        "verbosity",
        "safety_identifier",
        "prompt_cache_key",
    }
)
# Request fields that would change what the reply is: refused, never silently dropped.
_REFUSED_IF_SET = {
    "tools": "tools are not supported: ZoneQA answers from its documents and calls no functions.",
    "tool_choice": "tool_choice is not supported: ZoneQA calls no tools.",
    "functions": "functions are not supported: ZoneQA calls no functions.",
    "function_call": "function_call is not supported: ZoneQA calls no functions.",
    "top_logprobs": "top_logprobs is not supported: the answer is made of checked sentences, not sampled tokens.",
    "audio": "audio output is not supported: ZoneQA answers in text.",
    "prediction": "prediction is not supported.",
    "web_search_options": "web search is not supported: ZoneQA answers from its own documents only.",
}


class ChatRequestError(Exception):
    """A request the OpenAI-compatible API refuses, with OpenAI's ``code`` and ``param``."""

    def __init__(self, message: str, *, status: int = 400, code: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.param = param


def _unsupported(param: str, message: str) -> ChatRequestError:
    return ChatRequestError(message, code="unsupported_parameter", param=param)


def check_supported(body: ChatCompletionRequest) -> None:
    """Raise :class:`ChatRequestError` for a parameter ZoneQA cannot honour (never ignore it silently)."""
    if body.n is not None and body.n != 1:
        raise _unsupported("n", f"n={body.n} is not supported: ZoneQA returns one checked answer (use n=1).")
    if body.logprobs:
        raise _unsupported("logprobs", "logprobs are not supported: the answer is made of checked sentences.")
    fields = body.model_dump(exclude_none=True)
    extra = dict(body.model_extra or {})
    for name, message in _REFUSED_IF_SET.items():
        value = fields.get(name, extra.get(name))
        if value not in (None, [], {}):
            raise _unsupported(name, message)
    response_format = body.response_format or {}
    if response_format and response_format.get("type", "text") != "text":
        kind = response_format.get("type")
        raise _unsupported("response_format", f"response_format {kind!r} is not supported: only text answers.")
    modalities = extra.get("modalities")
    if modalities not in (None, ["text"], ("text",)):
        raise _unsupported("modalities", f"modalities {modalities!r} are not supported: only ['text'].")
    unknown = sorted(set(extra) - IGNORED_PARAMETERS - set(_REFUSED_IF_SET) - {"modalities"})
    if unknown:
        raise ChatRequestError(
            f"Unrecognized request argument supplied: {', '.join(unknown)}.", code="unknown_parameter", param=unknown[0]
        )


def _text(message: ChatMessage, index: int) -> str:
    """The text of a message; 400 for images, audio, files (ZoneQA reads text only)."""
    content = message.content
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    parts: list[str] = []
    for part in content:
        if part.get("type") != "text" or not isinstance(part.get("text"), str):
            kind = part.get("type")
            raise ChatRequestError(
                f"messages[{index}]: content parts of type {kind!r} are not supported: send text.",
                code="unsupported_content",
                param=f"messages[{index}].content",
            )
        parts.append(part["text"])
    return "\n".join(parts)


def conversation(messages: Sequence[ChatMessage]) -> tuple[str, list[ChatTurn]]:
    """The question (the last message, which must be the user's) and the history before it.

    System and developer messages are skipped; assistant replies lose their source list (it is not
    part of what was said); only the latest :data:`~api.models.MAX_HISTORY_TURNS` turns are kept.
    """
    last_index = len(messages) - 1
    last = messages[last_index]
    if last.role != "user":
        raise ChatRequestError(
            f"The last message must be the user's question (it is a {last.role!r} message).",
            code="invalid_messages",
            param="messages",
        )
    question = " ".join(_text(last, last_index).split())
    if not question:
        raise ChatRequestError("The last user message is empty.", code="invalid_messages", param="messages")
    if len(question) > MAX_QUESTION_CHARS:
        raise ChatRequestError(
            f"The question is {len(question)} characters long; at most {MAX_QUESTION_CHARS} are allowed.",
            code="question_too_long",
            param="messages",
        )
    history: list[ChatTurn] = []
    for index, message in enumerate(messages[:last_index]):
        if message.role in ("system", "developer"):
            continue
        if message.role in ("tool", "function"):
            raise ChatRequestError(
                f"messages[{index}]: {message.role} messages are not supported: ZoneQA calls no tools.",
                code="unsupported_parameter",
                param=f"messages[{index}].role",
            )
        text = _text(message, index)
        if message.role == "assistant":
            text = strip_sources(text)
        text = text.strip()[:MAX_TURN_CHARS]
        if text:
            history.append(ChatTurn(role="user" if message.role == "user" else "assistant", content=text))
    return question, history[-MAX_HISTORY_TURNS:]


def new_completion_id() -> str:
    return f"chatcmpl-{secrets.token_hex(12)}"


def usage(answer: Answer, pieces: int) -> Usage:
    prompt = answer.prompt_tokens or 0
    return Usage(prompt_tokens=prompt, completion_tokens=pieces, total_tokens=prompt + pieces)


def to_completion(answer: Answer, *, pieces: int, model: str, completion_id: str, created: int) -> ChatCompletion:
    """The non-streamed reply: one assistant message with the answer, its sources and its citations."""
    message = AssistantMessage(content=answer_with_sources(answer), citations=answer.citations)
    return ChatCompletion(
        id=completion_id,
        created=created,
        model=model,
        choices=[Choice(message=message)],
        usage=usage(answer, pieces),
        zoneqa=answer,
    )


def split_content(text: str, words: int = WORDS_PER_CHUNK) -> list[str]:
    """``text`` in pieces of a few words each; joined, they give ``text`` back exactly."""
    pieces = _PIECE.findall(text)
    if "".join(pieces) != text:  # only whitespace: send it as it is
        return [text] if text else []
    return ["".join(pieces[start : start + words]) for start in range(0, len(pieces), words)]


def _chunk(completion_id: str, created: int, model: str, delta: dict[str, Any], **extra: Any) -> dict[str, Any]:
    finish_reason = extra.pop("finish_reason", None)
    return {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "system_fingerprint": None,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
        **extra,
    }


def role_chunk(*, model: str, completion_id: str, created: int) -> dict[str, Any]:
    """The first chunk, sent at once: the assistant's role and no text yet."""
    return _chunk(completion_id, created, model, {"role": "assistant", "content": ""})


def content_chunks(
    answer: Answer, *, pieces: int, model: str, completion_id: str, created: int, include_usage: bool = False
) -> Iterator[dict[str, Any]]:
    """The reply's text in pieces, then the last chunk (``finish_reason`` stop, the citations, the
    Answer) and, when asked for, a usage chunk with no choices (OpenAI's ``include_usage``)."""
    for piece in split_content(answer_with_sources(answer)):
        yield _chunk(completion_id, created, model, {"content": piece})
    citations = [citation.model_dump(mode="json") for citation in answer.citations]
    yield _chunk(
        completion_id,
        created,
        model,
        {"citations": citations},
        finish_reason="stop",
        zoneqa=answer.model_dump(mode="json"),
    )
    if include_usage:
        final = _chunk(completion_id, created, model, {}, usage=usage(answer, pieces).model_dump())
        final["choices"] = []
        yield final


def sse_data(payload: dict[str, Any] | str) -> str:
    """One Server-Sent Event as OpenAI sends them: a ``data:`` line, no event name."""
    data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return f"data: {data}\n\n"


# ---- error objects --------------------------------------------------------------------------------
#: OpenAI's error ``type`` and ``code`` for each status the API answers with.
ERROR_KINDS: dict[int, tuple[str, str | None]] = {
    400: ("invalid_request_error", None),
    401: ("authentication_error", "invalid_api_key"),
    403: ("permission_error", "insufficient_permissions"),
    404: ("not_found_error", "not_found"),
    405: ("invalid_request_error", "method_not_allowed"),
    413: ("invalid_request_error", "request_too_large"),
    415: ("invalid_request_error", "unsupported_media_type"),
    422: ("invalid_request_error", "invalid_value"),
    429: ("rate_limit_error", "rate_limit_exceeded"),
    500: ("server_error", "internal_error"),
    503: ("server_error", "service_unavailable"),
}


def error_object(status: int, message: str, *, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    """OpenAI's ``{"message", "type", "code", "param"}`` for an error of ``status``."""
    kind, default_code = ERROR_KINDS.get(status, ("server_error" if status >= 500 else "invalid_request_error", None))
    return {"message": message, "type": kind, "code": code or default_code, "param": param}


def param_of(errors: Sequence[dict[str, Any]]) -> str | None:
    """The request field a validation error points at (``messages.0.role``), skipping ``body``."""
    for error in errors:
        location = [str(part) for part in error.get("loc", ()) if part != "body"]
        if location:
            return ".".join(location)
    return None
