"""Word terms shared by the lexical index and the answer path: tokens, stems, content words.

English words are lowercased, stopword-filtered and Snowball-stemmed. Chinese has no spaces
between words, so a run of Han characters becomes its overlapping character bigrams (a lone
character stays a unigram): "保税区" → 保税, 税区. Bigrams need no dictionary, match any word
boundary a segmenter would pick, and are what CJK-aware BM25 setups commonly use. A zone
abbreviation and its long form ("FTZs", "pilot free trade zones") are one term, and so are a
British and an American spelling ("centre", "center").

Usage::

    tokenize("The zones were established")      # ['zone', 'were', 'establish']
    content_terms("How many members reached it?")  # ['member', 'reach']
    content_terms("临海综保区2024年")               # ['2024', '临海', '海综', '综保', '保区', '年']
    content_terms("seven new FTZs")                 # ['seven', 'new', 'ftz'], as for "free trade zones"
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
#: "the 2024 paper", "a 2025 regional article": the year a source was written, not a year its facts happened in.
SOURCE_YEAR = re.compile(
    r"(?<!\d)(?:19|20)\d\d(?:\s+[\w-]+){0,2}?\s+(?:paper|article|report|study|document|edition)\b", re.I
)
_UNITS = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
_UNITS += "seventeen eighteen nineteen"
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety"
#: Cardinal number words and their values ("seven" → 7, "forty" → 40).
NUMBER_WORDS: dict[str, int] = {
    **{word: value for value, word in enumerate(_UNITS.split(), start=1)},
    **{word: value for value, word in zip(range(20, 100, 10), _TENS.split(), strict=True)},
}
_NUMBER_WORD = re.compile(
    rf"\b({'|'.join(_TENS.split())})[\s-]+({'|'.join(_UNITS.split()[:9])})\b|\b({'|'.join(NUMBER_WORDS)})\b",
    re.IGNORECASE,
)
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def spelled_numbers(text: str) -> set[str]:
    """The numbers ``text`` writes in words, as digits: "seven new FTZs" → {"7"}, "forty-two" → {"42"}."""
    found: set[str] = set()
    for tens, units, single in _NUMBER_WORD.findall(text):
        value = NUMBER_WORDS[tens.lower()] + NUMBER_WORDS[units.lower()] if tens else NUMBER_WORDS[single.lower()]
        found.add(str(value))
    return found


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


#: Bumped when :func:`tokenize` changes, so a saved BM25 index built with the old terms is rebuilt.
TERMS_VERSION = "5"

_INVESTED = r"(?:direct\s+)?(?:invest|capital)"
_UP_TO_3_WORDS = r"(?:\s+[\w'’-]+){0,3}?"
_ABROAD = r"(?:abroad|overseas|other\s+countries|foreign\s+countries)"
_FOREIGN = r"American|(?-i:US)|U\.S\.|foreign|overseas|imported"

# The literature's abbreviations and the long forms they stand for. One document writes "FTZs"
# throughout, another "pilot free trade zones", and a translated question says "free trade zone":
# each becomes one term, so a question in one form finds a passage in the other by its words.
_ONE_TERM: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), term)
    for pattern, term in (
        (r"\bFTZs?\b|\bfree[\s-]+trade\s+(?:pilot\s+)?zones?\b", "ftz"),
        (r"\bSEZs?\b|\bspecial\s+economic\s+zones?\b", "sez"),
        (r"\bBRI\b|\bBelt\s+and\s+Road(?:\s+Initiative)?\b", "bri"),
        # The side of a flow in a delegate's words: "outward investment" is what a text calls
        # "outbound investment flows", "goods bought from abroad" its "imports".
        (r"\b(?:outward|outbound)\b(?=\s+(?:foreign\s+)?(?:direct\s+)?invest)", "outflow"),
        (rf"\b(?:attract(?:s|ed|ing)?|inward|inbound)\b(?=\s+(?:foreign\s+|overseas\s+)?{_INVESTED})", "inflow"),
        (rf"\b(?:bought|buy(?:s|ing)?|purchas(?:e|es|ed|ing))\b(?={_UP_TO_3_WORDS}\s+from\s+{_ABROAD})", "import"),
        (rf"\b(?:sold|sell(?:s|ing)?)\b(?={_UP_TO_3_WORDS}\s+(?:to\s+)?{_ABROAD})", "export"),
        # "China's purchases of American goods" are its imports from the US.
        (rf"\bpurchases?\b(?=\s+of\s+(?:{_FOREIGN})\s+(?:goods|products|services)\b)", "import"),
        # The US by any of its names, so "American" finds a sentence about "the U.S.".
        (r"\bU\.S\.?(?:A\.?)?(?!\w)|(?-i:\bUSA?\b)|\bUnited\s+States(?:\s+of\s+America)?\b|\bAmericans?\b", "usa"),
    )
)


def one_term_each(text: str) -> str:
    """``text`` with each zone term in one form, whether written short or long::

    one_term_each("pilot free trade zones and FTZs")   # "pilot ftz and ftz"
    """
    for pattern, term in _ONE_TERM:
        text = pattern.sub(term, text)
    return text


# The long forms an English embedding model (MiniLM) understands: against "How many pilot free trade
# zones were newly set in August 2016?" it rates "... seven new FTZs ..." 0.26, spelled out 0.57.
_SPELLED_OUT: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bFTZs\b"), "free trade zones"),
    (re.compile(r"\bFTZ\b"), "free trade zone"),
    (re.compile(r"\bSEZs\b"), "special economic zones"),
    (re.compile(r"\bSEZ\b"), "special economic zone"),
    (re.compile(r"\bBRI\b"), "Belt and Road Initiative"),
)


def spelled_out(text: str) -> str:
    """``text`` with the zone abbreviations written out, for an embedding model::

    spelled_out("seven new FTZs")   # "seven new free trade zones"
    """
    for pattern, long_form in _SPELLED_OUT:
        text = pattern.sub(long_form, text)
    return text


# British spellings a delegate types and the American ones a document uses (or the other way):
# "centre" and "center" stem apart. Each British stem is read as its American one.
_SPELLING_PAIRS = (
    ("centre", "center"),
    ("centres", "centers"),
    ("programme", "program"),
    ("programmes", "programs"),
    ("organisation", "organization"),
    ("organisations", "organizations"),
    ("organise", "organize"),
    ("organised", "organized"),
    ("labour", "labor"),
    ("harbour", "harbor"),
    ("harbours", "harbors"),
    ("neighbour", "neighbor"),
    ("neighbouring", "neighboring"),
    ("favour", "favor"),
    ("licence", "license"),
    ("defence", "defense"),
    ("kilometre", "kilometer"),
    ("kilometres", "kilometers"),
    ("metre", "meter"),
    ("liberalisation", "liberalization"),
    ("modernisation", "modernization"),
    ("internationalisation", "internationalization"),
    ("globalisation", "globalization"),
    ("industrialisation", "industrialization"),
    ("utilise", "utilize"),
    ("utilisation", "utilization"),
    ("realise", "realize"),
    ("recognise", "recognize"),
    ("prioritise", "prioritize"),
    ("specialised", "specialized"),
    ("catalogue", "catalog"),
)


@lru_cache(maxsize=1)
def _american_stems() -> dict[str, str]:
    stem = _stemmer().stemWord
    return {stem(british): stem(american) for british, american in _SPELLING_PAIRS if stem(british) != stem(american)}


def _stems(words: list[str]) -> list[str]:
    american = _american_stems()
    return [american.get(stem, stem) for stem in _stemmer().stemWords(words)]


def tokenize(text: str) -> list[str]:
    """Lowercase word tokens, English stopwords removed, Snowball-stemmed (what BM25 indexes)."""
    stop = _stopwords()
    words = [word for word in _TOKEN.findall(one_term_each(text).lower()) if word not in stop]
    return _stems(words) + han_terms(text)


def content_terms(text: str) -> list[str]:
    """Stemmed words that carry meaning: :func:`tokenize` minus all function and question words.

    Used for queries ("how many members reached it" → member, reach) and for lexical overlap.
    """
    stop = _function_words()
    words = [word for word in _TOKEN.findall(one_term_each(text).lower()) if word not in stop]
    return _stems(words) + han_terms(text)


# Demonym endings and what the country's name may end in instead: "Egypt-ian", "Pakistan-i",
# "Sri Lanka-n", "Vietnam-ese", "Malays-ian" → Malaysia, "Ital-ian" → Italy.
_DEMONYM_ENDINGS = ("ians", "ian", "ans", "an", "ese", "is", "i", "ns", "n", "ish")
_COUNTRY_ENDINGS = ("", "a", "ia", "y")
_MIN_COUNTRY_STEM = 3


def country_forms(word: str) -> list[str]:
    """The country names a demonym may come from, longest first: "Egyptians" → ["egypt", ...].

    A question says "the Egyptian delegates" where the text says "delegates from Egypt": a name
    check that looks for "Egyptian" alone would call it unknown. The forms are guesses; only
    those that occur in the documents count. ``[]`` for a word with no demonym ending.
    """
    lower = re.sub(r"['’]s$", "", word.lower())
    forms: list[str] = []
    for ending in _DEMONYM_ENDINGS:
        base = lower[: -len(ending)]
        if lower.endswith(ending) and len(base) >= _MIN_COUNTRY_STEM and base.isalpha():
            forms += [base + tail for tail in _COUNTRY_ENDINGS if base + tail not in forms]
    return forms


def without_source_years(text: str) -> str:
    """``text`` without the years that date its sources ("according to the 2024 paper" -> "according to the")."""
    return SOURCE_YEAR.sub("", text)
