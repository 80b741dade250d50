"""The page view of a citation: ``GET /documents/{source}/pages/{page}`` (JSON, with the quote's boxes),
``.../image`` (the page as a PNG) and ``GET /documents/{source}/file`` (the original document).

Only indexed documents are served, by their exact name; the file must lie directly in a document
folder, so no name reaches any other file. Same keys and rate limit as every read route.
"""

from __future__ import annotations

import mimetypes
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool

from api.deps import KeyDep, StateDep
from api.errors import READ_ERRORS, Responses, error_doc
from api.models import MAX_QUESTION_CHARS
from api.services.pages import PageNotFound
from core.schemas import PageView
from ingest.pages import MAX_RENDER_WIDTH, MIN_RENDER_WIDTH

router = APIRouter(prefix="/documents", tags=["documents"])

_NOT_FOUND: Responses = {
    400: error_doc("Invalid document name (a path separator, a NUL byte, '.' or '..')."),
    404: error_doc("No such indexed document, the document has no pages (not a PDF), or no such page."),
}
# Quotes are sentences; a passage-sized limit keeps the query string sane.
MAX_QUOTE_CHARS = 4 * MAX_QUESTION_CHARS
SourceName = Annotated[str, Path(description="The document's file name, as GET /documents lists it.")]
PageNumber = Annotated[int, Path(ge=1, description="1-based page number, as citations give it.")]
# Page images change only when the document does (the URL carries no version): cache briefly.
_IMAGE_CACHE_HEADERS = {"Cache-Control": "private, max-age=300"}


def _not_found(error: PageNotFound) -> HTTPException:
    return HTTPException(404, str(error))


@router.get(
    "/{source}/pages/{page}",
    response_model=PageView,
    summary="Describe one PDF page, with where a quote sits on it",
    responses={**READ_ERRORS, **_NOT_FOUND},
)
def page_view(
    source: SourceName,
    page: PageNumber,
    caller: KeyDep,
    state: StateDep,
    quote: Annotated[str, Query(max_length=MAX_QUOTE_CHARS, description="A citation's quote to locate.")] = "",
) -> PageView:
    """`highlights` are boxes (fractions of the page, from its top-left corner), one per line of the
    quote; empty when the quote is not on this page. `image_url` and `file_url` need the same key."""
    try:
        return state.pages.view(source, page, quote)
    except PageNotFound as error:
        raise _not_found(error) from error


@router.get(
    "/{source}/pages/{page}/image",
    response_class=Response,
    summary="One PDF page as a PNG image",
    responses={200: {"content": {"image/png": {}}}, **READ_ERRORS, **_NOT_FOUND},
)
async def page_image(
    source: SourceName,
    page: PageNumber,
    caller: KeyDep,
    state: StateDep,
    width: Annotated[int, Query(ge=MIN_RENDER_WIDTH, le=MAX_RENDER_WIDTH, description="Image width in pixels.")] = 1000,
) -> Response:
    try:
        png = await run_in_threadpool(state.pages.image, source, page, width)
    except PageNotFound as error:
        raise _not_found(error) from error
    return Response(png, media_type="image/png", headers=_IMAGE_CACHE_HEADERS)


@router.get(
    "/{source}/file",
    response_class=FileResponse,
    summary="Download an indexed document's original file",
    responses={200: {"content": {"application/octet-stream": {}}}, **READ_ERRORS, **_NOT_FOUND},
)
def document_file(source: SourceName, caller: KeyDep, state: StateDep) -> FileResponse:
    try:
        path = state.pages.original(source)
    except PageNotFound as error:
        raise _not_found(error) from error
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media_type, filename=path.name)
