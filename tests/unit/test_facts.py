"""The fact-level number check (``rag.facts``): a value is cited for the year it is claimed for.

The crafted failure the issue describes: asked about 2022, the model answers with the figure the
passage gives for 2021, labelled 2022. Every number is in the passage and the year is the
question's own, so a number-by-number check passed it.
"""

from __future__ import annotations

from core.config import EvidenceSettings
from rag.citations import CitationChecker, counted_alike
from rag.facts import (
    answers_the_other_side,
    misdated_values,
    misplaced,
    off_year,
    redated,
    redirected,
    resided,
    reversed_direction,
    swapped_values,
    unlinked_years,
    unsaid_answer,
    unsupported_names,
    year_ties,
)
from tests.unit.test_arithmetic import GOODS, ROW_2008, ROW_2009, ConstantEmbedder, item

PROSE = "In 2021, the pilot zones actually used 200 billion yuan of foreign capital. Exports grew by 12 percent."


def test_a_value_stated_for_another_year_is_misdated() -> None:
    assert misdated_values("In 2022 the pilot zones used 200 billion yuan of foreign capital.", PROSE) == ["200"]
    assert misdated_values("In 2021 the pilot zones used 200 billion yuan of foreign capital.", PROSE) == []


def test_values_near_no_year_and_claims_without_years_are_not_judged() -> None:
    assert misdated_values("In 2022 exports grew by 12 percent.", PROSE) == []  # its sentence names no year
    assert misdated_values("The pilot zones used 200 billion yuan.", PROSE) == []


def test_the_question_s_own_numbers_are_premises() -> None:
    claim = "The province that ran 3,720 trains in 2020 reported 72 cases in 2024."
    evidence = "In 2024, Shaanxi reported 72 innovative cases. It ran 3,720 China-Europe trains in 2020."
    assert misdated_values(claim, evidence, given={"3,720", "2020", "2024"}) == []
    assert misdated_values("It reported 72 cases in 2023.", evidence) == ["72"]


def test_table_values_are_tied_to_their_row_year_and_their_column_year() -> None:
    by_rows = f"{GOODS}\n2008 | 16,170,529 | 16,496,984 | 32,667,513 | 15.43"
    assert frozenset({"2008"}) in year_ties(by_rows)["32667513"]
    assert misdated_values("In 2009 total goods trade was 32,667,513 million dollars.", by_rows) == ["32667513"]

    by_columns = "Table 1: World GDP (trillion dollars)\nIndicator | 2014 | 2015\nWorld GDP | 79.5 | 75.2"
    assert misdated_values("World GDP was 75.2 trillion dollars in 2015.", by_columns) == []
    assert misdated_values("World GDP was 79.5 trillion dollars in 2015.", by_columns) == ["79.5"]


def test_the_citation_check_drops_a_wrong_year_answer_and_keeps_the_right_one() -> None:
    checker = CitationChecker(ConstantEmbedder(), EvidenceSettings())  # type: ignore[arg-type]
    passage = [item(PROSE, 1)]
    question = "How much foreign capital did the pilot zones actually use in 2022?"
    wrong = checker.check(
        "In 2022, the pilot zones actually used 200 billion yuan of foreign capital [1].", passage, question
    )
    assert wrong.text == ""
    assert wrong.sentences[0].reason == "cited passages do not support it"
    right = checker.check(
        "In 2021, the pilot zones actually used 200 billion yuan of foreign capital [1].",
        passage,
        "How much foreign capital did the pilot zones actually use in 2021?",
    )
    assert right.text.startswith("In 2021")


def test_a_table_row_cited_for_the_wrong_year_is_dropped() -> None:
    checker = CitationChecker(ConstantEmbedder(), EvidenceSettings())  # type: ignore[arg-type]
    question = "What was total world goods trade in 2009?"
    rows = [ROW_2008, ROW_2009]
    wrong = checker.check("In 2009, total goods trade was 32,667,513 million US dollars [1].", rows, question)
    assert wrong.text == ""
    right = checker.check("In 2009, total goods trade was 25,279,828 million US dollars [2].", rows, question)
    assert "25,279,828" in right.text


USED_2021 = "In 2021, the pilot zones actually used 213 billion yuan of foreign capital."
USED_2022 = "In 2022, the pilot zones actually used 222.52 billion yuan of foreign capital."


