"""Neighbour merging in ``rag.retriever``: ``merge_adjacent`` and ``HybridSearcher._merge_neighbours``.

Merged spans are quoted and cited, so the merged text must be exactly the document's text over
the union of the two spans (overlap once), and a page boundary inside the second chunk must land
on the same character in the merged chunk.
"""

from __future__ import annotations

import pytest

from core.documents import Chunk, make_chunk_id
from rag.retriever import HybridSearcher, RetrievedChunk, merge_adjacent

DOC = (
    "The Shanghai pilot free trade zone opened in 2013. "
    "It covered four customs special supervision areas. "
    "Lingang New Area was added in 2019. "
    "Hainan became a free trade port in 2020. "
    "Other provinces followed with their own zones."
)
SOURCE = "zones.txt"


def chunk(
    start: int,
    end: int,
    index: int,
    *,
    source: str = SOURCE,
    page: int | None = None,
    page_end: int | None = None,
    page_spans: list[tuple[int, int]] | None = None,
    section: str | None = None,
    text: str | None = None,
) -> Chunk:
    """A chunk over ``DOC[start:end]`` (or over ``text``), as the chunker would build it."""
    body = DOC[start:end] if text is None else text
    return Chunk(
        chunk_id=make_chunk_id(source, body),
        source=source,
        title="Zones",
        text=body,
        chunk_index=index,
        char_start=start,
        char_end=end,
        sha256="doc-sha",
        page=page,
        page_end=page_end,
        section=section,
        page_spans=list(page_spans or []),
    )


def hit(c: Chunk, score: float, bm25: float = 0.0, dense: float = 0.0) -> RetrievedChunk:
    """A retrieval hit as ``HybridSearcher.search`` builds it before merging."""
    return RetrievedChunk(
        chunk=c, score=score, bm25_score=bm25, dense_score=dense, merged_ids=[c.chunk_id], chunk_indexes=[c.chunk_index]
    )


# --- merge_adjacent ---------------------------------------------------------------------------


def test_overlapping_chunks_count_the_overlap_once() -> None:
    """Chunk 2 repeats the tail of chunk 1 (the chunker's overlap): the merge is the document span."""
    first, second = chunk(0, 80, 0), chunk(60, 140, 1)
    merged = merge_adjacent(first, second)
    assert merged.text == DOC[0:140]
    assert (merged.char_start, merged.char_end) == (0, 140)


def test_touching_chunks_are_joined_without_a_separator() -> None:
    """``second.char_start == first.char_end``: contiguous text, nothing inserted, nothing lost."""
    merged = merge_adjacent(chunk(0, 51, 0), chunk(51, 102, 1))
    assert merged.text == DOC[0:102]
    assert (merged.char_start, merged.char_end) == (0, 102)


def test_non_overlapping_chunks_are_joined_with_a_blank_line() -> None:
    """A gap between the spans is not invented text: the two texts are joined by one blank line."""
    first, second = chunk(0, 50, 0), chunk(102, 137, 1)
    merged = merge_adjacent(first, second)
    assert merged.text == DOC[0:50] + "\n\n" + DOC[102:137]
    assert (merged.char_start, merged.char_end) == (0, 137)


def test_second_chunk_inside_the_first_adds_nothing() -> None:
    """A chunk wholly inside the other contributes no text and does not shrink the span."""
    merged = merge_adjacent(chunk(0, 140, 0), chunk(20, 60, 1))
    assert merged.text == DOC[0:140]
    assert merged.char_end == 140


@pytest.mark.parametrize(("a", "b"), [((0, 80), (60, 140)), ((0, 50), (102, 137))])
def test_merge_is_order_independent(a: tuple[int, int], b: tuple[int, int]) -> None:
    """Passing the later chunk first gives the same chunk: the earlier one always leads."""
    first = chunk(*a, 0, page=1, page_end=1, page_spans=[(0, 1)])
    second = chunk(*b, 1, page=1, page_end=2, page_spans=[(0, 1), (10, 2)])
    forward, backward = merge_adjacent(first, second), merge_adjacent(second, first)
    assert forward == backward
    assert forward.chunk_id == first.chunk_id
    assert forward.chunk_index == 0
    assert forward.char_start == a[0]


