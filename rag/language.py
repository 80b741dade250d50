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

import re
from collections.abc import Sequence
from typing import Literal

from core.text.terms import NUMBER, han_terms, has_han
from rag.citations import numbers_in, split_claims
from rag.generators.base import ChatMessage, Generator
from rag.zh_glossary import english_terms, glossary_pairs, replace_chinese

Language = Literal["en", "zh"]

REFUSAL_TEXTS: dict[Language, str] = {
    "en": "I could not find an answer to this in the documents.",
    "zh": "文档中没有找到这个问题的答案。",
}
_QUESTION_SYSTEM = (
    "Translate the user's question into English. Keep every number, year, table number and name exactly; "
    "write Chinese place names in pinyin (海南 is Hainan) and use the English given for the listed terms. "
    "Reply with the English question only."
)
# Worked examples: a 1.5B model follows a shown pattern (table number, year, place; a question
# asking for a list stays one) better than a rule.
_QUESTION_EXAMPLES = (
    (
        "表1中2019年上海自贸试验区的进口额是多少？",
        "In Table 1, what was the import value of the Shanghai pilot free trade zone in 2019?",
    ),
    (
        "报告说西部陆海新通道带动了沿线港口，具体列举了哪几个港口？",
        "The report says the New Western Land-Sea Corridor drives the ports along it; which ports does it name?",
    ),
)
# A translation may spell a number out ("six", "August"): those count as kept.
_SPELLED_NUMBERS = {
    word: str(value)
    for value, words in enumerate(
        [
            (),
            ("one", "first", "january"),
            ("two", "second", "february"),
            ("three", "third", "march"),
            ("four", "fourth", "april"),
            ("five", "fifth", "may"),
            ("six", "sixth", "june"),
            ("seven", "seventh", "july"),
            ("eight", "eighth", "august"),
            ("nine", "ninth", "september"),
            ("ten", "tenth", "october"),
            ("eleven", "eleventh", "november"),
            ("twelve", "twelfth", "december"),
        ]
    )
    for word in words
}
# More Chinese than this share of a translation's characters: it is no translation.
_MAX_HAN_SHARE = 0.3
# A passage holding this share of a Chinese question's character pairs is about what it asks.
_OWN_LANGUAGE_SHARE = 0.4
# The top passages looked at for one in the question's own language.
OWN_LANGUAGE_DEPTH = 3
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


_DIGIT_CHARS = ("〇零", "一", "二两", "三", "四", "五", "六", "七", "八", "九")  # the characters of 0 to 9
_CHINESE_DIGITS = {char: value for value, chars in enumerate(_DIGIT_CHARS) for char in chars}
_CHINESE_UNITS = {"十": 10, "百": 100, "千": 1000}
_CHINESE_NUMERAL = re.compile("[〇零一二两三四五六七八九十百千万]+")


def _chinese_value(run: str) -> int:
    """二十 → 20, 三百零五 → 305, 二〇一六 → 2016 (digits alone are read one by one)."""
    if not any(char in _CHINESE_UNITS or char == "万" for char in run):
        return int("".join(str(_CHINESE_DIGITS[char]) for char in run))
    total = section = digit = 0
    for char in run:
        if char in _CHINESE_DIGITS:
            digit = _CHINESE_DIGITS[char]
        elif char in _CHINESE_UNITS:
            section += (digit or 1) * _CHINESE_UNITS[char]
            digit = 0
        else:  # 万
            total += (section + digit or 1) * 10_000
            section = digit = 0
    return total + section + digit


def chinese_numbers(text: str) -> set[str]:
    """The numbers a Chinese text writes in words (二十国集团 → 20, 六个 → 6), as digits."""
    return {str(_chinese_value(run)) for run in _CHINESE_NUMERAL.findall(text)}


def _numbers_said(text: str) -> set[str]:
    words = {word.lower() for word in re.findall(r"[A-Za-z]+", text)}
    return numbers_in(text) | {_SPELLED_NUMBERS[word] for word in words if word in _SPELLED_NUMBERS}


def found_in_its_own_language(question: str, texts: Sequence[str]) -> bool:
    """True when one of ``texts`` (the top passages for the question as asked) is written in the
    question's language and shares enough of its words: then it is read and answered as asked, with
    no translation (a Chinese question about a Chinese document)."""
    terms = set(han_terms(question))
    if not terms:
        return False
    return any(len(terms & set(han_terms(text))) >= _OWN_LANGUAGE_SHARE * len(terms) for text in texts)


def typed_by_the_asker(names: Sequence[str], question: str) -> list[str]:
    """The ``names`` (from a translation of ``question``) whose every word and number the asker typed
    in Latin letters or digits: "ECO" in "ECO科学基金会" was typed, the "0" of a made-up "0.01%" was not
    (though "2021" contains it)."""
    typed = {token.lower() for token in re.findall(r"[A-Za-z0-9]+", question)}
    return [name for name in names if all(part in typed for part in re.findall(r"[a-z0-9]+", name.lower()))]


