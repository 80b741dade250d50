"""Follow-up questions made standalone before retrieval.

With an LLM, the model rewrites the question from the conversation. Without one, the key terms of
the previous question are carried over: "How many members reached it?" after "What roadmap did
the 2014 APEC meeting in Beijing produce?" becomes "How many members reached it? (roadmap 2014
APEC meeting Beijing produce)".

Usage::

    condense_question("How many members reached it?", history, generator=None)
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ingest.lexical import tokenize
from rag.generators.base import Generator
from rag.prompts import condense_messages
from rag.schemas import ChatTurn

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*")
_CONDENSE_MAX_TOKENS = 60


def carry_over_terms(question: str, previous: str) -> str:
    """The previous question's content words that the follow-up lacks, in their original order."""
    have = set(tokenize(question))
    terms: list[str] = []
    for word in _WORD.findall(previous):
        stems = tokenize(word)
        if stems and not set(stems) <= have and word not in terms:
            terms.append(word)
    return " ".join(terms)


def condense_question(question: str, history: Sequence[ChatTurn] | None, generator: Generator | None = None) -> str:
    """A standalone version of ``question`` given the earlier turns (unchanged without history)."""
    if not history:
        return question
    previous_questions = [turn.content for turn in history if turn.role == "user"]
    if not previous_questions:
        return question
    if generator is not None and generator.uses_llm:
        pieces = generator.stream(condense_messages(question, history), max_tokens=_CONDENSE_MAX_TOKENS)
        rewritten = " ".join("".join(pieces).split()).strip().strip('"')
        # A rewrite that lost the question (empty, or rambling) is worse than the original.
        if rewritten and len(rewritten) <= 4 * len(question) + 200:
            return rewritten
    terms = carry_over_terms(question, previous_questions[-1])
    return f"{question} ({terms})" if terms else question
