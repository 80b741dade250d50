"""Multi-hop decomposition (``rag.decompose``) and the days-between arithmetic it leans on.

A question about two things is searched for each of them; each part's best sentences join the
evidence; the number of days between two dated events is counted for the model and accepted by
the citation check, and a count no two cited dates make is still dropped.
"""

from __future__ import annotations

import pytest

from core.config import EvidenceSettings
from rag.arithmetic import dates_in, days_between, derived_numbers, worked_answer, worked_lines, worked_result
from rag.citations import CitationChecker
from rag.decompose import (
    bridge_query,
    bridging_names,
    described_subject,
    merge_evidence,
    named_subject,
    question_parts,
    unread_names,
)
from tests.unit.test_arithmetic import ConstantEmbedder, item

LAUNCH = "The joint training centre was launched earlier on September 25th, 2020."
TRAINING = "The first multilateral training programme was held online on December 22nd and 23rd, 2020."


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        (
            "In 2009, which fell further, world trade in goods or world trade in services?",
            ["world trade in goods 2009", "world trade in services 2009"],
        ),
        (
            "Which grew faster, exports of goods or imports of services?",
            ["exports of goods Which grew faster", "imports of services Which grew faster"],
        ),
        (
            "How many days after the joint training centre was launched did its first training begin?",
            ["the joint training centre was launched", "its first training begin"],
        ),
        (
            "For 2020, how far apart are the world GDP figure in Table 1 and the World Bank figure?",
            ["the world GDP figure in Table 1 2020", "the World Bank figure 2020"],
        ),
        (
            "How much more foreign capital did the pilot zones use in 2022 than in 2021?",
            [
                "How much more foreign capital did the pilot zones use in 2022?",
                "How much more foreign capital did the pilot zones use than in 2021?",
            ],
        ),
    ],
)
def test_a_question_about_two_things_is_split_into_its_parts(question: str, parts: list[str]) -> None:
    assert question_parts(question) == parts


@pytest.mark.parametrize(
    "question",
    [
        "Which city hosted the 2016 G20 summit?",
        "What was world goods trade in 2009?",
        "Is it true or not?",  # alternatives too short to search for
    ],
)
def test_a_question_about_one_thing_has_no_parts(question: str) -> None:
    assert question_parts(question) == []


def test_merged_evidence_keeps_the_main_items_first_adds_only_new_ones_and_renumbers() -> None:
    main = [item(LAUNCH, 1)]
    part = [item(LAUNCH, 1), item(TRAINING, 2)]
    merged = merge_evidence(main, [part])
    assert [(e.text, e.n) for e in merged] == [(LAUNCH, 1), (TRAINING, 2)]
    # A cap counts only the new items: the repeated first one does not use it up.
    capped = merge_evidence(main, [[item(LAUNCH, 1), item(TRAINING, 2), item("A third sentence.", 3)]], per_part=1)
    assert [e.text for e in capped] == [LAUNCH, TRAINING]


COOPERATION = "The fifth is to strengthen cooperation between the western region and Hainan Free Trade Port."
BRIDGE_QUESTION = (
    "The free trade port that the western-region article wants closer cooperation with was created on what date?"
)


def test_a_question_naming_its_subject_by_another_passage_is_searched_again_by_the_name_found() -> None:
    """The first hop's best sentence names the port; the second search leads with that name."""
    cooperation = item(COOPERATION, 1)
    cooperation.score = 0.6
    weaker = item("Some FTZs should align with the Shanghai Cooperation Organization.", 2)
    weaker.score = 0.3
    assert bridging_names(BRIDGE_QUESTION, [cooperation]) == ["Hainan Free Trade Port"]
    # The best two sentences give names; a sentence's capitalised first word ("Some") is not one.
    assert bridging_names(BRIDGE_QUESTION, [weaker, cooperation]) == [
        "Hainan Free Trade Port",
        "FTZs",
        "Shanghai Cooperation Organization",
    ]
    assert bridge_query(BRIDGE_QUESTION, [cooperation]) == f"Hainan Free Trade Port: {BRIDGE_QUESTION}"


