"""The citation check drops an answer sentence that says nothing the question did not."""

from __future__ import annotations

from core.config import EvidenceSettings
from rag.citations import CitationChecker
from tests.unit.test_arithmetic import ConstantEmbedder, item


def test_an_answer_that_only_restates_the_question_is_dropped() -> None:
    """A sentence naming no city ("... hosted by the city of [1].") is no answer to "which city"."""
    checker = CitationChecker(ConstantEmbedder(), EvidenceSettings())  # type: ignore[arg-type]
    congress = item("The next Free Zone Congress will be hosted by a city chosen by the members.", 1)
    question = "Which city will host the next Free Zone Congress?"
    assert (
        checker.check("The next Free Zone Congress will be hosted by the city of [1].", [congress], question).text == ""
    )
    kept = checker.check("The members will choose the city [1].", [congress], question)
    assert kept.text == "The members will choose the city [1]."


def test_an_answer_that_stops_where_its_answer_should_be_is_dropped() -> None:
    """An answer "... will be held in [1]." leaves the answer to the marker, though "held" is a new word."""
    checker = CitationChecker(ConstantEmbedder(), EvidenceSettings())  # type: ignore[arg-type]
    congress = item("The Free Zone Congress was held in Dubai and gathered zone operators.", 1)
    question = "Which city will host the next Free Zone Congress?"
    assert checker.check("The next Free Zone Congress will be held in [1].", [congress], question).text == ""
    kept = checker.check("The Free Zone Congress was held in Dubai [1].", [congress], question)
    assert kept.text == "The Free Zone Congress was held in Dubai [1]."


def test_an_answer_ending_on_a_preposition_that_states_its_fact_is_kept() -> None:
    """ "... the countries it has deals with." is English: the 34% it states is the answer."""
    checker = CitationChecker(ConstantEmbedder(), EvidenceSettings())  # type: ignore[arg-type]
    trade = item("In 2022, trade with free trade agreement partners was 34% of China's total foreign trade.", 1)
    question = "In 2022, what slice of China's overall trade was done with the countries it has free trade deals with?"
    answer = "In 2022, 34% of China's overall trade was done with the countries it has free trade deals with [1]."
    assert checker.check(answer, [trade], question).text == answer
    # Without a fact of its own, the same ending still leaves the answer to the marker.
    assert checker.check("China's overall trade was done with [1].", [trade], question).text == ""


def test_the_year_of_the_paper_a_question_names_is_no_answer_to_it() -> None:
    """ "..., according to the 2024 paper": 2024 dates the source. An answer giving 2024 as the year
    asked for needs a sentence that says so; one that only repeats where it was read stays."""
    checker = CitationChecker(ConstantEmbedder(), EvidenceSettings())  # type: ignore[arg-type]
    that_year = item("That year, the Hainan FTZ saw new foreign-funded enterprises grow by more than 100%.", 1)
    hainan = item("By 2018, when Hainan Province established an FTZ, the zones covered the coast.", 2)
    question = "In which year did Hainan get its own pilot free trade zone, according to the 2024 paper?"
    # "That year" is 2018 in the passage; the question's 2024 is not a year the passage gives.
    made_up = "The Hainan FTZ saw foreign-funded enterprises grow by more than 100% in 2024 [1]."
    assert checker.check(made_up, [that_year, hainan], question).text == ""
    answer = "Hainan Province established an FTZ in 2018, according to the 2024 paper [2]."
    assert checker.check(answer, [that_year, hainan], question).text == answer.replace("[2]", "[1]")