def test_a_claim_without_a_year_is_read_for_the_year_the_question_asks_about() -> None:
    checker = CitationChecker(ConstantEmbedder(), EvidenceSettings())  # type: ignore[arg-type]
    passage = [item(USED_2021, 1)]
    misdated = checker.check(
        "The pilot zones actually used 213 billion yuan of foreign capital [1].",
        passage,
        "How much foreign capital did the zones actually use in 2022?",
    )
    assert misdated.text == ""
    asked_right = checker.check(
        "The pilot zones actually used 213 billion yuan of foreign capital [1].",
        passage,
        "How much foreign capital did the zones actually use in 2021?",
    )
    assert "213" in asked_right.text


def test_a_claim_drawing_on_two_passages_is_checked_against_both_together() -> None:
    """Each number is in one of the two cited passages, and the worked difference in neither."""
    checker = CitationChecker(ConstantEmbedder(), EvidenceSettings())  # type: ignore[arg-type]
    evidence = [item(USED_2021, 1), item(USED_2022, 2)]
    question = "How much more foreign capital did the pilot zones actually use in 2022 than in 2021?"
    both = checker.check(
        "The pilot zones actually used 222.52 billion yuan in 2022 and 213 billion yuan in 2021, "
        "9.52 billion yuan more [1][2].",
        evidence,
        question,
    )
    assert "9.52" in both.text and both.text.endswith("[1][2].")
    swapped = checker.check(
        "The pilot zones actually used 213 billion yuan in 2022 and 222.52 billion yuan in 2021 [1][2].",
        evidence,
        question,
    )
    assert swapped.text == ""


def test_a_caption_s_year_range_covers_the_years_inside_it() -> None:
    caption = "Table 2: World Goods Trade Situation, 1990-2020 (Unit: Million US dollars)"
    assert misdated_values("Table 2 shows that goods trade fell in 2009.", caption) == []
    assert misdated_values("Table 2 shows that goods trade fell in 2021.", caption) == ["2"]


def test_a_source_citation_s_year_does_not_date_the_figure() -> None:
    passage = "Foreign capital use was 213 billion yuan (Ministry of Commerce Research Institute, 2022)."
    assert misdated_values("In 2021 the zones used 213 billion yuan.", passage) == []
    assert misdated_values(
        "In 2021 the zones used 213 billion yuan.", "In 2022, foreign capital use was 213 billion yuan."
    ) == ["213"]


HAINAN = "That year, the Hainan FTZ saw the actual use of foreign investment grow by more than 100%."


def test_a_figure_of_another_province_is_misplaced() -> None:
    assert misplaced("The Shaanxi FTZ's foreign investment grew by more than 100%.", [HAINAN])
    # The province named, or none named, or the claim naming both: not judged misplaced.
    assert not misplaced("The Hainan FTZ's foreign investment grew by more than 100%.", [HAINAN])
    assert not misplaced("Shaanxi had 12200 new enterprises.", ["12200 new enterprises were established there."])
    assert not misplaced("Hainan and Shaanxi both grew by 100%.", [HAINAN])
    assert not misplaced("The Shaanxi FTZ attracts foreign investment.", [HAINAN])  # no figure


def test_the_citation_check_drops_another_province_s_figure() -> None:
    checker = CitationChecker(ConstantEmbedder(), EvidenceSettings())  # type: ignore[arg-type]
    question = "How fast did foreign investment grow in the Shaanxi pilot FTZ?"
    wrong = checker.check(
        "The Shaanxi FTZ saw foreign investment grow by more than 100% [1].", [item(HAINAN, 1)], question
    )
    assert wrong.text == ""
    right = checker.check(
        "The Hainan FTZ saw foreign investment grow by more than 100% [1].", [item(HAINAN, 1)], question
    )
    assert right.text.startswith("The Hainan FTZ")


ROUND_2019 = "On August 26, 2019, approval was granted to establish a new batch of FTZs in Shandong and Jiangsu."


def test_an_event_of_another_year_is_off_year() -> None:
    """A false premise ("the 2021 round") answered from the 2019 round's sentence."""
    assert off_year("Shandong and Jiangsu were given FTZs in the 2021 approval round.", [ROUND_2019])
    assert not off_year("Shandong and Jiangsu were given FTZs in 2019.", [ROUND_2019])
    # A claim without a year is read for the question's; texts naming no year are not judged.
    assert off_year("Shandong and Jiangsu were given FTZs.", [ROUND_2019], asked_years={"2021"})
    assert not off_year("Shandong and Jiangsu were given FTZs.", [ROUND_2019])
    assert not off_year("In 2021 the zones kept growing.", ["The zones kept growing."])
    # One of the claim's years named is enough: "in 2022, up from 2021" citing a 2021 figure.
    assert not off_year("Trade grew in 2022 from its 2021 level.", ["In 2021 trade was 10 billion."])


