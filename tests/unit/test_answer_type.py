"""``rag.answer_type``: a question that asks for a figure (or a date) is not answered by a sentence without one."""

from __future__ import annotations

import pytest

from core.config import EvidenceSettings
from rag.answer_type import asks_for_date, asks_for_quantity, states_date, states_quantity
from rag.citations import CitationChecker
from rag.pipeline import RagPipeline
from tests.unit.test_arithmetic import ConstantEmbedder, item


@pytest.mark.parametrize(
    "question",
    [
        "How many hectares does the Djibouti zone cover?",
        "How much money did CAST put into the centre?",
        "What corporate income tax rate applies in Hainan?",
        "What was the budget of the training programme?",
        "What share of China's trade was done with FTA partners?",
        "By how much did exports fall?",
    ],
)
def test_questions_asking_for_a_figure(question: str) -> None:
    assert asks_for_quantity(question)


@pytest.mark.parametrize(
    "question",
    [
        "What did European delegates share at the Free Zone Congress?",  # "share", the verb
        "Which city hosted the 2016 G20 summit?",
        "Who chairs the World Free Zones Organization?",
        "Why did the number of new market entities fall?",
    ],
)
def test_questions_asking_for_something_else(question: str) -> None:
    assert not asks_for_quantity(question)


@pytest.mark.parametrize(
    ("answer", "stated"),
    [
        ("It covers 873 square kilometres [1].", True),
        ("China ranked second for four consecutive years [1].", True),
        ("覆盖面积为八百七十三平方公里。", True),
        ("The zone strengthens cooperation with Hainan [1].", False),
    ],
)
def test_a_figure_in_any_form_counts(answer: str, stated: bool) -> None:
    assert states_quantity(answer) is stated


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("On what exact date did China set up its very first pilot trade zone?", True),
        ("In what year did the negative list begin to apply nationwide?", True),
        ("When was the article published?", True),
        ("What was the date of the opening ceremony?", True),
        ("Which city hosted the 2016 G20 summit?", False),
        ("How many years after the first zone did the law come?", False),
    ],
)
def test_questions_asking_when(question: str, asks: bool) -> None:
    assert asks_for_date(question) is asks


def test_a_date_is_a_year_or_a_month() -> None:
    assert states_date("It opened on September 29, 2013 [1].")
    assert states_date("The list applied nationwide from 2021.")
    assert not states_date("The first zone marked the beginning of a new round of opening up [1].")


def _pipeline() -> RagPipeline:
    checker = CitationChecker(ConstantEmbedder(), EvidenceSettings())  # type: ignore[arg-type]
    return RagPipeline(searcher=None, selector=None, checker=checker, generator=None, evidence=EvidenceSettings())  # type: ignore[arg-type]


def test_a_when_answer_without_its_date_becomes_the_dated_sentence_it_cited() -> None:
    """The model restated the cited sentence without its "On September 29, 2013": the sentence is quoted."""
    pipeline = _pipeline()
    dated = item("On September 29, 2013, the first FTZ in Shanghai marked a new round of opening up.", 1)
    other = item("The zones cover the eastern coastal areas.", 2)
    question = "On what exact date did China set up its first pilot trade zone?"
    raw = "The first FTZ in Shanghai marked a new round of opening up [1]."
    checked = pipeline.checker.check(raw, [dated, other], question)
    answered = pipeline._dated(question, [dated, other], checked, raw)
    assert "September 29, 2013" in answered.text
    assert [old.n for _, old, _ in answered.citations] == [1]
    # An answer that names its date, or a question that does not ask when, is left as it is.
    assert pipeline._dated("Which zone came first?", [dated, other], checked, raw) is checked
    undated = pipeline.checker.check("The zones cover the eastern coastal areas [2].", [dated, other], question)
    assert pipeline._dated(question, [dated, other], undated, "... [2].") is undated
