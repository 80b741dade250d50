"""Worked arithmetic over table evidence (``rag.arithmetic``) and the citation check's derived numbers.

A question asking for a change between two table cells gets the subtraction done for it, so the
model only copies; the citation check then accepts the difference because both cited cells hold
its operands, and still rejects a number that no two cited numbers make.
"""

from __future__ import annotations

import numpy as np

from core.config import EvidenceSettings
from core.documents import Chunk, make_chunk_id
from rag.arithmetic import count_lines, derived_numbers, looked_up_line, prose_lines, worked_answer, worked_lines
from rag.citations import CitationChecker
from rag.evidence import Evidence
from rag.prompts import answer_messages

GOODS = "Table 2: World Goods Trade (Unit: Million US dollars)\nYear | Export | Import | Total trade | Growth rate (%)"
SERVICES = (
    "Table 3: World Service Trade (Unit: Million US dollars)\nYear | Export | Import | Total trade | Growth rate (%)"
)


def item(text: str, n: int, context: str = "") -> Evidence:
    chunk = Chunk(
        chunk_id=make_chunk_id("t.pdf", text),
        source="t.pdf",
        title="T",
        text=text,
        chunk_index=n,
        char_start=0,
        char_end=len(text),
        sha256="x",
        context=context,
    )
    return Evidence(text, chunk, 0, len(text), context=context, n=n)


ROW_2008 = item("2008 | 16,170,529 | 16,496,984 | 32,667,513 | 15.43", 1, GOODS)
ROW_2009 = item("2009 | 12,565,091 | 12,714,737 | 25,279,828 | -22.61", 2, GOODS)
SERVICES_2009 = item("2009 | 3,488,683 | 3,300,083 | 6,788,766 | -9.27", 3, SERVICES)
SENTENCE = item("World trade recovered strongly after the financial crisis of 2008.", 4)


def test_two_years_of_one_table_give_the_change_of_the_asked_column_first() -> None:
    lines = worked_lines("By how much did total trade drop between 2008 and 2009?", [ROW_2008, ROW_2009, SENTENCE])
    assert lines[0].startswith("From [1] and [2]: Total trade")
    assert "fell by 7,387,685, from 32,667,513 (2008) to 25,279,828 (2009)" in lines[0]
    assert len(lines) <= 3
    assert not any("Growth rate" in line for line in lines)  # levels asked about, not rates


def test_a_header_of_years_gives_the_change_per_labelled_row() -> None:
    table = item("Table 4: Inflows (Unit: Billion US dollars)\nYear | 2014 | 2015\nInflow Volume | 14,039 | 20,418", 1)
    [line] = worked_lines("How much did inflows jump from 2014 to 2015?", [table])
    assert line == "From [1]: Inflow Volume rose by 6,379, from 14,039 (2014) to 20,418 (2015)."


def test_one_year_in_two_tables_gives_the_gap_when_the_question_compares() -> None:
    question = "In 2009, which fell further in percentage terms, goods or services, and by how many points?"
    lines = worked_lines(question, [ROW_2009, SERVICES_2009])
    assert lines and "a difference of 13.34" in lines[0] and "-22.61" in lines[0] and "-9.27" in lines[0]
    # The answer names the one that fell further in the question's words, and a rise the one that grew faster.
    assert lines[0].endswith(", lower for goods.")
    grew = "In 2009, which had the higher growth rate, goods or services?"
    assert worked_lines(grew, [ROW_2009, SERVICES_2009])[0].endswith(", higher for services.")


def test_no_worked_lines_for_a_plain_lookup_or_without_tables() -> None:
    assert worked_lines("What were goods exports in 2009?", [ROW_2008, ROW_2009]) == []
    assert worked_lines("What was the growth rate of goods in 2009?", [ROW_2009, SERVICES_2009]) == []
    assert worked_lines("By how much did trade drop between 2008 and 2009?", [SENTENCE]) == []


def test_the_one_cell_a_question_names_by_year_column_and_table_is_looked_up() -> None:
    """Service imports in 2009: the services table's import cell, not the goods table's."""
    line = looked_up_line("What were world service imports in 2009?", [ROW_2009, SERVICES_2009, SENTENCE])
    assert line == "From [3]: in 2009, Import (Table 3: World Service Trade) was 3,300,083."
    assert worked_answer(line) == "In 2009, Import (Table 3: World Service Trade) was 3,300,083 [3]."
    rate = looked_up_line("What growth rate did goods trade show in 2009?", [ROW_2009, SERVICES_2009])
    assert rate is not None and rate.endswith("(Table 2: World Goods Trade) was -22.61.")


def test_a_column_of_the_other_side_or_the_total_is_not_the_cell_one_side_asks_for() -> None:
    """Goods "bought from abroad" are imports: not the exports' cell, nor total trade's, which shares "trade"."""
    caption = "Table 2: World Goods Trade Situation (Unit: Million US dollars)"
    header = "Year | Export | Import | Total trade (Exports and imports)"
    row = item("2001 | 6,196,440 | 6,406,946 | 12,603,386", 1, f"{caption}\n{header}")
    question = "How much did the world spend on goods bought from abroad in 2001, per the goods trade table?"
    assert (
        looked_up_line(question, [row])
        == "From [1]: in 2001, Import (Table 2: World Goods Trade Situation) was 6,406,946."
    )


