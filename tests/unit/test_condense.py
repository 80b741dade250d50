"""Follow-up handling in ``rag.condense``: detection, term carry-over and the LLM rewrite with its guards.

A follow-up searched as asked ("How many members reached it?") retrieves nothing useful; a
standalone question rewritten needlessly, or replaced by a rambling LLM reply, retrieves the
wrong thing. These tests pin both sides without loading a model.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from core.schemas import ChatTurn
from rag.condense import carry_over_terms, condense_question, looks_like_follow_up
from rag.evidence import Evidence
from rag.generators.base import ChatMessage, ChatModel, Draft, Generator, SupportJudge
from rag.generators.extractive import ExtractiveGenerator

PREVIOUS = "What roadmap did the 2014 APEC meeting in Beijing produce?"
FOLLOW_UP = "How many members reached it?"
CARRIED = f"{FOLLOW_UP} (roadmap 2014 APEC meeting Beijing produce)"


class FakeGenerator:
    """A generator whose ``rewrite`` returns a fixed reply and records how it was called."""

    name = "fake"
    chat_model: ChatModel | None = None
    support_judge: SupportJudge | None = None

    def __init__(self, reply: str | None) -> None:
        self.reply = reply
        self.calls: list[tuple[list[ChatMessage], int]] = []

    def draft(self, question: str, evidence: Sequence[Evidence]) -> Draft:
        raise AssertionError("condensing must not draft an answer")

    def rewrite(self, messages: list[ChatMessage], *, max_tokens: int) -> str | None:
        self.calls.append((messages, max_tokens))
        return self.reply


def conversation(*questions: str) -> list[ChatTurn]:
    """User turns for ``questions``, each followed by an assistant answer."""
    turns: list[ChatTurn] = []
    for question in questions:
        turns.append(ChatTurn(role="user", content=question))
        turns.append(ChatTurn(role="assistant", content="An answer about it [1]."))
    return turns


def test_fake_generator_satisfies_the_protocol() -> None:
    """The fake stands in for a real generator only if it has the protocol's shape."""
    assert isinstance(FakeGenerator(None), Generator)


# --- looks_like_follow_up ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "How many members reached it?",  # back-reference "it"
        "What is their GDP growth rate?",  # "their", although it has 3 content words
        "Where are those zones located in China?",  # "those"
        "And Hainan?",  # continuation opener
        "Also the export volume of Pudong?",  # continuation opener with 4 content words
        "What about the Hainan free trade port?",  # two-word continuation opener, 4 content words
        "How about export volumes in Pudong New Area?",
        "Why?",  # no content words of its own
        "Which year?",  # fewer than three content words
    ],
)
def test_questions_leaning_on_the_conversation_are_follow_ups(question: str) -> None:
    """Back-references, continuation openers or too few content words mark a follow-up."""
    assert looks_like_follow_up(question)


@pytest.mark.parametrize(
    "question",
    [
        PREVIOUS,
        "Which city hosted the 2016 G20 summit?",
        "Where is the Shanghai free trade zone located?",
        "When did Hainan become a free trade port?",
    ],
)
def test_self_contained_questions_are_not_follow_ups(question: str) -> None:
    """Three or more content words and no back-reference: the question stands alone."""
    assert not looks_like_follow_up(question)


def test_back_reference_must_be_a_whole_word() -> None:
    """Whole words only: "Italy" or "theme" contain "it"/"the..." but are no back-references."""
    assert not looks_like_follow_up("Which Italian ports joined the theme zones network?")
    assert looks_like_follow_up("Which Italian ports joined it?")


def test_back_reference_detection_ignores_case() -> None:
    """Case is ignored: "It" at the start of a question counts like "it"."""
    assert looks_like_follow_up("It opened when exactly in Shanghai harbour?")


@pytest.mark.parametrize("question", ["", "   ", "?!"])
def test_empty_question_is_not_a_follow_up(question: str) -> None:
    """No words at all: nothing to condense (and nothing to carry terms into)."""
    assert not looks_like_follow_up(question)


# --- carry_over_terms -------------------------------------------------------------------------


def test_carry_over_terms_are_the_previous_content_words_in_order() -> None:
    """Function words ("what", "did", "the", "in") are dropped; the rest keep their spelling and order."""
    assert carry_over_terms(FOLLOW_UP, PREVIOUS) == "roadmap 2014 APEC meeting Beijing produce"


