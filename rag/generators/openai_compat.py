"""Any OpenAI-compatible chat completions server (vLLM, Ollama, ``llama-server``) over plain httpx.

The ``openai`` package is not needed: the generator posts to ``{base_url}/chat/completions`` with
``"stream": true`` and reads the server-sent events with ``httpx-sse``.

Usage::

    gen = OpenAICompatGenerator(get_settings().openai)
    for piece in gen.stream([{"role": "user", "content": "What is a free zone?"}]):
        print(piece, end="", flush=True)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx
from httpx_sse import connect_sse

from core.errors import GeneratorError
from rag.generators.base import ChatMessage

if TYPE_CHECKING:
    from core.config import OpenAISettings

#: Rough characters per token for English text (no tokenizer is available for a remote model).
CHARS_PER_TOKEN_ESTIMATE = 4
#: The SSE payload that ends an OpenAI stream.
STREAM_DONE = "[DONE]"
#: Characters of an error response body quoted in a GeneratorError.
ERROR_BODY_CHARS = 300


class OpenAICompatGenerator:
    """Streams chat answers from an OpenAI-compatible server (thread-safe: httpx.Client is).

    Usage::

        gen = OpenAICompatGenerator(OpenAISettings(base_url="http://127.0.0.1:8080/v1"))
        text = "".join(gen.stream(messages, max_tokens=64))
    """

    def __init__(self, settings: OpenAISettings, *, client: httpx.Client | None = None) -> None:
        self._settings = settings
        self.name = settings.model
        self._url = settings.base_url.rstrip("/") + "/chat/completions"
        self._client = client or httpx.Client(
            timeout=settings.timeout_seconds,
            headers={"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {},
        )

    def stream(
        self, messages: list[ChatMessage], *, max_tokens: int | None = None, stop: list[str] | None = None
    ) -> Iterator[str]:
        """Yield content deltas; closing the iterator closes the HTTP response (the server stops)."""
        payload: dict[str, Any] = {
            "model": self._settings.model,
            "messages": [dict(message) for message in messages],
            "max_tokens": max_tokens or self._settings.max_tokens,
            "stream": True,
        }
        if stop:
            payload["stop"] = stop
        try:
            with connect_sse(self._client, "POST", self._url, json=payload) as source:
                response = source.response
                if response.status_code >= 400:
                    body = response.read().decode("utf-8", "replace")[:ERROR_BODY_CHARS]
                    raise GeneratorError(f"{self._url} answered HTTP {response.status_code}: {body}")
                for event in source.iter_sse():
                    if event.data.strip() == STREAM_DONE:
                        return
                    piece = self._delta(event.data)
                    if piece:
                        yield piece
        except httpx.TimeoutException as error:
            raise GeneratorError(f"{self._url} did not answer within {self._settings.timeout_seconds:g} s") from error
        except httpx.HTTPError as error:  # connection refused, DNS, protocol errors
            raise GeneratorError(
                f"Cannot reach the OpenAI-compatible server at {self._url}: {error}. "
                "Is it running (ZONEQA_OPENAI__BASE_URL)?"
            ) from error

    def _delta(self, data: str) -> str:
        try:
            chunk = json.loads(data)
        except ValueError as error:
            quoted = data[:ERROR_BODY_CHARS]
            raise GeneratorError(f"{self._url} sent a non-JSON stream event: {quoted!r}") from error
        if "error" in chunk:
            raise GeneratorError(f"{self._url} reported an error: {chunk['error']}")
        choices = chunk.get("choices") or []
        if not choices:  # e.g. a final usage-only chunk
            return ""
        return str((choices[0].get("delta") or {}).get("content") or "")

    def count_tokens(self, text: str) -> int:
        """A rough estimate (``len(text) // 4``, at least 1 for non-empty text)."""
        return max(1, len(text) // CHARS_PER_TOKEN_ESTIMATE) if text else 0

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()
