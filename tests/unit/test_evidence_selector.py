"""Evidence selection in ``rag.evidence``: candidate units of a chunk and the selector that ranks them.

The generator sees only what the selector keeps, numbered [1]..[k], so a wrong ranking, a
broken cap, an off-by-one number or a table row without its caption turns straight into a
wrong or unreadable answer. A tiny bag-of-words embedder stands in for the real model: it
makes dense similarity predictable (shared words) and loads nothing.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from core.config import EvidenceSettings
from core.documents import Chunk, make_chunk_id
from index.embedders import Embedder
from rag.evidence import FOLLOWER_MARGIN, YEAR_AGREEMENT, Evidence, EvidenceSelector, evidence_units, year_agreement
from rag.generators.extractive import ExtractiveGenerator
from rag.retriever import RetrievedChunk

_WORD = re.compile(r"[a-z0-9]+")
_STOP = {"the", "a", "an", "in", "of", "is", "was", "did", "when", "what", "which", "were", "by", "and", "to"}


class BagOfWordsEmbedder:
    """Deterministic fake embedder: word-count vectors over a vocabulary grown on first sight, L2-normalised.

    Cosine similarity is then just shared-word overlap, so the test can say which text is closest.
    Every call is recorded, to check what the selector embeds.
    """

    name = "fake-bow"
    dimension = 512

    def __init__(self) -> None:
        self.vocabulary: dict[str, int] = {}
        self.document_calls: list[list[str]] = []
        self.query_calls: list[str] = []

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dimension, dtype=np.float32)
        for word in _WORD.findall(text.lower()):
            if word in _STOP:
                continue
            index = self.vocabulary.setdefault(word, len(self.vocabulary))
            assert index < self.dimension, "fake embedder vocabulary full"
            vector[index] += 1.0
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm > 0 else vector

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        self.document_calls.append(list(texts))
        return np.stack([self._vector(text) for text in texts]) if texts else np.zeros((0, self.dimension), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        self.query_calls.append(text)
        return self._vector(text)


def make_chunk(
    text: str,
    *,
    index: int = 0,
    char_start: int = 0,
    source: str = "zones.txt",
    context: str = "",
    page: int | None = None,
    page_spans: list[tuple[int, int]] | None = None,
) -> Chunk:
    """A chunk over ``text`` as the chunker would build it."""
    return Chunk(
        chunk_id=make_chunk_id(source, text),
        source=source,
        title="Zones",
        text=text,
        chunk_index=index,
        char_start=char_start,
        char_end=char_start + len(text),
        sha256="doc-sha",
        page=page,
        page_end=page,
        page_spans=list(page_spans or []),
        context=context,
    )


def make_hit(chunk: Chunk, score: float = 1.0) -> RetrievedChunk:
    """A retrieval hit over one chunk."""
    return RetrievedChunk(chunk=chunk, score=score, merged_ids=[chunk.chunk_id], chunk_indexes=[chunk.chunk_index])


def make_selector(**settings: int | float) -> tuple[EvidenceSelector, BagOfWordsEmbedder]:
    """A selector over a fresh fake embedder (both returned, to inspect the embedder's calls)."""
    embedder = BagOfWordsEmbedder()
    return EvidenceSelector(embedder, EvidenceSettings(**settings)), embedder  # type: ignore[arg-type]


QUESTION = "When did the Shanghai free trade zone open?"
HAINAN = "Hainan became a free trade port in the year 2020."
WEATHER = "The weather in the region is usually mild in spring."
SHANGHAI = "The Shanghai free trade zone opened in September 2013."
THREE_SENTENCES = f"{HAINAN} {WEATHER} {SHANGHAI}"

CAPTION = "Table 3: Goods exports by year"
HEADER = "Year | Exports | Imports"
ROWS = [f"{year} | {year * 10:,} | {year * 7:,}" for year in range(1960, 2020)]  # big: > 1200 characters
INTRO = "Trade grew quickly over the six decades studied here."
NOTE = "All figures are in thousands of United States dollars."
BIG_TABLE_TEXT = f"{INTRO}\n\n{CAPTION}\n{HEADER}\n" + "\n".join(ROWS) + f"\n\n{NOTE}"


def test_fake_embedder_follows_the_protocol() -> None:
    """The fake is a valid stand-in: unit-length float32 vectors of the declared dimension."""
    embedder: Embedder = BagOfWordsEmbedder()
    vectors = embedder.embed_documents([SHANGHAI, HAINAN])
    assert vectors.shape == (2, embedder.dimension)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    query = embedder.embed_query(QUESTION)
    assert float(vectors[0] @ query) > float(vectors[1] @ query) > 0.0


# --- EvidenceSelector -------------------------------------------------------------------------


def test_best_matching_sentence_is_selected_first() -> None:
    """With one slot, the sentence that answers the question wins, although it comes last in the chunk."""
    selector, _ = make_selector()
    [best] = selector.select(QUESTION, [make_hit(make_chunk(THREE_SENTENCES))], max_items=1)
    assert best.text == SHANGHAI
    assert best.n == 1


def test_scores_rank_answer_above_partial_match_above_unrelated() -> None:
    """Full match > shared "free trade" > no shared word, and each score is the documented blend."""
    selector, _ = make_selector(lexical_weight=0.35)
    evidence = selector.select(QUESTION, [make_hit(make_chunk(THREE_SENTENCES))], max_items=3)
    by_text = {item.text: item for item in evidence}
    assert set(by_text) == {HAINAN, WEATHER, SHANGHAI}
    assert by_text[SHANGHAI].score > by_text[HAINAN].score > by_text[WEATHER].score
    assert by_text[WEATHER].score == pytest.approx(0.0)
    assert by_text[SHANGHAI].lexical == pytest.approx(1.0)  # every content word of the question
    for item in evidence:
        assert 0.0 <= item.dense <= 1.0
        assert item.score == pytest.approx(0.65 * item.dense + 0.35 * item.lexical)


def test_selected_evidence_is_in_document_order_and_numbered_from_one() -> None:
    """Kept items read in document order (not score order) and are numbered 1..n without gaps."""
    selector, _ = make_selector()
    chunk = make_chunk(THREE_SENTENCES)
    evidence = selector.select(QUESTION, [make_hit(chunk)], max_items=3)
    assert [item.text for item in evidence] == [HAINAN, WEATHER, SHANGHAI]
    assert [item.n for item in evidence] == [1, 2, 3]
    for item in evidence:
        assert chunk.text[item.start : item.end] == item.text  # a verbatim span of the chunk
        assert item.chunk is chunk


def test_evidence_from_several_hits_follows_retrieval_rank() -> None:
    """Items of the better-ranked chunk come first even when a later chunk holds the best sentence."""
    first = make_chunk(HAINAN, index=0)
    second = make_chunk(SHANGHAI, index=4, char_start=500, source="other.txt")
    selector, _ = make_selector()
    evidence = selector.select(QUESTION, [make_hit(first, 0.9), make_hit(second, 0.8)], max_items=2)
    assert [(item.text, item.retrieval_rank, item.n) for item in evidence] == [(HAINAN, 0, 1), (SHANGHAI, 1, 2)]
    assert evidence[1].score > evidence[0].score
    assert evidence[1].source == "other.txt"
    assert evidence[1].absolute_start == 500


def test_min_sentence_chars_filters_short_sentences() -> None:
    """A sentence shorter than ``min_sentence_chars`` is never evidence, however well it matches."""
    short = "Shanghai opened 2013."  # 21 characters, and the best lexical match (not a restatement)
    text = f"{short} {HAINAN}"
    strict, _ = make_selector(min_sentence_chars=22)
    assert [item.text for item in strict.select(QUESTION, [make_hit(make_chunk(text))], max_items=5)] == [HAINAN]
    lenient, _ = make_selector(min_sentence_chars=21)  # the limit is inclusive
    assert [item.text for item in lenient.select(QUESTION, [make_hit(make_chunk(text))], max_items=5)] == [
        short,
        HAINAN,
    ]


def test_max_sentences_caps_the_count_and_keeps_the_best() -> None:
    """``max_sentences`` from settings caps the result; the kept ones are the highest scored."""
    text = f"{WEATHER} {HAINAN} The zone in Shanghai grew fast after 2013. {SHANGHAI} Rain fell often in June."
    selector, _ = make_selector(max_sentences=2)
    evidence = selector.select(QUESTION, [make_hit(make_chunk(text))])
    assert len(evidence) == 2
    assert evidence[-1].text == SHANGHAI
    assert WEATHER not in {item.text for item in evidence}
    assert [item.n for item in evidence] == [1, 2]


def test_max_items_overrides_the_setting() -> None:
    """A caller's ``max_items`` wins over ``max_sentences`` (both ways)."""
    text = f"{WEATHER} {HAINAN} {SHANGHAI}"
    selector, _ = make_selector(max_sentences=1)
    assert len(selector.select(QUESTION, [make_hit(make_chunk(text))], max_items=3)) == 3
    selector, _ = make_selector(max_sentences=3)
    assert len(selector.select(QUESTION, [make_hit(make_chunk(text))], max_items=2)) == 2


def test_fewer_candidates_than_slots_returns_them_all() -> None:
    """The cap is an upper bound: two sentences, five slots, two items."""
    selector, _ = make_selector(max_sentences=5)
    evidence = selector.select(QUESTION, [make_hit(make_chunk(f"{HAINAN} {SHANGHAI}"))])
    assert [item.n for item in evidence] == [1, 2]


def test_same_sentence_through_overlapping_chunks_is_kept_once() -> None:
    """Chunk overlap repeats sentences; the duplicate (same source and document offset) is dropped."""
    first = make_chunk(f"{HAINAN} {SHANGHAI}", index=0, char_start=0)
    overlap_start = len(HAINAN) + 1
    second = make_chunk(f"{SHANGHAI} {WEATHER}", index=1, char_start=overlap_start)
    selector, _ = make_selector()
    evidence = selector.select(QUESTION, [make_hit(first), make_hit(second)], max_items=10)
    assert [item.text for item in evidence].count(SHANGHAI) == 1
    assert len(evidence) == 3


def test_same_offset_in_different_chunks_of_one_document_is_not_a_duplicate() -> None:
    """Deduplication is by document offset: two chunks' first sentences are different sentences."""
    first = make_chunk(HAINAN, index=0, char_start=0)
    second = make_chunk(SHANGHAI, index=5, char_start=500)
    selector, _ = make_selector()
    evidence = selector.select(QUESTION, [make_hit(first), make_hit(second)], max_items=10)
    assert [item.text for item in evidence] == [HAINAN, SHANGHAI]


def test_only_max_candidates_lexically_best_are_embedded() -> None:
    """Embedding is the cost: at most ``max_candidates`` texts are embedded, the best lexical ones."""
    hainan_zone = "The Hainan free trade zone opened later."
    text = f"{WEATHER} {hainan_zone} Rain fell often in June of that year. {SHANGHAI}"
    selector, embedder = make_selector(max_candidates=2)
    evidence = selector.select(QUESTION, [make_hit(make_chunk(text))], max_items=5)
    embedded = [text for call in embedder.document_calls for text in call]
    assert sorted(embedded) == sorted([SHANGHAI, hainan_zone])
    assert {item.text for item in evidence} == {SHANGHAI, hainan_zone}
    assert embedder.query_calls == [QUESTION]


def test_vectors_are_cached_between_questions() -> None:
    """A passage embedded for one question is not embedded again for the next."""
    selector, embedder = make_selector()
    hits = [make_hit(make_chunk(f"{HAINAN} {SHANGHAI}"))]
    selector.select(QUESTION, hits)
    selector.select("Where did Hainan become a free trade port?", hits)
    embedded = [text for call in embedder.document_calls for text in call]
    assert sorted(embedded) == sorted([HAINAN, SHANGHAI])


@pytest.mark.parametrize("text", ["", "Too short.", "   \n\n  "])
def test_no_usable_units_means_no_evidence_and_no_embedding(text: str) -> None:
    """Nothing quotable: an empty list, and the model is not called at all."""
    selector, embedder = make_selector(min_sentence_chars=20)
    hits = [make_hit(make_chunk(text))] if text else []
    assert selector.select(QUESTION, hits) == []
    assert embedder.document_calls == [] and embedder.query_calls == []


def test_evidence_page_comes_from_the_chunk_page_spans() -> None:
    """A sentence after a page break inside the chunk is cited with the later page."""
    text = f"{HAINAN} {SHANGHAI}"
    chunk = make_chunk(text, page=7, page_spans=[(0, 7), (len(HAINAN) + 1, 8)])
    selector, _ = make_selector()
    pages = {item.text: item.page for item in selector.select(QUESTION, [make_hit(chunk)], max_items=2)}
    assert pages == {HAINAN: 7, SHANGHAI: 8}


def test_selected_table_row_keeps_its_caption_context() -> None:
    """In a big table the matching row is chosen on its own, and reads with the caption and header."""
    chunk = make_chunk(BIG_TABLE_TEXT)
    selector, _ = make_selector()
    [best] = selector.select("What were goods exports in 2014?", [make_hit(chunk)], max_items=1)
    row_2014 = ROWS[2014 - 1960]
    assert best.text == row_2014
    assert chunk.text[best.start : best.end] == row_2014
    assert best.context == f"{CAPTION}\n{HEADER}"
    assert best.readable == f"{CAPTION}\n{HEADER}\n{row_2014}"
    assert best.lexical == pytest.approx(1.0)  # "goods" and "exports" only occur in the caption


# --- evidence_units ---------------------------------------------------------------------------


def texts_of(chunk: Chunk, units: list[tuple[int, int, str]]) -> list[tuple[str, str]]:
    """``(span text, context)`` of each unit."""
    return [(chunk.text[start:end], context) for start, end, context in units]


def test_units_of_plain_text_are_its_sentences_without_context() -> None:
    """No table: one unit per sentence of at least ``min_chars``, in order, no context."""
    chunk = make_chunk(f"{HAINAN} Short one. {SHANGHAI}")
    assert texts_of(chunk, evidence_units(chunk, min_chars=20)) == [(HAINAN, ""), (SHANGHAI, "")]
    assert texts_of(chunk, evidence_units(chunk, min_chars=5)) == [(HAINAN, ""), ("Short one.", ""), (SHANGHAI, "")]


ZHEJIANG = "The Zhejiang FTZ has promoted the integrated development of the Yangtze River Delta."
ANNOUNCED = "It has announced the China Zhoushan low-sulfur fuel oil bonded ship supply price."


def test_a_sentence_opening_on_a_pronoun_is_read_with_the_sentence_before_it() -> None:
    """ "It has announced ..." names its subject only in the sentence before: that is its context."""
    chunk = make_chunk(f"{ZHEJIANG} {ANNOUNCED} {SHANGHAI}")
    assert texts_of(chunk, evidence_units(chunk, min_chars=20)) == [
        (ZHEJIANG, ""),
        (ANNOUNCED, ZHEJIANG),
        (SHANGHAI, ""),
    ]


def test_a_pronoun_at_a_chunk_s_start_or_after_a_paragraph_break_has_no_context() -> None:
    """Nothing before it, or a referent in another paragraph: the sentence is read alone."""
    for text in (f"{ANNOUNCED} {SHANGHAI}", f"{ZHEJIANG}\n\n{ANNOUNCED}"):
        chunk = make_chunk(text)
        assert all(context == "" for _, _, context in evidence_units(chunk, min_chars=20))


def test_an_extractive_answer_quotes_the_referent_once() -> None:
    """The pronoun's sentence is quoted with its referent, unless the referent is quoted already."""
    chunk = make_chunk(f"{ZHEJIANG} {ANNOUNCED}")
    first, second = (Evidence(chunk.text[a:b], chunk, a, b, context=c) for a, b, c in evidence_units(chunk, 20))
    first.n, second.n, first.score, second.score = 1, 2, 0.5, 0.5
    both = "".join(ExtractiveGenerator().compose([first, second]))
    assert both.count(ZHEJIANG[:-1]) == 1 and ANNOUNCED[:-1] in both
    alone = "".join(ExtractiveGenerator(max_sentences=1).compose([second]))
    assert ZHEJIANG[:-1] in alone and ANNOUNCED[:-1] in alone


def test_the_selector_scores_a_pronoun_sentence_with_its_referent() -> None:
    """Asked about the Zhejiang zone, "It has announced ..." is found through the sentence naming Zhejiang."""
    chunk = make_chunk(f"{ZHEJIANG} {ANNOUNCED}")
    selector, _ = make_selector(max_sentences=2)
    evidence = selector.select("What price did the Zhejiang zone announce?", [make_hit(chunk)])
    announced = next(item for item in evidence if item.text == ANNOUNCED)
    assert announced.readable == f"{ZHEJIANG}\n{ANNOUNCED}"


def test_big_table_is_split_into_head_and_rows_with_caption_context() -> None:
    """Over the size limit: caption+header is one unit, then each row with the caption+header as context."""
    assert len(f"{CAPTION}\n{HEADER}\n" + "\n".join(ROWS)) > 1200
    chunk = make_chunk(BIG_TABLE_TEXT)
    units = evidence_units(chunk, min_chars=20)
    assert units == sorted(units)
    found = texts_of(chunk, units)
    context = f"{CAPTION}\n{HEADER}"
    assert found == [(INTRO, ""), (context, "")] + [(row, context) for row in ROWS] + [(NOTE, "")]


def test_table_rows_are_not_filtered_by_min_chars() -> None:
    """Rows are table units, not sentences: a short row ("2014 | 1 | 2") is still quotable."""
    rows = [f"{year} | 1 | 2" for year in range(1900, 2000)]  # 100 rows of 12 characters: a big table
    text = f"{CAPTION}\n{HEADER}\n" + "\n".join(rows)
    chunk = make_chunk(text)
    found = texts_of(chunk, evidence_units(chunk, min_chars=50))
    assert [row for row, _context in found[1:]] == rows
    assert all(context == f"{CAPTION}\n{HEADER}" for _row, context in found[1:])


def test_small_table_is_one_unit_with_its_caption() -> None:
    """Under the size limit the whole table, caption included, is a single unit without context."""
    table = f"{CAPTION}\n{HEADER}\n2013 | 100 | 90\n2014 | 110 | 95"
    chunk = make_chunk(f"{INTRO}\n\n{table}\n\n{NOTE}")
    assert texts_of(chunk, evidence_units(chunk, min_chars=20)) == [(INTRO, ""), (table, ""), (NOTE, "")]


def test_small_table_without_caption_is_one_unit_of_its_rows() -> None:
    """No caption line: the unit starts at the first row."""
    table = f"{HEADER}\n2013 | 100 | 90"
    chunk = make_chunk(f"{INTRO}\n\n{table}")
    assert texts_of(chunk, evidence_units(chunk, min_chars=20)) == [(INTRO, ""), (table, "")]


def test_rows_continuing_a_table_take_the_caption_from_chunk_context() -> None:
    """A chunk that starts mid-table has no caption of its own: each row reads under ``chunk.context``."""
    context = f"{CAPTION}\n{HEADER}"
    rows = ROWS[40:43]
    chunk = make_chunk("\n".join(rows) + f"\n\n{NOTE}", context=context, char_start=900)
    found = texts_of(chunk, evidence_units(chunk, min_chars=20))
    assert found == [(row, context) for row in rows] + [(NOTE, "")]


def test_chunk_context_is_not_given_to_a_table_that_does_not_start_the_chunk() -> None:
    """``chunk.context`` belongs to a table continued at the chunk's start, not to a later table."""
    table = f"{HEADER}\n2013 | 100 | 90"
    chunk = make_chunk(f"{INTRO}\n\n{table}", context=f"{CAPTION}\n{HEADER}")
    assert texts_of(chunk, evidence_units(chunk, min_chars=20)) == [(INTRO, ""), (table, "")]


def test_selector_continuation_row_reads_under_chunk_context() -> None:
    """End to end: a row from a continued table is selected and carries the earlier chunk's caption."""
    context = f"{CAPTION}\n{HEADER}"
    rows = ROWS[50:56]  # 2010..2015
    chunk = make_chunk("\n".join(rows), context=context, char_start=1500)
    selector, _ = make_selector()
    [best] = selector.select("What were goods exports in 2014?", [make_hit(chunk)], max_items=1)
    assert best.text == ROWS[2014 - 1960]
    assert best.context == context


# --- rows keyed by the question's numbers -------------------------------------------------------


def test_rows_of_years_the_question_does_not_ask_about_are_left_out() -> None:
    """Asked about 2014, the selector keeps the 2014 row and none of its near-identical neighbours."""
    chunk = make_chunk(BIG_TABLE_TEXT)
    selector, _ = make_selector()
    evidence = selector.select("What were goods exports in 2014?", [make_hit(chunk)], max_items=5)
    labels = [item.text.split("|")[0].strip() for item in evidence if item.context]
    assert labels == ["2014"]
    assert any(item.text == NOTE or item.text.startswith(INTRO) or not item.context for item in evidence)


def test_both_years_of_a_comparison_are_kept() -> None:
    chunk = make_chunk(BIG_TABLE_TEXT)
    selector, _ = make_selector()
    evidence = selector.select("By how much did goods exports grow from 2008 to 2009?", [make_hit(chunk)])
    labels = sorted(item.text.split("|")[0].strip() for item in evidence if item.context)
    assert labels == ["2008", "2009"]


def test_rows_stay_when_no_row_label_is_asked_about() -> None:
    chunk = make_chunk(BIG_TABLE_TEXT)
    selector, _ = make_selector()
    evidence = selector.select("What were goods exports in 1850?", [make_hit(chunk)], max_items=3)
    assert len([item for item in evidence if item.context]) >= 2  # several years, none singled out


def test_rows_of_a_table_whose_caption_lacks_what_the_question_names_are_left_out() -> None:
    """ "Per the services table": the same year's row of the goods table (same header) is left out;
    rows stay when the question names no word that tells the captions apart."""
    services_caption = "Table 4: Services exports by year"
    services = [f"{year} | {year * 3:,} | {year * 2:,}" for year in range(1960, 2020)]
    goods = make_chunk(BIG_TABLE_TEXT)
    services_chunk = make_chunk(f"{services_caption}\n{HEADER}\n" + "\n".join(services), index=1, char_start=5000)
    hits = [make_hit(goods), make_hit(services_chunk)]
    selector, _ = make_selector()
    asked = selector.select("What were services exports in 2014?", hits, max_items=5)
    captions = {item.context.splitlines()[0] for item in asked if item.context}
    assert captions == {services_caption}
    either = selector.select("What were exports in 2014?", hits, max_items=5)
    assert {item.context.splitlines()[0] for item in either if item.context} == {CAPTION, services_caption}


# --- bibliography entries ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reference"),
    [
        ("Quan Y., Zhang T. Y. The Direction and Development Path of China's Free Trade Pilot Zones [J].", True),
        ("China Free Trade Pilot Zone Development Report, 2022 [R].", True),
        ("Xi Jinping Chairs the 20th Meeting of the Central Leading Group [N].", True),
        ("Wang L. Zone policy [J]. Economic Review, 2021, 3(2): 10-15.", True),
        ("The Shanghai free trade zone opened in September 2013 [1].", False),
        ("In 2016, the negative list of the FTZ was extended nationwide.", False),
    ],
)
def test_bibliography_entries_are_recognised(text: str, reference: bool) -> None:
    from rag.evidence import is_reference_entry

    assert is_reference_entry(text) is reference


