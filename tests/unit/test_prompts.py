"""The answer prompt: tables rewritten so a small model can read them, and no titles in the evidence."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.documents import Chunk
from rag.evidence import Evidence
from rag.prompts import answer_messages, format_evidence, table_for_prompt

TABLE_1 = (
    "Table 1: World Economic Total and Growth Rate, 1990-2020 (Trillion US dollars, %)\n"
    "1990 | 1995 | 2020\n23.45 | 30.93 | 84.71\n3.3 | 3.7 | -3.6"
)
TABLE_2_ROW = (
    "Table 2: World Goods Trade Situation, 1990-2020 (Unit: Million US dollars)\n"
    "| Export | Import | Total trade (Exports and imports)\n"
    "1990 | 3,489,739 | 3,599,975 | 7,089,714"
)
TABLE_4 = (
    "Table 4: International Direct Investment Inflows, 2008 to 2020 (Unit: Billion US dollars)\n"
    "Year | 2008 | 2009 | 2015\nInflow Volume | 16,974 | 10,403 | 20,418"
)


def test_wide_table_without_row_labels_is_read_by_column() -> None:
    lines = table_for_prompt(TABLE_1).splitlines()
    assert lines[0].startswith("Table 1: World Economic Total and Growth Rate")
    assert lines[1:] == ["1990: 23.45, 3.3", "1995: 30.93, 3.7", "2020: 84.71, -3.6"]


def test_table_rows_keep_their_column_headers() -> None:
    lines = table_for_prompt(TABLE_2_ROW).splitlines()
    assert lines[1] == "1990: Export 3,489,739; Import 3,599,975; Total trade (Exports and imports) 7,089,714"


def test_labelled_rows_pair_each_value_with_its_column() -> None:
    lines = table_for_prompt(TABLE_4).splitlines()
    assert lines[1] == "Inflow Volume by Year: 2008: 16,974; 2009: 10,403; 2015: 20,418"


def test_a_value_without_a_header_is_kept() -> None:
    text = "Table 3: Services\n| Export | Import\n1990 | 788,672 | 823,017 | 1,611,689"
    assert table_for_prompt(text).splitlines()[1] == "1990: Export 788,672; Import 823,017; 1,611,689"


def test_plain_text_only_loses_extra_whitespace() -> None:
    assert table_for_prompt("Zones  cut\n tariffs.") == "Zones cut tariffs."


def _evidence(text: str, n: int) -> Evidence:
    chunk = Chunk(
        chunk_id=f"doc.pdf#{n}",
        source="doc.pdf",
        title="A Very Long Title That Costs Prompt Tokens",
        text=text,
        chunk_index=n,
        char_start=0,
        char_end=len(text),
        sha256="0" * 64,
        page=5,
        page_spans=[(0, 5)],
    )
    return Evidence(text, chunk, 0, len(text), n=n, vector=np.zeros(3))


def test_evidence_lines_carry_numbers_and_text_but_no_titles() -> None:
    evidence = [_evidence("The 2016 G20 Summit in Hangzhou adopted the principles.", 1), _evidence(TABLE_4, 2)]
    lines = format_evidence(evidence).splitlines()
    assert lines[0] == "[1] The 2016 G20 Summit in Hangzhou adopted the principles."
    assert lines[1].startswith("[2] Table 4: International Direct Investment Inflows")
    assert lines[2] == "Inflow Volume by Year: 2008: 16,974; 2009: 10,403; 2015: 20,418"
    user = answer_messages("Which city hosted the 2016 G20 summit?", evidence)[1]["content"]
    assert "A Very Long Title" not in user and "p. 5" not in user


def test_a_pronoun_sentence_is_shown_without_its_context_when_that_sentence_is_evidence_too() -> None:
    """The context is read once: a second copy cost the prompt budget a piece of evidence (hard set)."""
    before = "The Zhejiang FTZ set up a bunkering centre."
    pronoun = _evidence("It has announced the bonded fuel price.", 2)
    pronoun.context = before
    lines = format_evidence([_evidence(before, 1), pronoun]).splitlines()
    assert lines == ["[1] The Zhejiang FTZ set up a bunkering centre.", "[2] It has announced the bonded fuel price."]
    alone = format_evidence([pronoun]).splitlines()
    assert alone == ["[2] The Zhejiang FTZ set up a bunkering centre. It has announced the bonded fuel price."]
    # A table row is read under its caption and header even when the caption is evidence of its own.
    caption = "Table 4: Inflows\n| 2008 | 2009"
    row = _evidence("Inflow Volume | 16,974 | 10,403", 2)
    row.context = caption
    lines = format_evidence([_evidence(caption, 1), row]).splitlines()
    assert lines[-1] == "Inflow Volume: 2008 16,974; 2009 10,403"


def test_query_of_an_empty_or_filtered_out_collection_returns_nothing(tmp_path: Path) -> None:
    import chromadb

    from index.store import ChromaStore

    store = ChromaStore(chromadb.PersistentClient(str(tmp_path)), "prompt-test")
    assert store.query(np.ones(384, dtype=np.float32), k=5) == []
    assert store.query(np.ones(384, dtype=np.float32), k=5, sources=["missing.pdf"]) == []