def test_identity_fields_come_from_the_earlier_chunk() -> None:
    """Id, index, page, source and title are the earlier chunk's; the inputs are left unchanged."""
    first = chunk(0, 80, 3, page=2, page_end=2, page_spans=[(0, 2)])
    second = chunk(60, 140, 4, page=2, page_end=2, page_spans=[(0, 2)])
    before = (first.text, list(first.page_spans), second.text, list(second.page_spans))
    merged = merge_adjacent(second, first)
    assert (merged.chunk_id, merged.chunk_index, merged.page) == (first.chunk_id, 3, 2)
    assert (merged.source, merged.title, merged.sha256) == (SOURCE, "Zones", "doc-sha")
    assert (first.text, first.page_spans, second.text, second.page_spans) == before


def test_page_spans_of_overlapping_second_chunk_are_shifted_by_its_offset() -> None:
    """A page that starts inside chunk 2 starts at the same document character in the merge."""
    # Chunk 2 starts at 60; page 4 starts 42 characters into it, at document offset 102.
    first = chunk(0, 80, 0, page=3, page_end=3, page_spans=[(0, 3)])
    second = chunk(60, 140, 1, page=3, page_end=4, page_spans=[(0, 3), (42, 4)])
    merged = merge_adjacent(first, second)
    assert merged.page_spans == [(0, 3), (102, 4)]  # page 3 is known already: listed once
    assert merged.text[102] == second.text[42] == DOC[102]
    assert merged.page_at(101) == 3
    assert merged.page_at(102) == 4
    assert (merged.page, merged.page_end) == (3, 4)


def test_page_spans_of_non_overlapping_second_chunk_are_shifted_past_the_separator() -> None:
    """Without overlap, chunk 2's offsets move by the first text's length plus the blank line."""
    first = chunk(0, 50, 0, page=1, page_end=1, page_spans=[(0, 1)])
    second = chunk(102, 137, 1, page=2, page_end=3, page_spans=[(0, 2), (5, 3)])
    merged = merge_adjacent(first, second)
    shift = 50 + len("\n\n")
    assert merged.page_spans == [(0, 1), (shift, 2), (shift + 5, 3)]
    assert merged.text[shift:] == second.text
    assert merged.page_at(shift - 1) == 1
    assert merged.page_at(shift) == 2
    assert merged.page_at(shift + 5) == 3
    assert merged.page_end == 3


def test_page_end_falls_back_to_the_first_chunk_when_second_has_none() -> None:
    """A second chunk without ``page_end`` keeps the first chunk's, instead of erasing it."""
    merged = merge_adjacent(chunk(0, 80, 0, page=5, page_end=6), chunk(60, 140, 1))
    assert merged.page_end == 6


def test_page_end_comes_from_the_later_chunk() -> None:
    """The merge ends where the later chunk ends, whichever argument it was."""
    early = chunk(0, 80, 0, page=5, page_end=5)
    late = chunk(60, 140, 1, page=5, page_end=7)
    assert merge_adjacent(early, late).page_end == 7
    assert merge_adjacent(late, early).page_end == 7


def test_unpaged_chunks_stay_unpaged() -> None:
    """Text or HTML chunks (no pages) merge to a chunk with no page and no page spans."""
    merged = merge_adjacent(chunk(0, 80, 0), chunk(60, 140, 1))
    assert (merged.page, merged.page_end, merged.page_spans) == (None, None, [])


def test_section_is_kept_from_whichever_chunk_has_one() -> None:
    """The earlier chunk's section wins; when it has none, the later chunk's is used."""
    assert merge_adjacent(chunk(0, 80, 0, section="A"), chunk(60, 140, 1, section="B")).section == "A"
    assert merge_adjacent(chunk(0, 80, 0), chunk(60, 140, 1, section="B")).section == "B"


# --- HybridSearcher._merge_neighbours ---------------------------------------------------------


def test_adjacent_hit_of_same_document_folds_into_the_better_ranked_hit() -> None:
    """Ranked [chunk 1, chunk 0]: chunk 0 folds into the chunk-1 hit, which keeps its rank and score."""
    c0, c1 = chunk(0, 80, 0), chunk(60, 140, 1)
    hits = [hit(c1, 0.9, bm25=2.0, dense=0.3), hit(c0, 0.5, bm25=1.0, dense=0.7)]
    merged = HybridSearcher._merge_neighbours(hits)
    assert len(merged) == 1
    top = merged[0]
    assert top.score == 0.9
    assert top.merged_ids == [c1.chunk_id, c0.chunk_id]
    assert top.chunk_indexes == [1, 0]
    assert top.chunk.text == DOC[0:140]
    assert (top.chunk.char_start, top.chunk.char_end) == (0, 140)
    # The component scores are the best of the merged hits.
    assert (top.bm25_score, top.dense_score) == (2.0, 0.7)


