r"""Shared by every format loader: decoding, character cleaning, and building the text and its blocks.

A format loader turns bytes into :class:`_Piece` objects (a block before it has an offset) and hands
them back in a :class:`_Parsed`; :func:`_assemble` joins the pieces with blank lines into the
document text and its :class:`Block` spans. The helpers at the end (page map, fallback title) are
what :func:`ingest.loaders.load_file` needs for every format.

Usage::

    from ingest.loaders.assembly import _Piece, _assemble, _clean_chars, _decode_text

    warnings: list[str] = []
    text = _clean_chars(_decode_text("Colón free zone".encode("cp1252"), warnings))
    text, blocks, first_offset = _assemble([_Piece(kind="heading", text="Zones", section="Zones"),
                                            _Piece(kind="paragraph", text=text, section="Zones")])
    text  # -> "Zones\n\nColón free zone"; warnings: ["not valid UTF-8; decoded as ..."]
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from core.documents import Block, BlockKind
from core.errors import LoaderError

BLOCK_SEPARATOR = "\n\n"
ROW_SEPARATOR = "\n"
CELL_SEPARATOR = " | "

# Characters that PDF fonts and web pages use but that hurt search and quoting.
_CHAR_FIXES = {
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\ufb05": "st",
    "\ufb06": "st",
    "\u00a0": " ",  # no-break space
    "\u2009": " ",  # thin space
    "\u200b": "",  # zero-width space
    "\ufeff": "",  # byte-order mark
    "\u00ad": "",  # soft hyphen
    "\t": "    ",
}
_CHAR_FIX_TABLE = str.maketrans(_CHAR_FIXES)

# A line ends a sentence when its last visible character (before closing quotes/brackets) is one of these.
_SENTENCE_END = re.compile(r"[.!?:;][\"'”’)\]]*$")
_LABEL_LINE = re.compile(r"^[A-Z][A-Za-z .()-]{0,40}:\s")
# A table caption ("Table 2: ...", "Tab. IV"), in Markdown and in PDF layout text alike.
_TABLE_CAPTION = re.compile(r"^(?:table|tab\.)\s*[\dIVXivx]+[.:]?\s", re.IGNORECASE)


def _clean_chars(text: str) -> str:
    """Unicode-normalize line breaks and drop ligatures / invisible characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_CHAR_FIX_TABLE)
    return unicodedata.normalize("NFC", text)


# =============================================================================================
# Decoding bytes to text
# =============================================================================================


