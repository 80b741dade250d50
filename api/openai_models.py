"""Bodies of the OpenAI-compatible routes under ``/v1`` (the subset of OpenAI's Chat Completions API ZoneQA speaks).

ZoneQA's own additions are marked as such: ``sources`` and ``top_k`` on the request, ``citations``
on the reply's message (and on the last stream chunk's ``delta``), ``zoneqa`` (the full
:class:`~core.schemas.Answer`, as ``POST /ask`` returns it) on the reply and the last chunk.

Usage::

    body = ChatCompletionRequest(model="zoneqa", messages=[{"role": "user", "content": "Which city ...?"}])
    ChatCompletion(id="chatcmpl-1", created=0, model="zoneqa", choices=[...])
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.models import EXAMPLE_QUOTE, EXAMPLE_TITLE, MAX_SOURCES, MAX_TOP_K
from core.schemas import Answer, Citation

#: The model id every OpenAI client sees; it stands for the generator the server is configured with.
MODEL_ID = "zoneqa"
MAX_MESSAGES = 200

EXAMPLE_QUESTION = "Which city hosted the 2016 G20 summit that adopted the G20 Global Investment Principles?"
EXAMPLE_SOURCE = "ftz-tenth-anniversary-pei-2024.pdf"
EXAMPLE_CONTENT = (
    f"{EXAMPLE_QUOTE[:-1]} [1].\n\nSources:\n[1] {EXAMPLE_TITLE}, p. 5 ({EXAMPLE_SOURCE}): \u201c{EXAMPLE_QUOTE}\u201d"
)

_EXAMPLE_CITATION = {
    "n": 1,
    "source": EXAMPLE_SOURCE,
    "title": EXAMPLE_TITLE,
    "page": 5,
    "chunk_id": "5d1c0c3e9a7b4f2e8c6a1b0d9e8f7a6b",
    "quote": EXAMPLE_QUOTE,
    "score": 1.0,
}

CHAT_COMPLETION_EXAMPLE: dict[str, Any] = {
    "id": "chatcmpl-5d1c0c3e9a7b4f2e8c6a1b0d",
    "object": "chat.completion",
    "created": 1735689600,
    "model": MODEL_ID,
    "system_fingerprint": None,
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": EXAMPLE_CONTENT,
                "refusal": None,
                "citations": [_EXAMPLE_CITATION],
            },
            "finish_reason": "stop",
            "logprobs": None,
        }
    ],
    "usage": {"prompt_tokens": 0, "completion_tokens": 1, "total_tokens": 1},
    "zoneqa": {
        "answer": EXAMPLE_QUOTE[:-1] + " [1].",
        "citations": [_EXAMPLE_CITATION],
        "answerable": True,
        "question_used": EXAMPLE_QUESTION,
        "model": "extractive",
    },
}


class ChatMessage(BaseModel):
    """One message of the conversation. Only text is understood: ``content`` is a string or a list of
    ``{"type": "text", "text": ...}`` parts. ``system`` and ``developer`` messages are accepted and
    ignored (ZoneQA's instructions are its own); ``tool`` and ``function`` messages get a 400."""

    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[dict[str, Any]] | None = None
    name: str | None = None


class ChatCompletionRequest(BaseModel):
    """A chat completion request. The last message must be the user's question; the earlier user and
    assistant messages are the conversation it follows (a follow-up is made standalone from them).

    Sampling parameters (`temperature`, `top_p`, `max_tokens`, `max_completion_tokens`, `seed`, `stop`,
    `presence_penalty`, `frequency_penalty`, `logit_bias`, `user`, `metadata`, `store`, `service_tier`,
    `reasoning_effort`, `parallel_tool_calls`) are accepted and ignored: the answer is made of checked
    sentences. Parameters that would change the reply's shape (`tools`, `tool_choice`, `functions`,
    `function_call`, `n` > 1, `logprobs`, `top_logprobs`, a non-text `response_format`, `audio`,
    `modalities` other than text, `prediction`, `web_search_options`) and unknown ones get a 400."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {"model": MODEL_ID, "messages": [{"role": "user", "content": EXAMPLE_QUESTION}]},
                {
                    "model": MODEL_ID,
                    "stream": True,
                    "messages": [
                        {"role": "system", "content": "You are a helpful assistant."},
                        {"role": "user", "content": "What is the Shanghai pilot free trade zone?"},
                        {"role": "assistant", "content": "It is China's first pilot FTZ, opened in 2013 [1]."},
                        {"role": "user", "content": "When was it expanded?"},
                    ],
                    "sources": [EXAMPLE_SOURCE],
                },
            ]
        },
    )

    model: str = Field(..., description=f"A model id from GET /v1/models (`{MODEL_ID}`).")
    messages: list[ChatMessage] = Field(..., min_length=1, max_length=MAX_MESSAGES)
    stream: bool | None = Field(False, description="Server-Sent Events in OpenAI's chunk format, ending `[DONE]`.")
    stream_options: dict[str, Any] | None = Field(None, description="`include_usage` adds a last chunk with usage.")
    n: int | None = Field(None, description="Only 1 is supported.")
    sources: list[str] | None = Field(
        None, max_length=MAX_SOURCES, description="ZoneQA: only search these documents (names from GET /documents)."
    )
    top_k: int | None = Field(None, ge=1, le=MAX_TOP_K, description="ZoneQA: passages to retrieve.")
    # Accepted and ignored (the answer is made of checked sentences, not sampled text).
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    seed: int | None = None
    stop: str | list[str] | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    user: str | None = None
    # Refused with a 400 when set (see the class description).
    tools: list[Any] | None = Field(None, description="Not supported (400).")
    tool_choice: Any | None = Field(None, description="Not supported (400).")
    logprobs: bool | None = Field(None, description="Not supported when true (400).")
    top_logprobs: int | None = Field(None, description="Not supported (400).")
    response_format: dict[str, Any] | None = Field(None, description='Only `{"type": "text"}` is supported.')


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "zoneqa"
    generator: str = Field(..., description="ZoneQA: the answer generator behind this model id.")


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "object": "list",
                    "data": [
                        {
                            "id": MODEL_ID,
                            "object": "model",
                            "created": 1735689600,
                            "owned_by": "zoneqa",
                            "generator": "extractive",
                        }
                    ],
                }
            ]
        }
    }


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str = Field(..., description="The checked answer with its [n] markers, then a numbered source list.")
    refusal: None = Field(None, description="Always null: when the documents do not answer, `content` says so.")
    citations: list[Citation] = Field(
        default_factory=list, description="ZoneQA: the [n] sources as structured data (empty on a refusal)."
    )


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"
    logprobs: None = None


class Usage(BaseModel):
    """Approximate: the LLM prompt's tokens (0 without an LLM) and the generated pieces."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    system_fingerprint: str | None = None
    choices: list[Choice]
    usage: Usage
    zoneqa: Answer = Field(..., description="ZoneQA: the answer object, as POST /ask returns it.")

    model_config = {"json_schema_extra": {"examples": [CHAT_COMPLETION_EXAMPLE]}}


class OpenAIError(BaseModel):
    message: str
    type: str = Field(..., description="invalid_request_error, authentication_error, rate_limit_error, server_error…")
    code: str | None = None
    param: str | None = None


class OpenAIErrorResponse(BaseModel):
    """OpenAI's error object, plus the rest of the API's `detail` and `request_id`."""

    error: OpenAIError
    detail: str
    request_id: str

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "error": {
                        "message": "n=2 is not supported: ZoneQA returns one checked answer (use n=1).",
                        "type": "invalid_request_error",
                        "code": "unsupported_parameter",
                        "param": "n",
                    },
                    "detail": "n=2 is not supported: ZoneQA returns one checked answer (use n=1).",
                    "request_id": "5f0c2a7e9b1d4c3a",
                }
            ]
        }
    }