def test_bibliography_entries_are_never_evidence() -> None:
    reference = "Li Z. L., Liu D. Study on When the Shanghai Free Trade Zone Opened [J]."
    chunk = make_chunk(f"{SHANGHAI} {reference}")
    selector, _ = make_selector()
    evidence = selector.select(QUESTION, [make_hit(chunk)])
    assert [item.text for item in evidence] == [SHANGHAI]


def test_year_agreement_favours_the_asked_year_and_disfavours_only_other_years() -> None:
    assert year_agreement({"2023"}, "Trade with partners rose to 35% in 2023.") == YEAR_AGREEMENT
    assert year_agreement({"2023"}, "In 2022 and 2023 trade rose.") == YEAR_AGREEMENT
    assert year_agreement({"2023"}, "In 2022, trade with partners reached 34%.") == -YEAR_AGREEMENT
    assert year_agreement({"2023"}, "Trade with partners keeps rising.") == 0.0
    assert year_agreement(set(), "In 2022, trade reached 34%.") == 0.0


def test_the_sentence_of_the_asked_year_wins_over_a_closer_worded_one_of_another_year() -> None:
    """ "By 2023, what share ...?": the 2022 sentence shares more of the question's words, but only
    the 2023 one can answer it."""
    other_year = "In 2022, trade with FTA partners reached 14 trillion yuan, a share of 34% of all foreign trade."
    asked_year = "The share of trade done with partners rose to 35% in 2023."
    question = "By 2023, what share of China's foreign trade was with FTA partners?"
    selector, _ = make_selector()
    chunk = make_chunk(f"{other_year} {asked_year}")
    scored = {item.text: item for item in selector.select(question, [make_hit(chunk)], max_items=2)}
    plain = {text: item.score - year_agreement({"2023"}, text) for text, item in scored.items()}
    assert plain[other_year] > plain[asked_year]  # the words alone pick the wrong year
    [best] = selector.select(question, [make_hit(chunk)], max_items=1)
    assert best.text == asked_year