def _decode_text(data: bytes, warnings: list[str]) -> str:
    """UTF-8 (with or without BOM); otherwise the detected legacy encoding, with a warning."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    encoding: str | None = None
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        encoding = best.encoding if best else None
    except ImportError:  # optional dependency: fall back to the common Windows encoding
        encoding = None
    decoded: list[tuple[str, str]] = []
    for candidate in (encoding, "cp1252"):
        if not candidate:
            continue
        try:
            decoded.append((candidate, data.decode(candidate)))
        except (UnicodeDecodeError, LookupError):
            continue
    if not decoded:
        raise LoaderError("the text is not valid UTF-8 and no other encoding could decode it")
    # Detection guesses poorly on short texts (Latin-1 "Colón" comes out as cp775 "Col¾n"): keep
    # cp1252 when it reads more of the non-ASCII bytes as letters; a tie keeps the detected one.
    candidate, text = max(decoded, key=lambda pair: _non_ascii_letters(pair[1]))
    warnings.append(f"not valid UTF-8; decoded as {candidate}")
    return text


def _non_ascii_letters(text: str) -> int:
    """Non-ASCII letters minus other non-ASCII and control characters: higher is more plausible."""
    score = 0
    for char in text:
        if ord(char) > 127:
            score += 1 if unicodedata.category(char).startswith("L") else -1
        elif ord(char) < 32 and char not in "\n\r\t\f":
            score -= 1
    return score


def _looks_like_title(line: str, *, max_words: int = 25) -> bool:
    """A short line, without a final period, that starts with a capital or a digit."""
    words = line.split()
    return (
        0 < len(words) <= max_words
        and len(line) >= 4
        and not line.rstrip().endswith((".", ",", ";"))
        and (line[0].isupper() or line[0].isdigit())
    )


# =============================================================================================
# Building the text and its blocks
# =============================================================================================


@dataclass
class _Piece:
    """A block before it is placed in the document text (offsets are relative to ``text``)."""

    kind: BlockKind
    text: str
    section: str | None = None
    # (offset within text, page) where a page's content begins inside this piece.
    pages: list[tuple[int, int]] = field(default_factory=list)
    rows: list[tuple[int, int]] = field(default_factory=list)


def _assemble(pieces: Iterable[_Piece]) -> tuple[str, list[Block], dict[int, int]]:
    """Join pieces with blank lines; returns text, blocks and the first offset of each page."""
    parts: list[str] = []
    blocks: list[Block] = []
    first_offset: dict[int, int] = {}
    offset = 0
    for piece in pieces:
        text = piece.text.strip("\n")
        if not text.strip():
            continue
        if parts:
            parts.append(BLOCK_SEPARATOR)
            offset += len(BLOCK_SEPARATOR)
        start = offset
        parts.append(text)
        offset += len(text)
        rows = tuple((start + row_start, start + row_end) for row_start, row_end in piece.rows)
        blocks.append(Block(kind=piece.kind, start=start, end=offset, section=piece.section, rows=rows))
        for relative, page in piece.pages:
            first_offset.setdefault(page, start + relative)
    return "".join(parts), blocks, first_offset


def _table_piece(
    caption: str | None, rows: list[str], section: str | None, row_pages: list[int | None] | None = None
) -> _Piece:
    """A table block: optional caption line, then one line per row (each row a span)."""
    lines: list[str] = [caption] if caption else []
    offset = len(caption) + len(ROW_SEPARATOR) if caption else 0
    spans: list[tuple[int, int]] = []
    pages: list[tuple[int, int]] = []
    for index, row in enumerate(rows):
        spans.append((offset, offset + len(row)))
        page = row_pages[index] if row_pages else None
        if page is not None and (not pages or pages[-1][1] != page):
            pages.append((offset, page))
        lines.append(row)
        offset += len(row) + len(ROW_SEPARATOR)
    return _Piece(kind="table", text=ROW_SEPARATOR.join(lines), section=section, pages=pages, rows=spans)


@dataclass
class _Parsed:
    """What a format-specific loader hands back to :func:`load_file`."""

    pieces: list[_Piece]
    title: str | None = None
    page_count: int = 0
    warnings: list[str] = field(default_factory=list)
    empty_reason: str = "no text could be extracted"


def _first_heading_piece(pieces: list[_Piece]) -> str | None:
    return next((piece.text for piece in pieces[:3] if piece.kind == "heading"), None)


# =============================================================================================
# Document-level parts: page map and fallback title
# =============================================================================================


def _page_starts(first_offset: dict[int, int], page_count: int, text_length: int) -> list[tuple[int, int]]:
    """One ``(offset, page)`` per page; a page without text starts where the next one does."""
    starts: list[tuple[int, int]] = []
    following = text_length
    for page in range(page_count, 0, -1):
        offset = min(first_offset.get(page, following), following)
        starts.append((offset, page))
        following = offset
    starts.reverse()
    if starts:
        starts[0] = (0, starts[0][1])
    return starts


def _first_heading(text: str, blocks: list[Block]) -> str | None:
    for block in blocks[:3]:
        if block.kind == "heading":
            return " ".join(text[block.start : block.end].split())
    return None


def _prettify_stem(path: Path) -> str:
    """``free-zone_congress-2025`` → ``Free Zone Congress 2025``."""
    words = re.split(r"[-_.\s]+", path.stem)
    return " ".join(word if word.isupper() else word.capitalize() for word in words if word) or path.name
