"""Every error becomes JSON ``{detail, request_id}`` (validation errors add ``errors``).

Usage::

    install_error_handlers(app)
    raise HTTPException(404, "No document named 'x.pdf'.")   # → 404 {"detail": ..., "request_id": ...}
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from api.models import ErrorResponse, ValidationErrorResponse
from api.services.gate import BUSY_RETRY_AFTER_SECONDS
from core.errors import (
    GeneratorBusyError,
    GeneratorError,
    GeneratorUnavailableError,
    IndexUnavailableError,
    RejectionReason,
    UploadRejectedError,
    ZoneQAError,
)

_MAX_ERRORS_IN_DETAIL = 3


def request_id(request: Request) -> str:
    return str(getattr(request.state, "request_id", ""))


def error_response(request: Request, status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail, "request_id": request_id(request)}, status_code=status, headers=headers)


def index_unavailable_detail(reason: str) -> str:
    return f"The index is not available: {reason}"


def _describe(error: dict[str, Any]) -> str:
    if error.get("type") == "json_invalid":
        reason = (error.get("ctx") or {}).get("error", "invalid JSON")
        position = error.get("loc", ("body", "?"))[-1]
        return f"Malformed JSON body: {reason} (at character {position})."
    location = ".".join(str(part) for part in error.get("loc", ()))
    return f"{location}: {error.get('msg', 'invalid')}"


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "loc": list(error.get("loc", ())),
            "msg": str(error.get("msg", "")),
            "type": str(error.get("type", "")),
        }
        for error in exc.errors()
    ]
    if any(error.get("type") == "json_invalid" for error in exc.errors()):
        detail = _describe(next(e for e in exc.errors() if e.get("type") == "json_invalid"))
    else:
        parts = [_describe(error) for error in exc.errors()[:_MAX_ERRORS_IN_DETAIL]]
        more = len(errors) - len(parts)
        detail = "Invalid request: " + "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")
    # ``input`` is left out on purpose: echoing a 64 KiB body back helps nobody.
    body = {"detail": detail, "errors": jsonable_encoder(errors), "request_id": request_id(request)}
    return JSONResponse(body, status_code=422)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    return error_response(request, exc.status_code, detail, dict(exc.headers or {}))


async def _index_unavailable(request: Request, exc: Exception) -> JSONResponse:
    headers = {"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)}
    # A generator that cannot load is not an index problem: its message stands on its own.
    detail = str(exc) if isinstance(exc, GeneratorUnavailableError) else index_unavailable_detail(str(exc))
    return error_response(request, 503, detail, headers)


async def _not_ready(request: Request, exc: Exception) -> JSONResponse:
    """Any other deliberate ZoneQA error (a missing embedding model, a setting that cannot work)."""
    return error_response(request, 503, f"ZoneQA is not ready: {exc}", {"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)})


async def _busy(request: Request, exc: Exception) -> JSONResponse:
    return error_response(request, 503, str(exc), {"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)})


async def _generator_failed(request: Request, exc: Exception) -> JSONResponse:
    headers = {"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)}
    return error_response(request, 503, f"The answer generator is not available: {exc}", headers)


#: The HTTP status of each reason a document change is refused for.
REJECTION_STATUS: dict[RejectionReason, int] = {
    RejectionReason.INVALID_NAME: 400,
    RejectionReason.UNSUPPORTED_TYPE: 415,
    RejectionReason.TOO_LARGE: 413,
    RejectionReason.ALREADY_EXISTS: 409,
    RejectionReason.EMPTY: 422,
    RejectionReason.UNREADABLE: 422,
}


async def _upload_rejected(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, UploadRejectedError)
    return error_response(request, REJECTION_STATUS[exc.reason], exc.detail)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(IndexUnavailableError, _index_unavailable)
    app.add_exception_handler(GeneratorUnavailableError, _index_unavailable)
    app.add_exception_handler(GeneratorBusyError, _busy)
    app.add_exception_handler(UploadRejectedError, _upload_rejected)
    app.add_exception_handler(GeneratorError, _generator_failed)
    app.add_exception_handler(ZoneQAError, _not_ready)


Responses = dict[int | str, dict[str, Any]]


def error_doc(description: str, model: type = ErrorResponse) -> dict[str, Any]:
    return {"model": model, "description": description}


# Documented error responses, merged into each route's ``responses``.
UNAUTHORIZED: Responses = {401: error_doc("Missing or unknown X-API-Key (only when keys are configured).")}
FORBIDDEN: Responses = {403: error_doc("The key is a read key; this route needs an admin key.")}
RATE_LIMITED: Responses = {429: error_doc("Too many requests for this key (or client IP); see the Retry-After header.")}
TOO_LARGE: Responses = {413: error_doc("The request body is larger than the configured limit.")}
UNSUPPORTED_TYPE: Responses = {415: error_doc("The body must be application/json.")}
INVALID: Responses = {422: error_doc("The request is invalid; `errors` lists each problem.", ValidationErrorResponse)}
UNAVAILABLE: Responses = {
    503: error_doc("The index is not reachable yet, or the LLM queue is full; see the Retry-After header.")
}
BAD_REQUEST: Responses = {400: error_doc("Malformed request (for example an invalid Content-Length).")}

JSON_BODY_ERRORS: Responses = {
    **BAD_REQUEST,
    **UNAUTHORIZED,
    **RATE_LIMITED,
    **TOO_LARGE,
    **UNSUPPORTED_TYPE,
    **INVALID,
    **UNAVAILABLE,
}
READ_ERRORS: Responses = {**UNAUTHORIZED, **RATE_LIMITED, **UNAVAILABLE}