APEC = "In 2014, the APEC Leaders' Informal Meeting in Beijing led to the APEC Beijing Roadmap for an Asia-Pacific FTA."
APEC_QUESTION = (
    "The city that hosted the 2014 APEC leaders' meeting also has a pilot free trade zone. "
    "What kind of national centre has that zone built, according to the 2024 paper?"
)


def test_a_question_that_states_its_premise_first_is_searched_sentence_by_sentence() -> None:
    assert question_parts(APEC_QUESTION) == [
        "The city that hosted the 2014 APEC leaders' meeting also has a pilot free trade zone.",
        "What kind of national centre has that zone built, according to the 2024 paper?",
    ]
    # A title's full stop ends no sentence.
    assert question_parts("What did Dr. Li and Prof. Jia propose for the zones?") == []


def test_a_name_sharing_no_word_with_the_question_leads_the_second_hop_alone() -> None:
    """'Beijing' answers 'the city that hosted APEC'; 'APEC Beijing Roadmap' repeats the question's words."""
    apec = item(APEC, 1)
    apec.score = 0.5
    assert bridging_names(APEC_QUESTION, [apec]) == ["Beijing"]
    # The second search asks what the last sentence asks, without where it is read.
    assert bridge_query(APEC_QUESTION, [apec]) == "Beijing: What kind of national centre has that zone built?"


@pytest.mark.parametrize(
    "question",
    [
        "When was the Hainan Free Trade Port created?",  # names its subject itself
        "What is the share of trade that China does with FTA partners?",  # a relative clause inside
    ],
)
def test_a_question_naming_its_own_subject_has_no_second_hop(question: str) -> None:
    cooperation = item(COOPERATION, 1)
    assert bridge_query(question, [cooperation]) is None


FUJIAN_QUESTION = (
    "The pilot zone that gained around 11,900 new enterprises in 2021 has leaned on its special geographic "
    "relationship to build economic and trade ties with which region?"
)
FUJIAN_FIRMS = "In 2021, the Fujian FTZ continued to grow its platform, adding approximately 11,900 new enterprises."
WESTERN_ZONES = "It can be seen that the pilot free trade zone has become the forefront of the western region."


@pytest.mark.parametrize(
    ("question", "description", "noun", "asked"),
    [
        (
            FUJIAN_QUESTION,
            "The pilot zone that gained around 11,900 new enterprises in 2021",
            "zone",
            "has leaned on its special geographic relationship to build economic and trade ties with which region?",
        ),
        (  # "is said to have" is still the description; "has tried" is what is asked of the zone
            "The pilot zone whose 2013 launch is said to have kicked off the opening-up has tried out which accounts?",
            "The pilot zone whose 2013 launch is said to have kicked off the opening-up",
            "zone",
            "has tried out which accounts?",
        ),
        (
            "The province whose pilot zone saw 12,200 new companies set up in 2024: how much freight did it carry?",
            "The province whose pilot zone saw 12,200 new companies set up in 2024",
            "province",
            "how much freight did it carry?",
        ),
    ],
)
def test_a_bridge_question_is_split_into_the_description_of_its_subject_and_what_it_asks(
    question: str, description: str, noun: str, asked: str
) -> None:
    described = described_subject(question)
    assert described is not None
    assert (described.description, described.noun, described.asked) == (description, noun, asked)
    # The description is searched on its own: its best sentences name the subject.
    assert question_parts(question) == [description]


@pytest.mark.parametrize(
    "question",
    [
        "When was the Hainan Free Trade Port created?",  # names its subject itself
        "The city that hosted APEC has a zone. What has that zone built?",  # two sentences: split by sentence
        "The province whose zone ran 3,720 trains in 2020 came up with how many cases?",  # no verb ends it
    ],
)
def test_a_question_without_a_described_subject_has_none(question: str) -> None:
    assert described_subject(question) is None


