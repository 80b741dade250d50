"""Data types shared by loaders, the chunker, the store and retrieval.

A loader turns a file into a :class:`LoadedDocument`: one cleaned text plus a list of
:class:`Block` (paragraph, heading or table, each a character span of that text with its page
and section). The chunker packs blocks into :class:`Chunk` objects, which are what gets
embedded, stored and cited.

Usage::

    doc = LoadedDocument(source="a.txt", title="A", text="Hello world.",
                         blocks=[Block(kind="paragraph", start=0, end=12)])
    doc.page_at(0)  # None for non-paged formats
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

BlockKind = Literal["paragraph", "heading", "table"]

_WHITESPACE = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """Collapse whitespace and case so that cosmetic edits do not change a chunk id."""
    return _WHITESPACE.sub(" ", text).strip().lower()


def make_chunk_id(source: str, text: str) -> str:
    """Deterministic chunk id: hash of the source name and the normalized chunk text."""
    digest = hashlib.sha256(f"{source}\x00{normalize_text(text)}".encode()).hexdigest()
    return digest[:32]


@dataclass(frozen=True)
class Block:
    """A structural unit of a document: a character span of ``LoadedDocument.text``.

    ``caption`` is set on tables (their title line, kept with the rows); ``rows`` lists the
    character spans of a table's rows so the chunker can split a long table between rows only.
    """

    kind: BlockKind
    start: int
    end: int
    section: str | None = None
    rows: tuple[tuple[int, int], ...] = ()

    def __post_init__(self) -> None:
        if self.start < 0 or self.end < self.start:
            raise ValueError(f"bad block span {self.start}..{self.end}")


@dataclass
class LoadedDocument:
    """A file after loading and cleaning.

    ``page_starts`` (PDF only) lists ``(char_offset, page_number)`` in increasing offset order:
    the page of any character is the last entry at or before it.
    """

    source: str
    title: str
    text: str
    blocks: list[Block]
    page_starts: list[tuple[int, int]] | None = None
    publisher: str | None = None
    date: str | None = None
    sha256: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int | None:
        return self.page_starts[-1][1] if self.page_starts else None

    def page_at(self, offset: int) -> int | None:
        """1-based page of the character at ``offset`` (``None`` for non-paged documents)."""
        if not self.page_starts:
            return None
        offsets = [start for start, _ in self.page_starts]
        index = max(bisect.bisect_right(offsets, offset) - 1, 0)
        return self.page_starts[index][1]

    def page_spans(self, start: int, end: int) -> list[tuple[int, int]]:
        """``(offset relative to start, page)`` for each page that the span ``start..end`` touches."""
        if not self.page_starts:
            return []
        spans = [(0, self.page_at(start) or 1)]
        for offset, page in self.page_starts:
            if start < offset < end:
                spans.append((offset - start, page))
        return spans


@dataclass
class Chunk:
    """A retrievable, citable piece of a document."""

    chunk_id: str
    source: str
    title: str
    text: str
    chunk_index: int
    char_start: int
    char_end: int
    sha256: str
    page: int | None = None
    page_end: int | None = None
    section: str | None = None
    # (offset within ``text``, page) for every page the chunk touches; lets a quoted sentence
    # inside the chunk be mapped to its exact page.
    page_spans: list[tuple[int, int]] = field(default_factory=list)
    # The caption and header row of the table this chunk continues ("" otherwise). Not part of
    # ``text`` (which stays a verbatim span of the document), but embedded, indexed and shown to
    # readers with it, so "2014 | 19,011,072 | ..." is found and understood as world goods exports.
    context: str = ""

    @property
    def indexed_text(self) -> str:
        """What is embedded and BM25-indexed: the context (if any), then the text."""
        return with_context(self.text, self.context)

    def metadata(self) -> dict[str, Any]:
        """Flat metadata for Chroma (no ``None`` values: Chroma rejects them)."""
        meta: dict[str, Any] = {
            "chunk_id": self.chunk_id,
            "source": self.source,
            "title": self.title,
            "chunk_index": self.chunk_index,
            "char_start": self.char_start,
            "char_end": self.char_end,
            "sha256": self.sha256,
            "page": self.page if self.page is not None else -1,
            "page_end": self.page_end if self.page_end is not None else -1,
            "section": self.section or "",
            "page_spans": json.dumps(self.page_spans),
            "context": self.context,
        }
        return meta

    @classmethod
    def from_metadata(cls, text: str, meta: dict[str, Any]) -> Chunk:
        """Inverse of :meth:`metadata`."""
        page = int(meta.get("page", -1))
        page_end = int(meta.get("page_end", -1))
        return cls(
            chunk_id=str(meta["chunk_id"]),
            source=str(meta["source"]),
            title=str(meta.get("title", "")),
            text=text,
            chunk_index=int(meta.get("chunk_index", 0)),
            char_start=int(meta.get("char_start", 0)),
            char_end=int(meta.get("char_end", 0)),
            sha256=str(meta.get("sha256", "")),
            page=page if page >= 0 else None,
            page_end=page_end if page_end >= 0 else None,
            section=str(meta.get("section") or "") or None,
            page_spans=[tuple(item) for item in json.loads(str(meta.get("page_spans") or "[]"))],  # type: ignore[misc]
            context=str(meta.get("context") or ""),
        )

    def page_at(self, offset: int) -> int | None:
        """Page of the character at ``offset`` within this chunk's text."""
        page = self.page
        for span_offset, span_page in self.page_spans:
            if span_offset <= offset:
                page = span_page
        return page


def with_context(text: str, context: str) -> str:
    """``context`` (a table's caption and header) on its own line before ``text``, when there is one."""
    return f"{context}\n{text}" if context else text