def test_the_document_title_standing_alone_is_never_evidence() -> None:
    """A title line shares the question's words (it names the subject) and states nothing."""
    chunk = make_chunk(f"Zones\n\n{SHANGHAI}")
    chunk.title = "Zones"
    selector, _ = make_selector(min_sentence_chars=1)
    evidence = selector.select("Which zones opened?", [make_hit(chunk)])
    assert [item.text for item in evidence] == [SHANGHAI]


def test_a_section_heading_is_not_evidence_but_a_sentence_naming_it_is() -> None:
    from rag.evidence import is_heading

    chunk = make_chunk(f"Shanghai free trade zone\n\n{SHANGHAI}")
    chunk.section = "Shanghai free trade zone"
    assert is_heading("Shanghai free trade zone", chunk)
    assert not is_heading(SHANGHAI, chunk)
    selector, _ = make_selector(min_sentence_chars=1)
    assert [item.text for item in selector.select(QUESTION, [make_hit(chunk)])] == [SHANGHAI]


CHINESE_PRACTICE = "Chinese representatives detailed how they manage massive zones housing thousands of firms."
SCALABILITY = "This scalability knowledge proved valuable for delegates from countries planning large zones."
UNRELATED = "The congress closed with a gala dinner on the river."


def test_a_sentence_that_carries_on_from_a_chosen_one_is_read_after_it() -> None:
    """ "Which delegates got the most out of hearing how China runs huge zones?" is answered by the
    sentence after the one that matches it: "This scalability knowledge ... delegates from ..."."""
    chunk = make_chunk(f"{CHINESE_PRACTICE} {SCALABILITY} {UNRELATED}")
    selector, _ = make_selector()
    [chosen] = selector.select("How do Chinese representatives manage massive zones?", [make_hit(chunk)], max_items=1)
    assert chosen.text == CHINESE_PRACTICE
    evidence = selector.with_next_sentences([chosen])
    assert [item.text for item in evidence] == [CHINESE_PRACTICE, SCALABILITY]
    assert [item.n for item in evidence] == [1, 2]
    assert evidence[1].score < chosen.score  # it never lifts the refusal gate's best score
    assert chunk.text[evidence[1].start : evidence[1].end] == SCALABILITY  # a verbatim, citable span


