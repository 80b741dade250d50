"""Request and response bodies of the HTTP API (the answer itself is :class:`core.schemas.Answer`).

Usage::

    body = AskRequest(question="Which city hosted the 2016 G20 summit?", top_k=5)
    SearchResponse(results=[SearchHit(chunk_id="a", source="a.pdf", title="A", text="...", score=0.5)])
"""

from __future__ import annotations

import unicodedata
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from api.services.feedback import utc_iso
from core.schemas import Answer, ChatTurn, Citation, DocumentInfo, UploadedDocument
from index.store import DocumentRecord
from rag.retriever import RetrievedChunk

__all__ = [
    "Answer",
    "AskRequest",
    "ChatTurn",
    "Citation",
    "DeletedDocument",
    "DocumentInfo",
    "DocumentList",
    "ErrorResponse",
    "DeletedConversation",
    "FeedbackCreated",
    "FeedbackExport",
    "FeedbackItem",
    "FeedbackRequest",
    "Health",
    "Readiness",
    "SearchHit",
    "SearchRequest",
    "SearchResponse",
    "UploadedDocument",
    "ValidationErrorResponse",
]

MAX_QUESTION_CHARS = 2000
MAX_HISTORY_TURNS = 20
MAX_TOP_K = 20
MAX_COMMENT_CHARS = 2000
# An answer echoed back with feedback: generous, the body size limit bounds it anyway.
MAX_FEEDBACK_ANSWER_CHARS = 20000
MAX_SOURCES = 100
#: Conversation and turn ids are chosen by the client (a UUID fits); long enough not to be guessed.
CONVERSATION_ID_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"
TURN_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


def _not_blank(value: str) -> str:
    """Refuses text that is only spaces or invisible characters (zero-width, BOM, bidi marks)."""
    if not any(unicodedata.category(char)[0] not in ("Z", "C") and not char.isspace() for char in value):
        raise ValueError("must contain some visible text")
    return value


# A real passage of the default corpus, for the OpenAPI examples.
EXAMPLE_TITLE = (
    "The Tenth Anniversary of Free Trade Pilot Zones in China: Fundamental Experiences and Enhancement Strategies"
)
EXAMPLE_QUOTE = (
    "The 2016 G20 Summit in Hangzhou facilitated the adoption of the “G20 Global Investment Principles”, "
    "laying the foundation for the World Trade Organization’s (WTO) Investment Facilitation Initiative in 2017."
)
EXAMPLE_LEAD = "... propelled the 21 members to reach the “APEC Beijing Roadmap for an Asia-Pacific FTA”. "


class AskRequest(BaseModel):
    """A question, optionally with the conversation so far and a restriction to some documents."""

    question: str = Field(..., min_length=1, max_length=MAX_QUESTION_CHARS, description="The question.")
    history: list[ChatTurn] = Field(
        default_factory=list,
        max_length=MAX_HISTORY_TURNS,
        description="Earlier turns, oldest first; follow-up questions are made standalone from them.",
    )
    sources: list[str] | None = Field(
        None,
        max_length=MAX_SOURCES,
        description="Only search these documents (file names as listed by GET /documents).",
    )
    top_k: int | None = Field(None, ge=1, le=MAX_TOP_K, description="Passages to retrieve (default from settings).")
    conversation_id: str | None = Field(
        None,
        pattern=CONVERSATION_ID_PATTERN,
        description="Store this turn in the conversation (GET /conversations/{id}); with no `history`, "
        "the conversation's stored turns are the history.",
    )
    turn_id: str | None = Field(
        None,
        pattern=TURN_ID_PATTERN,
        description="The turn's id in the conversation: a retry with the same id replaces the turn (no duplicate).",
    )

    _question_not_blank = field_validator("question")(lambda cls, v: _not_blank(v))

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {"question": "Which city hosted the 2016 G20 summit?"},
                {
                    "question": "And how many zones does it have?",
                    "history": [
                        {"role": "user", "content": "What is the Shanghai pilot free trade zone?"},
                        {
                            "role": "assistant",
                            "content": "It is China's first pilot FTZ, opened in 2013 [1].",
                        },
                    ],
                    "sources": ["ftz-tenth-anniversary-pei-2024.pdf"],
                    "top_k": 5,
                },
            ]
        },
    }


class DeletedConversation(BaseModel):
    conversation_id: str
    turns_deleted: int


class SearchRequest(BaseModel):
    """Retrieval only: the passages that best match a query."""

    query: str = Field(..., min_length=1, max_length=MAX_QUESTION_CHARS, description="Search text.")
    top_k: int | None = Field(None, ge=1, le=MAX_TOP_K, description="Results wanted (default from settings).")
    sources: list[str] | None = Field(None, max_length=MAX_SOURCES, description="Only search these documents.")

    _query_not_blank = field_validator("query")(lambda cls, v: _not_blank(v))

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {"examples": [{"query": "negative list for foreign investment", "top_k": 3}]},
    }