def test_the_citation_check_drops_an_answer_to_a_false_year_premise() -> None:
    checker = CitationChecker(ConstantEmbedder(), EvidenceSettings())  # type: ignore[arg-type]
    question = "Which provinces were given pilot free trade zones in the 2021 approval round?"
    wrong = checker.check(
        "Shandong and Jiangsu were given pilot free trade zones in the 2021 approval round [1].",
        [item(ROUND_2019, 1)],
        question,
    )
    assert wrong.text == ""
    right = checker.check(
        "Shandong and Jiangsu were given FTZs in the 2019 approval round [1].",
        [item(ROUND_2019, 1)],
        "Which provinces were given pilot free trade zones in the 2019 approval round?",
    )
    assert right.text.startswith("Shandong and Jiangsu")


def test_a_value_of_the_previous_year_is_tied_to_the_year_before() -> None:
    share = "In 2021, mainland China grew, increasing its global share from 17.44% in the previous year to 18.13%."
    assert misdated_values("Mainland China accounted for 17.44% of the world economy in 2021.", share) == ["17.44"]
    assert misdated_values("Mainland China accounted for 18.13% of the world economy in 2021.", share) == []
    assert misdated_values("Its share was 17.44% in 2020.", share) == []
    assert misdated_values(share, share) == []  # the sentence quoted whole says which year 17.44% is for
    dollars = "In 2021 inflows rose from 5.03 trillion US dollars in the previous year to 5.8 trillion."
    assert misdated_values("Inflows were 5.03 trillion US dollars in 2021.", dollars) == ["5.03"]


def test_a_claim_joining_two_passages_is_re_cited_to_both() -> None:
    """A bridge answer cited to one item: each of its figures is in another item, the pair holds both."""
    checker = CitationChecker(ConstantEmbedder(), EvidenceSettings())  # type: ignore[arg-type]
    evidence = [
        item("In 2020, the Shaanxi FTZ operated 3,720 China-Europe freight trains.", 1),
        item("In 2024, Shaanxi formed 72 innovative cases in its pilot free trade zone.", 2),
        item("Delegates visited the Qianhai zone on the second day.", 3),
    ]
    question = "How many innovative cases did the province whose zone ran the most freight trains form in 2024?"
    joined = checker.check(
        "Shaanxi, whose FTZ operated 3,720 freight trains in 2020, formed 72 innovative cases in 2024 [2].",
        evidence,
        question,
    )
    assert "72 innovative cases" in joined.text and joined.text.endswith("[1][2].")
    assert {cited.chunk.text[:8] for _, cited, _ in joined.citations} == {"In 2020,", "In 2024,"}
    # A figure neither item holds is still dropped, however well the words match.
    made_up = checker.check(
        "Shaanxi, whose FTZ operated 3,720 freight trains in 2020, formed 27 innovative cases in 2024 [2].",
        evidence,
        question,
    )
    assert made_up.text == ""


def test_a_pair_holding_the_number_as_a_count_of_something_else_does_not_support_a_claim() -> None:
    """'6' is there, but as 6 zones: a claim of 6 people is not re-cited to the pair."""
    checker = CitationChecker(ConstantEmbedder(), EvidenceSettings())  # type: ignore[arg-type]
    evidence = [
        item("Opinions on the Shanghai pilot free trade zone and the people working in finance.", 1),
        item("China has 22 pilot free trade zones, including 6 in the western region.", 2),
    ]
    checked = checker.check(
        "The Shanghai pilot free trade zone has 6 people working in it [1].",
        evidence,
        "How many people work in the Shanghai pilot free trade zone?",
    )
    assert checked.text == ""
    assert counted_alike("The western region has 6 pilot zones.", [evidence[1].readable], set())


EXPO_QUESTION = "How did the Western China Expo in Chengdu help the Shaanxi zone form 72 innovative cases in 2024?"
SHAANXI_CASES = "For example, in 2024, Shaanxi will explore and form 72 innovative cases, with 3 replicated nationwide."