def test_a_sentence_that_does_not_carry_on_is_not_added() -> None:
    chunk = make_chunk(f"{CHINESE_PRACTICE} {UNRELATED} {SCALABILITY}")
    selector, _ = make_selector()
    [chosen] = selector.select("How do Chinese representatives manage massive zones?", [make_hit(chunk)], max_items=1)
    assert [item.text for item in selector.with_next_sentences([chosen])] == [CHINESE_PRACTICE]


def test_a_sentence_that_carries_on_from_a_weak_item_is_not_added() -> None:
    """Generic carry-on sentences ("These western zones ... have become growth poles") after items
    far below the best one distracted the model on the Chinese set."""
    best_chunk = make_chunk(f"{CHINESE_PRACTICE} {UNRELATED}")
    weak_chunk = make_chunk(f"Zones in the west border several countries. {SCALABILITY}", source="west.txt")
    selector, _ = make_selector()
    best, weak = selector.select(
        "How do Chinese representatives manage massive zones?",
        [make_hit(best_chunk), make_hit(weak_chunk)],
        max_items=2,
    )
    assert weak.score < best.score - FOLLOWER_MARGIN
    assert [item.text for item in selector.with_next_sentences([best, weak])] == [best.text, weak.text]
    weak.score = best.score - FOLLOWER_MARGIN / 2
    assert SCALABILITY in [item.text for item in selector.with_next_sentences([best, weak])]


