"""``Authorization: Bearer <key>`` is accepted wherever ``X-API-Key: <key>`` is.

OpenAI clients (``OpenAI(api_key=...)``) and MCP clients send their key as a Bearer token. This
outermost ASGI layer hands such a token on as ``X-API-Key`` when that header is absent, so the key
check before the body is read (``api.security.AuthGate``), the route dependencies
(``api.deps.authenticate``) and the rate limit all see one key, whichever header carried it.
``X-API-Key`` wins when both are sent; other schemes (``Basic ...``) are left alone.

Usage::

    app.add_middleware(BearerAsApiKey)      # after RequestContextMiddleware: outermost
    bearer_token("Bearer abc")              # "abc"
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

API_KEY_HEADER = b"x-api-key"


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` value (``None`` for another scheme or none)."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


class BearerAsApiKey:
    """Copies a Bearer token into ``X-API-Key`` for requests that do not send one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers: list[tuple[bytes, bytes]] = list(scope.get("headers", []))
            names = {name.lower() for name, _value in headers}
            if API_KEY_HEADER not in names:
                authorization = next((value for name, value in headers if name.lower() == b"authorization"), None)
                token = bearer_token(authorization.decode("latin-1")) if authorization is not None else None
                if token:
                    scope["headers"] = [*headers, (API_KEY_HEADER, token.encode("latin-1"))]
        await self.app(scope, receive, send)
