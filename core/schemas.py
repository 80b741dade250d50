"""The wire contract shared by the Python API, the CLI's ``--json``, the HTTP API and the UI's client.

Usage::

    answer = Answer(answer="Hangzhou [1].", citations=[...], answerable=True,
                    question_used="...", timings_ms={"retrieve": 12.0}, model="extractive")
    answer.model_dump_json()
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

#: Why an answer is a refusal: no passage scored high enough; the question names something no
#: document contains; the model said the evidence does not answer; no sentence of the model's
#: answer was supported by the passages it cited; or the question asks for a number (a date) and
#: no supported sentence states one.
RefusalReason = Literal[
    "no_relevant_passage",
    "unknown_name",
    "model_declined",
    "unsupported_by_citations",
    "no_figure_found",
    "no_date_found",
]


class ChatTurn(BaseModel):
    """One earlier turn of the conversation."""

    role: Literal["user", "assistant"]
    content: str = Field(..., max_length=8000)


class Citation(BaseModel):
    """A numbered source of an answer: the exact sentence (``quote``) that supports it."""

    n: int = Field(..., ge=1, description="The number used in the answer's [n] markers.")
    source: str = Field(..., description="File name of the document.")
    title: str
    page: int | None = Field(None, description="1-based PDF page of the quote; null for non-paged documents.")
    section: str | None = None
    chunk_id: str
    quote: str = Field(
        ...,
        description=(
            "The supporting sentence, verbatim from the document; in the section 'Document details', the "
            "document's date and publisher as the corpus manifest states them."
        ),
    )
    score: float = Field(..., description="Support score of the quote for the answer sentence (0-1).")
    passage: str = Field("", description="The passage around the quote (the retrieved chunk).")
    quote_start: int = Field(0, ge=0, description="Offset of the quote inside `passage`.")
    quote_end: int = Field(0, ge=0, description="End offset of the quote inside `passage`.")
    context: str = Field(
        "", description="What the quote is read under: a table row's caption and header row; empty for sentences."
    )


class Answer(BaseModel):
    """A cited answer, or a refusal (``answerable`` false, no citations)."""

    answer: str
    citations: list[Citation] = Field(default_factory=list)
    answerable: bool
    question_used: str = Field(..., description="The question as searched (follow-ups are made standalone).")
    timings_ms: dict[str, float] = Field(default_factory=dict)
    model: str
    closest_documents: list[str] = Field(
        default_factory=list, description="On a refusal: the documents that came closest, as titles."
    )
    prompt_tokens: int | None = Field(None, description="Tokens in the LLM prompt (null without an LLM).")
    refusal_reason: RefusalReason | None = Field(
        None,
        description="On a refusal, why: no_relevant_passage, unknown_name (the question names something no "
        "document contains), model_declined, unsupported_by_citations, no_figure_found (the question asks for "
        "a number and no supported sentence states one), no_date_found (the question asks in what year or on what "
        "date, and no supported sentence names one). Null on an answer.",
    )


class Source(BaseModel):
    """A passage chosen for reading, announced before the answer (the ``sources`` stream event)."""

    n: int = Field(..., ge=1, description="The evidence number the generator sees; the final citations are renumbered.")
    source: str
    title: str
    page: int | None = None
    section: str | None = None
    chunk_id: str
    quote: str = Field(
        ...,
        description="The evidence sentence (or table row), verbatim; in 'Document details', the manifest's record.",
    )


class DocumentInfo(BaseModel):
    """A document in the index, as ``GET /documents`` lists it."""

    source: str = Field(..., description="File name; the id used by `sources` and DELETE /documents/{source}.")
    title: str
    pages: int | None = Field(None, description="PDF pages; null for documents without pages.")
    chunks: int
    ingested_at: str = Field(..., description="When it was (re)ingested, ISO 8601 in UTC.")


class UploadedDocument(BaseModel):
    """What ``POST /documents`` ingested."""

    source: str
    title: str
    chunks: int
    pages: int | None = None

    model_config = {
        "json_schema_extra": {
            "examples": [{"source": "zone-report.pdf", "title": "Zone report", "chunks": 14, "pages": 6}]
        }
    }


class HighlightBox(BaseModel):
    """A rectangle on a page image, as fractions (0-1) of its width and height, from the top-left corner."""

    left: float = Field(..., ge=0, le=1)
    top: float = Field(..., ge=0, le=1)
    width: float = Field(..., ge=0, le=1)
    height: float = Field(..., ge=0, le=1)


class PageView(BaseModel):
    """One PDF page of an indexed document, as ``GET /documents/{source}/pages/{page}`` describes it."""

    source: str
    title: str
    page: int = Field(..., ge=1, description="1-based page number.")
    pages: int = Field(..., ge=1, description="Pages in the document.")
    width_pt: float = Field(..., description="Page width in PDF points.")
    height_pt: float = Field(..., description="Page height in PDF points.")
    image_url: str = Field(..., description="Path of the page's PNG (same keys as this route).")
    file_url: str = Field(..., description="Path of the original document.")
    highlights: list[HighlightBox] = Field(
        default_factory=list, description="Where `quote` sits on the page, one box per line; empty if not found."
    )


class ConversationTurn(BaseModel):
    """One question and its final answer, as a conversation stores it."""

    turn_id: str = Field(..., min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    question: str
    answer: Answer
    created_at: str = Field(..., description="When the answer was stored, ISO 8601 in UTC.")


class Conversation(BaseModel):
    """A conversation's turns, oldest first (``GET /conversations/{conversation_id}``)."""

    conversation_id: str
    turns: list[ConversationTurn] = Field(default_factory=list)
