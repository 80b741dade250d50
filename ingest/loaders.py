"""File loaders: PDF, plain text, Markdown and HTML → :class:`LoadedDocument`.

Every loader produces one clean, readable text (it is what citations quote) plus
:class:`Block` spans over it: paragraphs, headings and tables, joined by a blank line, each
with the heading it falls under as ``section``. PDFs also get ``page_starts`` so any character
maps back to its page. Anything that cannot be ingested raises :class:`LoaderError` with a
reason a maintainer can act on; no other exception escapes for a bad file.

Usage::

    from pathlib import Path
    from ingest.loaders import load_file
    from ingest.manifest import load_manifest
    from ingest.settings import get_settings

    folder = Path("corpus")
    doc = load_file(folder / "ftz-tenth-anniversary-pei-2024.pdf",
                    limits=get_settings().limits, manifest=load_manifest(folder))
    doc.page_at(doc.text.index("Table 2"))  # -> 10
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ingest.documents import Block, BlockKind, LoadedDocument, LoaderError
from ingest.manifest import ManifestEntry, is_manifest
from ingest.settings import IngestLimits

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".pdf", ".txt", ".md", ".markdown", ".html", ".htm"})

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
_NUMERIC_CELL = re.compile(r"^[-+−(]?[$€£¥]?\d[\d,.]*%?\)?$")


def _clean_chars(text: str) -> str:
    """Unicode-normalize line breaks and drop ligatures / invisible characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_CHAR_FIX_TABLE)
    return unicodedata.normalize("NFC", text)


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


# =============================================================================================
# Entry point
# =============================================================================================


def load_file(
    path: Path, *, limits: IngestLimits, manifest: dict[str, ManifestEntry] | None = None
) -> LoadedDocument:
    """Load one file into a cleaned :class:`LoadedDocument`, or raise :class:`LoaderError`.

    Limits are checked as early as possible: file bytes before reading, PDF pages before
    extracting, characters after extracting. Title, publisher and date come from ``manifest``
    (keyed by file name) when it has an entry, else the title is derived from the file.
    """
    suffix = path.suffix.lower()
    if is_manifest(path):
        raise LoaderError(f"{path.name}: this is the folder's metadata manifest, not a document")
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise LoaderError(
            f"{path.name}: unsupported file type {suffix or '(none)'!r}; supported: {supported}"
        )
    try:
        size = path.stat().st_size
    except OSError as error:
        raise LoaderError(f"{path.name}: cannot read the file: {error.strerror or error}") from error
    if size > limits.max_file_bytes:
        raise LoaderError(
            f"{path.name}: file is {size:,} bytes, over the limit of {limits.max_file_bytes:,} bytes "
            "(ZONEQA_LIMITS__MAX_FILE_BYTES)"
        )
    if size == 0:
        raise LoaderError(f"{path.name}: the file is empty")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise LoaderError(f"{path.name}: cannot read the file: {error.strerror or error}") from error

    loader = _LOADERS[suffix]
    try:
        parsed = loader(data, limits)
    except LoaderError as error:
        raise LoaderError(f"{path.name}: {error}") from error
    except Exception as error:  # noqa: BLE001 - a broken file must never crash ingestion
        raise LoaderError(
            f"{path.name}: could not be parsed as {suffix[1:].upper()} ({type(error).__name__}: {error})"
        ) from error

    text, blocks, first_offset = _assemble(parsed.pieces)
    if not text.strip():
        raise LoaderError(f"{path.name}: {parsed.empty_reason}")
    if len(text) > limits.max_chars:
        raise LoaderError(
            f"{path.name}: extracted text has {len(text):,} characters, over the limit of "
            f"{limits.max_chars:,} (ZONEQA_LIMITS__MAX_CHARS)"
        )

    page_starts = _page_starts(first_offset, parsed.page_count, len(text)) if parsed.page_count else None
    entry = (manifest or {}).get(path.name)
    title = entry.title if entry else (parsed.title or _first_heading(text, blocks) or _prettify_stem(path))
    return LoadedDocument(
        source=path.name,
        title=title,
        text=text,
        blocks=blocks,
        page_starts=page_starts,
        publisher=entry.publisher if entry else None,
        date=entry.date if entry else None,
        sha256=hashlib.sha256(data).hexdigest(),
        warnings=parsed.warnings,
    )


