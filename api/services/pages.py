"""The page view of a PDF citation: page images, the quote's boxes on its page, the original file.

PDFium is not thread-safe, so every call into it holds one lock; rendered images are small and
asked for again and again (previous/next page), so the most recent ones are kept in memory.

Usage::

    pages = PageService(documents)
    view = pages.view("ftz-tenth-anniversary-pei-2024.pdf", 5, quote="The 2016 G20 Summit ...")
    png = pages.image("ftz-tenth-anniversary-pei-2024.pdf", 5, width=900)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from urllib.parse import quote as url_quote

from api.services.documents import DocumentService
from core.errors import LoaderError
from core.schemas import HighlightBox, PageView
from index.store import DocumentRecord
from ingest.pages import PdfPages

#: Page images kept in memory (a PNG of a text page at 1000 px is about 100-200 KB).
IMAGE_CACHE_ENTRIES = 48


class PageNotFound(LookupError):
    """The document is unknown, has no pages, or has no such page; ``str()`` says which (a 404)."""


class PageService:
    """Page images and quote boxes for the indexed PDFs."""

    def __init__(self, documents: DocumentService) -> None:
        self.documents = documents
        self._lock = threading.Lock()
        self._images: OrderedDict[tuple[str, str, int, int], bytes] = OrderedDict()

    def original(self, source: str) -> Path:
        """The document's original file (any indexed type)."""
        found = self.documents.file_of(source)
        if found is None:
            raise PageNotFound(f"No document named {source!r}.")
        return found[1]

    def _pdf(self, source: str) -> tuple[DocumentRecord, Path]:
        found = self.documents.file_of(source)
        if found is None:
            raise PageNotFound(f"No document named {source!r}.")
        record, path = found
        if path.suffix.lower() != ".pdf":
            raise PageNotFound(f"{source!r} has no pages (only PDF documents do): show its passage instead.")
        return record, path

    @staticmethod
    def _check_page(pdf: PdfPages, source: str, page: int) -> None:
        if not 1 <= page <= pdf.page_count:
            raise PageNotFound(f"{source!r} has pages 1 to {pdf.page_count}; there is no page {page}.")

    def view(self, source: str, page: int, quote: str = "") -> PageView:
        record, path = self._pdf(source)
        with self._lock, _open(path) as pdf:
            self._check_page(pdf, source, page)
            width, height = pdf.page_size(page)
            boxes = pdf.quote_boxes(page, quote) if quote.strip() else []
            pages = pdf.page_count
        name = url_quote(source, safe="")
        return PageView(
            source=source,
            title=record.title,
            page=page,
            pages=pages,
            width_pt=width,
            height_pt=height,
            image_url=f"/documents/{name}/pages/{page}/image",
            file_url=f"/documents/{name}/file",
            highlights=[HighlightBox(**vars(box)) for box in boxes],
        )

    def image(self, source: str, page: int, width: int) -> bytes:
        record, path = self._pdf(source)
        key = (source, record.sha256, page, width)
        with self._lock:
            cached = self._images.get(key)
            if cached is not None:
                self._images.move_to_end(key)
                return cached
            with _open(path) as pdf:
                self._check_page(pdf, source, page)
                png = pdf.render_png(page, width=width)
            self._images[key] = png
            while len(self._images) > IMAGE_CACHE_ENTRIES:
                self._images.popitem(last=False)
        return png


def _open(path: Path) -> PdfPages:
    try:
        return PdfPages(path)
    except LoaderError as error:
        raise PageNotFound(f"{path.name} cannot be shown as pages: {error}") from error
