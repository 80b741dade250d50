r"""Plain-text loader (mostly web page text): decoding, page-furniture removal, paragraphs and headings.

Lines that are navigation or metadata (menus, "Share this article", bylines, bare dates, "Related
News" and what follows) are dropped whole; hard-wrapped prose is rejoined per blank-separated group;
a short unpunctuated line followed by a longer paragraph becomes a heading.

Usage::

    from core.config import get_settings
    from ingest.loaders.text import _load_txt

    parsed = _load_txt(b"Free Zones\n\nA free zone is a fenced area.\nShare this article", get_settings().limits)
    [piece.kind for piece in parsed.pieces]  # -> ["heading", "paragraph"]; parsed.title == "Free Zones"
"""

from __future__ import annotations

import re

from core.config import IngestLimits
from core.errors import LoaderError
from ingest.loaders.assembly import (
    _LABEL_LINE,
    _SENTENCE_END,
    _clean_chars,
    _decode_text,
    _looks_like_title,
    _Parsed,
    _Piece,
)

# Furniture that web pages wrap around an article. Each rule removes whole lines only, and only
# lines that are navigation or metadata, never a sentence of the article.
_TXT_DROP_LINE = re.compile(
    r"""^(?:
        go\s+back | back | back\s+to\s+top | top | close | print | print\s+this\s+page
      | share(?:\s+(?:to|this|on))?:? | share\s+this\s+article:?
      | previous(?:\s+article)? | next(?:\s+article)? | more | read\s+more | home
      | release\s+time:? | publish(?:ed)?\s+(?:time|date):? | views?:?\s*\d* | font\s+size:?.*
      | click\s+here\b.{0,100} | .{0,100}\ball\s+rights\s+reserved\.?
      | (?:©|\(c\)|copyright\s*(?:©|\(c\))?\s*\d{4}).{0,100}
      | leave\s+your\s+(?:information|message)\b.* | subscribe\b.{0,40}
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
# "By /Oct 10, 2025", "By John Smith / Oct 10, 2025": bylines of other articles in a page list.
_TXT_BYLINE = re.compile(r"^by\s*[^/]{0,60}/\s*[A-Z][a-z]{2,8}\.?\s+\d{1,2},\s+\d{4}$", re.IGNORECASE)
# A line that is only a date / timestamp ("2020-09-08 00:00", "2025.03.14", "Oct 10, 2025").
_TXT_DATE_ONLY = re.compile(
    r"^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?"
    r"|[A-Z][a-z]{2,8}\.?\s+\d{1,2},\s+\d{4}|\d{1,2}\s+[A-Z][a-z]{2,8}\s+\d{4})$"
)
# Headings after which the rest of the page is a list of other pages, not this article.
_TXT_TRAILER = re.compile(
    r"^(?:related\s+(?:news|articles?|posts?|stories)|recommended|you\s+may\s+also\s+like)\s*:?$",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^\s*[•·▪◦●○■□►▸‣⁃–—]\s*")
_NAV_WORDS_MAX = 5  # a site-menu entry has at most this many words
_NAV_RUN_MIN = 3  # this many menu-like lines in a row at the end of a page are the site menu
_HEADING_MAX_WORDS = 14
_WRAPPED_LINE_MAX = 100  # text whose lines never exceed this is hard-wrapped prose


def _is_nav_line(line: str) -> bool:
    """A site-menu entry: a few words, no punctuation ("About Us", "Business Consulting")."""
    return len(line.split()) <= _NAV_WORDS_MAX and not _SENTENCE_END.search(line) and ":" not in line


def _clean_web_lines(lines: list[str]) -> list[str]:
    """Apply the furniture rules to stripped lines ("" marks a blank line)."""
    kept: list[str] = []
    title = next((line for line in lines if line), "")
    seen_title = False
    for line in lines:
        if _TXT_TRAILER.match(line):
            break  # "Related News" and everything after it lists other pages
        if line and line == title and _looks_like_title(line):
            if seen_title:
                continue  # the page repeats its title (breadcrumb, print header)
            seen_title = True
        if line and (_TXT_DROP_LINE.match(line) or _TXT_BYLINE.match(line) or _TXT_DATE_ONLY.match(line)):
            continue
        kept.append(line)
    # A run of short menu-like lines at the very end is the site's navigation menu.
    content = [index for index, line in enumerate(kept) if line]
    tail = 0
    for index in reversed(content):
        if not _is_nav_line(kept[index]):
            break
        tail += 1
    if tail >= _NAV_RUN_MIN:
        kept = kept[: content[len(content) - tail]]
    while kept and not kept[-1]:
        kept.pop()
    return kept


def _text_pieces(lines: list[str]) -> list[_Piece]:
    """Paragraphs (one per line, or per blank-separated group for hard-wrapped text) and headings."""
    content = [line for line in lines if line]
    wrapped = (
        len(content) != len(lines)
        and bool(content)
        and max(len(line) for line in content) <= _WRAPPED_LINE_MAX
        and len(content) > 2 * lines.count("")
    )
    paragraphs: list[str] = []
    if wrapped:
        group: list[str] = []
        for line in [*lines, ""]:
            if line:
                group.append(line)
            elif group:
                paragraphs.append(_join_wrapped(group))
                group = []
    else:
        paragraphs = content

    pieces: list[_Piece] = []
    section: str | None = None
    for index, paragraph in enumerate(paragraphs):
        is_bullet = bool(_BULLET.match(paragraph))
        text = _BULLET.sub("", paragraph).strip()
        if not text:
            continue
        following = paragraphs[index + 1] if index + 1 < len(paragraphs) else ""
        if not is_bullet and _is_text_heading(text, following, first=index == 0):
            section = text
            pieces.append(_Piece(kind="heading", text=text, section=section))
        else:
            pieces.append(_Piece(kind="paragraph", text=text, section=section))
    return pieces


def _is_text_heading(line: str, following: str, *, first: bool) -> bool:
    """A short line without final punctuation, followed by a longer paragraph, is a heading."""
    if not _looks_like_title(line, max_words=_HEADING_MAX_WORDS if not first else 30):
        return False
    if line.endswith((":", ")")) or line.startswith("(") or _LABEL_LINE.match(line + " "):
        return False
    return bool(following) and (first or len(following) > len(line))


def _join_wrapped(lines: list[str]) -> str:
    text = lines[0]
    for line in lines[1:]:
        split_word = re.search(r"[A-Za-z]-$", text) and line[:1].islower()
        text = text[:-1] + line if split_word else f"{text} {line}"
    return text


def _load_txt(data: bytes, limits: IngestLimits) -> _Parsed:
    warnings: list[str] = []
    text = _clean_chars(_decode_text(data, warnings))
    if "\x00" in text:
        raise LoaderError("the file contains NUL bytes: it looks binary, not text")
    lines = [" ".join(line.split()) for line in text.split("\n")]
    pieces = _text_pieces(_clean_web_lines(lines))
    first = pieces[0] if pieces else None
    title = first.text if first and first.kind == "heading" else None
    return _Parsed(pieces=pieces, title=title, warnings=warnings, empty_reason="the file has no text")