def test_names_taken_from_the_question_must_be_named_by_the_cited_text() -> None:
    claim = "The Western China Expo in Chengdu helped the Shaanxi zone form 72 innovative cases in 2024 [1]."
    assert unsupported_names(claim, [SHAANXI_CASES], EXPO_QUESTION) == ["Western China Expo", "Chengdu"]
    # Where the answer is read is no claim: "according to the WTO figures in Table 2".
    table = "Table 2: World goods trade | Import\n2004 | 9,473,361"
    asked = "How much did the world import in 2004, according to the WTO figures in Table 2?"
    read = "The world imported 9,473,361 in 2004, according to the WTO figures in Table 2 [1]."
    assert unsupported_names(read, [table], asked) == []
    # "China" is named by "Chinese"; a name the question does not give is the answer, judged elsewhere.
    share = "the Chinese mainland's economy increased its share of the global economy to 18.13%."
    asked = "What share did mainland China have?"
    assert unsupported_names("Mainland China accounted for 18.13% [1].", [share], asked) == []
    assert unsupported_names("Hainan introduced it [1].", [SHAANXI_CASES], "Which province introduced it?") == []
    # A name stands in a text by its initials, and an abbreviation by the words it stands for.
    exports = "China's exports to the U.S. were 581.783 billion dollars."
    asked = "How much did China export to the United States?"
    claim = "China exported 581.783 billion dollars to the United States [1]."
    assert unsupported_names(claim, [exports], asked) == []
    spelled = "In 2022, the Regional Comprehensive Economic Partnership came into effect."
    rcep, when = "The RCEP took effect in 2022 [1].", "When did the RCEP take effect?"
    assert unsupported_names(rcep, [spelled], when) == []
    assert unsupported_names(rcep, [exports], when) == ["RCEP"]


def test_the_citation_check_drops_an_answer_repeating_a_false_link_from_the_question() -> None:
    """A false premise ("the Expo helped Shaanxi form its cases"), repeated about a sentence never naming the Expo."""
    checker = CitationChecker(ConstantEmbedder(), EvidenceSettings())  # type: ignore[arg-type]
    answer = "The Western China Expo in Chengdu helped the Shaanxi zone form 72 cases, 3 replicated nationwide [1]."
    assert checker.check(answer, [item(SHAANXI_CASES, 1)], EXPO_QUESTION).text == ""
    right = "In 2024, the Shaanxi zone formed 72 innovative cases, 3 replicated nationwide [1]."
    assert checker.check(right, [item(SHAANXI_CASES, 1)], EXPO_QUESTION).text == right


def test_a_translated_question_s_made_up_names_are_no_premise() -> None:
    """自由区大会 translated as "Free Trade Zone Conference": the text's "Free Zone Congress" answers it."""
    checker = CitationChecker(ConstantEmbedder(), EvidenceSettings())  # type: ignore[arg-type]
    congress = item("The Free Zone Congress 2025 gathered delegates from 26 countries.", 1)
    translated = "How many countries did the representatives of the Free Trade Zone Conference come from?"
    answer = "The representatives of the Free Trade Zone Conference came from 26 countries [1]."
    assert checker.check(answer, [congress], translated).text == ""
    assert checker.check(answer, [congress], translated, asked_as="自由区大会的代表来自多少个国家？").text == answer


def test_years_taken_from_the_question_must_be_stated_by_the_cited_passage() -> None:
    """The number check lets the question's years pass; a claim repeating one needs a passage that states it."""
    port = "The fifth is to strengthen cooperation between the western region and Hainan Free Trade Port."
    asked = "What did the province of that port introduce in 2021 that was the first of its kind?"
    restated = "The province where the Hainan Free Trade Port is located introduced the first of its kind in 2021 [1]."
    assert unsupported_names(restated, [port], asked) == ["2021"]
    negative_list = "In 2021, Hainan introduced the first cross-border service trade negative list."
    assert unsupported_names("Hainan introduced a negative list in 2021 [1].", [negative_list], asked) == []
    # A range covers its years; "the 2024 paper" names a document, not the year of a fact.
    assert unsupported_names("It grew in 2021 [1].", ["Growth over 2019-2023 was fast."], "Did it grow in 2021?") == []
    paper = "How many zones does the 2024 paper count?"
    assert unsupported_names("The 2024 paper counts 21 zones [1].", ["A total of 21 FTZs."], paper) == []


def test_the_citation_check_drops_an_answer_that_only_restates_the_question_s_year() -> None:
    checker = CitationChecker(ConstantEmbedder(), EvidenceSettings())  # type: ignore[arg-type]
    port = item("The fifth is to strengthen cooperation between the western region and Hainan Free Trade Port.", 1)
    asked = "What did the province of that port introduce in 2021 that was the first of its kind?"
    answer = "The province where the Hainan Free Trade Port is located introduced the first of its kind in 2021 [1]."
    assert checker.check(answer, [port], asked).text == ""


WORLD_SHARES = (
    "The US economy totaled 22,997.5 billion US dollars in 2021, with its share of the global economy decreasing "
    "from 24.51% in the previous year to 23.88%; the Chinese mainland’s economy totaled 17,458 billion US dollars, "
    "increasing its share of the global economy from 17.44% in the previous year to 18.13%."
)


