r"""Markdown loader: headings (ATX and setext), paragraphs, list items, code blocks and pipe tables.

Inline markup that hurts reading is stripped (link and image text kept, URLs and emphasis markers
dropped); YAML front matter is metadata and is skipped. :func:`_markdown_pieces` is also the last
step of the HTML loader, which extracts a page's main text as Markdown.

Usage::

    from core.config import get_settings
    from ingest.loaders.markdown import _load_markdown, _markdown_pieces

    parsed = _load_markdown(b"# Zones\n\nA **free** [zone](http://x).", get_settings().limits)
    parsed.title  # -> "Zones"
    [piece.text for piece in _markdown_pieces("| a | b |\n|---|---|\n| 1 | 2 |")]  # -> ["a | b\n1 | 2"]
"""

from __future__ import annotations

import re

from core.config import IngestLimits
from ingest.loaders.assembly import (
    _TABLE_CAPTION,
    CELL_SEPARATOR,
    _clean_chars,
    _decode_text,
    _first_heading_piece,
    _Parsed,
    _Piece,
    _table_piece,
)

_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_MD_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_MD_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_MD_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_MD_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_MD_REF_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s+\S+")
_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MD_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_MD_AUTOLINK = re.compile(r"<(https?://[^>]+)>")
_MD_HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_MD_EMPHASIS = [
    re.compile(r"\*\*(.+?)\*\*"),
    re.compile(r"__(.+?)__"),
    re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"),
    re.compile(r"(?<![\w_])_(?!\s)(.+?)(?<!\s)_(?![\w_])"),
    re.compile(r"~~(.+?)~~"),
    re.compile(r"`([^`]+)`"),
]


def _md_inline(text: str) -> str:
    """Strip inline Markdown that hurts reading: keep link and image text, drop URLs and markers."""
    text = _MD_IMAGE.sub(r"\1", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_REF_LINK.sub(r"\1", text)
    text = _MD_AUTOLINK.sub(r"\1", text)
    text = _MD_HTML_TAG.sub("", text)
    for pattern in _MD_EMPHASIS:
        text = pattern.sub(r"\1", text)
    text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!|])", r"\1", text)  # backslash escapes
    return " ".join(text.split())


def _md_cells(line: str) -> list[str]:
    stripped = line.strip()
    if stripped.startswith("|"):
        stripped = stripped[1:]
    if stripped.endswith("|") and not stripped.endswith("\\|"):
        stripped = stripped[:-1]
    return [_md_inline(cell) for cell in re.split(r"(?<!\\)\|", stripped)]


def _markdown_pieces(markdown: str) -> list[_Piece]:
    """Headings, paragraphs, list items and tables of a Markdown text."""
    lines = markdown.split("\n")
    pieces: list[_Piece] = []
    section: str | None = None
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            text = _md_inline(" ".join(part.strip() for part in paragraph))
            if text:
                pieces.append(_Piece(kind="paragraph", text=text, section=section))
            paragraph.clear()

    index = 0
    while index < len(lines):
        line = lines[index]
        following = lines[index + 1] if index + 1 < len(lines) else ""
        heading = _MD_HEADING.match(line)
        if _MD_FENCE.match(line):
            flush()
            fence = _MD_FENCE.match(line).group(1)  # type: ignore[union-attr]
            code: list[str] = []
            index += 1
            while index < len(lines) and not lines[index].strip().startswith(fence):
                code.append(lines[index].rstrip())
                index += 1
            if any(code_line.strip() for code_line in code):
                pieces.append(_Piece(kind="paragraph", text="\n".join(code).strip("\n"), section=section))
        elif heading:
            flush()
            section = _md_inline(heading.group(2)) or section
            if section:
                pieces.append(_Piece(kind="heading", text=section, section=section))
        elif (
            line.strip()
            and not paragraph
            and _MD_SETEXT.match(following)
            and not _MD_RULE.match(line)
            and "|" not in line
        ):
            section = _md_inline(line)
            pieces.append(_Piece(kind="heading", text=section, section=section))
            index += 1
        elif "|" in line and _MD_TABLE_SEPARATOR.match(following):
            caption: str | None = None
            if paragraph and _TABLE_CAPTION.match(_md_inline(" ".join(paragraph))):
                caption = _md_inline(" ".join(paragraph))
                paragraph.clear()
            flush()
            rows = [_md_cells(line)]
            index += 2
            while index < len(lines) and "|" in lines[index] and lines[index].strip():
                rows.append(_md_cells(lines[index]))
                index += 1
            pieces.append(_table_piece(caption, [CELL_SEPARATOR.join(row).strip() for row in rows], section))
            continue
        elif not line.strip() or _MD_RULE.match(line) or _MD_REF_DEFINITION.match(line):
            flush()
        elif _MD_LIST_ITEM.match(line):
            flush()
            paragraph.append(_MD_LIST_ITEM.sub("", line, count=1))
        else:
            paragraph.append(re.sub(r"^\s{0,3}>\s?", "", line))
        index += 1
    flush()
    return pieces


def _load_markdown(data: bytes, limits: IngestLimits) -> _Parsed:
    warnings: list[str] = []
    text = _clean_chars(_decode_text(data, warnings))
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.DOTALL)  # YAML front matter is metadata
    pieces = _markdown_pieces(text)
    return _Parsed(
        pieces=pieces,
        title=_first_heading_piece(pieces),
        warnings=warnings,
        empty_reason="the file has no text",
    )