@dataclass
class _Parsed:
    """What a format-specific loader hands back to :func:`load_file`."""

    pieces: list[_Piece]
    title: str | None = None
    page_count: int = 0
    warnings: list[str] = field(default_factory=list)
    empty_reason: str = "no text could be extracted"


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
# Plain text (web page text)
# =============================================================================================

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


# =============================================================================================
# Markdown (also the intermediate format of the HTML loader)
# =============================================================================================

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
_TABLE_CAPTION = re.compile(r"^(?:table|tab\.)\s*[\dIVXivx]+[.:]?\s", re.IGNORECASE)


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


def _first_heading_piece(pieces: list[_Piece]) -> str | None:
    return next((piece.text for piece in pieces[:3] if piece.kind == "heading"), None)


# =============================================================================================
# HTML
# =============================================================================================

_HTML_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "iframe",
    "svg",
    "button",
    "template",
)


def _load_html(data: bytes, limits: IngestLimits) -> _Parsed:
    from bs4 import BeautifulSoup

    warnings: list[str] = []
    html = _decode_html(data, warnings)
    soup = BeautifulSoup(html, "html.parser")
    page_title = " ".join(soup.title.get_text(" ").split()) if soup.title else ""
    first_h1 = soup.find("h1")
    h1_text = " ".join(first_h1.get_text(" ").split()) if first_h1 else ""
    title = h1_text if h1_text and (not page_title or h1_text in page_title) else (page_title or h1_text)

    pieces = _html_pieces_trafilatura(html)
    if not pieces:
        pieces = _html_pieces_soup(soup)
    # trafilatura reports the article title as the first heading only sometimes: keep it uniform.
    if h1_text and not any(piece.kind == "heading" and piece.text == h1_text for piece in pieces):
        pieces.insert(0, _Piece(kind="heading", text=h1_text, section=h1_text))
        pieces = _resection(pieces)
    return _Parsed(
        pieces=pieces,
        title=title or None,
        warnings=warnings,
        empty_reason="the page has no main text (only scripts, navigation or boilerplate)",
    )


def _decode_html(data: bytes, warnings: list[str]) -> str:
    declared = re.search(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_-]+)", data[:4096], re.IGNORECASE)
    if declared:
        try:
            return _clean_chars(data.decode(declared.group(1).decode("ascii")))
        except (UnicodeDecodeError, LookupError):
            pass
    return _clean_chars(_decode_text(data, warnings))


def _html_pieces_trafilatura(html: str) -> list[_Piece]:
    """Main text via trafilatura (boilerplate removal), as Markdown, parsed into pieces."""
    try:
        import trafilatura
    except ImportError:
        return []
    markdown = trafilatura.extract(
        html,
        output_format="markdown",
        include_tables=True,
        include_formatting=True,
        include_comments=False,
        include_links=False,
        include_images=False,
        deduplicate=True,
    )
    return _markdown_pieces(_clean_chars(markdown)) if markdown else []


