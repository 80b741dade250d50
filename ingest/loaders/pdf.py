"""PDF loader: pypdf layout text → paragraphs, headings, tables and footnotes, with page numbers.

Limits are checked before extraction (page count) and during it (characters). Running headers,
footers and page numbers are dropped; layout-mode gaps inside prose are repaired from the plain
extraction; :class:`_PdfStructure` rebuilds paragraphs across line and page breaks, un-hyphenates
words, detects headings, tables (with their notes) and footnotes. pypdf is imported only when a
PDF is loaded.

Usage::

    from pathlib import Path
    from core.config import get_settings
    from ingest.loaders.pdf import _load_pdf

    parsed = _load_pdf(Path("corpus/ftz-tenth-anniversary-pei-2024.pdf").read_bytes(), get_settings().limits)
    parsed.page_count, parsed.title  # pieces carry (offset, page) marks for the page map
"""

from __future__ import annotations

import io
import re
import statistics
from collections import Counter
from dataclasses import dataclass

from core.config import IngestLimits
from core.errors import LoaderError
from ingest.loaders.assembly import (
    _LABEL_LINE,
    _SENTENCE_END,
    _TABLE_CAPTION,
    CELL_SEPARATOR,
    _clean_chars,
    _first_heading_piece,
    _looks_like_title,
    _Parsed,
    _Piece,
    _table_piece,
)

_NUMERIC_CELL = re.compile(r"^[-+−(]?[$€£¥]?\d[\d,.]*%?\)?$")
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
#: Decompressed content one page may have (the corpus's largest page has 41 KB). Pages are parsed
#: in pure Python at about a second per MB, so an 8 MB stream of no-op operators is refused here.
MAX_PAGE_STREAM_BYTES = 1024 * 1024
# Quick test for content that may draw invisible text (render mode 3/7, or a white fill colour);
# only pages that match pay for the content-stream rewrite.
_MAY_HIDE = re.compile(rb"[37]\s+Tr\b|\b1(\.0*)?\s+(1(\.0*)?\s+1(\.0*)?\s+)?(rg|g|sc|scn)\b|\b0\s+0\s+0\s+0\s+k\b")
_INVISIBLE_MODES = {3, 7}  # neither fill nor stroke
_FILL_MODES = {0, 2, 4, 6}  # the fill colour shows (modes 1 and 5 only stroke)
_WHITE = 0.95


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
    stream_bytes = 0
    hidden_runs = 0
    for number, page in enumerate(reader.pages, start=1):
        content = _page_content(page, number, warnings)
        if len(content) > MAX_PAGE_STREAM_BYTES:
            raise LoaderError(
                f"page {number} has {len(content):,} bytes of decompressed content, over the limit of "
                f"{MAX_PAGE_STREAM_BYTES:,} bytes per page"
            )
        stream_bytes += len(content)  # a stream shared by several pages counts on each of them
        if stream_bytes > limits.max_pdf_stream_bytes:
            raise LoaderError(
                f"the PDF's page content passes {limits.max_pdf_stream_bytes:,} decompressed bytes by page "
                f"{number} (ZONEQA_LIMITS__MAX_PDF_STREAM_BYTES)"
            )
        if _MAY_HIDE.search(content):
            hidden_runs += _drop_invisible_text(page, reader)
        try:
            layout = page.extract_text(extraction_mode="layout")
            plain = page.extract_text()
        except Exception as error:  # noqa: BLE001 - one unreadable page should not lose the rest
            warnings.append(f"page {number}: text could not be extracted ({type(error).__name__})")
            layout, plain = "", ""
        total_chars += len(plain)
        if total_chars > limits.max_chars:
            raise LoaderError(
                f"extracted text passes {limits.max_chars:,} characters by page {number} (ZONEQA_LIMITS__MAX_CHARS)"
            )
        pages.append([_Line(line.rstrip(), number) for line in _clean_chars(layout).split("\n")])
        plain_pages.append(" ".join(_clean_chars(plain).split()))

    if hidden_runs:
        warnings.append(f"dropped {hidden_runs} runs of invisible text (render mode 3/7 or white)")
    if not any(line.stripped for lines in pages for line in lines):
        raise LoaderError("the PDF has no extractable text: it is probably scanned or image-only (run OCR first)")
    _drop_running_lines(pages)
    for lines, plain in zip(pages, plain_pages, strict=True):
        for line in lines:
            line.text = _fix_layout_gaps(line.text, plain)
    pieces = _PdfStructure(pages).pieces()
    metadata_title = _pdf_metadata_title(reader)
    title = metadata_title or _first_heading_piece(pieces)
    return _Parsed(pieces=pieces, title=title, page_count=page_count, warnings=warnings)