def test_the_first_hop_is_named_by_the_sentences_best_for_the_description_not_the_whole_question() -> None:
    """The whole question's best sentence is about the western zones; the description's names Fujian."""
    western, fujian = item(WESTERN_ZONES, 1), item(FUJIAN_FIRMS, 2)
    western.score, fujian.score = 0.6, 0.5
    assert bridge_query(FUJIAN_QUESTION, [western, fujian], first_hop=[fujian]) == (
        "Fujian FTZ: has leaned on its special geographic relationship to build economic and trade ties with which "
        "region?"
    )
    subject = named_subject(FUJIAN_QUESTION, [fujian])
    assert subject is not None
    assert subject.question.startswith("Fujian FTZ has leaned on")
    assert subject.link == "The pilot zone that gained around 11,900 new enterprises in 2021 is Fujian FTZ"


def test_a_subject_is_named_only_when_the_first_hop_gives_one_name_and_the_question_its_verb() -> None:
    fujian = item(FUJIAN_FIRMS, 1)
    two_names = item("The Fujian FTZ and the Guangdong FTZ each added new enterprises.", 1)
    assert named_subject(FUJIAN_QUESTION, [two_names]) is None
    # "...: how much freight" has no verb to put the name before.
    assert named_subject("The pilot zone that gained 11,900 new enterprises in 2021: which region?", [fujian]) is None
    # A year asked for as "the year that ..." is a year of the first hop's sentence, not a name in it.
    year_question = "In the year that the Fujian FTZ added 11,900 new enterprises, how fast did trade grow?"
    assert named_subject(year_question, [two_names]) is None


RECORD = (
    "Since the 1990s, direct global investment grew continuously, peaking in 2007 with a record inflow of "
    "1.98 trillion US dollars, but due to the international financial crisis in 2008, there was a decline."
)


def test_the_year_a_question_describes_is_the_year_of_the_clause_that_tells_of_it() -> None:
    """'Hit their pre-crisis record' shares 'record' and 'inflow' with the 2007 clause, 'crisis' with the 2008 one."""
    question = (
        "In the year that worldwide investment inflows hit their pre-crisis record, by what percentage did world "
        "goods trade grow?"
    )
    record = item(RECORD, 1)
    subject = named_subject(question, [record])
    assert subject is not None
    assert (subject.name, subject.question) == ("2007", "In 2007, by what percentage did world goods trade grow?")
    assert subject.link == "The year that worldwide investment inflows hit their pre-crisis record was 2007"
    assert (
        bridge_query(question, [record], first_hop=[record]) == "2007: by what percentage did world goods trade grow?"
    )
    # Two clauses telling of the description alike: which year it means is not clear.
    opened = item("In 2013 the first zone opened to traders, and in 2015 the second zone opened to traders.", 1)
    assert named_subject("In the year when the zone opened to traders, what did it export?", [opened]) is None


def test_dates_are_read_in_prose_with_or_without_their_year() -> None:
    found = dates_in(f"{TRAINING} On August 27, the alliance was launched. 2020年9月25日")
    assert [(d.day, d.month, d.year) for d in found] == [(22, 12, 2020), (27, 8, None), (25, 9, 2020)]
    assert days_between(found[2], found[0]) == 88
    assert days_between(found[1], found[2]) == 29  # the missing year is the other date's


def test_a_days_question_gets_the_count_worked_out_and_the_check_accepts_only_that_count() -> None:
    evidence = [item(TRAINING, 1), item(LAUNCH, 2)]
    question = "How many days after the joint training centre was launched did its first training begin?"
    assert worked_lines(question, evidence) == [
        "From [1] and [2]: December 22nd and 23rd, 2020 to September 25th, 2020 is 88 days."
    ]
    assert "88" in derived_numbers(TRAINING + " " + LAUNCH)
    checker = CitationChecker(ConstantEmbedder(), EvidenceSettings())  # type: ignore[arg-type]
    kept = checker.check("The first training began 88 days after the centre was launched [1][2].", evidence, question)
    assert "88 days" in kept.text
    made_up = checker.check(
        "The first training began 90 days after the centre was launched [1][2].", evidence, question
    )
    assert made_up.text == ""


