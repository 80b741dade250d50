"""Whether a verified answer is of the kind the question asks for.

"How many hectares does the Djibouti zone cover?" is not answered by a supported sentence about
the zone that states no number: the passages do not hold the figure, and saying so is the honest
answer. Only questions that plainly ask for a quantity are judged, and any figure, number word or
Chinese numeral in the answer counts as one. Likewise "On what date ...?" or "..., and in what
year?" is not answered by a sentence that names no date.

Usage::

    asks_for_quantity("How many hectares does the zone cover?")   # True
    states_quantity("It covers about forty hectares [1].")        # True
    asks_for_date("On what exact date did the first zone open?")  # True
    insists_on_date("Which agreement came into force, and in what year?")   # True
    states_date("It opened on September 29, 2013 [1].")          # True
"""

from __future__ import annotations

import re

_ASKS_QUANTITY = re.compile(
    r"^\s*(?:and\s+|so\s+)?(?:how\s+(?:many|much|long|far|big|large)\b"
    r"|what\s+(?:(?:was|is|were|are)\s+(?:the\s+)?)?(?:(?!(?:did|does|do|will|would|can|could)\b)\w+\s+){0,3}?"
    r"(?:percentage|proportion|share|rate|number|amount|budget|cost|price|size|area|population|total|volume|gdp|value)\b"
    r"|by\s+(?:how\s+much|what\s+(?:percentage|share|amount|margin)))",
    re.IGNORECASE,
)
_QUANTITY = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
    r"seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|"
    r"million|billion|trillion|dozens?|half|twice|double[ds]?|tripled?)\b|[零一二三四五六七八九十百千万亿两]",
    re.IGNORECASE,
)


# "What fuel price did it start publishing?": which price (a named index) it began to publish, not how much.
_BEGAN_TO_PUBLISH = re.compile(
    r"\b(?:start|began|begin|begun)\w*\s+(?:to\s+)?(?:publish|issu|compil|releas)\w*", re.IGNORECASE
)


def asks_for_quantity(question: str) -> bool:
    """The question asks for a number (how many, how much, what share/rate/amount ...).

    Not "What fuel price did the zone start publishing?": the price it began to publish is named.
    """
    if not _ASKS_QUANTITY.search(question):
        return False
    return not (re.match(r"\s*(?:and\s+|so\s+)?what\b", question, re.I) and _BEGAN_TO_PUBLISH.search(question))


def states_quantity(answer: str) -> bool:
    """The answer states some quantity: a figure, a number word or a Chinese numeral."""
    return bool(_QUANTITY.search(re.sub(r"\[\d+\]", "", answer)))


_ASKS_DATE = re.compile(
    r"^\s*(?:and\s+|so\s+)?(?:when\b|(?:on|in|from|since|by)\s+(?:what|which)\s+(?:\w+\s+)?(?:date|day|year|month)\b"
    r"|(?:what|which)\s+(?:(?:is|was)\s+the\s+)?(?:\w+\s+)?(?:date|year)\b)",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"(?<!\d)(?:1[89]|20)\d\d(?!\d)|\b(?:January|February|March|April|May|June|July|August|September|October|"
    r"November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\b\.?|[年月日]",
)


# "..., and in what year?", "... was created by a central decision on what date?": wherever it stands.
_NAMES_DATE_ASKED = re.compile(r"\b(?:what|which)\s+(?:exact\s+)?(?:date|day|year|month)\s*\?*\s*$", re.IGNORECASE)


def asks_for_date(question: str) -> bool:
    """The question asks when: a date, a day, a month or a year ("When ...?", "In what year ...?")."""
    return bool(_ASKS_DATE.search(question) or _NAMES_DATE_ASKED.search(question))


def insists_on_date(question: str) -> bool:
    """The question asks for a date or year in those words ("..., and in what year?"), not only "when".

    "When did China start ...?" may be answered "since the 18th National Congress", and "Which day
    of the training ...?" "the second day"; "In what year ...?" is answered by a year or not at all.
    """
    return bool(re.search(r"\b(?:what|which)\s+(?:exact\s+)?(?:date|year|month)\b", question, re.I))


def states_date(text: str) -> bool:
    """The text names a year or a month (the shape any answer to "when" takes in these documents)."""
    return bool(_DATE.search(re.sub(r"\[\d+\]", "", text)))
