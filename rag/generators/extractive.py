"""The extractive generator: no LLM; the answer is the best evidence sentences, verbatim, cited.

Instant and grounded by construction. Used when no model is installed, and in fast tests.

Usage::

    gen = ExtractiveGenerator(max_sentences=2)
    "".join(gen.compose(evidence))  # "The 2016 G20 Summit in Hangzhou ... [1]"
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from rag.evidence import Evidence
from rag.generators.base import ChatMessage, ChatModel, Draft, SupportJudge


class ExtractiveGenerator:
    """Quotes the top evidence; a second sentence only when it scores nearly as well as the first."""

    name = "extractive"
    chat_model: ChatModel | None = None
    support_judge: SupportJudge | None = None

    def __init__(self, max_sentences: int = 2, second_sentence_margin: float = 0.03) -> None:
        if max_sentences < 1:
            raise ValueError("max_sentences must be >= 1")
        self.max_sentences = max_sentences
        self.second_sentence_margin = second_sentence_margin

    def compose(self, evidence: Sequence[Evidence]) -> Iterator[str]:
        ranked = sorted(evidence, key=lambda item: item.score, reverse=True)
        if not ranked:
            return
        chosen = [ranked[0]]
        for item in ranked[1 : self.max_sentences]:
            if ranked[0].score - item.score <= self.second_sentence_margin:
                chosen.append(item)
        chosen.sort(key=lambda item: item.n)
        quoted = {item.text.strip() for item in chosen}
        for index, item in enumerate(chosen):
            sentence = " ".join(item.shown_beside(quoted).split())
            if sentence[-1:] in ".!?":
                sentence = f"{sentence[:-1]} [{item.n}]{sentence[-1]}"
            else:  # a heading or table row: close it, so each quote stays its own sentence
                sentence = f"{sentence} [{item.n}]."
            yield ("" if index == 0 else " ") + sentence

    def draft(self, question: str, evidence: Sequence[Evidence]) -> Draft:
        return Draft(self.compose(evidence))

    def rewrite(self, messages: list[ChatMessage], *, max_tokens: int) -> str | None:
        return None  # no LLM: follow-ups carry the previous question's terms over instead