def test_terms_the_follow_up_already_has_are_not_repeated() -> None:
    """Matching is by stem: "meetings" in the follow-up covers "meeting" in the previous question."""
    terms = carry_over_terms("How many APEC meetings reached it?", PREVIOUS)
    assert terms == "roadmap 2014 Beijing produce"


def test_each_carried_word_appears_once() -> None:
    """A word repeated in the previous question is carried once."""
    assert carry_over_terms("What about it?", "Beijing trade zones and Beijing ports") == "Beijing trade zones ports"


def test_nothing_to_carry_gives_an_empty_string() -> None:
    """Previous question made only of function words, or fully covered: ``""``."""
    assert carry_over_terms("When?", "Who? When? What?") == ""
    assert carry_over_terms("Beijing roadmap?", "Beijing roadmap?") == ""


# --- condense_question ------------------------------------------------------------------------


@pytest.mark.parametrize("history", [None, []])
def test_without_history_the_question_is_unchanged(history: list[ChatTurn] | None) -> None:
    """A first question has nothing to lean on: returned as asked, the generator not consulted."""
    generator = FakeGenerator("Something else entirely?")
    assert condense_question(FOLLOW_UP, history, generator) == FOLLOW_UP
    assert generator.calls == []


def test_standalone_question_with_history_is_unchanged() -> None:
    """History alone does not trigger a rewrite: a self-contained question is searched as asked."""
    generator = FakeGenerator("Something else entirely?")
    question = "Which city hosted the 2016 G20 summit?"
    assert condense_question(question, conversation(PREVIOUS), generator) == question
    assert generator.calls == []


def test_history_without_user_turns_leaves_the_question_unchanged() -> None:
    """Only assistant turns: there is no earlier question to carry terms from."""
    history = [ChatTurn(role="assistant", content="Welcome. Ask about the roadmap in Beijing.")]
    assert condense_question(FOLLOW_UP, history, None) == FOLLOW_UP


def test_without_generator_terms_of_the_previous_question_are_carried_over() -> None:
    """No generator at all: the module docstring's example."""
    assert condense_question(FOLLOW_UP, conversation(PREVIOUS), None) == CARRIED


def test_extractive_generator_falls_back_to_term_carry_over() -> None:
    """The extractive generator's ``rewrite`` returns None, so key terms are carried over."""
    generator = ExtractiveGenerator()
    assert generator.rewrite([], max_tokens=10) is None
    assert condense_question(FOLLOW_UP, conversation(PREVIOUS), generator) == CARRIED


def test_terms_come_from_the_latest_user_question() -> None:
    """With several earlier questions, the most recent one is what a follow-up points back to."""
    history = conversation("Which city hosted the 2016 G20 summit?", PREVIOUS)
    assert condense_question(FOLLOW_UP, history, None) == CARRIED


def test_nothing_to_carry_leaves_the_question_unchanged() -> None:
    """No new terms: no empty "()" appended."""
    history = conversation("Who? When? What?")
    assert condense_question("Why?", history, None) == "Why?"


def test_llm_rewrite_is_used() -> None:
    """A sensible rewrite replaces the question; the prompt carries the conversation and the question."""
    rewritten = "How many APEC members reached the 2014 Beijing roadmap?"
    generator = FakeGenerator(rewritten)
    assert condense_question(FOLLOW_UP, conversation(PREVIOUS), generator) == rewritten
    assert len(generator.calls) == 1
    messages, max_tokens = generator.calls[0]
    prompt = "\n".join(message["content"] for message in messages)
    assert PREVIOUS in prompt
    assert FOLLOW_UP in prompt
    assert 0 < max_tokens <= 200  # a short completion: a question, not an essay


def test_llm_rewrite_is_tidied() -> None:
    """Whitespace runs collapse and wrapping quotes are removed before the rewrite is used."""
    generator = FakeGenerator('  "How many APEC members\n reached   the 2014 roadmap?"  \n')
    assert condense_question(FOLLOW_UP, conversation(PREVIOUS), generator) == (
        "How many APEC members reached the 2014 roadmap?"
    )


@pytest.mark.parametrize("reply", ["", "   \n ", '""'])
def test_empty_rewrite_is_ignored(reply: str) -> None:
    """An empty reply (after tidying) is no question: fall back to term carry-over."""
    assert condense_question(FOLLOW_UP, conversation(PREVIOUS), FakeGenerator(reply)) == CARRIED