def test_a_misdated_figure_is_replaced_by_its_clause_s_figure_for_the_claimed_year() -> None:
    """17.44% is 2020's share; the same clause gives 18.13% for 2021, the US clause 23.88% (not China's)."""
    claim = "Mainland China accounted for 17.44% of the global economy in 2021."
    assert redated(claim, WORLD_SHARES) == "Mainland China accounted for 18.13% of the global economy in 2021."
    # The year may come from the question; a percentage is replaced by a percentage only.
    undated = "Mainland China accounted for 17.44% of the global economy."
    assert redated(undated, WORLD_SHARES, asked_years={"2021"}) == undated.replace("17.44", "18.13")
    assert redated("The US share was 24.51% in 2021.", WORLD_SHARES) == "The US share was 23.88% in 2021."
    # A right claim, a claim with no year, or a clause with no single replacement: nothing to correct.
    assert redated("Mainland China accounted for 18.13% of the global economy in 2021.", WORLD_SHARES) is None
    assert redated(undated, WORLD_SHARES) is None
    two = "In 2021, exports rose from 10% in the previous year to 12% and imports to 14%."
    assert redated("Exports were 10% in 2021.", two) is None


def test_which_one_of_a_series_the_question_names_must_be_named_by_the_cited_passage() -> None:
    """ "The third day" of a two-day training is a false premise; "the 3rd round" is the third round."""
    training = "The training was held on 22-23 December 2020. On the first day, lectures covered zone development."
    asked = "What topics were covered on the third day of the training?"
    claim = "The topics covered on the third day of the training were zone development [1]."
    assert unsupported_names(claim, [training], asked) == ["third day"]
    first = "What was covered on the first day of the training?"
    assert unsupported_names("On the first day, lectures covered zone development [1].", [training], first) == []
    rounds = "In the 3rd round, six provinces were approved."
    third = "How many provinces were approved in the third round?"
    assert unsupported_names("Six provinces were approved in the third round [1].", [rounds], third) == []


US_TRADE = (
    "In 2022, China’s exports to the U.S. were 581.783 billion dollars, up 1.2%, and imports from the U.S. were "
    "177.644 billion dollars, down 1.1%."
)
GOODS_TABLE = (
    "Table 2: World goods trade\nYear | Export | Import\n2003 | 7,000,000 | 7,500,000\n2004 | 9,222,553 | 9,473,361"
)


def test_a_figure_of_the_other_side_of_a_flow_is_swapped() -> None:
    """Imports given as exports, in prose (by clause) and in a table (by column header)."""
    assert swapped_values("China exported 177.644 billion dollars to the US in 2022.", [US_TRADE]) == ["177.644"]
    assert swapped_values("China exported 581.783 billion dollars to the US in 2022.", [US_TRADE]) == []
    assert swapped_values("World exports were 9,473,361 in 2004.", [GOODS_TABLE]) == ["9473361"]
    assert swapped_values("World imports were 9,473,361 in 2004.", [GOODS_TABLE]) == []
    # A claim naming neither side, or a value whose clause names neither, is not judged.
    assert swapped_values("Trade with the US was 177.644 billion dollars.", [US_TRADE]) == []
    assert swapped_values("China's exports rose 0.6%.", ["China-US trade increased by 0.6% year-over-year."]) == []


def test_the_citation_check_drops_imports_given_as_exports() -> None:
    checker = CitationChecker(ConstantEmbedder(), EvidenceSettings())  # type: ignore[arg-type]
    question = "How much did China export to the United States in 2022?"
    wrong = "China exported 177.644 billion dollars to the U.S. in 2022 [1]."
    assert checker.check(wrong, [item(US_TRADE, 1)], question).text == ""
    right = "China's exports to the U.S. were 581.783 billion dollars [1]."
    assert checker.check(right, [item(US_TRADE, 1)], question).text == right


def test_a_swapped_figure_is_replaced_by_the_other_side_s_from_the_same_sentence_or_row() -> None:
    claim = "China exported 177.644 billion dollars to the US in 2022."
    assert resided(claim, US_TRADE) == claim.replace("177.644", "581.783")
    assert resided("World exports were 9,473,361 in 2004.", GOODS_TABLE) == "World exports were 9,222,553 in 2004."
    assert resided("China exported 581.783 billion dollars.", US_TRADE) is None


