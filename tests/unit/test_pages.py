"""The page view's text matching and boxes: a quote found on its page despite spacing, case and page breaks."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import LoaderError
from ingest.pages import PdfPages, find_span

CORPUS_PDF = Path(__file__).resolve().parents[2] / "corpus" / "ftz-tenth-anniversary-pei-2024.pdf"
PAGE_TEXT = (
    "continued onto this page, where a reader finds its last words again. members to reach the\r\n"
    "“APEC Beijing Roadmap”. The 2016 G20\r\nSummit in Hang-\r\nzhou facilitated the adoption"
)


def test_a_quote_is_found_across_line_breaks_hyphens_and_case() -> None:
    span = find_span(PAGE_TEXT, "the 2016 G20 Summit in Hangzhou facilitated")
    assert span is not None
    start, end = span
    assert PAGE_TEXT[start:end] == "The 2016 G20\r\nSummit in Hang-\r\nzhou facilitated"


def test_a_sentence_cut_by_the_page_break_is_found_by_its_longest_part_on_the_page() -> None:
    quote = "The 2016 G20 Summit in Hangzhou facilitated the adoption of the principles on the next page."
    span = find_span(PAGE_TEXT, quote)
    assert span is not None and PAGE_TEXT[span[0] : span[1]].endswith("facilitated the adoption")
    ending = "A sentence begun on the page before continued onto this page, where a reader finds its last words again."
    span = find_span(PAGE_TEXT, ending)
    assert span is not None and PAGE_TEXT[span[0] : span[1]] == PAGE_TEXT[: PAGE_TEXT.index(". members")]


def test_a_quote_from_elsewhere_is_not_found() -> None:
    assert find_span(PAGE_TEXT, "The Qianhai zone opened a new cross-border financial centre in Shenzhen.") is None
    assert find_span(PAGE_TEXT, "") is None


def test_quote_boxes_lie_on_the_quoted_lines_of_the_real_pdf() -> None:
    with PdfPages(CORPUS_PDF) as pdf:
        assert pdf.page_count == 22
        boxes = pdf.quote_boxes(5, "The 2016 G20 Summit in Hangzhou facilitated the adoption of the “G20 Global")
        assert 1 <= len(boxes) <= 3
        for box in boxes:
            assert 0 <= box.left < box.left + box.width <= 1 and 0 <= box.top < box.top + box.height <= 1
        assert all(box.top > 0.8 for box in boxes)  # the sentence is at the foot of page 5
        assert pdf.quote_boxes(4, "The 2016 G20 Summit in Hangzhou facilitated the adoption") == []
        png = pdf.render_png(5, width=400)
        assert png.startswith(b"\x89PNG") and len(png) > 1000
        with pytest.raises(IndexError):
            pdf.render_png(23)


def test_a_file_that_is_not_a_pdf_is_a_loader_error(tmp_path: Path) -> None:
    fake = tmp_path / "fake.pdf"
    fake.write_bytes(b"not a pdf at all")
    with pytest.raises(LoaderError, match="not a readable PDF"):
        PdfPages(fake)