def test_a_word_that_names_the_table_does_not_also_pick_the_column() -> None:
    """The word "trade" names the services table here; the export growth rate is asked for, not total trade's."""
    caption = "Table 3: World Service Trade (Unit: Million US dollars)"
    header = "Year | Export | Import | Total trade | Export growth rate (%) | Total trade growth rate (%)"
    row = item("2017 | 5,352,079 | 5,122,430 | 10,474,509 | 8.63 | 7.92", 1, f"{caption}\n{header}")
    question = "In the WTO table on trade in services, what growth rate did service exports post in 2017?"
    line = looked_up_line(question, [row])
    assert line is not None and line.endswith("Export growth rate (%) (Table 3: World Service Trade) was 8.63.")


def test_no_cell_is_looked_up_when_the_question_does_not_single_one_out() -> None:
    assert looked_up_line("What were imports in 2009?", [ROW_2009, SERVICES_2009]) is None  # goods or services?
    assert looked_up_line("What were service imports in 2010?", [ROW_2009, SERVICES_2009]) is None  # no such row
    assert looked_up_line("What were service imports?", [SERVICES_2009]) is None  # no year
    assert looked_up_line("How far apart were goods and service imports in 2009?", [ROW_2009, SERVICES_2009]) is None
    assert looked_up_line("What was the zones' mascot in 2009?", [ROW_2009, SERVICES_2009]) is None  # no column


def test_the_prompt_carries_the_worked_lines_only_when_there_are_some() -> None:
    asked = answer_messages("By how much did total trade drop between 2008 and 2009?", [ROW_2008, ROW_2009])
    assert "<calculations>" in asked[1]["content"] and "7,387,685" in asked[1]["content"]
    plain = answer_messages("What were goods exports in 2009?", [ROW_2009])
    assert "<calculations>" not in plain[1]["content"]


def test_derived_numbers_are_differences_and_sums_at_the_inputs_precision() -> None:
    derived = derived_numbers("32,667,513 and 25,279,828; -22.61 and -9.27")
    assert {"7387685", "57947341", "13.34", "31.88"} <= derived


class ConstantEmbedder:
    """Every text embeds to the same unit vector: support then rests on lexical overlap and numbers."""

    name = "constant"
    dimension = 4

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return np.tile(np.array([1.0, 0, 0, 0], dtype=np.float32), (len(texts), 1))

    def embed_query(self, text: str) -> np.ndarray:
        return np.array([1.0, 0, 0, 0], dtype=np.float32)


def test_the_citation_check_keeps_a_difference_of_two_cited_cells_and_drops_a_made_up_number() -> None:
    checker = CitationChecker(ConstantEmbedder(), EvidenceSettings())  # type: ignore[arg-type]
    evidence = [ROW_2008, ROW_2009]
    kept = checker.check("Total trade fell by 7,387,685 million US dollars [1][2].", evidence)
    assert kept.text and "7,387,685" in kept.text
    made_up = checker.check("Total trade fell by 7,000,001 million US dollars [1][2].", evidence)
    assert made_up.text == ""


ZONES_2025 = (
    "At present, China has established and operated 22 pilot free trade zones, including 6 in the western region, "
    "located in Shaanxi, Sichuan, Chongqing, Guangxi, Yunnan, and Xinjiang."
)
CASES_2024 = (
    "For example, in 2024, Shaanxi will explore and form 72 innovative cases, with 3 cases replicated nationwide."
)
ZONES_2024 = "Since the 18th CPC National Congress, China has established 21 FTZs, creating a pilot pattern."
TOTALS = (
    "The 2025 article on the western region and the 2024 paper give different totals for China's pilot free trade "
    "zones. How many more does the newer article count?"
)


def test_two_counts_of_what_the_question_counts_are_subtracted() -> None:
    """22 pilot free trade zones and 21 FTZs count one thing; 72 cases and 6 western zones do not pair with them."""
    evidence = [item(ZONES_2025, 1), item(CASES_2024, 2), item(ZONES_2024, 3)]
    lines = worked_lines(TOTALS, evidence)
    assert lines[0] == "From [1] and [3]: 22 pilot free trade zones against 21 FTZs: a difference of 1."
    assert worked_answer(lines[0]) == "22 pilot free trade zones against 21 FTZs: a difference of 1 [1][3]."
    checker = CitationChecker(ConstantEmbedder(), EvidenceSettings())  # type: ignore[arg-type]
    assert "a difference of 1" in checker.check(worked_answer(lines[0]), evidence, TOTALS).text
    # Only a "how many more / fewer" question is answered so; one count alone has nothing to be set against.
    assert count_lines("How many pilot free trade zones does China have?", evidence) == []
    assert count_lines(TOTALS, [item(ZONES_2025, 1), item(CASES_2024, 2)]) == []


def test_a_sentence_of_two_years_gives_each_figure_the_year_that_follows_it() -> None:
    """ "from almost 2 trillion in 2016 to 1.5 trillion in 2019": 2019's figure is 1.5, not the sentence's first."""
    fdi_2019 = item(
        "Global foreign direct investment (FDI) fell from almost 2 trillion US dollars in 2016 to 1.5 trillion "
        "US dollars in 2019.",
        1,
    )
    fdi_2021 = item(
        "The 2020 pandemic caused a drop in global FDI to less than 1 trillion US dollars, rebounding to 1.58 "
        "trillion US dollars in 2021.",
        2,
    )
    # Another figure of the same unit for 2021, whose clause shares as many of the question's words.
    economy = item("The global economy increased to 96.29 trillion US dollars in 2021.", 3)
    lines = prose_lines(
        "Was global FDI in 2021 above or below its 2019 level, and by how much?",
        [fdi_2019, fdi_2021, economy],
        ["2019", "2021"],
    )
    assert lines[0] == (
        "From [1] and [2]: 1.5 trillion US dollars in 2019 and 1.58 trillion US dollars in 2021: "
        "2021 is 0.08 trillion US dollars more."
    )