def test_merged_component_scores_are_the_maximum_whichever_hit_has_it() -> None:
    """Mirror case: the absorbed hit has the higher BM25 and the keeper the higher dense score."""
    c0, c1 = chunk(0, 80, 0), chunk(60, 140, 1)
    [top] = HybridSearcher._merge_neighbours([hit(c0, 0.9, bm25=1.0, dense=0.7), hit(c1, 0.5, bm25=2.0, dense=0.3)])
    assert (top.score, top.bm25_score, top.dense_score) == (0.9, 2.0, 0.7)


def test_same_index_in_different_documents_is_not_merged() -> None:
    """Chunk 1 of another file is no neighbour of chunk 0 of this one."""
    here = chunk(0, 80, 0)
    there = chunk(60, 140, 1, source="other.txt")
    merged = HybridSearcher._merge_neighbours([hit(here, 0.9), hit(there, 0.8)])
    assert [h.chunk.source for h in merged] == [SOURCE, "other.txt"]
    assert [h.merged_ids for h in merged] == [[here.chunk_id], [there.chunk_id]]
    assert merged[0].chunk.text == DOC[0:80]


def test_non_adjacent_chunks_of_one_document_stay_apart() -> None:
    """Chunks 0 and 2 are not neighbours: both hits survive, in rank order, unchanged."""
    c0, c2 = chunk(0, 50, 0), chunk(102, 137, 2)
    merged = HybridSearcher._merge_neighbours([hit(c2, 0.9), hit(c0, 0.8)])
    assert [h.chunk.chunk_index for h in merged] == [2, 0]
    assert [h.chunk.text for h in merged] == [DOC[102:137], DOC[0:50]]


def test_a_merged_hit_absorbs_neighbours_of_any_of_its_chunks() -> None:
    """After 5 absorbs 6, chunk 7 is adjacent to the merged span and joins it too; 9 does not."""
    c5, c6, c7, c9 = chunk(0, 60, 5), chunk(50, 110, 6), chunk(100, 160, 7), chunk(170, 200, 9)
    merged = HybridSearcher._merge_neighbours([hit(c5, 0.9), hit(c6, 0.8), hit(c7, 0.7), hit(c9, 0.6)])
    assert [h.chunk_indexes for h in merged] == [[5, 6, 7], [9]]
    assert merged[0].merged_ids == [c5.chunk_id, c6.chunk_id, c7.chunk_id]
    assert merged[0].chunk.text == DOC[0:160]


def test_hit_adjacent_to_two_kept_hits_joins_the_better_ranked_one() -> None:
    """Chunk 6 between kept hits 5 (rank 1) and 7 (rank 2) folds into 5 only; 7 stays its own hit."""
    c5, c7, c6 = chunk(0, 60, 5), chunk(100, 160, 7), chunk(50, 110, 6)
    merged = HybridSearcher._merge_neighbours([hit(c5, 0.9), hit(c7, 0.8), hit(c6, 0.7)])
    assert [h.chunk_indexes for h in merged] == [[5, 6], [7]]
    assert merged[0].chunk.text == DOC[0:110]
    assert merged[1].chunk.text == DOC[100:160]


def test_mixed_ranking_keeps_order_of_surviving_hits() -> None:
    """Merging removes absorbed hits without reordering the rest."""
    a0, a1 = chunk(0, 80, 0), chunk(60, 140, 1)
    b3 = chunk(0, 40, 3, source="b.txt", text="Another document entirely, chunk three.")
    a4 = chunk(150, 200, 4)
    merged = HybridSearcher._merge_neighbours([hit(a0, 0.9), hit(b3, 0.8), hit(a1, 0.7), hit(a4, 0.6)])
    assert [(h.chunk.source, h.chunk_indexes) for h in merged] == [(SOURCE, [0, 1]), ("b.txt", [3]), (SOURCE, [4])]
    assert [h.score for h in merged] == [0.9, 0.8, 0.6]


def test_no_hits_no_merges() -> None:
    """An empty result stays empty."""
    assert HybridSearcher._merge_neighbours([]) == []


def test_merged_chunk_keeps_the_table_context_of_the_chunk_it_starts_with() -> None:
    """A chunk that continues a table carries its caption and header; merging must not lose them,
    or every row is read under the wrong "header" (the first data row)."""
    first = chunk(0, 60, 0)
    first.context = "Table 2: Trade\nYear | Export | Import"
    second = chunk(50, 120, 1)
    merged = merge_adjacent(second, first)
    assert merged.context == "Table 2: Trade\nYear | Export | Import"
    assert merge_adjacent(chunk(0, 60, 0), chunk(50, 120, 1)).context == ""