def test_overly_long_rewrite_is_ignored() -> None:
    """A rambling reply (longer than 4x the question + 200 chars) is worse than carrying terms."""
    limit = 4 * len(FOLLOW_UP) + 200
    too_long = "x" * (limit + 1)
    assert condense_question(FOLLOW_UP, conversation(PREVIOUS), FakeGenerator(too_long)) == CARRIED


def test_rewrite_at_the_length_limit_is_still_used() -> None:
    """The guard is ``<=`` the limit: a reply of exactly that length is accepted."""
    kept = "How many members reached the APEC roadmap "
    at_limit = kept + "y" * (4 * len(FOLLOW_UP) + 200 - len(kept))
    assert condense_question(FOLLOW_UP, conversation(PREVIOUS), FakeGenerator(at_limit)) == at_limit


def test_a_rewrite_that_drops_the_follow_up_s_own_words_is_not_used() -> None:
    """The follow-up "And what is that meant to provide logistics support for?" rewritten as a question about the
    purpose of sea-rail transport asks something else: the asker's words are kept, with the
    previous question's terms for the referent."""
    question = "And what is that meant to provide logistics support for?"
    previous = "Which eastern ports should the western region team up with?"
    generator = FakeGenerator("What is the purpose of sea-rail intermodal transport?")
    assert condense_question(question, conversation(previous), generator) == (
        f"{question} (eastern ports western region team)"
    )


def test_a_rewrite_that_still_points_back_carries_the_previous_turn_s_words() -> None:
    """ "... want the two to develop together?" kept the reference, not its referent: the previous
    question and its short answer name it (the Hainan Free Trade Port and the west)."""
    history = [
        ChatTurn(
            role="user", content="Which free trade port does the western-region article want the west to work with?"
        ),
        ChatTurn(role="assistant", content="Hainan Free Trade Port."),
    ]
    question = "In which key industries does it want the two to develop together?"
    rewrite = "In which key industries does the western-region article want the two to develop together?"
    condensed = condense_question(question, history, FakeGenerator(rewrite))
    assert condensed.startswith(rewrite + " (")
    assert "Hainan" in condensed and "port" in condensed
    resolved = "In which key industries does the article want the west and Hainan to develop together?"
    assert condense_question(question, history, FakeGenerator(resolved)) == resolved


# --- Chinese follow-ups ---------------------------------------------------------------------------
ZH_PREVIOUS = "2024年陕西自贸试验区形成了多少个创新案例？"


ZH_FOLLOW_UPS = [
    "其中有几个在全国复制推广了？",
    "那2016年8月那一批一共新设了几个？",
    "一共有多少学员参加？",
    "那国内的发起单位呢？",
]


@pytest.mark.parametrize("question", ZH_FOLLOW_UPS)
def test_chinese_follow_ups_are_recognised(question: str) -> None:
    """Chinese has no "it": it points back with 其中/那/呢, or leaves the subject out."""
    assert looks_like_follow_up(question)


def test_a_full_chinese_question_stands_alone() -> None:
    assert not looks_like_follow_up("北京工商大学和ECO科学基金会合办的经济特区培训是什么时候举行的？")


def test_a_chinese_follow_up_is_rewritten_and_without_a_model_carries_the_previous_question() -> None:
    history = conversation(ZH_PREVIOUS)
    rewritten = "2024年陕西自贸试验区形成的创新案例中有几个在全国复制推广了？"
    assert condense_question("其中有几个在全国复制推广了？", history, FakeGenerator(rewritten)) == rewritten
    carried = condense_question("其中有几个在全国复制推广了？", history, None)
    assert carried == f"其中有几个在全国复制推广了？（{ZH_PREVIOUS}）"


def test_a_chinese_rewrite_that_drops_the_subject_carries_the_previous_question() -> None:
    history = conversation(ZH_PREVIOUS)
    lost = condense_question("其中有几个在全国复制推广了？", history, FakeGenerator("全国复制推广了多少个创新案例？"))
    assert lost == f"全国复制推广了多少个创新案例？（{ZH_PREVIOUS}）"


def test_without_a_model_a_short_chinese_question_that_points_nowhere_is_searched_as_asked() -> None:
    assert condense_question("水银的沸点是多少度？", conversation(ZH_PREVIOUS), None) == "水银的沸点是多少度？"
