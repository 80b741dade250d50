"""``rag.answer_type``: a question that asks for a figure (or a date) is not answered by a sentence without one."""

from __future__ import annotations

import pytest

from core.config import EvidenceSettings
from rag.answer_type import asks_for_date, asks_for_quantity, insists_on_date, states_date, states_quantity
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
        "What growth rate did the statistics bureau publish for 2022?",  # published, but a figure
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
        "And what fuel price did it start publishing?",  # which price: a named index, not a figure
        "What price index did the port begin to issue?",
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
        ("Which of the agreements had come into force, and in what year?", True),
        ("The port was created by a central decision on what date?", True),
    ],
)
def test_questions_asking_when(question: str, asks: bool) -> None:
    assert asks_for_date(question) is asks


def test_only_questions_naming_a_date_or_year_insist_on_one() -> None:
    """ "When did China start ...?" may be answered "since the 18th Congress"; "in what year" needs a year."""
    assert insists_on_date("Which of the agreements had come into force, and in what year?")
    assert insists_on_date("On what exact date did the first zone open?")
    assert not insists_on_date("When did China start building its free trade agreement network?")
    assert not insists_on_date("On which day of the training were the zones visited?")
    assert not insists_on_date("Which city hosted the 2016 G20 summit?")


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


def test_a_dropped_answer_that_read_the_other_year_s_figure_is_corrected_and_checked_again() -> None:
    """The model gave 2020's 17.44% for 2021, citing the sentence that holds both: 18.13% is the answer."""
    pipeline = _pipeline()
    shares = item(
        "In 2021, the Chinese mainland's economy increased its share of the global economy from 17.44% in the "
        "previous year to 18.13%.",
        1,
    )
    question = "What slice of the world economy did mainland China account for in 2021?"
    raw = "Mainland China accounted for 17.44% of the global economy in 2021 [1]."
    checked = pipeline.checker.check(raw, [shares], question)
    assert checked.text == ""
    corrected = pipeline._corrected(question, [shares], checked, raw)
    assert corrected.text == "Mainland China accounted for 18.13% of the global economy in 2021 [1]."
    # Uncited, the figure points at the item that prints it.
    uncited = "Mainland China accounted for 17.44% of the global economy in 2021."
    dropped = pipeline.checker.check(uncited, [shares], question)
    assert pipeline._corrected(question, [shares], dropped, uncited).text == corrected.text
    # An answer misdated in no cited clause stays dropped.
    unrelated = "Mainland China accounted for 17.44% of the global economy in 2021 [2]."
    other = item("The zones cover the eastern coastal areas of the country.", 2)
    dropped = pipeline.checker.check(unrelated, [shares, other], question)
    assert pipeline._corrected(question, [shares, other], dropped, unrelated) is dropped


def test_a_dropped_answer_that_gave_imports_for_exports_is_corrected() -> None:
    """The cited sentence gives 581.783 for exports and 177.644 for imports; the model took the imports'."""
    pipeline = _pipeline()
    trade = item(
        "In 2022, China's exports to the U.S. were 581.783 billion dollars, up 1.2%, and imports from the U.S. "
        "were 177.644 billion dollars, down 1.1%.",
        1,
    )
    question = "How much did China export to the United States in 2022?"
    raw = "China exported 177.644 billion dollars to the U.S. in 2022 [1]."
    checked = pipeline.checker.check(raw, [trade], question)
    assert checked.text == ""
    assert pipeline._corrected(question, [trade], checked, raw).text == (
        "China exported 581.783 billion dollars to the U.S. in 2022 [1]."
    )
