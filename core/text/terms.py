"""Word terms shared by the lexical index and the answer path: tokens, stems, content words.

English words are lowercased, stopword-filtered and Snowball-stemmed. Chinese has no spaces
between words, so a run of Han characters becomes its overlapping character bigrams (a lone
character stays a unigram): "保税区" → 保税, 税区. Bigrams need no dictionary, match any word
boundary a segmenter would pick, and are what CJK-aware BM25 setups commonly use.

Usage::

    tokenize("The zones were established")      # ['zone', 'were', 'establish']
    content_terms("How many members reached it?")  # ['member', 'reach']
    content_terms("临海综保区2024年")               # ['2024', '临海', '海综', '综保', '保区', '年']
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

_TOKEN = re.compile(r"[a-z0-9]+(?:[.'][a-z0-9]+)*")
#: Han characters (CJK unified ideographs, extension A, compatibility ideographs).
#: A number as the documents write it ("2016", "32,667,513", "3.85"): one pattern for every number check.
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
#: A year as prose and tables print it (1800-2099), not the digits of a longer number ("2,013", "2013.5").
YEAR = re.compile(r"(?<![\d.,])(1[89]\d\d|20\d\d)(?!\d|[.,]\d)")
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def han_terms(text: str) -> list[str]:
    """The character bigrams of every run of Han characters in ``text`` (a lone character as itself)."""
    terms: list[str] = []
    for run in _HAN_RUN.findall(text):
        terms.extend([run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)])
    return terms


def has_han(text: str) -> bool:
    return _HAN_RUN.search(text) is not None


def han_count(text: str) -> int:
    """How many Han characters ``text`` has."""
    return sum(len(run) for run in _HAN_RUN.findall(text))


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


@lru_cache(maxsize=1)
def _function_words() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN_PLUS

    return frozenset(STOPWORDS_EN_PLUS) | {"many", "much", "according"}


def tokenize(text: str) -> list[str]:
    """Lowercase word tokens, English stopwords removed, Snowball-stemmed (what BM25 indexes)."""
    stop = _stopwords()
    words = [word for word in _TOKEN.findall(text.lower()) if word not in stop]
    return list(_stemmer().stemWords(words)) + han_terms(text)


def content_terms(text: str) -> list[str]:
    """Stemmed words that carry meaning: :func:`tokenize` minus all function and question words.

    Used for queries ("how many members reached it" → member, reach) and for lexical overlap.
    """
    stop = _function_words()
    words = [word for word in _TOKEN.findall(text.lower()) if word not in stop]
    return list(_stemmer().stemWords(words)) + han_terms(text)