def test_a_change_told_the_wrong_way_round_is_turned_the_way_its_clause_states_it() -> None:
    claim = "China's purchases of American goods increased by 1.1% year-over-year in 2022."
    assert redirected(claim, US_TRADE) == claim.replace("increased", "decreased")
    assert redirected("Exports rose 1.2% while imports were Up 1.1%.", US_TRADE) == (
        "Exports rose 1.2% while imports were Down 1.1%."
    )
    # Told the way the text tells it, of a figure the text gives no way, or with a word that has no
    # opposite here: nothing to turn.
    assert redirected("Imports from the US fell by 1.1% in 2022.", US_TRADE) is None
    assert redirected("Exports grew to 581.783 billion dollars.", "Exports were 581.783 billion dollars.") is None
    assert redirected("Imports soared 1.1%.", US_TRADE) is None


def test_a_bare_change_after_a_clause_is_the_change_of_what_that_clause_names() -> None:
    """ "exports ... were 581.783 billion dollars, up 1.2%": 1.2% is the exports' change, not the imports'."""
    assert swapped_values("China's imports from the US rose by 1.2% in 2022.", [US_TRADE]) == ["1.2"]
    assert swapped_values("China's exports to the US rose by 1.2% in 2022.", [US_TRADE]) == []
    assert resided("China's imports from the US rose by 1.2%.", US_TRADE) == "China's imports from the US rose by 1.1%."
    # The claim's own clauses carry on the same way: "..., reaching 581.783" is still about imports.
    claim = "China's imports from the US fell by 1.2%, reaching 581.783 billion dollars."
    assert swapped_values(claim, [US_TRADE]) == ["1.2", "581.783"]
    assert resided(claim, US_TRADE) == "China's imports from the US fell by 1.1%, reaching 177.644 billion dollars."


def test_imports_and_exports_named_together_are_not_one_side() -> None:
    """ "An import and export volume of 6.8 trillion yuan" is the total of both: a claim about both holds."""
    volume = "In 2021 the 21 FTZs achieved an import and export volume of 6.8 trillion yuan."
    claim = "The total value of the exports and imports of the zones in 2021 was 6.8 trillion yuan."
    assert swapped_values(claim, [volume]) == []
    assert swapped_values("The zones' exports were 6.8 trillion yuan in 2021.", [volume]) == []


IMF = (
    "The IMF has downgraded its global economic growth forecast four times in 2022, estimating a global GDP "
    "growth rate of 3.2% for the year, a significant decrease of 2.8 percentage points compared to 2021."
)


def test_a_figure_claimed_to_go_the_other_way_is_reversed() -> None:
    """1.1% is "down 1.1%" in its clause: "increased by 1.1%" turns it round; a figure going no way is not judged."""
    assert reversed_direction("China's imports from the US increased by 1.1% in 2022.", [US_TRADE])
    assert not reversed_direction("China's imports from the US fell by 1.1% in 2022.", [US_TRADE])
    assert not reversed_direction("China's exports to the US rose 1.2% in 2022.", [US_TRADE])
    assert reversed_direction("China's exports to the US dropped 1.2% in 2022.", [US_TRADE])
    # 581.783 is printed in a clause that goes no way: not judged, whatever the claim says.
    assert not reversed_direction("China's exports to the US fell to 581.783 billion dollars.", [US_TRADE])
    mixed = "Exports grew by 12 percent, imports fell by 3 percent."
    assert not reversed_direction("Exports rose by 12 percent.", [mixed])


def test_a_premise_repeated_the_other_way_round_from_the_cited_passage_is_reversed() -> None:
    """ "Why did the IMF raise its forecast?" where the passage says it downgraded it (a false premise)."""
    asked = "Why did the IMF raise its forecast for world economic growth four times during 2022?"
    claim = "The IMF raised its forecast for world economic growth four times during 2022 due to high inflation."
    assert reversed_direction(claim, [IMF], asked)
    assert not reversed_direction("The IMF lowered its growth forecast four times in 2022.", [IMF], "How often?")
    # Passages that go both ways, or no way, do not contradict the premise.
    both = "Exports rose in 2022 while imports fell."
    assert not reversed_direction("Exports rose in 2022.", [both], "Why did exports rise in 2022?")
    secretariat = "The establishment of a permanent secretariat to coordinate ongoing collaboration ensures continuity."
    wound_up = "The Congress wound up its secretariat in 2024."
    assert reversed_direction(wound_up, [secretariat], "When did the Congress wind up its secretariat?")
    assert not reversed_direction("A secretariat was set up.", [secretariat], "Why was a secretariat set up?")
    # "set up", "up to": no figure follows, no direction.
    assert not reversed_direction("The zone was set up in 2013.", ["Exports fell by 3%."], "When was the zone set up?")


