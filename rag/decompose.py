"""Multi-hop questions split into the parts that are searched for on their own.

"How many days after the joint training centre was launched did its first training begin?"
needs two sentences that may sit pages apart: one search for the whole question finds the one
that shares most of its words and misses the other. The question's parts are searched as well
(a few milliseconds each, no model call) and each part's best sentence joins the evidence.

Four shapes are recognised, all cheap to tell apart by their wording:

* two alternatives compared: "which fell further, world trade in goods or world trade in services?";
* two events timed: "how many days after X did Y", "how many years passed between X and Y";
* two figures set apart: "how far apart are X and Y", "the difference between X and Y";
* one quantity in two years: "how much more ... in 2022 than in 2021" (a part per year).

Usage::

    question_parts("How much more foreign capital did the zones use in 2022 than in 2021?")
    # ["How much more foreign capital did the zones use in 2022?",
    #  "How much more foreign capital did the zones use than in 2021?"]
    merge_evidence(main, [part_evidence, ...])   # main's items, then each part's new ones, renumbered
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from core.text.terms import YEAR, content_terms
from rag.evidence import Evidence

_ALTERNATIVES = re.compile(r",\s*(?P<a>[^,?]{4,}?)\s+or\s+(?P<b>[^,?]{4,}?)\s*(?=[,?]|$)", re.IGNORECASE)
_TIMED = re.compile(
    r"\bhow many (?:days|weeks|months|years)\s+(?:passed\s+|elapsed\s+|went by\s+)?(?:after|before)\s+"
    r"(?P<a>.+)\s+(?:did|was|were|had|has|is|does)\s+(?P<b>.+?)\s*\?*$",
    re.IGNORECASE,
)
_BETWEEN = re.compile(
    r"\b(?:between|how far apart are|difference between|gap between)\s+(?P<a>[^,?]+?)\s+and\s+(?P<b>[^,?]+)",
    re.IGNORECASE,
)
_TWO_YEARS_CHANGE = re.compile(
    r"\b(more|less|than|from|between|change\w*|differ\w*|ris\w*|rose|fell|fall\w*|grew|gr[oe]w\w*|drop\w*|"
    r"jump\w*|shr[aiu]nk\w*|increas\w*|decreas\w*|declin\w*|smaller|bigger|larger|higher|lower)\b",
    re.IGNORECASE,
)
# A part shorter than this names nothing to search for ("it", "the one").
_MIN_PART_TERMS = 2
_MAX_PARTS = 2


def question_parts(question: str) -> list[str]:
    """The parts of ``question`` worth a search of their own (``[]`` for a question about one thing)."""
    years = list(dict.fromkeys(YEAR.findall(question)))
    parts: list[str] = []
    if match := _ALTERNATIVES.search(question):
        rest = (question[: match.start()] + question[match.end() :]).strip(" ,?")
        parts = [f"{match['a']} {rest}", f"{match['b']} {rest}"]
    elif match := _TIMED.search(question):
        parts = [match["a"], match["b"]]
    elif (match := _BETWEEN.search(question)) and not YEAR.fullmatch(match["a"].strip()):
        context = " ".join(year for year in years if year not in match[0])
        parts = [f"{match['a']} {context}".strip(), f"{match['b']} {context}".strip()]
    elif len(years) == 2 and _TWO_YEARS_CHANGE.search(question):
        parts = [_without(question, other) for other in reversed(years)]
    parts = [" ".join(part.split()) for part in parts]
    return [part for part in parts if len(content_terms(part)) >= _MIN_PART_TERMS][:_MAX_PARTS]


def _without(question: str, year: str) -> str:
    """``question`` with ``year`` (and the "than in"/"from" that introduces it) taken out."""
    pattern = rf"\s*(?:\b(?:than|from|to|and|in|of)\s+)*(?:in\s+)?(?<!\d){year}(?!\d)"
    return re.sub(pattern, "", question, count=1).strip(" ,?") + "?"


def merge_evidence(main: Sequence[Evidence], extras: Sequence[Sequence[Evidence]]) -> list[Evidence]:
    """``main``'s items, then each part's items that ``main`` lacks, numbered 1..k again."""
    merged = list(main)
    # By text: the same sentence reached through a merged neighbour chunk has other offsets.
    seen = {(item.source, " ".join(item.readable.split())) for item in merged}
    for part in extras:
        for item in part:
            key = (item.source, " ".join(item.readable.split()))
            if key not in seen:
                seen.add(key)
                merged.append(item)
    for number, item in enumerate(merged, start=1):
        item.n = number
    return merged
