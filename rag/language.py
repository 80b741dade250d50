"""Questions in another language than the documents: searched in English, answered in their own language.

The corpus is English and the embedding model (MiniLM) is English-only: a Chinese question finds
the right passage in the top 5 about one time in three, its English twin nine times in ten
(hit@5 on the Chinese gold items, 0.306 vs 0.917). So with an LLM, a Chinese question is
translated into English for retrieval, evidence selection and the citation check, which all work
in the documents' language; the checked answer is then translated back sentence by sentence, each
keeping its ``[n]`` markers, and kept only if every number survived (otherwise the English answer
stands).
Without an LLM the question is searched as asked. Refusals speak the question's language.

Usage::

    language_of("2016年G20峰会在哪个城市举行？")          # "zh"
    english = question_in_english(question, generator)   # the question itself without an LLM
    translated = answer_in(language, checked_text, generator)   # None when it cannot be trusted
"""

from __future__ import annotations

from typing import Literal

from core.text.terms import has_han
from rag.citations import numbers_in, split_claims
from rag.generators.base import ChatMessage, Generator

Language = Literal["en", "zh"]

REFUSAL_TEXTS: dict[Language, str] = {
    "en": "I could not find an answer to this in the documents.",
    "zh": "文档中没有找到这个问题的答案。",
}
_QUESTION_SYSTEM = (
    "Translate the user's question into English. Keep names, numbers and dates exactly. "
    "Reply with the English question only."
)
_ANSWER_SYSTEM = (
    "Translate the user's sentence into Simplified Chinese. Keep every number, name and date exactly as "
    "written. Reply with the translation only."
)
_QUESTION_MAX_TOKENS = 80
_ANSWER_MAX_TOKENS = 220


def language_of(text: str) -> Language:
    """``zh`` when the text contains Chinese characters, else ``en``."""
    return "zh" if has_han(text) else "en"


def _messages(system: str, text: str) -> list[ChatMessage]:
    return [{"role": "system", "content": system}, {"role": "user", "content": text}]


def question_in_english(question: str, generator: Generator) -> str:
    """The question in English for searching (the question itself if it is English or there is no LLM)."""
    if language_of(question) == "en":
        return question
    reply = generator.rewrite(_messages(_QUESTION_SYSTEM, question), max_tokens=_QUESTION_MAX_TOKENS)
    english = " ".join((reply or "").split()).strip().strip('"')
    # A translation that still holds Chinese, lost the question's numbers, or rambles is not used.
    usable = (
        english
        and not has_han(english)
        and numbers_in(question) <= numbers_in(english)
        and len(english) <= 6 * len(question) + 100
    )
    return english if usable else question


def answer_in(language: Language, text: str, generator: Generator) -> str | None:
    """``text`` translated into ``language`` sentence by sentence, each keeping its ``[n]`` markers; None when
    it is English already, there is no LLM, or a sentence's translation is not Chinese or changed a number.

    The markers are taken off before translating and put back after: a 1.5B model drops them when
    asked to keep them (measured: "Hangzhou [1]." came back as "杭州").
    """
    if language == "en":
        return None
    sentences: list[str] = []
    for claim, markers in split_claims(text):
        reply = generator.rewrite(_messages(_ANSWER_SYSTEM, claim), max_tokens=_ANSWER_MAX_TOKENS)
        translated = " ".join((reply or "").split()).strip().rstrip("。.!！?？ ")
        if not translated or not has_han(translated) or numbers_in(claim) - numbers_in(translated):
            return None
        cited = "".join(f"[{n}]" for n in markers)
        sentences.append(f"{translated} {cited}。" if cited else f"{translated}。")
    return "".join(sentences) or None
