"""``GET/POST /documents`` and ``DELETE /documents/{source}``: the index stays in step (Chroma + BM25)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, HTTPException, UploadFile

from api.deps import AdminDep, KeyDep, StateDep
from api.errors import FORBIDDEN, INVALID, READ_ERRORS, TOO_LARGE, error_doc
from api.models import DeletedDocument, DocumentInfo, DocumentList, UploadedDocument
from api.services.feedback import utc_iso

router = APIRouter(prefix="/documents", tags=["documents"])

# Uploads are copied to disk in pieces of this size (never the whole file in one read).
_COPY_CHUNK_BYTES = 1024 * 1024


@router.get("", response_model=DocumentList, summary="List the indexed documents", responses=READ_ERRORS)
def list_documents(caller: KeyDep, state: StateDep) -> DocumentList:
    return DocumentList(
        documents=[
            DocumentInfo(
                source=record.source,
                title=record.title,
                pages=record.pages,
                chunks=record.chunks,
                ingested_at=utc_iso(record.ingested_at),
            )
            for record in state.documents.list()
        ]
    )


@router.post(
    "",
    status_code=201,
    response_model=UploadedDocument,
    summary="Upload and index a document (admin key)",
    responses={
        **READ_ERRORS,
        **FORBIDDEN,
        **TOO_LARGE,
        **INVALID,
        400: error_doc("Unsafe file name (path separators, '..', NUL, hidden name)."),
        409: error_doc("A document with this file name already exists; delete it first."),
        415: error_doc("Unsupported file type (allowed: .pdf, .txt, .md, .markdown, .html, .htm)."),
    },
)
def upload_document(
    caller: AdminDep,
    state: StateDep,
    file: Annotated[UploadFile, File(description="The document; its file name becomes its `source`.")],
) -> UploadedDocument:
    """Saved into the uploads folder and ingested before the response returns. A file that cannot be
    read is answered with 422 and the loader's reason, and is not kept."""
    record = state.documents.add(file.filename or "", file.file.read, _COPY_CHUNK_BYTES)
    return UploadedDocument(source=record.source, title=record.title, chunks=record.chunks, pages=record.pages)


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