def _html_pieces_soup(soup: object) -> list[_Piece]:
    """Fallback extraction: the <article>/<main> (else <body>) minus page furniture."""
    from bs4 import BeautifulSoup, Tag

    assert isinstance(soup, BeautifulSoup)
    for tag in soup.find_all(_HTML_DROP_TAGS):
        tag.decompose()
    root = soup.find("article") or soup.find("main") or soup.body or soup
    pieces: list[_Piece] = []
    section: str | None = None
    for element in root.find_all(
        ["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "table", "pre", "blockquote"]
    ):
        if not isinstance(element, Tag) or element.find_parent(["table", "li", "blockquote"]) not in (
            None,
            root,
        ):
            continue
        if element.name == "table":
            rows = []
            for row in element.find_all("tr"):
                cells = [" ".join(cell.get_text(" ").split()) for cell in row.find_all(["th", "td"])]
                if any(cells):
                    rows.append(CELL_SEPARATOR.join(cells))
            caption_tag = element.find("caption")
            caption = " ".join(caption_tag.get_text(" ").split()) if caption_tag else None
            if rows:
                pieces.append(_table_piece(caption, rows, section))
            continue
        text = " ".join(element.get_text(" ").split())
        if not text:
            continue
        if element.name and element.name[0] == "h":
            section = text
            pieces.append(_Piece(kind="heading", text=text, section=section))
        else:
            pieces.append(_Piece(kind="paragraph", text=text, section=section))
    return pieces


def _resection(pieces: list[_Piece]) -> list[_Piece]:
    section: str | None = None
    for piece in pieces:
        if piece.kind == "heading":
            section = piece.text
        piece.section = section
    return pieces


# =============================================================================================
# PDF
# =============================================================================================

_PAGE_NUMBER_LINE = re.compile(
    r"^(?:page\s*)?[-–—(\[]?\s*\d{1,4}\s*[-–—)\]]?(?:\s*(?:/|of)\s*\d{1,4})?$", re.IGNORECASE
)
_FOOTNOTE_START = re.compile(r"^(?:[*†‡§]|\d{1,2}\s+(?=[A-Z“\"(]))")
_NUMBERED_HEADING = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2})*\.?|[IVX]{1,5}\.|\([ivx\d]{1,4}\))\s+[A-Z“\"]")
_NAMED_HEADING = re.compile(
    r"^(?:abstract|introduction|background|conclusions?|summary|discussion|references|bibliography"
    r"|acknowledge?ments?|appendix(?:\s+[A-Z\d]+)?|notes)\s*:?$",
    re.IGNORECASE,
)
_REFERENCES_HEADING = re.compile(r"^(?:references|bibliography|works\s+cited)\s*:?$", re.IGNORECASE)
_TABLE_NOTE = re.compile(r"^(?:data\s+)?(?:source|sources|note|notes)\s*:", re.IGNORECASE)
_COLUMN_GAP = re.compile(r" {2,}")
_PROSE_MAX_GAPS = 2  # a line with more wide gaps than this is a table row
_PROSE_MIN_CHARS = 40  # shorter lines with a gap may be table headers: leave them alone
_HEADING_MAX_CHARS = 120
_SHORT_LINE_RATIO = 0.8  # a line this much shorter than the text width ends its paragraph (if punctuated)
_FULL_LINE_RATIO = 0.8  # a line at least this wide is running prose, not a label or heading
_REPEATED_LINE_SHARE = 0.5  # a first/last line on this share of pages is a running header/footer
_MIN_PAGES_FOR_REPEATS = 3
_EDGE_LINES = 2  # how many lines at the top and bottom of a page may be running headers/footers
_TABLE_LABEL_MAX = 25  # a short line under a table row continues that row's label ("Volume")
_TITLE_MAX_LINES = 3
_CAPTION_MAX_LINES = 3
_METADATA_TITLE_MIN_WORDS = 4


@dataclass
class _Line:
    text: str  # layout-mode line, right-stripped, indentation kept
    page: int

    @property
    def stripped(self) -> str:
        return self.text.strip()

    @property
    def indent(self) -> int:
        return len(self.text) - len(self.text.lstrip())

    def segments(self) -> list[tuple[int, str]]:
        """Cells of a layout line: runs of text separated by two or more spaces, with their column."""
        return [(match.start(), match.group()) for match in re.finditer(r"\S+(?: \S+)*", self.text)]


_BLANK = _Line("", 0)


