"""Dependencies shared by the routers, as ``Annotated`` aliases.

Usage::

    @router.post("/search")
    def search(body: SearchRequest, pipeline: PipelineDep, caller: KeyDep) -> SearchResponse: ...
"""

from __future__ import annotations

import email.message
import ipaddress
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.metrics import ApiMetrics
from api.security import Caller, KeyRing, RateLimiter, key_fingerprint
from api.services.conversations import ConversationStore
from api.services.documents import DocumentService
from api.services.feedback import FeedbackStore
from api.services.gate import GenerationGate
from api.services.pages import PageService
from api.services.pipeline import PipelineHolder
from core.config import Settings
from index.catalog import IndexCatalog
from rag.pipeline import RagPipeline


@dataclass
class AppState:
    """Everything one API process shares between requests (``app.state.zoneqa``)."""

    settings: Settings
    pipelines: PipelineHolder
    gate: GenerationGate
    keys: KeyRing
    limiter: RateLimiter
    feedback: FeedbackStore
    documents: DocumentService
    metrics: ApiMetrics
    conversations: ConversationStore
    pages: PageService


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.zoneqa
    return state


StateDep = Annotated[AppState, Depends(get_state)]


def get_app_settings(state: StateDep) -> Settings:
    return state.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def get_pipeline(state: StateDep) -> RagPipeline:
    """The shared RagPipeline; 503 while the index is unreachable (a sync dependency: may block)."""
    return state.pipelines.get()


PipelineDep = Annotated[RagPipeline, Depends(get_pipeline)]


def get_catalog(state: StateDep) -> IndexCatalog:
    """What the index holds; 503 while the index is unreachable."""
    return state.pipelines.parts().catalog


CatalogDep = Annotated[IndexCatalog, Depends(get_catalog)]

api_key_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="Required on every route but /healthz when the server has keys configured.",
)


# The same keys as ``Authorization: Bearer <key>``, the way OpenAI-style clients and MCP clients send them.
bearer_header = HTTPBearer(
    auto_error=False,
    description="The API key as a Bearer token (an alternative to X-API-Key; X-API-Key wins when both are sent).",
)
UNAUTHORIZED_DETAIL = "A valid X-API-Key header (or Authorization: Bearer key) is required."


def identify(keys: KeyRing, key: str | None, client_host: str | None) -> Caller | None:
    """The caller for ``key`` (``None``: missing or unknown while keys are configured)."""
    role = keys.role(key)
    if role is None:
        return None
    if key and keys.enabled:
        return Caller(role=role, identity=f"key:{key_fingerprint(key)}")
    return Caller(role=role, identity=f"ip:{client_host or 'unknown'}")


def authenticate(
    request: Request,
    state: StateDep,
    key: Annotated[str | None, Security(api_key_header)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_header)] = None,
) -> Caller:
    """The caller's role; 401 for a missing or unknown key when keys are configured. No rate limit."""
    host = request.client.host if request.client else None
    caller = identify(state.keys, key or (bearer.credentials if bearer else None), host)
    if caller is None:
        raise HTTPException(401, UNAUTHORIZED_DETAIL, headers={"WWW-Authenticate": "ApiKey, Bearer"})
    return caller


CallerDep = Annotated[Caller, Depends(authenticate)]


def require_key(state: StateDep, caller: CallerDep) -> Caller:
    """An authenticated caller within its rate limit (429 with Retry-After otherwise)."""
    wait = state.limiter.acquire(caller.identity)
    if wait > 0:
        raise HTTPException(
            429,
            f"Rate limit of {state.settings.api.rate_limit_per_minute} requests per minute exceeded.",
            headers={"Retry-After": RateLimiter.retry_after_header(wait)},
        )
    return caller


KeyDep = Annotated[Caller, Depends(require_key)]


def require_admin(request: Request, state: StateDep, caller: KeyDep) -> Caller:
    """An admin key, or, with no keys configured at all, a loopback client that is not a cross-site
    page (so a web page in the operator's browser cannot post a forged document)."""
    if caller.role == "anonymous":
        refusal = keyless_admin_refusal(request, state.settings.api.cors_origins)
        if refusal:
            raise HTTPException(403, refusal)
    if not caller.is_admin:
        raise HTTPException(403, "This route needs an admin key.")
    return caller


def keyless_admin_refusal(request: Request, allowed_origins: list[str]) -> str | None:
    """Why an admin request without keys configured is refused, or None (see docs/SECURITY.md)."""
    host = request.client.host if request.client else ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        return (
            "Without admin keys configured (ZONEQA_ADMIN_KEYS), document changes are accepted only "
            "from loopback clients; set an admin key to administer from another machine."
        )
    fetch_site = request.headers.get("sec-fetch-site", "").lower()
    if fetch_site and fetch_site not in ("same-origin", "none"):
        return f"Cross-site request refused (Sec-Fetch-Site: {fetch_site}): document changes need an admin key."
    origin = request.headers.get("origin")
    if origin is not None:
        own = f"{request.url.scheme}://{request.headers.get('host', '')}"
        if origin != own and origin not in allowed_origins:
            return f"Cross-site request refused (Origin {origin!r} is not this server): changes need an admin key."
    return None


AdminDep = Annotated[Caller, Depends(require_admin)]


def require_json(request: Request) -> None:
    """415 unless the body is declared as JSON (no Content-Type at all is read as JSON)."""
    content_type = request.headers.get("content-type")
    if not content_type:
        return
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    if message.get_content_maintype() != "application" or not (subtype == "json" or subtype.endswith("+json")):
        raise HTTPException(415, f"Unsupported Content-Type {content_type!r}: send application/json.")


JsonBody = Depends(require_json)