def test_a_lead_in_ending_on_a_colon_brings_the_list_after_it() -> None:
    lead_in = "Based on the experiences of successful zone programmes, the following are important:"
    items = [
        "Government support at the highest level is a must;",
        "Having a long-term vision matters because economic transformation can take decades;",
        "A legal framework that investors can trust.",
    ]
    # As the loader writes a bulleted list: one item per paragraph.
    chunk = make_chunk("\n\n".join([lead_in, *items, UNRELATED]))
    selector, _ = make_selector()
    [chosen] = selector.select("Which lessons from successful zone programmes?", [make_hit(chunk)], max_items=1)
    assert chosen.text == lead_in
    assert [item.text for item in selector.with_next_sentences([chosen])] == [lead_in, *items]


def test_sentences_already_chosen_are_not_added_twice() -> None:
    chunk = make_chunk(f"{CHINESE_PRACTICE} {SCALABILITY}")
    selector, _ = make_selector()
    chosen = selector.select("Chinese representatives manage massive zones scalability", [make_hit(chunk)])
    assert len(chosen) == 2
    assert [item.text for item in selector.with_next_sentences(chosen)] == [CHINESE_PRACTICE, SCALABILITY]


def test_a_list_goes_on_past_an_item_already_chosen() -> None:
    lead_in = "The following are important:"
    items = ["Strong government support for every zone;", "A long-term vision for every zone;", "Good roads."]
    chunk = make_chunk("\n\n".join([lead_in, *items]))
    selector, _ = make_selector(min_sentence_chars=1)
    chosen = [
        item
        for item in selector.select("important long-term vision", [make_hit(chunk)])
        if item.text in (lead_in, items[1])
    ]
    assert [item.text for item in chosen] == [lead_in, items[1]]
    assert [item.text for item in selector.with_next_sentences(chosen)] == [lead_in, items[0], items[1], items[2]]


def test_a_sentence_about_the_other_side_of_the_asked_flow_is_not_evidence() -> None:
    """Asked about outward investment, the sentence on investment attracted is left out; a table is not."""
    attracted = "Since 2017, China has ranked second in the world in attracting foreign investment."
    outbound = "Outbound investment flows have consistently been among the top three globally."
    selector, _ = make_selector()
    question = "Where has China usually placed in the world rankings for outward investment?"
    chosen = selector.select(question, [make_hit(make_chunk(f"{attracted} {outbound}"))])
    assert [item.text for item in chosen] == [outbound]
    table = (
        "Table 2: World Goods Trade\nYear | Export | Import | Total trade\n2001 | 6,196,440 | 6,406,946 | 12,603,386"
    )
    imports = "How much did the world spend on goods bought from abroad in 2001?"
    assert selector.select(imports, [make_hit(make_chunk(table))])
