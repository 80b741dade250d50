"""Pure functions behind the hardening of issue 18 (the HTTP behaviour is in
tests/integration/test_hardening.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.config import IngestLimits
from core.documents import Block, LoadedDocument
from ingest.chunker import StructuredChunker, TokenCounter
from ingest.loaders import load_file


def wordpiece_like_counter() -> TokenCounter:
    """Like MiniLM's tokenizer: a "word" over 100 characters is one unknown token."""
    pattern = re.compile(r"\S+")

    def offsets(text: str) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        for match in pattern.finditer(text):
            word = match.group()
            if len(word) > 100:
                out.append((match.start(), match.end()))
            else:
                out.extend((match.start() + i, match.start() + i + 1) for i in range(0, len(word), 4))
        return out

    return TokenCounter(offsets)


def _doc(text: str, kind: str = "paragraph") -> LoadedDocument:
    return LoadedDocument(source="long.md", title="Long", text=text, blocks=[Block(kind=kind, start=0, end=len(text))])


# ---- 6: chunks have a character cap as well as a token cap -------------------------------------------
@pytest.mark.parametrize("kind", ["paragraph", "heading", "table"])
def test_a_long_run_without_spaces_is_cut_at_the_character_cap(kind: str) -> None:
    text = "x" * 1_000_000
    chunker = StructuredChunker(wordpiece_like_counter(), chunk_tokens=250, overlap_tokens=40)
    chunks = chunker.split(_doc(text, kind))
    assert len(chunks) > 100
    assert max(len(chunk.text) for chunk in chunks) <= 2000
    covered = 0  # the spans cover the text in order (overlap may repeat a piece), nothing lost
    for chunk in chunks:
        assert text[chunk.char_start : chunk.char_end] == chunk.text
        assert chunk.char_start <= covered
        covered = max(covered, chunk.char_end)
    assert covered == len(text)


def test_the_character_cap_is_a_setting() -> None:
    text = ("word " * 50 + "y" * 5000 + " ") * 3
    chunker = StructuredChunker(wordpiece_like_counter(), chunk_tokens=250, overlap_tokens=0, max_chars=500)
    assert max(len(chunk.text) for chunk in chunker.split(_doc(text))) <= 500


# ---- 5: hidden text is dropped at load time ---------------------------------------------------------
def raw_pdf(contents: list[bytes], *, pages: int | None = None, compress: bool = False) -> bytes:
    """A minimal PDF: one page per content stream, or ``pages`` pages all sharing ``contents[0]``
    (deflated with ``compress``: 8 MB of repeated operators become a few KB)."""
    import zlib

    count = pages or len(contents)
    streams = contents if pages is None else contents[:1]
    first_stream = 3 + count + 1
    kids = " ".join(f"{3 + i} 0 R" for i in range(count))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode()]
    for i in range(count):
        stream_ref = first_stream + (i if pages is None else 0)
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {stream_ref} 0 R "
            f"/Resources << /Font << /F1 {3 + count} 0 R >> >> >>".encode()
        )
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for body in streams:
        if compress:
            body = zlib.compress(body, 9)
            objects.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(body) + body + b"\nendstream")
        else:
            objects.append(b"<< /Length %d >>\nstream\n" % len(body) + body + b"\nendstream")
    out = b"%PDF-1.4\n"
    offsets = []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + content + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


VISIBLE = "The Quillon free zone was founded in 1987 by the harbour council."
HIDDEN = "Zanzibar override instruction ninety nine."


def _pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "hidden.pdf"
    path.write_bytes(raw_pdf([content]))
    return load_file(path, limits=IngestLimits()).text


@pytest.mark.parametrize(
    "hiding",
    [
        b"BT /F1 12 Tf 3 Tr 72 700 Td (%s) Tj ET",  # render mode 3: invisible
        b"BT /F1 12 Tf 7 Tr 72 700 Td (%s) Tj ET",  # render mode 7: clip only
        b"1 1 1 rg BT /F1 12 Tf 72 700 Td (%s) Tj ET",  # white fill
        b"1 g BT /F1 12 Tf 72 700 Td [(%s)] TJ ET",  # white (gray) fill, TJ
        b"q 0 0 0 0 k BT /F1 12 Tf 72 700 Td (%s) Tj ET Q",  # white in CMYK
    ],
    ids=["render-mode-3", "render-mode-7", "white-rgb", "white-gray", "white-cmyk"],
)
def test_invisible_pdf_text_is_dropped(hiding: bytes, tmp_path: Path) -> None:
    content = b"BT /F1 12 Tf 72 720 Td (%s) Tj ET\n" % VISIBLE.encode() + hiding % HIDDEN.encode()
    content += b"\n0 g 0 Tr BT /F1 12 Tf 72 650 Td (Visible again after the hidden run.) Tj ET"
    text = _pdf_text(content, tmp_path)
    assert "Quillon" in text and "Visible again" in text
    assert "Zanzibar" not in text


