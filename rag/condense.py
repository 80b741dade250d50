"""Follow-up questions made standalone before retrieval.

With an LLM, the model rewrites the question from the conversation; a rewrite that lost the
follow-up's own words (a 1.5B model turns "How does that compare with the year before?" into
another question about the same thing) is not used. Without one, or without a usable rewrite, the
key terms of the previous question are carried over: "How many members reached it?" after "What roadmap did
the 2014 APEC meeting in Beijing produce?" becomes "How many members reached it? (roadmap 2014
APEC meeting Beijing produce)".

Usage::

    condense_question("How many members reached it?", history, generator=None)
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from core.schemas import ChatTurn
from core.text.terms import content_terms, han_count, han_terms, has_han
from rag.generators.base import Generator
from rag.prompts import condense_messages

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*")
_CONDENSE_MAX_TOKENS = 60
# Words that point back into the conversation. A question without any of them (and with a few
# content words of its own) stands alone and is searched as asked.
_BACK_REFERENCES = {
    "it",
    "its",
    "it's",
    "they",
    "them",
    "their",
    "theirs",
    "this",
    "that",
    "these",
    "those",
    "there",
    "he",
    "him",
    "his",
    "she",
    "her",
    "hers",
    "such",
    "same",
    "above",
    "else",
    "former",
    "latter",
}
_CONTINUATIONS = {"and", "also", "then", "so", "what about", "how about"}
_STANDALONE_MIN_TERMS = 3
# Chinese leans on the conversation with demonstratives (那/这/其/该/此), "of them" (其中), a
# trailing 呢 ("那2021年呢？"), or by leaving the subject out altogether ("一共有多少学员参加？"):
# a short Chinese question after earlier turns is read as a follow-up.
_ZH_BACK_REFERENCE = re.compile(r"^那|那[个些批次年]|这[个些批次]|其|该|此|它|他们|她们|上述|以上|同期|当时|呢[？?]?$")
_ZH_STANDALONE_MIN_HAN = 14
_ZH_REFERENT_SHARE = 0.5
# A rewrite must keep this share of the follow-up's own content words: "And what is that meant to
# provide logistics support for?" rewritten "What is the purpose of sea-rail intermodal transport?"
# asks something else.
_OWN_WORDS_SHARE = 0.5


def looks_like_follow_up(question: str) -> bool:
    """Whether a question leans on the conversation ("How many members reached it?", "其中有几个？")."""
    if has_han(question):
        return bool(_ZH_BACK_REFERENCE.search(question)) or han_count(question) < _ZH_STANDALONE_MIN_HAN
    words = [word.lower() for word in _WORD.findall(question)]
    if not words:
        return False
    opening = " ".join(words[:2])
    if words[0] in _CONTINUATIONS or opening in _CONTINUATIONS or any(word in _BACK_REFERENCES for word in words):
        return True
    return len(content_terms(question)) < _STANDALONE_MIN_TERMS


# "The two", "both": a pair the conversation named.
_PAIR_REFERENCE = re.compile(r"\b(?:the two|both)\b", re.IGNORECASE)
# An answer longer than this is no name: only a short one is carried with the previous question.
_CARRIED_ANSWER_WORDS = 12


def _points_back(question: str) -> bool:
    """Whether ``question`` still holds a word that refers into the conversation ("it", "they", "the two")."""
    words = {word.lower() for word in _WORD.findall(question)}
    return bool(words & _BACK_REFERENCES) or _PAIR_REFERENCE.search(question) is not None


def _last_answer(history: Sequence[ChatTurn]) -> str:
    """The last answer of the conversation when it is short enough to name something ("Hainan Free Trade Port.")."""
    answers = [turn.content for turn in history if turn.role == "assistant"]
    return answers[-1] if answers and len(answers[-1].split()) <= _CARRIED_ANSWER_WORDS else ""


def carry_over_terms(question: str, previous: str) -> str:
    """The previous question's content words that the follow-up lacks, in their original order."""
    have = set(content_terms(question))
    terms: list[str] = []
    for word in _WORD.findall(previous):
        stems = content_terms(word)
        if stems and not set(stems) <= have and word not in terms:
            terms.append(word)
    return " ".join(terms)


def _keeps_referent(rewritten: str, previous: str) -> bool:
    """Whether a Chinese rewrite keeps at least half of the previous question's Han bigrams."""
    wanted = set(han_terms(previous))
    return not wanted or len(wanted & set(han_terms(rewritten))) >= _ZH_REFERENT_SHARE * len(wanted)


def _keeps_own_words(rewritten: str, question: str) -> bool:
    """Whether a rewrite keeps at least half of the follow-up's own content words."""
    own = set(content_terms(question))
    return len(own & set(content_terms(rewritten))) >= _OWN_WORDS_SHARE * len(own)


def condense_question(question: str, history: Sequence[ChatTurn] | None, generator: Generator | None = None) -> str:
    """A standalone version of ``question`` given the earlier turns (unchanged without history)."""
    if not history or not looks_like_follow_up(question):
        return question
    previous_questions = [turn.content for turn in history if turn.role == "user"]
    if not previous_questions:
        return question
    reply = (
        generator.rewrite(condense_messages(question, history), max_tokens=_CONDENSE_MAX_TOKENS) if generator else None
    )
    if reply is not None:
        rewritten = " ".join(reply.split()).strip().strip('"')
        # A rewrite that lost the question (empty, or rambling) is worse than the original.
        if rewritten and len(rewritten) <= 4 * len(question) + 200:
            if has_han(question) and not _keeps_referent(rewritten, previous_questions[-1]):
                # A small model often drops the Chinese subject ("有多少学员参加？"): carry it.
                return f"{rewritten}（{previous_questions[-1]}）"
            if has_han(question):
                return rewritten
            if _keeps_own_words(rewritten, question):
                if not _points_back(rewritten):
                    return rewritten
                # "... want the two to develop together?": the rewrite kept the reference, not what it
                # refers to. The previous turn's words (its question and its answer) name it.
                terms = carry_over_terms(rewritten, f"{previous_questions[-1]} {_last_answer(history)}")
                return f"{rewritten} ({terms})" if terms else rewritten
            # Else the words the asker used are kept, and the previous question names the referent.
    if has_han(question):
        # Chinese has no spaces to pick words out by: the previous question is carried whole, but
        # only for a question that points back (其中, 那…呢): without a model to judge, a short new
        # question ("水银的沸点是多少度？") must not be searched as the old one.
        if not _ZH_BACK_REFERENCE.search(question):
            return question
        return f"{question}（{previous_questions[-1]}）"
    terms = carry_over_terms(question, previous_questions[-1])
    return f"{question} ({terms})" if terms else question