FIRST_ZONE = (
    "On September 29, 2013, the establishment of the first FTZ in Shanghai marked the beginning of China's new round "
    "of opening up."
)
SINGLE_WINDOW = (
    "Since 2017, the General Administration of Customs of China has promoted the Single Window initiative created "
    "in the FTZs nationwide."
)
NEGATIVE_LIST = "In 2016, the negative list of the FTZ was extended nationwide in China."
HAINAN = "By 2018, when Hainan Province established an FTZ, China had 12 pilot free trade zones."
LAW = "These revisions provided a basis for the birth of the national Foreign Investment Law in 2020 in China."
SHAANXI = "For example, in 2024, Shaanxi pilot free trade zone formed 72 innovative cases in China."
YEARS_AFTER = (
    "How many years after China's first pilot free trade zone opened did customs roll out the zones' Single Window "
    "across the whole country, according to the 2024 paper?"
)


def test_a_years_question_dates_each_event_by_its_own_sentence_and_the_check_keeps_the_worked_answer() -> None:
    evidence = [item(NEGATIVE_LIST, 1), item(FIRST_ZONE, 2), item(SINGLE_WINDOW, 3), item(SHAANXI, 4)]
    [line] = worked_lines(YEARS_AFTER, evidence)
    # The question's "2024 paper" names a source, not the year of an event.
    assert line.startswith("From [2] and [3]: ") and line.endswith("from 2013 to 2017 is 4 years.")
    assert worked_result(line) == "4"
    checker = CitationChecker(ConstantEmbedder(), EvidenceSettings())  # type: ignore[arg-type]
    kept = checker.check(worked_answer(line), evidence, YEARS_AFTER)
    assert "is 4 years" in kept.text
    made_up = checker.check(
        "China's first pilot free trade zone opened in 2013; from 2013 to 2017 is 5 years [2][3].",
        evidence,
        YEARS_AFTER,
    )
    assert made_up.text == ""


def test_no_years_are_worked_out_for_a_false_premise_or_an_event_no_sentence_tells_of() -> None:
    # Hainan got its zone in 2018, not 2016; the 2016 sentence is about something else.
    evidence = [item(NEGATIVE_LIST, 1), item(HAINAN, 2), item(LAW, 3)]
    premise = (
        "How many years passed between Hainan getting its pilot free trade zone in 2016 and the Foreign Investment Law?"
    )
    assert worked_lines(premise, evidence) == []
    # Without the first zone's sentence, "China" and "pilot free trade zone", words most of the evidence
    # shares, do not date the opening by the Shaanxi sentence.
    unfound = (
        "How many years after China opened its first pilot free trade zone did the Foreign Investment Law come in?"
    )
    zones = [item(f"China has {n} pilot free trade zones in the west.", n) for n in (4, 5)]
    assert worked_lines(unfound, [item(SHAANXI, 1), item(LAW, 2), item(NEGATIVE_LIST, 3), *zones]) == []
    assert worked_lines(unfound, [item(SHAANXI, 1), item(LAW, 2), item(FIRST_ZONE, 3), *zones]) == [
        "From [3] and [2]: China opened its first pilot free trade zone in 2013; the Foreign Investment Law come in "
        "in 2020; from 2013 to 2020 is 7 years."
    ]


def test_figures_two_sentences_state_for_the_two_asked_years_are_set_against_each_other() -> None:
    evidence = [
        item("In 2018, the port handled 4,120 thousand TEU of containers, up 6% on the year before.", 1),
        item("Container throughput reached 4,505 thousand TEU in 2019, while passenger numbers fell.", 2),
    ]
    question = "How many more thousand TEU of containers did the port handle in 2019 than in 2018?"
    lines = worked_lines(question, evidence)
    assert (
        lines[0]
        == "From [1] and [2]: 4,120 thousand TEU in 2018 and 4,505 thousand TEU in 2019: 2019 is 385 thousand TEU more."
    )
    assert worked_lines("Which port handled containers in 2019 and 2018?", evidence) == []  # no change asked