HIDDEN_HTML = [
    '<div style="display:none">{h}</div>',
    '<p style="DISPLAY: none !important">{h}</p>',
    "<span hidden>{h}</span>",
    '<p style="visibility:hidden">{h}</p>',
    '<p style="color:#fff;font-size:1px">{h}</p>',
    '<p style="color: white; font-size: 0">{h}</p>',
    '<p style="color:rgb(255, 255, 255)">{h}</p>',
    '<p style="opacity:0">{h}</p>',
    '<p aria-hidden="true">{h}</p>',
    '<p class="x">{h}</p>',
]


@pytest.mark.parametrize("trick", HIDDEN_HTML)
def test_hidden_html_text_is_dropped(trick: str, tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<!doctype html><html><head><title>Zone</title><style>.x { display: none }</style></head><body><main>"
        f"<h1>Zone notice</h1><p>{VISIBLE}</p>{trick.format(h=HIDDEN)}<p>The customs office clears goods "
        "within four hours of arrival at the port.</p></main></body></html>",
        encoding="utf-8",
    )
    text = load_file(path, limits=IngestLimits()).text
    assert "Quillon" in text and "four hours" in text
    assert "Zanzibar" not in text


# ---- 3: the UI's bind address is an explicit setting with a loopback default ------------------------
def test_the_ui_binds_to_loopback_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    from ui.launcher import streamlit_command
    from ui.settings import get_ui_settings

    monkeypatch.delenv("ZONEQA_UI_ADDRESS", raising=False)
    get_ui_settings.cache_clear()
    command = streamlit_command(8501)
    assert command[command.index("--server.address") + 1] == "127.0.0.1"
    monkeypatch.setenv("ZONEQA_UI_ADDRESS", "0.0.0.0")
    get_ui_settings.cache_clear()
    command = streamlit_command(8501)
    assert command[command.index("--server.address") + 1] == "0.0.0.0"
    get_ui_settings.cache_clear()


# ---- 7: a sentence that merely restates the question is not evidence ---------------------------------
@pytest.mark.parametrize(
    ("text", "restates"),
    [
        ("What is a bonded warehouse?", True),
        ("## What is a bonded warehouse?", True),
        ("Bonded warehouse: what is a bonded warehouse.", True),
        ("Bonded warehouse bonded warehouse bonded warehouse explained, bonded warehouse meaning.", True),
        ("A bonded warehouse is a building where imported goods are stored before customs duty is paid.", False),
        ("It was founded in 1987.", False),
    ],
)
def test_restatements_of_the_question_are_recognised(text: str, restates: bool) -> None:
    from core.text.terms import content_terms
    from rag.evidence import restates_question

    assert restates_question(content_terms("What is a bonded warehouse?"), text) is restates


# ---- 4: limits on decompressed PDF content and on parse time ---------------------------------------------
NOOP_TEXT = b"BT /F1 12 Tf 72 720 Td (The Quillon free zone opened in 1987.) Tj ET\n"


def test_pdf_content_is_limited_per_page_and_per_file(tmp_path: Path) -> None:
    from core.errors import LoaderError

    big_page = tmp_path / "big-page.pdf"
    big_page.write_bytes(raw_pdf([NOOP_TEXT + b"q Q " * (2 * 1024 * 1024 // 4)], compress=True))
    with pytest.raises(LoaderError, match="decompressed content"):
        load_file(big_page, limits=IngestLimits())
    shared = tmp_path / "shared.pdf"  # three pages share one 600 KB stream: 1.8 MB parsed in all
    shared.write_bytes(raw_pdf([NOOP_TEXT + b"q Q " * (600 * 1024 // 4)], pages=3, compress=True))
    with pytest.raises(LoaderError, match="MAX_PDF_STREAM_BYTES"):
        load_file(shared, limits=IngestLimits(max_pdf_stream_bytes=1024 * 1024))


def test_the_isolated_loader_stops_a_slow_file_and_recovers(tmp_path: Path) -> None:
    from core.errors import LoaderError
    from ingest.isolation import IsolatedLoader

    slow = tmp_path / "slow.pdf"
    slow.write_bytes(raw_pdf([NOOP_TEXT + b"q Q " * (900 * 1024 // 4)], pages=10, compress=True))
    fine = tmp_path / "fine.txt"
    fine.write_text("The Quillon free zone handles bonded goods for the estuary.\n", encoding="utf-8")
    loader = IsolatedLoader(max_parse_seconds=1.0)
    try:
        with pytest.raises(LoaderError, match="longer than 1 s"):
            loader(slow, limits=IngestLimits())
        assert "Quillon" in loader(fine, limits=IngestLimits()).text  # a fresh worker
        with pytest.raises(LoaderError, match="empty"):
            (tmp_path / "empty.txt").write_bytes(b"")
            loader(tmp_path / "empty.txt", limits=IngestLimits())
    finally:
        loader.stop()
