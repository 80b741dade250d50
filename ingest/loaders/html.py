"""HTML loader: the page's main text via trafilatura (as Markdown), else a BeautifulSoup fallback.

The declared ``<meta charset>`` is honoured before detection; the title is the first ``<h1>`` when
the ``<title>`` contains it, else the ``<title>``. bs4 and trafilatura are imported only when an
HTML file is loaded (trafilatura is optional: without it the fallback extraction is used).

Usage::

    from core.config import get_settings
    from ingest.loaders.html import _load_html

    page = b"<html><title>Zones | Site</title><body><article><h1>Zones</h1><p>A free zone.</p></article></body></html>"
    parsed = _load_html(page, get_settings().limits)
    parsed.title  # -> "Zones"
"""

from __future__ import annotations

import re

from core.config import IngestLimits
from ingest.loaders.assembly import CELL_SEPARATOR, _clean_chars, _decode_text, _Parsed, _Piece, _table_piece
from ingest.loaders.markdown import _markdown_pieces

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
    if _drop_hidden(soup):
        html = str(soup)  # trafilatura reads the page without its hidden elements
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


# Inline styles that hide an element from a reader (text drawn invisible must not become evidence).
_HIDING_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*(hidden|collapse)|opacity\s*:\s*0(\.0*)?\s*(;|!|$)"
    r"|font-size\s*:\s*(0|[01](\.\d+)?px|0?\.\d+(em|rem|pt))\s*(;|!|$)"
    r"|color\s*:\s*(transparent|white|#fff\b|#ffffff\b|rgba?\(\s*255\s*,\s*255\s*,\s*255\s*[,)])"
    r"|clip\s*:\s*rect\(\s*0|(^|;)\s*(left|top)\s*:\s*-\d{3,}",
    re.IGNORECASE,
)
# ``.name { ...hiding... }`` in a <style> block: elements with that class are hidden too.
_CSS_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")


def _hidden_classes(soup: object) -> set[str]:
    from bs4 import BeautifulSoup

    assert isinstance(soup, BeautifulSoup)
    classes: set[str] = set()
    for style in soup.find_all("style"):
        for selectors, body in _CSS_RULE.findall(style.get_text()):
            if _HIDING_STYLE.search(body):
                classes.update(re.findall(r"^\s*\.([\w-]+)\s*$", selectors.replace(",", "\n"), re.MULTILINE))
    return classes


def _drop_hidden(soup: object) -> bool:
    """Remove elements a browser would not show: ``hidden``, ``aria-hidden``, inline styles that
    hide (display:none, visibility:hidden, opacity:0, white or transparent text, 0-1px fonts, off
    screen) and classes a ``<style>`` block hides. Returns whether anything was removed."""
    from bs4 import BeautifulSoup, Tag

    assert isinstance(soup, BeautifulSoup)
    hidden_classes = _hidden_classes(soup)
    doomed = []
    for tag in soup.find_all(True):
        if not isinstance(tag, Tag) or tag.attrs is None:
            continue
        raw_classes = tag.get("class")
        classes = {str(name) for name in raw_classes} if isinstance(raw_classes, list) else {str(raw_classes or "")}
        if (
            tag.has_attr("hidden")
            or str(tag.get("aria-hidden", "")).lower() == "true"
            or _HIDING_STYLE.search(str(tag.get("style", "")))
            or (hidden_classes and hidden_classes & classes)
        ):
            doomed.append(tag)
    for tag in doomed:
        if not tag.decomposed:
            tag.decompose()
    return bool(doomed)


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
    for element in root.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "table", "pre", "blockquote"]):
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