def test_the_citation_check_drops_a_claim_that_turns_a_change_round() -> None:
    checker = CitationChecker(ConstantEmbedder(), EvidenceSettings())  # type: ignore[arg-type]
    question = "How did China's purchases of American goods move in 2022, in percentage terms?"
    wrong = "China's imports from the U.S. increased by 1.1% in 2022 [1]."
    assert checker.check(wrong, [item(US_TRADE, 1)], question).text == ""
    right = "China's imports from the U.S. were down 1.1% in 2022 [1]."
    assert checker.check(right, [item(US_TRADE, 1)], question).text == right
    premise = "Why did the IMF raise its forecast four times in 2022?"
    assert checker.check("The IMF raised its forecast four times in 2022 [1].", [item(IMF, 1)], premise).text == ""


def test_a_rank_the_question_names_must_be_the_cited_passage_s() -> None:
    """ "Why did China slip to fourth place?" where the passage ranks it first ("ranking first" is first place)."""
    ranking = "By 2021, trade had grown to 6.9 trillion US dollars, ranking first globally for two consecutive years."
    asked = "Why did China slip to fourth place among the world's traders in 2021?"
    assert unsupported_names("China slipped to fourth place in 2021 due to the pandemic [1].", [ranking], asked) == [
        "fourth place"
    ]
    first = "Did China take first place among the world's traders in 2021?"
    assert unsupported_names("China took first place in 2021 [1].", [ranking], first) == []


def test_a_rank_the_question_presupposes_must_be_the_cited_passage_s_even_when_the_answer_drops_it() -> None:
    """An answer that skips the false rank and quotes the true one ("ranking first") answers another
    question: the premise "fourth place" is still unheld."""
    ranking = "By 2021, trade had grown to 6.9 trillion US dollars, ranking first globally for two consecutive years."
    asked = "Why did China slip to fourth place among the world's traders in 2021?"
    claim = "China's trade grew to 6.9 trillion US dollars, ranking first globally for two consecutive years [1]."
    assert unsupported_names(claim, [ranking], asked) == ["fourth place"]
    assert unsupported_names(claim, [ranking], "Why did China reach first place among the world's traders?") == []
    # Other ordinals (the third day) are premises only when the answer repeats them.
    third_day = "What did the third day cover?"
    assert unsupported_names("Trainers covered zone law [1].", ["Trainers covered zone law."], third_day) == []


SECRETARIAT = (
    "The establishment of a permanent secretariat to coordinate ongoing collaboration ensures that the momentum "
    "generated during the Congress will be maintained."
)


def test_an_answer_whose_own_words_its_citation_never_says_is_unsaid() -> None:
    """The premise repeated, then an answer from nowhere (the prompt's example): only the premise is cited."""
    asked = "After the Free Zone Congress wound up its permanent secretariat, who took over coordinating the work?"
    assert unsaid_answer("The permanent secretariat was taken over by the trade minister.", [SECRETARIAT], asked)
    # One word of the answer in the passage will do; a figure of its own is the number check's.
    said = "The secretariat coordinates ongoing collaboration."
    assert not unsaid_answer(said, [SECRETARIAT], "What does the secretariat do?")
    assert not unsaid_answer("It began 88 days later.", ["Training started on 22 December."], "How many days later?")


def test_the_citation_check_drops_an_answer_its_citation_never_says() -> None:
    checker = CitationChecker(ConstantEmbedder(), EvidenceSettings())  # type: ignore[arg-type]
    asked = "Who took over the permanent secretariat of the Congress?"
    made_up = "The permanent secretariat of the Congress was taken over by the trade minister [1]."
    assert checker.check(made_up, [item(SECRETARIAT, 1)], asked).text == ""
    said = "The permanent secretariat of the Congress coordinates ongoing collaboration [1]."
    assert checker.check(said, [item(SECRETARIAT, 1)], asked).text == said


def test_a_figure_of_one_side_is_not_the_total_of_both() -> None:
    """ "Total trade (exports plus imports) grew by 16.77%" reads the exports' growth column of the row."""
    table = (
        "Table 2: World Goods Trade\n| Export | Import | Total trade (Exports and imports) | Export growth rate (%) "
        "| Import growth rate (%) | Total trade growth rate (%)\n2003 | 7,590,832 | 7,771,071 | 15,361,903 | 16.77 "
        "| 16.74 | 16.76"
    )
    claim = "The total world goods trade (exports plus imports) grew by {}% in 2003."
    assert swapped_values(claim.format("16.77"), [table]) == ["16.77"]
    assert swapped_values(claim.format("16.76"), [table]) == []
    assert swapped_values("Total exports grew by 16.77% in 2003.", [table]) == []  # one side's total
    # An extractive answer quotes the row under its header, "Total trade" and all: not a claim about the total.
    assert swapped_values(" ".join(table.split()), [table]) == []
    prose = "China's total trade reached 6.3 trillion dollars, with exports of 3.6 trillion dollars."
    assert swapped_values("China's total trade was 3.6 trillion dollars.", [prose]) == ["3.6"]
    assert swapped_values("China's total trade was 6.3 trillion dollars.", [prose]) == []


