"""The answer contract shared by the Python API, the CLI's ``--json``, and the HTTP API.

Usage::

    answer = Answer(answer="Hangzhou [1].", citations=[...], answerable=True,
                    question_used="...", timings_ms={"retrieve": 12.0}, model="extractive")
    answer.model_dump_json()
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


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
    quote: str = Field(..., description="The supporting sentence, verbatim from the document.")
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
