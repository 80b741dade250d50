"""Word terms shared by the lexical index and the answer path: tokens, stems, content words.

Usage::

    tokenize("The zones were established")      # ['zone', 'establish']
    content_terms("How many members reached it?")  # ['member', 'reach']
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

_TOKEN = re.compile(r"[a-z0-9]+(?:[.'][a-z0-9]+)*")


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
    return list(_stemmer().stemWords(words))


def content_terms(text: str) -> list[str]:
    """Stemmed words that carry meaning: :func:`tokenize` minus all function and question words.

    Used for queries ("how many members reached it" → member, reach) and for lexical overlap.
    """
    stop = _function_words()
    words = [word for word in _TOKEN.findall(text.lower()) if word not in stop]
    return list(_stemmer().stemWords(words))
