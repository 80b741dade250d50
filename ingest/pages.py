"""PDF pages as images, and where a quoted sentence sits on its page (for the page view of a citation).

The quote comes from pypdf's text (hyphens joined, spaces repaired), the boxes from PDFium's own
text layer; the two are matched on letters and digits only, so spacing, line breaks and hyphenation
do not stop a quote from being found.

Usage::

    with PdfPages(Path("corpus/ftz-tenth-anniversary-pei-2024.pdf")) as pdf:
        pdf.page_count                        # 22
        png = pdf.render_png(5, width=900)    # bytes of a PNG, 900 px wide
        pdf.quote_boxes(5, "The 2016 G20 Summit in Hangzhou ...")
        # [Box(left=0.19, top=0.89, width=0.36, height=0.012), ...]  fractions of the page
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from core.errors import LoaderError

#: Widths a page image may be rendered at (pixels): wide enough for a desktop, small enough for a phone.
MIN_RENDER_WIDTH = 200
MAX_RENDER_WIDTH = 2000
# A quote that is not found whole is looked for by its longest beginning (or end) of at least this
# many letters and digits: a sentence that runs onto the next page still shows its part on this one.
_PARTIAL_MATCH_CHARS = 40


@dataclass(frozen=True)
class Box:
    """A rectangle on a page, as fractions of the page's width and height, from its top-left corner."""

    left: float
    top: float
    width: float
    height: float


def _normalised(text: str) -> tuple[str, list[int]]:
    """``text`` reduced to lower-cased letters and digits, and each kept character's original index."""
    kept: list[str] = []
    positions: list[int] = []
    for index, char in enumerate(text):
        if char.isalnum():
            kept.append(char.casefold())
            positions.append(index)
    return "".join(kept), positions


def _longest_found(haystack: str, pieces: list[str]) -> tuple[int, str]:
    """The longest of ``pieces`` (ordered by length, each containing the shorter ones) in ``haystack``."""
    low, high, best = 0, len(pieces) - 1, (-1, "")
    while low <= high:  # a longer prefix (or suffix) is found only if every shorter one is
        middle = (low + high) // 2
        found = haystack.find(pieces[middle])
        if found >= 0:
            best, low = (found, pieces[middle]), middle + 1
        else:
            high = middle - 1
    return best


def find_span(page_text: str, quote: str) -> tuple[int, int] | None:
    """The ``(start, end)`` character range of ``quote`` in ``page_text``, ignoring spacing and case.

    A sentence that a page break cuts is found by its longest beginning (or end) on this page,
    if that is at least ``_PARTIAL_MATCH_CHARS`` letters and digits long.
    """
    haystack, positions = _normalised(page_text)
    needle, _ = _normalised(quote)
    if not needle or not haystack:
        return None
    found, match = haystack.find(needle), needle
    if found < 0 and len(needle) > _PARTIAL_MATCH_CHARS:
        lengths = range(_PARTIAL_MATCH_CHARS, len(needle))
        head = _longest_found(haystack, [needle[:length] for length in lengths])
        tail = _longest_found(haystack, [needle[-length:] for length in lengths])
        found, match = max(head, tail, key=lambda candidate: len(candidate[1]))
    if found < 0:
        return None
    return positions[found], positions[found + len(match) - 1] + 1


class PdfPages:
    """One PDF opened with PDFium: its page count, page images and text positions.

    Pages are numbered from 1, as citations number them. Raises :class:`core.errors.LoaderError`
    when the file is not a readable PDF, and ``IndexError`` for a page outside ``1..page_count``.
    """

    def __init__(self, path: Path) -> None:
        import pypdfium2 as pdfium  # a compiled library: imported only where pages are shown

        self.path = path
        try:
            self._pdf = pdfium.PdfDocument(str(path))
        except (pdfium.PdfiumError, OSError) as error:
            raise LoaderError(f"{path.name}: not a readable PDF ({error})") from error

    def __enter__(self) -> PdfPages:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._pdf.close()

    @property
    def page_count(self) -> int:
        return len(self._pdf)

    def _page(self, number: int):  # type: ignore[no-untyped-def]  # pypdfium2 ships no type hints
        if not 1 <= number <= self.page_count:
            raise IndexError(f"page {number} is outside 1..{self.page_count}")
        return self._pdf[number - 1]

    def page_size(self, number: int) -> tuple[float, float]:
        """Width and height of a page in PDF points."""
        width, height = self._page(number).get_size()
        return float(width), float(height)

    def render_png(self, number: int, width: int = 1000) -> bytes:
        """The page as a PNG ``width`` pixels wide (clamped to the allowed widths)."""
        width = max(MIN_RENDER_WIDTH, min(MAX_RENDER_WIDTH, width))
        page = self._page(number)
        page_width, _ = page.get_size()
        image = page.render(scale=width / page_width).to_pil()
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=True)
        return buffer.getvalue()

    def text(self, number: int) -> str:
        return str(self._page(number).get_textpage().get_text_range())

    def quote_boxes(self, number: int, quote: str) -> list[Box]:
        """One box per line the quote covers on the page; empty when it is not on that page."""
        page = self._page(number)
        page_width, page_height = page.get_size()
        text_page = page.get_textpage()
        span = find_span(str(text_page.get_text_range()), quote)
        if span is None:
            return []
        start, end = span
        boxes = []
        for index in range(text_page.count_rects(start, end - start)):
            left, bottom, right, top = text_page.get_rect(index)
            boxes.append(
                Box(
                    left=round(left / page_width, 4),
                    top=round((page_height - top) / page_height, 4),
                    width=round((right - left) / page_width, 4),
                    height=round((top - bottom) / page_height, 4),
                )
            )
        return boxes