WESTERN_SIX = (
    "At present, China has established and operated 22 pilot free trade zones, including 6 in the western "
    "region, located in Shaanxi, Sichuan, Chongqing, Guangxi, Yunnan, and Xinjiang."
)
SHAANXI_2024 = "For example, in 2024, Shaanxi will explore and form 72 innovative cases."
XINJIANG_QUESTION = "In what year was the Xinjiang pilot free trade zone approved?"


def test_a_year_stitched_from_a_sentence_about_something_else_is_unlinked() -> None:
    """The name is in one cited sentence, the year in another: the fact is in neither."""
    claim = "The Xinjiang pilot free trade zone was approved in 2024."
    assert unlinked_years(claim, [WESTERN_SIX, SHAANXI_2024], XINJIANG_QUESTION) == ["2024"]
    shanghai = "On September 29, 2013, the establishment of the first FTZ in Shanghai marked a new start."
    asked = "When did the Shanghai pilot zone open?"
    assert unlinked_years("The Shanghai zone opened in 2013.", [WESTERN_SIX, shanghai], asked) == []
    # The question's own year is a premise, judged by unsupported_names, not an answer.
    assert unlinked_years("Shaanxi formed 72 cases in 2024.", [SHAANXI_2024], "What did Shaanxi do in 2024?") == []


def test_each_clause_of_a_claim_dating_two_events_is_linked_on_its_own() -> None:
    """ "Shanghai opened in 2013; Shaanxi formed cases in 2024": each year is tied to its own clause's names."""
    shanghai = "On September 29, 2013, the establishment of the first FTZ in Shanghai marked a new start."
    asked = "How many years after the Shanghai zone opened did Shaanxi form 72 cases?"
    two_events = "The Shanghai zone opened in 2013; Shaanxi formed 72 cases in 2024; from 2013 to 2024 is 11 years."
    assert unlinked_years(two_events, [shanghai, SHAANXI_2024], asked) == []
    swapped = "The Shanghai zone opened in 2024; Shaanxi formed 72 cases in 2013."
    assert unlinked_years(swapped, [shanghai, SHAANXI_2024], asked) == ["2024", "2013"]


def test_the_citation_check_drops_a_year_stitched_from_two_sentences() -> None:
    checker = CitationChecker(ConstantEmbedder(), EvidenceSettings())  # type: ignore[arg-type]
    evidence = [item(WESTERN_SIX, 1), item(SHAANXI_2024, 2)]
    stitched = "The Xinjiang pilot free trade zone was approved in 2024 [1][2]."
    assert checker.check(stitched, evidence, XINJIANG_QUESTION).text == ""
    shaanxi = "In 2024, Shaanxi formed 72 innovative cases [2]."
    assert checker.check(shaanxi, evidence, "What did the Shaanxi zone achieve?").text.startswith("In 2024, Shaanxi")


def test_an_answer_about_the_other_side_of_a_flow_than_asked_is_no_answer() -> None:
    outward = "Where has China usually placed in the world rankings for outward investment?"
    assert answers_the_other_side("China has ranked second in the world in attracting foreign investment.", outward)
    assert not answers_the_other_side("Outbound investment flows have been among the top three globally.", outward)
    imports = "How much did the world spend on goods bought from abroad in 2001?"
    assert answers_the_other_side("World exports were 6,196,440 million dollars in 2001.", imports)
    assert answers_the_other_side("In 2001, Total trade (Exports and imports) was 12,603,386.", imports)
    table = "Year | Export | Import | Total trade (Exports and imports)\n2001 | 6,196,440 | 6,406,946 | 12,603,386"
    assert swapped_values("The world spent 12,603,386 million dollars on goods bought from abroad.", [table])
    # A claim or a question naming both sides is not judged on them.
    assert not answers_the_other_side("Exports were 6,196,440 and imports 6,406,946 million dollars.", imports)
    assert not answers_the_other_side("Exports were 6,196,440 million dollars.", "How did exports and imports move?")
    checker = CitationChecker(ConstantEmbedder(), EvidenceSettings())  # type: ignore[arg-type]
    attracted = item("Since 2017, China has ranked second in the world in attracting foreign investment.", 1)
    checked = checker.check(
        "China has ranked second in the world in attracting foreign investment [1].", [attracted], outward
    )
    assert checked.text == "" and checked.sentences[0].reason == "about the other side of the flow"