def test_a_trade_surplus_is_worked_out_from_the_exports_and_imports_one_sentence_states() -> None:
    evidence = [item("Exports to Kenya were 12.5 billion dollars and imports from Kenya were 0.75 billion dollars.", 1)]
    [line] = worked_lines("What was the trade surplus with Kenya?", evidence)
    assert line.endswith("is a surplus of 11.75 billion dollars.")
    assert worked_result(line) == "11.75"
    assert worked_answer(line) == (
        "Exports of 12.5 billion dollars minus imports of 0.75 billion dollars "
        "is a surplus of 11.75 billion dollars [1]."
    )


def test_a_worked_line_becomes_an_answer_sentence_cited_to_its_cells() -> None:
    line = "From [1] and [2]: Total trade fell by 7,387,685, from 32,667,513 (2008) to 25,279,828 (2009)."
    assert worked_result(line) == "7387685"
    assert worked_answer(line) == "Total trade fell by 7,387,685, from 32,667,513 (2008) to 25,279,828 (2009) [1][2]."


def test_a_name_the_evidence_never_mentions_is_searched_for() -> None:
    """ "The Zhejiang zone": evidence about the western zones lacks the passage the question is about."""
    western = [item("China has established 22 pilot free trade zones, including 6 in the western region.", 1)]
    question = "Which regional grouping of pilot zones did the Zhejiang zone help to set up?"
    assert unread_names(question, western) == ["Zhejiang"]
    zhejiang = item("The Zhejiang FTZ took part in forming the Yangtze River Delta FTZ Alliance.", 2)
    assert unread_names(question, [*western, zhejiang]) == []
    # The first word of a sentence and a bare abbreviation name nothing.
    assert unread_names("Which FTZs did China set up first?", western) == []


PREMISE_FIRST = (
    "The western-region article calls for closer cooperation with a particular free trade port. "
    "What did the province where that port lies introduce in 2021 that was the first of its kind?"
)


def test_a_question_pointing_back_at_its_premise_is_searched_again_by_the_name_of_that_kind() -> None:
    """ "... a particular free trade port. What did the province where that port lies introduce?": the
    name ending on "Port" is the first hop's answer, not the name that shares no word with the question;
    the second search leaves out the premise's words, which lead back to the premise's passage."""
    regions = item("These FTZs reach the Beijing-Tianjin-Hebei region and the Yangtze River Delta.", 1)
    regions.score = 0.6
    cooperation = item(COOPERATION, 2)
    cooperation.score = 0.5
    assert bridge_query(PREMISE_FIRST, [regions, cooperation]) == (
        "Hainan: What did province where that lies introduce in 2021 that was first of its kind?"
    )
    # Pointing at nothing the premise named ("which of those had ..."): no second hop.
    agreements = "The article names three trade agreements. Which of those had China not yet joined?"
    assert bridge_query(agreements, [regions, cooperation]) is None


def test_by_the_time_one_thing_happened_how_many_years_had_another_is_two_events_dated_apart() -> None:
    question = (
        "By the time the western-region article urging alignment with RCEP was published, about how many years "
        "had RCEP been in effect, going by the 2024 paper?"
    )
    assert question_parts(question) == [
        "the western-region article urging alignment with RCEP was published",
        "RCEP been in effect, going by the 2024 paper",
    ]
    # The article's date is its record's (rag.document_details); RCEP's year is the paper's.
    published = item(
        "\u201cEnhancing the strategy of the pilot free trade zone to promote the opening up of the western "
        "region\u201d was published on March 14, 2025 by China Trade News.",
        1,
    )
    in_effect = item("In 2022, the Regional Comprehensive Economic Partnership (RCEP) came into effect.", 2)
    [line] = worked_lines(question, [published, in_effect, item(SHAANXI, 3)])
    assert line.startswith("From [2] and [1]: ") and line.endswith("from 2022 to 2025 is 3 years.")
