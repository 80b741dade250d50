"""Chunking on the real default corpus: budget, pages, offsets, ids, tables, headings, overlap, metadata.

Two views of the same chunks are checked: the chunker run directly on the loaded documents, and
the chunks stored in the session index (``ingested_settings``), which must be exactly the
chunker's output.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from conftest import CORPUS_DIR, PDF_NAME

from core.config import Settings
from core.documents import Chunk, LoadedDocument, make_chunk_id
from index.embedders.base import resolve_model_dir
from index.store import ChromaStore
from ingest.chunker import StructuredChunker, TokenCounter
from ingest.loaders import load_file
from ingest.manifest import load_manifest

PDF_PAGES = 22
# Fields the issue requires on every chunk (``page`` is stored as -1 for "no page").
REQUIRED_FIELDS = {"chunk_id", "source", "title", "page", "section", "chunk_index", "char_start", "char_end", "sha256"}


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings(corpus_dir=CORPUS_DIR)


@pytest.fixture(scope="module")
def token_counter(settings: Settings) -> TokenCounter:
    return TokenCounter.from_model_dir(resolve_model_dir(settings.embedding.model))


@pytest.fixture(scope="module")
def chunker(settings: Settings, token_counter: TokenCounter) -> StructuredChunker:
    return StructuredChunker(token_counter, settings.chunking.chunk_tokens, settings.chunking.overlap_tokens)


@pytest.fixture(scope="module")
def documents(settings: Settings) -> dict[str, LoadedDocument]:
    manifest = load_manifest(CORPUS_DIR)
    docs = {}
    for path in sorted(CORPUS_DIR.iterdir()):
        if path.suffix in {".txt", ".pdf"}:
            doc = load_file(path, limits=settings.limits, manifest=manifest)
            docs[doc.source] = doc
    assert len(docs) == 5
    return docs


@pytest.fixture(scope="module")
def chunked(documents: dict[str, LoadedDocument], chunker: StructuredChunker) -> dict[str, list[Chunk]]:
    return {source: chunker.split(doc) for source, doc in documents.items()}


@pytest.fixture(scope="module")
def stored(ingested_settings: Settings) -> dict[str, list[tuple[str, str, dict]]]:
    """``source -> [(chunk_id, text, metadata)]`` read back from the session index, in chunk order."""
    store = ChromaStore.from_settings(ingested_settings)
    by_source: dict[str, list[tuple[str, str, dict]]] = {}
    for ids, texts, metas in store.iter_chunks():
        for chunk_id, text, meta in zip(ids, texts, metas, strict=True):
            by_source.setdefault(str(meta["source"]), []).append((chunk_id, text, meta))
    for rows in by_source.values():
        rows.sort(key=lambda row: int(row[2]["chunk_index"]))
    return by_source


def test_stored_chunks_are_exactly_the_chunker_output(
    stored: dict[str, list[tuple[str, str, dict]]], chunked: dict[str, list[Chunk]]
) -> None:
    assert set(stored) == set(chunked)
    for source, chunks in chunked.items():
        assert [row[0] for row in stored[source]] == [chunk.chunk_id for chunk in chunks], source
        assert [row[1] for row in stored[source]] == [chunk.text for chunk in chunks], source


def test_no_chunk_is_empty_or_over_the_token_budget(
    stored: dict[str, list[tuple[str, str, dict]]], token_counter: TokenCounter, settings: Settings
) -> None:
    budget = settings.chunking.chunk_tokens
    for source, rows in stored.items():
        for chunk_id, text, _meta in rows:
            assert text.strip(), f"empty chunk {chunk_id} in {source}"
            tokens = token_counter.count(text)
            assert tokens <= budget, f"{source} chunk {chunk_id} has {tokens} tokens > {budget}"


def test_pdf_chunks_cover_pages_1_to_22(stored: dict[str, list[tuple[str, str, dict]]]) -> None:
    pages: set[int] = set()
    for _chunk_id, _text, meta in stored[PDF_NAME]:
        first, last = int(meta["page"]), int(meta["page_end"])
        assert 1 <= first <= last <= PDF_PAGES
        pages.update(range(first, last + 1))
    assert pages == set(range(1, PDF_PAGES + 1))


def test_chunk_text_is_the_document_span(
    stored: dict[str, list[tuple[str, str, dict]]], documents: dict[str, LoadedDocument]
) -> None:
    for source, rows in stored.items():
        doc = documents[source]
        for _chunk_id, text, meta in rows:
            assert doc.text[int(meta["char_start"]) : int(meta["char_end"])] == text
            assert int(meta["page"]) == (doc.page_at(int(meta["char_start"])) or -1)


def test_chunk_ids_are_deterministic_and_unique(
    documents: dict[str, LoadedDocument], chunker: StructuredChunker, chunked: dict[str, list[Chunk]]
) -> None:
    all_ids: list[str] = []
    for source, doc in documents.items():
        again = chunker.split(doc)
        assert [chunk.chunk_id for chunk in again] == [chunk.chunk_id for chunk in chunked[source]]
        for chunk in again:
            # hash of source + normalized text: the id does not depend on the run or the position
            assert chunk.chunk_id == make_chunk_id(source, chunk.text)
        all_ids.extend(chunk.chunk_id for chunk in again)
    assert len(all_ids) == len(set(all_ids))


def test_chunk_indexes_are_consecutive(chunked: dict[str, list[Chunk]]) -> None:
    for chunks in chunked.values():
        assert [chunk.chunk_index for chunk in chunks] == list(range(len(chunks)))
        assert all(a.char_start < b.char_start for a, b in zip(chunks, chunks[1:], strict=False))


def test_table_caption_is_in_the_chunk_of_its_first_row(
    documents: dict[str, LoadedDocument], chunked: dict[str, list[Chunk]]
) -> None:
    doc = documents[PDF_NAME]
    tables = [block for block in doc.blocks if block.kind == "table" and block.rows]
    assert len(tables) >= 4, "the corpus PDF has four tables"
    for table in tables:
        caption = doc.text[table.start : table.rows[0][0]].strip()
        assert caption.startswith("Table "), caption
        first_row_end = table.rows[0][1]
        holders = [c for c in chunked[PDF_NAME] if c.char_start <= table.start and first_row_end <= c.char_end]
        assert holders, f"{caption!r} is not in the chunk holding its first row"
        assert caption in holders[0].text


def test_later_chunks_of_a_table_carry_its_caption_and_header(
    documents: dict[str, LoadedDocument], chunked: dict[str, list[Chunk]]
) -> None:
    doc = documents[PDF_NAME]
    tables = [block for block in doc.blocks if block.kind == "table" and block.rows]
    continued = 0
    for chunk in chunked[PDF_NAME]:
        inside = [t for t in tables if t.rows[0][1] <= chunk.char_start < t.end]
        heading = doc.text[inside[0].start : inside[0].rows[0][1]].strip() if inside else ""
        assert chunk.context == heading, chunk.chunk_index
        if inside:
            continued += 1
            assert chunk.indexed_text == f"{heading}\n{chunk.text}"
            assert heading not in chunk.text  # the text itself stays the verbatim span
    assert continued >= 3, "Tables 2 and 3 of the corpus PDF span several chunks"
    assert all(not c.context for source, chunks in chunked.items() if source != PDF_NAME for c in chunks)


def test_no_chunk_boundary_falls_inside_a_table_row(
    documents: dict[str, LoadedDocument], chunked: dict[str, list[Chunk]]
) -> None:
    rows_seen = 0
    for source, doc in documents.items():
        for block in doc.blocks:
            for row_start, row_end in block.rows:
                rows_seen += 1
                for chunk in chunked[source]:
                    for boundary in (chunk.char_start, chunk.char_end):
                        assert not row_start < boundary < row_end, (
                            f"chunk {chunk.chunk_index} of {source} cuts the row {doc.text[row_start:row_end]!r}"
                        )
    assert rows_seen > 50, "the corpus PDF has long tables"


def test_headings_are_not_left_alone_at_the_end_of_a_chunk(
    documents: dict[str, LoadedDocument], chunked: dict[str, list[Chunk]]
) -> None:
    headings_seen = 0
    for source, doc in documents.items():
        for block in doc.blocks:
            if block.kind != "heading" or block is doc.blocks[-1]:
                continue
            headings_seen += 1
            for chunk in chunked[source]:
                if chunk.char_start <= block.start and block.end <= chunk.char_end:
                    after = doc.text[block.end : chunk.char_end]
                    assert after.strip(), (
                        f"heading {doc.text[block.start : block.end]!r} ends chunk {chunk.chunk_index}"
                    )
    assert headings_seen >= 5


def test_overlap_only_inside_a_split_block(
    documents: dict[str, LoadedDocument], chunked: dict[str, list[Chunk]]
) -> None:
    """Consecutive chunks share text only inside one block that was too big for one chunk."""
    overlaps = 0
    for source, doc in documents.items():
        chunks = chunked[source]
        for first, second in zip(chunks, chunks[1:], strict=False):
            if second.char_start >= first.char_end:
                continue
            overlaps += 1
            shared = [b for b in doc.blocks if b.start < first.char_end and b.end > second.char_start]
            assert len(shared) == 1, f"{source}: chunks {first.chunk_index}/{second.chunk_index} share several blocks"
            block = shared[0]
            assert block.start <= second.char_start and first.char_end <= block.end
            assert not (first.char_start <= block.start and block.end <= first.char_end), "block was not split"
    assert overlaps > 0, "long PDF paragraphs are split with overlap"


def test_overlap_appears_only_when_a_paragraph_is_split(
    documents: dict[str, LoadedDocument], chunked: dict[str, list[Chunk]]
) -> None:
    """Overlap repeats sentences of a split paragraph; table rows are never repeated."""
    for source, doc in documents.items():
        chunks = chunked[source]
        for first, second in zip(chunks, chunks[1:], strict=False):
            if second.char_start >= first.char_end:
                continue
            kinds = {b.kind for b in doc.blocks if b.start < first.char_end and b.end > second.char_start}
            assert kinds == {"paragraph"}, (
                f"{source}: chunks {first.chunk_index}/{second.chunk_index} overlap inside a {kinds} block: "
                f"{doc.text[second.char_start : first.char_end]!r}"
            )


def test_chunks_without_overlap_are_adjacent_blocks(chunked: dict[str, list[Chunk]]) -> None:
    """No text of a document is lost between chunks (only block separators may be skipped)."""
    for source, chunks in chunked.items():
        for first, second in zip(chunks, chunks[1:], strict=False):
            assert second.char_start <= first.char_end + 2, f"{source}: text lost after chunk {first.chunk_index}"


def test_chunk_metadata_has_every_field_of_the_issue(
    stored: dict[str, list[tuple[str, str, dict]]], ingested_settings: Settings
) -> None:
    for source, rows in stored.items():
        file_digest = hashlib.sha256((Path(ingested_settings.corpus_dir) / source).read_bytes()).hexdigest()
        for chunk_id, text, meta in rows:
            assert set(meta) >= REQUIRED_FIELDS, REQUIRED_FIELDS - set(meta)
            chunk = Chunk.from_metadata(text, meta)
            assert chunk.chunk_id == chunk_id
            assert chunk.source == source
            assert chunk.title and chunk.title != source, "the manifest gives every corpus file a title"
            assert chunk.sha256 == file_digest
            assert 0 <= chunk.char_start < chunk.char_end
            if source.endswith(".pdf"):
                assert chunk.page is not None and 1 <= chunk.page <= PDF_PAGES
            else:
                assert chunk.page is None
            assert chunk.section is None or isinstance(chunk.section, str)
    sections = {row[2]["section"] for rows in stored.values() for row in rows if row[2]["section"]}
    assert sections, "headings of the corpus become section metadata"