class SearchHit(BaseModel):
    """One retrieved passage (adjacent chunks may be merged into one)."""

    chunk_id: str
    source: str = Field(..., description="File name of the document.")
    title: str
    page: int | None = Field(None, description="1-based PDF page where the passage starts; null if not paged.")
    section: str | None = None
    text: str
    score: float = Field(..., description="Fused retrieval score (higher is better; not a probability).")

    @classmethod
    def of(cls, hit: RetrievedChunk) -> SearchHit:
        """The wire form of a retrieval hit (``/search`` and the MCP ``search_documents`` tool)."""
        chunk = hit.chunk
        return cls(
            chunk_id=chunk.chunk_id,
            source=chunk.source,
            title=chunk.title,
            page=chunk.page,
            section=chunk.section,
            text=chunk.text,
            score=round(float(hit.score), 6),
        )


def document_info(record: DocumentRecord) -> DocumentInfo:
    """The wire form of an indexed document (``GET /documents`` and the MCP ``list_documents`` tool)."""
    return DocumentInfo(
        source=record.source,
        title=record.title,
        pages=record.pages,
        chunks=record.chunks,
        ingested_at=utc_iso(record.ingested_at),
    )


class SearchResponse(BaseModel):
    results: list[SearchHit]

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "results": [
                        {
                            "chunk_id": "5d1c0c3e9a7b4f2e8c6a1b0d9e8f7a6b",
                            "source": "ftz-tenth-anniversary-pei-2024.pdf",
                            "title": EXAMPLE_TITLE,
                            "page": 5,
                            "section": "1. Basic Practice and Main Experiences of China’s FTZs",
                            "text": EXAMPLE_QUOTE,
                            "score": 0.0325,
                        }
                    ]
                }
            ]
        }
    }


class DocumentList(BaseModel):
    documents: list[DocumentInfo]

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "documents": [
                        {
                            "source": "free-zone-congress-2025.txt",
                            "title": "World Free Zones Congress 2025",
                            "pages": None,
                            "chunks": 9,
                            "ingested_at": "2025-01-31T10:00:00+00:00",
                        }
                    ]
                }
            ]
        }
    }


class DeletedDocument(BaseModel):
    source: str
    deleted: bool = True

    model_config = {"json_schema_extra": {"examples": [{"source": "zone-report.pdf", "deleted": True}]}}


class FeedbackRequest(BaseModel):
    """A rating of one answer, kept for the maintainers."""

    question: str = Field(..., min_length=1, max_length=MAX_QUESTION_CHARS)
    answer: str = Field(..., max_length=MAX_FEEDBACK_ANSWER_CHARS)
    rating: Literal["up", "down"]
    comment: str | None = Field(None, max_length=MAX_COMMENT_CHARS)

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {
                    "question": "Which city hosted the 2016 G20 summit?",
                    "answer": "Hangzhou hosted the 2016 G20 summit [1].",
                    "rating": "up",
                    "comment": "Exactly the page I needed.",
                }
            ]
        },
    }


class FeedbackCreated(BaseModel):
    id: int

    model_config = {"json_schema_extra": {"examples": [{"id": 42}]}}


class FeedbackItem(BaseModel):
    id: int
    question: str
    answer: str
    rating: Literal["up", "down"]
    comment: str | None = None
    created_at: str = Field(..., description="ISO 8601 in UTC.")


class FeedbackExport(BaseModel):
    feedback: list[FeedbackItem]


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready"] = "ready"
    documents: int
    chunks: int
    generator: str

    model_config = {
        "json_schema_extra": {
            "examples": [{"status": "ready", "documents": 5, "chunks": 180, "generator": "extractive"}]
        }
    }


class ErrorResponse(BaseModel):
    """Every error: a message for humans and the request id to quote in a bug report."""

    detail: str
    request_id: str

    model_config = {
        "json_schema_extra": {
            "examples": [{"detail": "A valid X-API-Key header is required.", "request_id": "5f0c2a7e9b1d4c3a"}]
        }
    }


class ValidationErrorResponse(ErrorResponse):
    """A request the API cannot accept: ``errors`` lists each problem with its location."""

    errors: list[dict[str, Any]] = Field(default_factory=list)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "detail": "Invalid request: body.question: String should have at least 1 character",
                    "errors": [
                        {
                            "loc": ["body", "question"],
                            "msg": "String should have at least 1 character",
                            "type": "string_too_short",
                        }
                    ],
                    "request_id": "5f0c2a7e9b1d4c3a",
                }
            ]
        }
    }
