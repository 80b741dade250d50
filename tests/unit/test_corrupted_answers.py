"""The gate's corrupted-answer probe (``evals.gate``): the sentence it adds is one the citation
check must not let through as written: a number no evidence holds, or a quote cited to the wrong item."""

from __future__ import annotations

import zlib
from dataclasses import replace

from evals.gate import CorruptingGenerator, corrupted_sentence
from rag.citations import numbers_in, split_claims
from rag.evidence import Evidence
from tests.unit.test_arithmetic import item as evidence_item


def item(text: str, n: int, score: float, context: str = "") -> Evidence:
    return replace(evidence_item(text, n, context), score=score)


TOP = item("The first zone opened in Shanghai in 2013.", 1, 0.9)
ROW = item("2019 | 21 | 18", 2, 0.6, context="Table 1: Zones by year\nYear | Zones | Pilot areas")
WEAK = item("Delegates visited the port on the second day.", 3, 0.3)
EVIDENCE = [TOP, ROW, WEAK]


def question_of_kind(number: bool) -> str:
    """A question for which :func:`corrupted_sentence` tries the wrong number first (or the wrong citation)."""
    return next(q for i in range(100) if (zlib.crc32((q := f"question {i}").encode()) % 2 == 0) == number)


def test_a_wrong_number_is_one_that_no_evidence_holds() -> None:
    question = question_of_kind(number=True)
    sentence = corrupted_sentence(question, EVIDENCE)
    assert sentence is not None
    [(claim, cited)] = split_claims(sentence)
    assert cited == [TOP.n] and claim.startswith("The first zone opened in Shanghai in 201")
    held = set().union(*(numbers_in(e.readable) for e in EVIDENCE), numbers_in(question))
    assert numbers_in(claim) - held  # the changed number
    # A table row keeps its caption and header; the number changed is the row's, not the caption's.
    row_only = corrupted_sentence(question, [ROW, WEAK])
    assert row_only is not None and row_only.startswith("Table 1: Zones by year") and "2019 | 21 | 18" not in row_only


def test_a_wrong_citation_quotes_the_weakest_item_and_cites_the_strongest() -> None:
    sentence = corrupted_sentence(question_of_kind(number=False), EVIDENCE)
    assert sentence == "Delegates visited the port on the second day [1]."


def test_each_kind_stands_in_for_the_other_and_nothing_is_added_without_evidence() -> None:
    lone = [WEAK]  # one item, no number: neither corruption can be made
    assert corrupted_sentence(question_of_kind(number=False), [TOP]) is not None  # a number instead
    assert corrupted_sentence(question_of_kind(number=True), [WEAK, item("Zones trade.", 4, 0.8)]) == (
        "Delegates visited the port on the second day [4]."
    )
    assert corrupted_sentence("q", lone) is None
    assert "".join(CorruptingGenerator().draft("q", []).pieces) == ""


def test_the_generator_adds_the_sentence_after_the_extractive_answer() -> None:
    question = question_of_kind(number=False)
    answer = "".join(CorruptingGenerator().draft(question, EVIDENCE).pieces)
    assert answer == "The first zone opened in Shanghai in 2013 [1]. Delegates visited the port on the second day [1]."