def _load_pdf(data: bytes, limits: IngestLimits) -> _Parsed:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    warnings: list[str] = []
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
    except (PdfReadError, ValueError, OSError, KeyError, TypeError) as error:
        raise LoaderError(f"not a readable PDF (corrupt or truncated): {error}") from error
    if reader.is_encrypted:
        try:
            unlocked = reader.decrypt("")
        except Exception as error:  # noqa: BLE001 - unsupported crypto is the same answer
            raise LoaderError(f"the PDF is encrypted and cannot be opened ({error})") from error
        if not unlocked:
            raise LoaderError("the PDF is encrypted (password protected); save an unprotected copy")
        warnings.append("the PDF is encrypted with an empty password; opened it")
    try:
        page_count = len(reader.pages)
    except Exception as error:  # noqa: BLE001
        raise LoaderError(f"not a readable PDF (page tree is broken): {error}") from error
    if page_count == 0:
        raise LoaderError("the PDF has no pages")
    if page_count > limits.max_pdf_pages:
        raise LoaderError(
            f"the PDF has {page_count:,} pages, over the limit of {limits.max_pdf_pages:,} "
            "(ZONEQA_LIMITS__MAX_PDF_PAGES)"
        )

    pages: list[list[_Line]] = []
    plain_pages: list[str] = []
    total_chars = 0
    for number, page in enumerate(reader.pages, start=1):
        try:
            layout = page.extract_text(extraction_mode="layout")
            plain = page.extract_text()
        except Exception as error:  # noqa: BLE001 - one unreadable page should not lose the rest
            warnings.append(f"page {number}: text could not be extracted ({type(error).__name__})")
            layout, plain = "", ""
        total_chars += len(plain)
        if total_chars > limits.max_chars:
            raise LoaderError(
                f"extracted text passes {limits.max_chars:,} characters by page {number} "
                "(ZONEQA_LIMITS__MAX_CHARS)"
            )
        pages.append([_Line(line.rstrip(), number) for line in _clean_chars(layout).split("\n")])
        plain_pages.append(" ".join(_clean_chars(plain).split()))

    if not any(line.stripped for lines in pages for line in lines):
        raise LoaderError(
            "the PDF has no extractable text: it is probably scanned or image-only (run OCR first)"
        )
    _drop_running_lines(pages)
    for lines, plain in zip(pages, plain_pages, strict=True):
        for line in lines:
            line.text = _fix_layout_gaps(line.text, plain)
    pieces = _PdfStructure(pages).pieces()
    metadata_title = _pdf_metadata_title(reader)
    title = metadata_title or _first_heading_piece(pieces)
    return _Parsed(pieces=pieces, title=title, page_count=page_count, warnings=warnings)


def _pdf_metadata_title(reader: object) -> str | None:
    """The document-info title, when it reads like a real title (not a file name or a stub)."""
    try:
        raw = reader.metadata.title if reader.metadata else None  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - broken metadata is not worth failing for
        return None
    title = " ".join(str(raw or "").split())
    if len(title.split()) < _METADATA_TITLE_MIN_WORDS:
        return None
    if re.search(r"\.(?:docx?|pdf|tex|indd|rtf|odt|pptx?)$", title, re.IGNORECASE) or re.match(
        r"^(?:untitled|microsoft word|document\d*|slide \d+)\b", title, re.IGNORECASE
    ):
        return None
    return title


def _edge_key(text: str) -> str:
    """Normalized form for comparing header/footer lines across pages (digits masked)."""
    return re.sub(r"\d+", "#", " ".join(text.lower().split()))


def _drop_running_lines(pages: list[list[_Line]]) -> None:
    """Remove running headers/footers and bare page numbers at the top or bottom of pages."""
    edges: list[tuple[list[_Line], list[_Line]]] = []
    for lines in pages:
        content = [line for line in lines if line.stripped]
        edges.append((content[:_EDGE_LINES], content[-_EDGE_LINES:] if content else []))
    counts: Counter[str] = Counter()
    for top, bottom in edges:
        counts.update({_edge_key(line.text) for line in top} | {_edge_key(line.text) for line in bottom})
    repeated = {
        key
        for key, count in counts.items()
        if len(pages) >= _MIN_PAGES_FOR_REPEATS and count >= max(2, _REPEATED_LINE_SHARE * len(pages))
    }
    for lines, (top, bottom) in zip(pages, edges, strict=True):
        doomed = {
            id(line)
            for line in (*top, *bottom)
            if _edge_key(line.text) in repeated or _PAGE_NUMBER_LINE.match(line.stripped)
        }
        if doomed:
            lines[:] = [line for line in lines if id(line) not in doomed]