def question_in_english(question: str, generator: Generator) -> str:
    """The question in English for searching (the question itself if it is English or there is no LLM).

    What a small model's translation gets wrong is repaired rather than thrown away (a Chinese
    question finds the passage in English about half as often): Chinese it left in is replaced from
    the glossary, and names and numbers it lost are added back in brackets.
    """
    if language_of(question) == "en":
        return question
    messages: list[ChatMessage] = [{"role": "system", "content": _QUESTION_SYSTEM}]
    for example_question, example_answer in _QUESTION_EXAMPLES:
        messages += [
            {"role": "user", "content": _with_terms(example_question)},
            {"role": "assistant", "content": example_answer},
        ]
    messages.append({"role": "user", "content": _with_terms(question)})
    reply = generator.rewrite(messages, max_tokens=_QUESTION_MAX_TOKENS)
    english = " ".join((reply or "").split()).strip().strip('"')
    if not english or len(english) > 6 * len(question) + 100:  # no reply, or a ramble
        return question
    if has_han(english):
        han = sum(1 for char in english if has_han(char))
        if han > _MAX_HAN_SHARE * len(english.replace(" ", "")):
            return question
        english = replace_chinese(english)
    lowered = english.lower()
    # Proper names only (capitalised in the glossary): "Shaanxi" matters to a search, "area" does not.
    lost = [term for term in english_terms(question) if term[0].isupper() and term.lower() not in lowered]
    tables = set(re.findall(r"表\s*(\d+)", question))  # 表3 lost is "Table 3", not a bare 3
    lost += [
        f"Table {number}" if number in tables else number
        for number in sorted(numbers_in(question) - _numbers_said(english), key=question.find)
    ]
    return f"{english} ({', '.join(lost)})" if lost else english


def _with_terms(question: str) -> str:
    """The question followed by the English of its glossary terms: a 1.5B model told that 临港 is
    Lingang writes Lingang (untold, it wrote "Yangjiang Port"; 陕西 became "Xi'an")."""
    pairs = glossary_pairs(question)
    if not pairs:
        return question
    return question + "\nTerms: " + "; ".join(f"{chinese} = {english}" for chinese, english in pairs)


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
        translated = _sentence_in_chinese(claim, generator)
        if translated is None:
            return None
        cited = "".join(f"[{n}]" for n in markers)
        sentences.append(f"{translated} {cited}。" if cited else f"{translated}。")
    return "".join(sentences) or None


# The Chinese for the English magnitudes. 亿 is a hundred million: "74.43 trillion" written
# "74.43亿" keeps its digits and is off by ten thousand times (seen from the 1.5B model).
_ZH_MAGNITUDE = {"thousand": "千", "million": "百万", "billion": "十亿", "trillion": "万亿"}
_EN_MAGNITUDE = re.compile(r"(\d[\d,.]*)\s*(thousand|million|billion|trillion)\b", re.IGNORECASE)
# A number in a Chinese sentence and the magnitude after it, if any.
_ZH_NUMBER_AND_MAGNITUDE = re.compile(rf"(?P<number>{NUMBER.pattern})(?:\s*(?:万亿|十亿|百万|千万|亿|万|千|兆))?")


def with_chinese_magnitudes(claim: str, translated: str) -> str:
    """``translated`` with each number the claim gives in millions (billions, ...) followed by the
    right Chinese magnitude: "19,550,439 million" → "19550439百万", not "19550439亿"."""
    wanted = {numbers_in(number).pop(): _ZH_MAGNITUDE[word.lower()] for number, word in _EN_MAGNITUDE.findall(claim)}
    if not wanted:
        return translated

    def fixed(match: re.Match[str]) -> str:
        number = match.group("number")
        magnitude = wanted.get(numbers_in(number).pop())
        return number + magnitude if magnitude else match.group(0)

    return _ZH_NUMBER_AND_MAGNITUDE.sub(fixed, translated)


def _sentence_in_chinese(claim: str, generator: Generator) -> str | None:
    """One sentence in Chinese with all its numbers, or None. A translation that dropped one (``G20``
    written as 二十国集团) is asked for again once, naming the words to keep as they are."""
    system = _ANSWER_SYSTEM
    for _attempt in range(2):
        reply = generator.rewrite(_messages(system, claim), max_tokens=_ANSWER_MAX_TOKENS)
        translated = " ".join((reply or "").split()).strip().rstrip("。.!！?？ ")
        # 二十国集团 keeps G20's number: numbers written in Chinese words count.
        kept = numbers_in(translated) | chinese_numbers(translated)
        if translated and has_han(translated) and not numbers_in(claim) - kept:
            return with_chinese_magnitudes(claim, translated)
        keep = [word.strip(".,;:()") for word in claim.split() if any(char.isdigit() for char in word)]
        if not keep:
            return None
        system = f"{_ANSWER_SYSTEM} Write these exactly as they are: {', '.join(keep)}."
    return None