def _page_content(page: object, number: int, warnings: list[str]) -> bytes:
    """The page's decompressed content stream(s); empty when they cannot be read."""
    try:
        contents = page.get_contents()  # type: ignore[attr-defined]
        return bytes(contents.get_data()) if contents is not None else b""
    except Exception as error:  # noqa: BLE001 - extraction reports the page as unreadable
        warnings.append(f"page {number}: content could not be decoded ({type(error).__name__})")
        return b""


def _fill_is_white(operator: bytes, operands: list[object]) -> bool | None:
    """Whether a colour operator sets a white fill; None when ``operator`` sets no fill colour."""
    if operator not in (b"g", b"rg", b"k", b"sc", b"scn"):
        return None
    try:
        values = [float(value) for value in operands]  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False  # a pattern or named colour: assume visible
    if operator == b"k" or (operator in (b"sc", b"scn") and len(values) == 4):
        return bool(values) and all(value <= 1 - _WHITE for value in values)
    return bool(values) and all(value >= _WHITE for value in values)


def _drop_invisible_text(page: object, reader: object) -> int:
    """Rewrite the page's content without text drawn invisible (render mode 3 or 7) or in white
    fill, so extraction never sees it; returns how many text runs were dropped."""
    from pypdf.generic import ContentStream, NameObject

    try:
        content = ContentStream(page.get_contents(), reader)  # type: ignore[attr-defined]
        operations = content.operations
    except Exception:  # noqa: BLE001 - unparseable content: extraction will report it
        return 0
    kept: list[tuple[list[object], bytes]] = []
    stack: list[tuple[int, bool]] = []
    mode, white = 0, False
    dropped = 0
    for operands, operator in operations:
        if operator == b"q":
            stack.append((mode, white))
        elif operator == b"Q":
            mode, white = stack.pop() if stack else (0, False)
        elif operator == b"Tr" and operands:
            try:
                mode = int(operands[0])
            except (TypeError, ValueError):
                mode = 0
        else:
            is_white = _fill_is_white(operator, operands)
            if is_white is not None:
                white = is_white
        if operator in (b"Tj", b"TJ", b"'", b'"') and (mode in _INVISIBLE_MODES or (white and mode in _FILL_MODES)):
            dropped += 1
            if operator in (b"'", b'"'):  # they also move to the next line: keep that
                kept.append(([], b"T*"))
            continue
        kept.append((operands, operator))
    if dropped:
        content.operations = kept
        # Only this page's dictionary changes (a stream shared with other pages is left alone).
        page[NameObject("/Contents")] = content  # type: ignore[index]
    return dropped


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
        return previous_was_row and len(line.stripped) <= _TABLE_LABEL_MAX and not _TABLE_NOTE.match(line.stripped)

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
                pieces.append(_Piece(kind="heading", text=section, section=section, pages=[(0, block[0].page)]))
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
        marker = re.compile(rf"(?<=[a-z”\"’)\]][,.;:])(?:{numbers})(?=\s)|(?<=[a-z”\"’)\]])(?:{numbers})(?=[\s,.;:])")
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
        data_lines = [line for line in raw_rows if any(_NUMERIC_CELL.match(cell) for _, cell in line.segments())]
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
                    pending_header = [f"{old} {new}".strip() for old, new in zip(pending_header, cells, strict=True)]
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