def _fix_layout_gaps(text: str, plain: str) -> str:
    """Repair layout mode's stray gaps inside prose ("cliﬀ      -like", "CO     VID-19").

    Layout extraction pads text with spaces to keep columns; inside a sentence such a gap is an
    artefact. The plain extraction of the same page says how the two sides belong together
    (no space, or one). Lines with several gaps are table rows and keep them: they separate cells.
    """
    indent = len(text) - len(text.lstrip())
    body = text.strip()
    gaps = list(_COLUMN_GAP.finditer(body))
    if not gaps or len(gaps) > _PROSE_MAX_GAPS or len(body.replace(" ", "")) < _PROSE_MIN_CHARS:
        return text
    pieces: list[str] = []
    position = 0
    for gap in gaps:
        left = body[position : gap.start()]
        pieces.append(left)
        left_word = left.split(" ")[-1]
        right_word = body[gap.end() :].split(" ")[0]
        if left_word + right_word in plain:
            pieces.append("")
        elif f"{left_word} {right_word}" in plain:
            pieces.append(" ")
        else:
            pieces.append(gap.group())  # not an artefact that the plain text explains: keep it
        position = gap.end()
    pieces.append(body[position:])
    return " " * indent + "".join(pieces)


class _PdfStructure:
    """Turns cleaned layout lines of all pages into paragraphs, headings, tables and footnotes."""

    def __init__(self, pages: list[list[_Line]]) -> None:
        self.lines: list[_Line] = []
        for lines in pages:
            # Strip each page's leading/trailing blank lines; a page break separates like a blank.
            content = [index for index, line in enumerate(lines) if line.stripped]
            if content:
                self.lines.extend(lines[content[0] : content[-1] + 1])
            self.lines.append(_BLANK)
        widths = [len(line.text) for line in self.lines if line.stripped and len(line.segments()) == 1]
        self.width = statistics.quantiles(widths, n=10)[7] if len(widths) >= 10 else max(widths, default=80)
        self.vocabulary, self.compounds = self._vocabulary()
        self.footnote_numbers: set[str] = set()

    # ---- vocabulary for hyphenation ---------------------------------------------------------
    def _vocabulary(self) -> tuple[set[str], set[str]]:
        """Words and hyphenated compounds of the text, leaving out halves split at a line end."""
        words: set[str] = set()
        compounds: set[str] = set()
        previous_split = False
        for line in self.lines:
            tokens = re.findall(r"[A-Za-z]+(?:-[A-Za-z]+)*", line.text)
            split_here = line.text.endswith("-")
            if previous_split and tokens:
                tokens = tokens[1:]  # the second half of a word split by the previous line
            if split_here and tokens:
                tokens = tokens[:-1]
            previous_split = split_here
            for token in tokens:
                lowered = token.lower()
                if "-" in lowered:
                    compounds.add(lowered)
                    words.update(lowered.split("-"))
                else:
                    words.add(lowered)
        return words, compounds

    def _join(self, text: str, line: str) -> str:
        """Join two wrapped lines; a line-end hyphen stays only if it is a real compound hyphen."""
        hyphen = re.search(r"([A-Za-z]+)-$", text)
        next_word = re.match(r"[A-Za-z]+", line)
        if hyphen and next_word:
            left, right = hyphen.group(1).lower(), next_word.group().lower()
            if f"{left}-{right}" in self.compounds or len(left) <= 2:
                return text + line  # "cross-" + "border", "e-" + "commerce"
            if left + right in self.vocabulary:
                return text[:-1] + line  # "develop-" + "ment"
            if left in self.vocabulary and right in self.vocabulary:
                return text + line  # both halves are words of this text: a compound
            return text[:-1] + line
        if text.endswith("-") and line[:1].isdigit():
            return text + line  # page ranges "62-" + "64."
        return f"{text} {line}"

    # ---- line classification ---------------------------------------------------------------
    def _is_table_line(self, line: _Line, previous_was_row: bool) -> bool:
        if not line.stripped:
            return False
        segments = line.segments()
        numeric = sum(1 for _, cell in segments if _NUMERIC_CELL.match(cell))
        if len(segments) >= 3 or numeric >= 2 or (len(segments) >= 2 and line.indent >= 4):
            return True
        return (
            previous_was_row
            and len(line.stripped) <= _TABLE_LABEL_MAX
            and not _TABLE_NOTE.match(line.stripped)
        )

    def _is_heading(self, lines: list[_Line], *, first_block: bool) -> bool:
        text = " ".join(line.stripped for line in lines)
        short = len(lines) == 1 and len(text) <= _HEADING_MAX_CHARS and not text.endswith((".", ",", ";"))
        if short and (_NUMBERED_HEADING.match(text) or _NAMED_HEADING.match(text)):
            return True
        return (
            first_block
            and len(lines) <= _TITLE_MAX_LINES
            and not _SENTENCE_END.search(text)
            and all(len(line.text) < self.width * 1.05 for line in lines)
            and _looks_like_title(text, max_words=40)
        )

    def _has_full_line(self, lines: list[_Line]) -> bool:
        return any(len(line.text) >= self.width * _FULL_LINE_RATIO for line in lines)

    # ---- main pass ---------------------------------------------------------------------------
    def pieces(self) -> list[_Piece]:
        pieces: list[_Piece] = []
        section: str | None = None
        open_paragraph: list[_Line] = []  # the paragraph still allowed to continue
        deferred: list[_Piece] = []  # footnotes waiting for the paragraph they interrupt to end

        def close_paragraph() -> None:
            if open_paragraph:
                pieces.append(self._paragraph_piece(open_paragraph, section))
                open_paragraph.clear()
            pieces.extend(deferred)
            deferred.clear()

        index = 0
        blank_run = 0
        first_block = True
        in_footnotes = False
        while index < len(self.lines):
            line = self.lines[index]
            if not line.stripped:
                blank_run += 1
                index += 1
                continue
            gap_before, blank_run = blank_run, 0

            if _TABLE_CAPTION.match(line.stripped) and self._table_follows(index):
                close_paragraph()
                piece, index = self._table(index, section)
                pieces.append(piece)
                first_block = False
                continue

            block, index = self._block(index)
            starts_note = bool(_FOOTNOTE_START.match(block[0].stripped)) and not first_block
            in_footnotes = starts_note and (gap_before >= 2 or in_footnotes)
            if in_footnotes:
                # A footnote: keep it whole, after the paragraph it interrupts.
                for part in self._split_footnotes(block):
                    marker = re.match(r"\d{1,2}(?=\s)", part[0].stripped)
                    if marker:
                        self.footnote_numbers.add(marker.group())
                    deferred.append(self._paragraph_piece(part, section))
                continue
            if self._is_heading(block, first_block=first_block):
                close_paragraph()
                section = " ".join(part.stripped for part in block)
                pieces.append(
                    _Piece(kind="heading", text=section, section=section, pages=[(0, block[0].page)])
                )
                first_block = False
                continue
            first_block = False
            in_references = bool(section and _REFERENCES_HEADING.match(section))
            for part in self._split_short_lines(block, every_sentence=in_references):
                if open_paragraph and self._continues(open_paragraph, part):
                    open_paragraph.extend(part)
                    continue
                close_paragraph()
                open_paragraph.extend(part)
        close_paragraph()
        return [self._strip_footnote_markers(piece) for piece in pieces]

    def _block(self, index: int) -> tuple[list[_Line], int]:
        """Consecutive non-blank lines from ``index`` (a page break ends a block)."""
        block: list[_Line] = []
        while index < len(self.lines) and self.lines[index].stripped:
            block.append(self.lines[index])
            index += 1
        return block, index

    def _split_short_lines(self, block: list[_Line], *, every_sentence: bool = False) -> list[list[_Line]]:
        """Split where a punctuated line is much shorter than the text width (lists, references).

        In a reference list every line that ends with a period ends an entry.
        """
        parts: list[list[_Line]] = [[]]
        for position, line in enumerate(block):
            parts[-1].append(line)
            last = position == len(block) - 1
            short = len(line.text) < self.width * _SHORT_LINE_RATIO
            if (
                not last
                and _SENTENCE_END.search(line.stripped)
                and (short or every_sentence)
                and not block[position + 1].stripped[:1].islower()
            ):
                parts.append([])
        return [part for part in parts if part]

    def _split_footnotes(self, block: list[_Line]) -> list[list[_Line]]:
        parts: list[list[_Line]] = []
        for line in block:
            if not parts or _FOOTNOTE_START.match(line.stripped):
                parts.append([line])
            else:
                parts[-1].append(line)
        return parts

    def _continues(self, paragraph: list[_Line], part: list[_Line]) -> bool:
        """Does ``part`` (after a blank line or page break) continue the open ``paragraph``?"""
        first = part[0].stripped
        if first[:1].islower():
            return True
        if _SENTENCE_END.search(paragraph[-1].stripped) or _LABEL_LINE.match(first):
            return False
        return self._has_full_line(paragraph)

    def _paragraph_piece(self, lines: list[_Line], section: str | None) -> _Piece:
        text = ""
        pages: list[tuple[int, int]] = []
        # Several short lines with no running prose (an address, affiliations) keep their breaks.
        keep_breaks = len(lines) > 1 and not self._has_full_line(lines)
        for line in lines:
            stripped = line.stripped
            if not text:
                text = stripped
            else:
                text = f"{text}\n{stripped}" if keep_breaks else self._join(text, stripped)
            if not pages or pages[-1][1] != line.page:
                pages.append((len(text) - len(stripped), line.page))
        return _Piece(kind="paragraph", text=text, section=section, pages=pages)

    def _strip_footnote_markers(self, piece: _Piece) -> _Piece:
        """Drop superscript footnote numbers flattened into the text ("China,1 as well as")."""
        if piece.kind != "paragraph" or not self.footnote_numbers:
            return piece
        numbers = "|".join(sorted(self.footnote_numbers, key=len, reverse=True))
        marker = re.compile(
            rf"(?<=[a-z”\"’)\]][,.;:])(?:{numbers})(?=\s)|(?<=[a-z”\"’)\]])(?:{numbers})(?=[\s,.;:])"
        )
        pages = piece.pages
        text = piece.text
        for match in reversed(list(marker.finditer(text))):
            start, end = match.span()
            text = text[:start] + text[end:]
            pages = [(offset - (end - start) if offset > start else offset, page) for offset, page in pages]
        return _Piece(kind=piece.kind, text=text, section=piece.section, pages=pages, rows=piece.rows)

    # ---- tables --------------------------------------------------------------------------------
    def _table_follows(self, index: int) -> bool:
        """Is the caption block at ``index`` (at most a few lines) followed by table rows?"""
        look = index + 1
        while look < len(self.lines) and self.lines[look].stripped:
            if self._is_table_line(self.lines[look], previous_was_row=False):
                return True
            if look - index >= _CAPTION_MAX_LINES:
                return False
            look += 1
        while look < len(self.lines) and not self.lines[look].stripped:
            look += 1
        return look < len(self.lines) and self._is_table_line(self.lines[look], previous_was_row=False)

    def _table(self, index: int, section: str | None) -> tuple[_Piece, int]:
        caption_lines = [self.lines[index].stripped]
        index += 1
        while (
            index < len(self.lines)
            and self.lines[index].stripped
            and not self._is_table_line(self.lines[index], previous_was_row=False)
        ):
            caption_lines.append(self.lines[index].stripped)
            index += 1
        caption = " ".join(caption_lines)
        caption_page = self.lines[index - 1].page

        raw_rows: list[_Line] = []
        previous_was_row = False
        while index < len(self.lines):
            line = self.lines[index]
            if not line.stripped:
                previous_was_row = False
                index += 1
                continue
            if not self._is_table_line(line, previous_was_row):
                break
            raw_rows.append(line)
            previous_was_row = True
            index += 1
        rows, row_pages = self._cells(raw_rows)
        notes: list[str] = []
        note_pages: list[int | None] = []
        while True:
            look = index
            while look < len(self.lines) and not self.lines[look].stripped:
                look += 1
            if look >= len(self.lines) or not _TABLE_NOTE.match(self.lines[look].stripped):
                break
            block, index = self._block(look)
            notes.append(self._paragraph_piece(block, section).text)
            note_pages.append(block[0].page)
        piece = _table_piece(caption, rows + notes, section, [*row_pages, *note_pages])
        piece.pages.insert(0, (0, caption_page))
        return piece, index

    def _cells(self, raw_rows: list[_Line]) -> tuple[list[str], list[int | None]]:
        """Group layout lines into table rows of cells (multi-line headers and labels merged)."""
        data_lines = [
            line for line in raw_rows if any(_NUMERIC_CELL.match(cell) for _, cell in line.segments())
        ]
        data_ids = {id(line) for line in data_lines}
        if not data_lines:
            return [line.stripped for line in raw_rows], [line.page for line in raw_rows]
        widest = max(data_lines, key=lambda line: len(line.segments()))
        columns = [(start, start + len(cell)) for start, cell in widest.segments()]
        for line in data_lines:  # widen column spans with every data row
            for start, cell in line.segments():
                column = self._column(columns, start, start + len(cell))
                low, high = columns[column]
                columns[column] = (min(low, start), max(high, start + len(cell)))

        rows: list[list[str]] = []
        row_pages: list[int | None] = []
        header_keys: set[str] = set()
        pending_header: list[str] | None = None
        pending_page: int | None = None
        previous: _Line | None = None
        for line in raw_rows:
            is_data = id(line) in data_ids
            cells = [""] * len(columns)
            for start, cell in line.segments():
                column = self._column(columns, start, start + len(cell))
                cells[column] = f"{cells[column]} {cell}".strip()
            if is_data:
                if pending_header is not None:
                    key = _edge_key(" ".join(pending_header))
                    if key not in header_keys:  # a header repeated on a new page is furniture
                        header_keys.add(key)
                        rows.append(pending_header)
                        row_pages.append(pending_page)
                    pending_header = None
                rows.append(cells)
                row_pages.append(line.page)
            elif previous is not None and id(previous) in data_ids and previous.page == line.page:
                # A wrapped row label under a data row ("Inflow" / "Volume").
                rows[-1] = [f"{old} {new}".strip() for old, new in zip(rows[-1], cells, strict=True)]
            else:
                if pending_header is None:
                    pending_header, pending_page = cells, line.page
                else:
                    pending_header = [
                        f"{old} {new}".strip() for old, new in zip(pending_header, cells, strict=True)
                    ]
            previous = line
        texts = []
        for cells in rows:
            while cells and not cells[-1]:
                cells = cells[:-1]
            texts.append(CELL_SEPARATOR.join(cells).strip())
        return texts, row_pages

    @staticmethod
    def _column(columns: list[tuple[int, int]], start: int, end: int) -> int:
        """The column a cell spanning ``start..end`` belongs to: most overlap, else nearest centre."""
        overlaps = [min(end, high) - max(start, low) for low, high in columns]
        best = max(range(len(columns)), key=lambda column: overlaps[column])
        if overlaps[best] > 0:
            return best
        centre = (start + end) / 2
        return min(
            range(len(columns)),
            key=lambda column: abs((columns[column][0] + columns[column][1]) / 2 - centre),
        )


_LOADERS: dict[str, Callable[[bytes, IngestLimits], _Parsed]] = {
    ".pdf": _load_pdf,
    ".txt": _load_txt,
    ".md": _load_markdown,
    ".markdown": _load_markdown,
    ".html": _load_html,
    ".htm": _load_html,
}
