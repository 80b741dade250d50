"""Loaders and the corpus manifest, on the real corpus files and on files written by the tests."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from core.config import IngestLimits
from core.documents import LoadedDocument
from core.errors import LoaderError
from ingest.loaders import SUPPORTED_SUFFIXES, load_file
from ingest.manifest import ManifestError, load_manifest

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
PDF = CORPUS / "ftz-tenth-anniversary-pei-2024.pdf"
TEXT_FILES = sorted(CORPUS.glob("*.txt"))
LIMITS = IngestLimits.model_validate({})


@pytest.fixture(scope="module")
def manifest() -> dict:
    return load_manifest(CORPUS)


@pytest.fixture(scope="module")
def pdf_doc(manifest: dict) -> LoadedDocument:
    return load_file(PDF, limits=LIMITS, manifest=manifest)


def _squash(text: str) -> str:
    """Whitespace- and ligature-insensitive form for comparing with raw pypdf output."""
    text = text.replace("\ufb01", "fi").replace("\ufb02", "fl").replace("\ufb00", "ff")
    return re.sub(r"\s+", "", text)


def assert_blocks_valid(doc: LoadedDocument) -> None:
    previous_end = 0
    assert doc.blocks, "a loaded document has blocks"
    for block in doc.blocks:
        assert 0 <= block.start < block.end <= len(doc.text)
        assert block.start >= previous_end, "blocks are in order and do not overlap"
        assert doc.text[block.start : block.end].strip() == doc.text[block.start : block.end]
        for row_start, row_end in block.rows:
            assert block.start <= row_start < row_end <= block.end
        previous_end = block.end


def text_pdf(pages: list[list[str]], *, header: str | None = None, footer: str | None = None) -> bytes:
    """A minimal valid PDF with real text lines (Helvetica): one list of lines per page."""
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{4 + 2 * index} 0 R" for index in range(len(pages)))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    for number, lines in enumerate(pages, start=1):
        placed = [(800, header)] if header else []
        placed += [(760 - 16 * row, line) for row, line in enumerate(lines)]
        if footer:
            placed.append((40, footer.format(page=number)))
        stream = "".join(
            "BT /F1 11 Tf 56 {} Td ({}) Tj ET\n".format(y, text.replace("(", "\\(").replace(")", "\\)"))
            for y, text in placed
        ).encode("cp1252")
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (len(objects) + 2)
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for index, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % index + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


# ---- manifest ---------------------------------------------------------------------------------


def test_corpus_manifest_covers_every_document(manifest: dict) -> None:
    documents = {path.name for path in CORPUS.iterdir() if path.suffix.lower() in SUPPORTED_SUFFIXES}
    assert set(manifest) == documents
    assert manifest[PDF.name].publisher == "China Economist"
    assert manifest["sez-alliance-qianhai-2020.txt"].date == "2020-09-08"


def test_manifest_missing_and_malformed(tmp_path: Path) -> None:
    assert load_manifest(tmp_path) == {}
    (tmp_path / "manifest.yaml").write_text("a.txt: [unclosed\n", encoding="utf-8")
    with pytest.raises(ManifestError, match="manifest.yaml"):
        load_manifest(tmp_path)
    (tmp_path / "manifest.yaml").write_text("a.txt:\n  publisher: X\n", encoding="utf-8")
    with pytest.raises(ManifestError, match="a.txt"):
        load_manifest(tmp_path)


def test_manifest_is_not_a_document(tmp_path: Path) -> None:
    assert ".yaml" not in SUPPORTED_SUFFIXES
    with pytest.raises(LoaderError, match="manifest"):
        load_file(CORPUS / "manifest.yaml", limits=LIMITS)


# ---- the corpus PDF ------------------------------------------------------------------------------


def test_pdf_pages_metadata_and_blocks(pdf_doc: LoadedDocument, manifest: dict) -> None:
    assert pdf_doc.page_starts is not None
    assert [page for _, page in pdf_doc.page_starts] == list(range(1, 23))
    offsets = [offset for offset, _ in pdf_doc.page_starts]
    assert offsets == sorted(offsets)
    assert pdf_doc.title == manifest[PDF.name].title
    assert pdf_doc.publisher == "China Economist"
    assert len(pdf_doc.sha256) == 64
    assert_blocks_valid(pdf_doc)
    assert "\ufb01" not in pdf_doc.text, "ligatures are expanded"


def test_pdf_sentence_maps_to_its_page(pdf_doc: LoadedDocument) -> None:
    sentence = "Since May 2020, transportation costs have increased by nearly 350%"
    reader = PdfReader(PDF)
    assert _squash(sentence) in _squash(reader.pages[10].extract_text())  # page 11 of the PDF
    assert pdf_doc.page_at(pdf_doc.text.index(sentence)) == 11


def test_pdf_paragraph_starts_map_to_the_page_that_prints_them(pdf_doc: LoadedDocument) -> None:
    reader = PdfReader(PDF)
    page_texts = [_squash(page.extract_text()) for page in reader.pages]
    checked = 0
    for block in pdf_doc.blocks:
        if block.kind != "paragraph":
            continue
        probe = _squash(pdf_doc.text[block.start : block.start + 60])
        pages = [number for number, text in enumerate(page_texts, start=1) if probe in text]
        if len(pages) == 1:
            assert pdf_doc.page_at(block.start) == pages[0], pdf_doc.text[block.start : block.start + 60]
            checked += 1
    assert checked >= 40


def test_pdf_paragraph_continues_across_a_page_break(pdf_doc: LoadedDocument) -> None:
    joined = "has always been a new task in constructing a higher-level open economic system."
    start = pdf_doc.text.index(joined)
    blocks = [block for block in pdf_doc.blocks if block.start <= start < block.end]
    assert len(blocks) == 1 and blocks[0].end >= start + len(joined), "one block across pages 1-2"
    assert pdf_doc.page_at(start) == 1
    assert pdf_doc.page_at(pdf_doc.text.index("a higher-level open economic system")) == 2


def test_pdf_text_is_clean(pdf_doc: LoadedDocument) -> None:
    assert not re.search(r"[A-Za-z]-\n", pdf_doc.text), "no words broken at line ends"
    assert "innovation-driven strategies" in pdf_doc.text, "real compound hyphens are kept"
    assert "cliff-like drop" in pdf_doc.text and "COVID-19 pandemic, but" in pdf_doc.text
    assert "Liaoning, Zhejiang, Henan" in pdf_doc.text, "a paragraph split by a stray gap is rejoined"
    assert "China,1 as well" not in pdf_doc.text, "footnote markers are dropped"
    lines = [line.strip() for line in pdf_doc.text.split("\n") if line.strip()]
    counts = {line: lines.count(line) for line in lines}
    assert not [line for line, count in counts.items() if count >= 11 and len(line) > 3], "no running headers"
    headings = [pdf_doc.text[b.start : b.end] for b in pdf_doc.blocks if b.kind == "heading"]
    assert "3. Strategic Vision for Enhancing China’s FTZs" in headings
    summary = pdf_doc.text.index("Since the 18th CPC National Congress, China has established 21 FTZs")
    assert next(b for b in pdf_doc.blocks if b.start <= summary < b.end).section == "4. Summary"


def test_pdf_tables_are_blocks_with_caption_and_rows(pdf_doc: LoadedDocument) -> None:
    tables = [block for block in pdf_doc.blocks if block.kind == "table"]
    assert len(tables) >= 4
    for number, block in enumerate(tables[:4], start=1):
        text = pdf_doc.text[block.start : block.end]
        assert text.startswith(f"Table {number}:")
        assert len(block.rows) >= 3
        for row_start, row_end in block.rows:
            assert "\n" not in pdf_doc.text[row_start:row_end]
    goods = pdf_doc.text[tables[1].start : tables[1].end]
    assert "2009 | 12,565,091 | 12,714,737 | 25,279,828 | -22.30 | -22.93 | -22.61" in goods
    assert goods.count("Export growth rate (%)") == 1, "the header repeated on the next page is dropped"
    assert pdf_doc.page_at(pdf_doc.text.index("2020 | 17,582,919")) == 11
    assert "Inflow Volume | 16,974" in pdf_doc.text[tables[3].start : tables[3].end]


def test_pdf_running_headers_footers_and_hyphenation(tmp_path: Path) -> None:
    pages = [
        [
            "Free trade zones support the develop-",
            "ment of export industries in many coastal",
            "regions of the country and beyond them.",
            "",
            "Customs clearance inside the zone is fast.",
        ],
        [
            "Investors value a stable legal framework and",
            "predictable rules for cross-",
            "border trade in goods and services.",
            "",
            "Zones also host logistics parks near ports.",
        ],
        ["The cross-border model spread quickly after", "the first zones opened along the coast."],
    ]
    path = tmp_path / "journal.pdf"
    path.write_bytes(text_pdf(pages, header="Journal of Zone Studies, Vol. 3", footer="Page {page}"))
    doc = load_file(path, limits=LIMITS)
    assert "Journal of Zone Studies" not in doc.text
    assert not re.search(r"Page \d", doc.text)
    assert "the development of export industries" in doc.text
    assert "rules for cross-border trade" in doc.text
    assert [page for _, page in doc.page_starts or []] == [1, 2, 3]
    assert doc.page_at(doc.text.index("Zones also host")) == 2
    assert doc.title == "Journal"
    assert_blocks_valid(doc)


# ---- web texts -------------------------------------------------------------------------------

FURNITURE = [
    r"Release time",
    r"Go Back",
    r"By /",
    r"Related News",
    "•",
    r"Click here",
    r"All rights reserved",
    r"About Us",
    r"Leave your information",
    r"^\d{4}[-.]\d{2}[-.]\d{2}",
]


@pytest.mark.parametrize("path", TEXT_FILES, ids=[path.name for path in TEXT_FILES])
def test_web_text_loads_clean(path: Path, manifest: dict) -> None:
    doc = load_file(path, limits=LIMITS, manifest=manifest)
    assert doc.title == manifest[path.name].title
    assert doc.page_starts is None and doc.warnings == []
    for pattern in FURNITURE:
        assert not re.search(pattern, doc.text, re.MULTILINE), pattern
    assert_blocks_valid(doc)
    assert doc.text.count(doc.title) <= 1, "a repeated title line is dropped"
    raw_sentences = [
        line.strip(" •") for line in path.read_text(encoding="utf-8").split("\n") if len(line.split()) > 12
    ]
    for sentence in raw_sentences:
        assert sentence in doc.text, "every real sentence is kept"


def test_web_text_headings_become_sections(manifest: dict) -> None:
    doc = load_file(CORPUS / "free-zone-congress-2025.txt", limits=LIMITS, manifest=manifest)
    start = doc.text.index("Perhaps the most compelling aspect")
    block = next(b for b in doc.blocks if b.start <= start < b.end)
    assert block.section == "China's Growing Export of Expertise"
    assert doc.date == "2025-10"


# ---- HTML and Markdown -------------------------------------------------------------------------


def test_html_keeps_only_the_article(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        """<!doctype html><html><head><title>Zone Report | Example Site</title>
        <script>var tracking = "SCRIPT_NOISE";</script><style>body{color:red}</style></head>
        <body><nav><a href="/">Home</a> <a href="/news">NAV_NOISE News</a></nav>
        <header><p>HEADER_NOISE Subscribe to our newsletter</p></header>
        <article><h1>Zone Report</h1>
        <p>Free trade zones lower tariffs on goods that are re-exported and attract investment.</p>
        <h2>Customs procedures</h2>
        <p>Inside the zone, customs clearance is simplified through a single window.</p>
        <h2>Investment incentives</h2>
        <p>Investors receive tax holidays of up to ten years and may repatriate profits.</p>
        </article>
        <footer><p>FOOTER_NOISE Copyright 2025 Example Site.</p></footer></body></html>""",
        encoding="utf-8",
    )
    doc = load_file(path, limits=LIMITS)
    for noise in ("SCRIPT_NOISE", "NAV_NOISE", "HEADER_NOISE", "FOOTER_NOISE", "color:red"):
        assert noise not in doc.text
    assert doc.title == "Zone Report"
    start = doc.text.index("Investors receive tax holidays")
    assert next(b for b in doc.blocks if b.start <= start < b.end).section == "Investment incentives"
    assert "single window" in doc.text
    assert_blocks_valid(doc)


def test_markdown_sections_tables_and_inline_syntax(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text(
        "# Zone Notes\n\nFree trade zones are **designated areas** with [special rules](https://x.org/r).\n\n"
        "## Customs\n\nGoods enter the zone without duties.\n\nTable 1: Zone counts\n"
        "| Country | Zones |\n|---|---|\n| China | 21 |\n| UAE | 45 |\n\n## Incentives\n\n- Tax holidays.\n",
        encoding="utf-8",
    )
    doc = load_file(path, limits=LIMITS)
    assert doc.title == "Zone Notes"
    assert "designated areas with special rules." in doc.text and "https" not in doc.text and "**" not in doc.text
    table = next(b for b in doc.blocks if b.kind == "table")
    assert doc.text[table.start : table.end].startswith("Table 1: Zone counts\nCountry | Zones")
    assert len(table.rows) == 3 and table.section == "Customs"
    start = doc.text.index("Tax holidays.")
    assert next(b for b in doc.blocks if b.start <= start < b.end).section == "Incentives"
    assert_blocks_valid(doc)


# ---- files that cannot be ingested ---------------------------------------------------------------


def test_corrupt_pdf(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(LoaderError, match="broken.pdf"):
        load_file(path, limits=LIMITS)


def test_encrypted_pdf(tmp_path: Path) -> None:
    writer = PdfWriter()
    writer.append(PDF, pages=(0, 1))
    writer.encrypt("secret")
    path = tmp_path / "locked.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    with pytest.raises(LoaderError, match="encrypted"):
        load_file(path, limits=LIMITS)


def test_image_only_pdf(tmp_path: Path) -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    path = tmp_path / "scan.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    with pytest.raises(LoaderError, match="no extractable text"):
        load_file(path, limits=LIMITS)


def test_pdf_page_limit(tmp_path: Path) -> None:
    with pytest.raises(LoaderError, match="pages, over the limit"):
        load_file(PDF, limits=LIMITS.model_copy(update={"max_pdf_pages": 5}))


def test_empty_and_blank_text(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    with pytest.raises(LoaderError, match="empty"):
        load_file(tmp_path / "empty.txt", limits=LIMITS)
    (tmp_path / "blank.txt").write_text("  \n\n Go Back \n", encoding="utf-8")
    with pytest.raises(LoaderError, match="no text"):
        load_file(tmp_path / "blank.txt", limits=LIMITS)


def test_legacy_encoding_loads_with_warning(tmp_path: Path) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes("The zone’s café offers crème brûlée — and “quoted” tariffs, too.".encode("cp1252"))
    doc = load_file(path, limits=LIMITS)
    assert "café" in doc.text and "“quoted”" in doc.text
    assert any("UTF-8" in warning for warning in doc.warnings)


def test_size_char_and_type_limits(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("A sentence about zones. " * 200, encoding="utf-8")
    with pytest.raises(LoaderError, match="over the limit"):
        load_file(path, limits=LIMITS.model_copy(update={"max_file_bytes": 1000}))
    with pytest.raises(LoaderError, match="characters"):
        load_file(path, limits=LIMITS.model_copy(update={"max_chars": 500}))
    other = tmp_path / "sheet.xlsx"
    other.write_bytes(b"PK\x03\x04")
    with pytest.raises(LoaderError, match="unsupported file type"):
        load_file(other, limits=LIMITS)
