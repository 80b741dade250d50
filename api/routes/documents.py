"""``GET/POST /documents`` and ``DELETE /documents/{source}``: the index stays in step (Chroma + BM25)."""

from __future__ import annotations

import re

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.deps import AdminDep, KeyDep, StateDep
from api.errors import FORBIDDEN, INVALID, READ_ERRORS, TOO_LARGE, error_doc
from api.models import DeletedDocument, DocumentList, UploadedDocument, document_info
from core.errors import RejectionReason, UploadRejectedError

router = APIRouter(prefix="/documents", tags=["documents"])

# Uploads are copied to disk in pieces of this size (never the whole file in one read).
_COPY_CHUNK_BYTES = 1024 * 1024
# Form parts parsed at most: one file is wanted, a second one is reported (never silently kept).
_MAX_PARTS = 2


@router.get("", response_model=DocumentList, summary="List the indexed documents", responses=READ_ERRORS)
def list_documents(caller: KeyDep, state: StateDep) -> DocumentList:
    return DocumentList(documents=[document_info(record) for record in state.documents.list()])


@router.post(
    "",
    status_code=201,
    response_model=UploadedDocument,
    summary="Upload and index a document (admin key)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {
                                "type": "string",
                                "format": "binary",
                                "description": "The document; its file name becomes its `source`.",
                            }
                        },
                    }
                }
            },
        }
    },
    responses={
        **READ_ERRORS,
        **FORBIDDEN,
        **TOO_LARGE,
        **INVALID,
        400: error_doc(
            "Unsafe file name (outside the safe set, over 200 bytes, path separators, '..', hidden name), "
            "no file, or more than one."
        ),
        409: error_doc("A document with this file name, or one too similar to it, already exists."),
        415: error_doc("Unsupported file type (allowed: .pdf, .txt, .md, .markdown, .html, .htm)."),
    },
)
async def upload_document(caller: AdminDep, state: StateDep, request: Request) -> UploadedDocument:
    """Saved into the uploads folder and ingested before the response returns. A file that cannot be
    read is answered with 422 and the loader's reason, and is not kept. The body is
    ``multipart/form-data`` with exactly one part, ``file``; anything else is a 400."""
    upload = await _the_one_file(request)
    try:
        record = await run_in_threadpool(
            state.documents.add, _raw_filename(upload), upload.file.read, _COPY_CHUNK_BYTES
        )
    finally:
        await upload.close()
    return UploadedDocument(source=record.source, title=record.title, chunks=record.chunks, pages=record.pages)


async def _the_one_file(request: Request) -> UploadFile:
    """The one ``file`` part of a multipart body (the form is read only after the key was checked)."""
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise HTTPException(415, f"Unsupported Content-Type {content_type!r}: send multipart/form-data.")
    form = await request.form(max_files=_MAX_PARTS, max_fields=_MAX_PARTS)
    names = list(form.keys())
    if set(names) - {"file"}:
        raise HTTPException(400, f"Unexpected form fields {sorted(set(names) - {'file'})}: send only 'file'.")
    parts = form.getlist("file")
    if len(parts) != 1:
        raise HTTPException(400, f"Send exactly one file in the field 'file' (got {len(parts)}).")
    part = parts[0]
    if not isinstance(part, UploadFile) or not part.filename:
        raise UploadRejectedError(RejectionReason.INVALID_NAME, "The upload has no file name.")
    return part


def _raw_filename(upload: UploadFile) -> str:
    """The file name as the client sent it. python-multipart cuts an IE-style ``C:\\dir\\x.txt`` down
    to ``x.txt``; a name with a backslash must be refused (400), not silently renamed."""
    name = upload.filename or ""
    disposition = upload.headers.get("content-disposition", "")
    match = re.search(r'filename="([^"]*)"', disposition) or re.search(r"filename=([^;]*)", disposition)
    if match:
        raw = match.group(1).encode("latin-1", "replace").decode("utf-8", "replace")
        if "\\" in raw and raw != name:
            return raw
    return name


@router.delete(
    "/{source}",
    response_model=DeletedDocument,
    summary="Remove a document from the index and disk (admin key)",
    responses={
        **READ_ERRORS,
        **FORBIDDEN,
        400: error_doc("Invalid document name."),
        404: error_doc("No such document."),
    },
)
def delete_document(source: str, caller: AdminDep, state: StateDep) -> DeletedDocument:
    """Its file is deleted from the uploads and corpus folders too, so a later `zoneqa ingest`
    does not add it back."""
    if not state.documents.remove(source):
        raise HTTPException(404, f"No document named {source!r}.")
    return DeletedDocument(source=source, deleted=True)
