"""Citation check after generation: every kept sentence is supported by the passages it cites.

For each answer sentence: markers that name no evidence item are removed; the sentence is
scored against each cited item (lexical containment of its content words, embedding similarity,
and hard rules: every number it states appears in the cited text, and for the year the sentence
claims it for, :mod:`rag.facts`); unsupported citations are dropped; a sentence left with no
supporting citation is re-cited to the best supporting item if one supports it, or to the pair of
items that holds it (a multi-hop claim), each count it states counting the same thing there
(:func:`counted_alike`), else dropped.
Citations are renumbered 1..m in order of first use.

Usage::

    checker = CitationChecker(embedder, get_settings().evidence)
    checked = checker.check("Hangzhou hosted it [1]. The moon is cheese [7].", evidence)
    checked.text        # "Hangzhou hosted it [1]."
    checked.citations   # [(1, evidence_item, support)]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from core.config import EvidenceSettings
from core.text.sentences import sentence_spans
from core.text.terms import NUMBER, YEAR, content_terms, spelled_numbers, without_source_years
from index.embedders import Embedder
from rag.arithmetic import derived_numbers
from rag.evidence import Evidence, lexical_overlap
from rag.facts import (
    answers_the_other_side,
    misdated_values,
    misplaced,
    off_year,
    reversed_direction,
    swapped_values,
    unlinked_years,
    unsaid_answer,
    unsupported_names,
)

MARKER = re.compile(r"\s*\[(\d+(?:\s*[,;\u2013-]\s*\d+)*)\]")
# A sentence ending on an article, a copula or a conjunction stops where its answer should be.
_DANGLING = re.compile(r"\b(?:the|a|an|is|are|was|were|be|and|or)\s*[.!?:]*\s*$", re.IGNORECASE)
# So does one ending on a preposition ("... will be held in [1]."), unless it states a fact of its own:
# "34% of trade was with the countries it has deals with." is an answer.
_PREPOSITION_END = re.compile(r"\b(?:in|at|on|by|of|to|for|from|with|as)\s*[.!?:]*\s*$", re.IGNORECASE)
_NAME = re.compile(r"(?<=\s)[A-Z][\w'’\-]*")
# A sentence of fewer content words than this carries no checkable claim (e.g. "Yes.").
_MIN_CLAIM_TOKENS = 1
# A claim is re-cited to a pair drawn from this many of the items closest to it.
_PAIR_POOL = 4
# How many content terms around a number may name what it counts ("3,720 China-Europe freight trains").
_UNIT_BEFORE = 3
_UNIT_AFTER = 4
_RATE_AFTER = re.compile(r"\s*(?:%|％|per\s?cent|percent)", re.IGNORECASE)

SupportJudge = Callable[[str, str], bool]


@dataclass
class CheckedSentence:
    text: str  # without markers
    cited: list[int]  # evidence numbers (original numbering)
    support: float
    kept: bool
    reason: str = ""


@dataclass
class CheckedAnswer:
    text: str
    citations: list[tuple[int, Evidence, float]] = field(default_factory=list)  # (new n, item, support)
    sentences: list[CheckedSentence] = field(default_factory=list)

    @property
    def dropped(self) -> list[CheckedSentence]:
        return [sentence for sentence in self.sentences if not sentence.kept]


def parse_markers(fragment: str) -> list[int]:
    """``"[1, 3-4]"`` → ``[1, 3, 4]``."""
    numbers: list[int] = []
    for match in MARKER.finditer(fragment):
        for part in re.split(r"\s*[,;]\s*", match.group(1)):
            if re.search(r"[\u2013-]", part):
                low, high = (int(x) for x in re.split(r"\s*[\u2013-]\s*", part)[:2])
                numbers.extend(range(low, min(high, low + 20) + 1))
            elif part.strip():
                numbers.append(int(part))
    return list(dict.fromkeys(numbers))


def split_claims(answer: str) -> list[tuple[str, list[int]]]:
    """Answer sentences with their markers; a marker placed after the full stop joins its sentence."""
    claims: list[tuple[str, list[int]]] = []
    for start, end in sentence_spans(answer):
        piece = answer[start:end]
        leading = re.match(r"^(\s*\[[\d,;\s\u2013-]+\])+", piece)
        if leading and claims:
            claims[-1][1].extend(parse_markers(leading.group(0)))
            piece = piece[leading.end() :]
        markers = parse_markers(piece)
        text = MARKER.sub("", piece).strip()
        text = re.sub(r"\s+([.,;:!?])", r"\1", text)
        if text:
            claims.append((text, markers))
        elif markers and claims:
            claims[-1][1].extend(markers)
    return claims


def leaves_answer_out(claim: str, question: str) -> bool:
    """The sentence stops where its answer should be: on an article or a copula ("... was."), or on a
    preposition ("... will be held in [1].") with no number or name that the question does not state."""
    if _DANGLING.search(claim):
        return True
    if not _PREPOSITION_END.search(claim):
        return False
    new_numbers = numbers_in(claim) - numbers_in(question)
    asked = {word.lower() for word in re.findall(r"[\w'’\-]+", question)}
    new_names = {name for name in _NAME.findall(claim) if name.lower() not in asked}
    return not (new_numbers or new_names)


def _normal_number(value: str) -> str:
    return value.replace(",", "").rstrip(".")


def numbers_in(text: str) -> set[str]:
    """The numbers of ``text``, normalised (thousands separators and a trailing dot dropped)."""
    return {_normal_number(n) for n in NUMBER.findall(text)}


def numbers_supported(claim: str, evidence_text: str, given: set[str] | None = None) -> bool:
    """Every number in the claim occurs in the evidence (in digits or words) or among the ``given`` ones.

    ``given`` holds the question's own numbers: "in 2021" repeated from the question is its
    premise, not a new claim, and the passage that answers it may not repeat the year. "7 new
    FTZs" is what "seven new FTZs" says.
    """
    available = numbers_in(evidence_text) | spelled_numbers(evidence_text) | (given or set())
    return all(_normal_number(n) in available for n in NUMBER.findall(claim))


def _terms_around(text: str, number: str) -> tuple[list[list[str]], list[list[str]]]:
    """For each place ``number`` is written in ``text``: the content terms just before and just after it."""
    before, after = [], []
    if "|" in text:
        # A table names what its cells count in its caption and header ("(Million US dollars)").
        return [content_terms(text)], []
    for match in NUMBER.finditer(text):
        if _normal_number(match[0]) == number:
            before.append(content_terms(text[max(0, match.start() - 40) : match.start()])[-_UNIT_BEFORE:])
            after.append(content_terms(text[match.end() : match.end() + 60])[:_UNIT_AFTER])
    return before, after


def counted_alike(claim: str, texts: Sequence[str], given: set[str]) -> bool:
    """Each count the claim states ("6 people") is, in one of ``texts``, a count of the same thing.

    A claim re-cited to items the model did not cite is held to more than its numbers' being
    there: "The Shanghai zone has 6 people working in it" is not supported by "22 pilot zones,
    including 6 in the western region". The word after each number in the claim (its unit) must
    be near that number in a text (anywhere in a table, whose caption and header name its units).
    Years are left to :mod:`rag.facts`; a number with no word after it passes.
    """
    for match in NUMBER.finditer(claim):
        number = _normal_number(match[0])
        if number in given or YEAR.fullmatch(match[0]) or _RATE_AFTER.match(claim, match.end()):
            continue  # a rate's "of the world economy" is worded too freely to be matched
        unit = [term for term in content_terms(claim[match.end() : match.end() + 30]) if not term[0].isdigit()][:1]
        if not unit:
            continue
        if not any(unit[0] in near for text in texts for sides in _terms_around(text, number) for near in sides):
            return False
    return True


class CitationChecker:
    """Verifies an answer against its numbered evidence; see the module docstring."""

    def __init__(self, embedder: Embedder, settings: EvidenceSettings, judge: SupportJudge | None = None) -> None:
        self.embedder = embedder
        self.settings = settings
        self.judge = judge

    def support(
        self,
        claim: str,
        claim_vector: np.ndarray,
        item: Evidence,
        given_numbers: set[str] | None = None,
        premises: set[str] | None = None,
        asked_years: set[str] | None = None,
    ) -> float:
        """0-1: how well ``item`` supports ``claim``.

        0 when a stated number is neither in ``item`` nor ``given``, or ``item`` states it for
        another year than the claim's (or, for a claim without a year, the ``asked_years``);
        ``premises`` (the question's numbers, default ``given``) are never judged as misdated.
        Worked numbers belong in ``given`` only: a sum that happens to equal a misdated cell must
        not excuse it.
        """
        premises = (given_numbers or set()) if premises is None else premises
        if not self.numbers_hold(claim, [item], given_numbers or set(), premises, asked_years or set()):
            return 0.0
        return self.content_support(claim, claim_vector, item)

    @staticmethod
    def numbers_hold(
        claim: str, items: Sequence[Evidence], given: set[str], premises: set[str], asked_years: set[str]
    ) -> bool:
        """Every number of ``claim`` is in ``items`` (or ``given``), for the year, province and side of a flow
        (exports, imports) it is claimed for, and ``items`` tell of the year the claim is set in."""
        texts = [item.readable for item in items]
        if not numbers_supported(claim, "\n".join(texts), given):
            return False
        if misplaced(claim, texts):
            return False  # there, but for another province
        if off_year(claim, texts, asked_years):
            return False  # what the texts tell happened in another year
        if set(swapped_values(claim, texts)) - premises:
            return False  # there, but for the other side of the flow (imports for exports)
        return not misdated_values(claim, texts, premises, asked_years)  # else: there, but for another year

    def content_support(self, claim: str, claim_vector: np.ndarray, item: Evidence) -> float:
        """0-1: embedding similarity and the share of the claim's content words found in ``item``."""
        vector = item.vector if item.vector is not None else self.embedder.embed_query(item.readable)
        dense = float(np.clip(claim_vector @ vector, 0.0, 1.0))
        lexical = lexical_overlap(content_terms(claim), content_terms(item.readable))
        return 0.5 * dense + 0.5 * lexical

    def check(
        self, answer: str, evidence: Sequence[Evidence], question: str = "", asked_as: str | None = None
    ) -> CheckedAnswer:
        """Keep the supported sentences of ``answer``; numbers that ``question`` states count as given.

        ``asked_as`` is the question as the asker typed it, when ``question`` is its translation: only
        names in it must be named by the cited passages (a translation makes names up: "Free Trade Zone
        Conference" for 自由区大会, where the text says "Free Zone Congress").
        """
        premise = question if asked_as is None else asked_as
        by_number = {item.n: item for item in evidence}
        # "According to the 2024 paper": a source's year is neither a given figure nor a year asked about.
        given = numbers_in(without_source_years(question))
        asked_years = set(YEAR.findall(without_source_years(question)))
        asked = set(content_terms(question))
        claims = split_claims(answer)
        vectors = self.embedder.embed_documents([text for text, _ in claims])
        threshold = self.settings.support_threshold
        result = CheckedAnswer(text="")
        renumber: dict[int, int] = {}
        kept_parts: list[str] = []

        for (said, markers), vector in zip(claims, vectors, strict=True):
            valid = [n for n in markers if n in by_number]
            if len(content_terms(said)) < _MIN_CLAIM_TOKENS:
                result.sentences.append(CheckedSentence(said, valid, 0.0, False, "no claim"))
                continue
            if asked and set(content_terms(said)) <= asked:
                # "The next congress will be hosted by the city of [1]." says nothing the question did not.
                result.sentences.append(CheckedSentence(said, valid, 0.0, False, "restates the question"))
                continue
            if leaves_answer_out(said, question):
                # "The next Free Zone Congress will be held in [1]." leaves the answer to the marker.
                result.sentences.append(CheckedSentence(said, valid, 0.0, False, "leaves the answer out"))
                continue
            if answers_the_other_side(said, question):
                # Asked about outward investment, it tells of investment attracted: true, and no answer.
                result.sentences.append(CheckedSentence(said, valid, 0.0, False, "about the other side of the flow"))
                continue
            # Its facts are checked without where it says they were read ("according to the 2024 paper").
            claim = without_source_years(said)
            # A difference or sum of two cited numbers is worked from them, not made up.
            derived = derived_numbers(" ".join(by_number[n].readable for n in valid)) if valid else set()
            if len(valid) > 1:
                supported, scored = self._jointly_supported(
                    claim, vector, [by_number[n] for n in valid], given, derived, asked_years
                )
            else:
                scored = {
                    n: self.support(claim, vector, by_number[n], given | derived, given, asked_years) for n in valid
                }
                supported = [n for n in valid if scored[n] >= threshold and self._judged(claim, by_number[n])]
            reason = "" if supported else ("uncited" if not valid else "cited passages do not support it")
            if supported and not self._premises_held(claim, [by_number[n] for n in supported], premise):
                # The question's premise ("the Expo in Chengdu helped ..."), repeated about passages that never name it.
                supported, reason = [], "names what its citations do not"
            if not supported:
                # Re-cite to the best evidence if it supports the claim on its own (and names what it names).
                all_scores = {
                    n: self.support(claim, vector, item, given, given, asked_years)
                    if self._premises_held(claim, [item], premise)
                    else 0.0
                    for n, item in by_number.items()
                }
                best = max(all_scores, key=lambda n: all_scores[n], default=None)
                if (
                    best is not None
                    and all_scores[best] >= threshold
                    and counted_alike(claim, [by_number[best].readable], given)
                    and self._judged(claim, by_number[best])
                ):
                    supported, scored = [best], {**scored, best: all_scores[best]}
                else:
                    # "The port it names was created on June 1, 2020 [1]": one fact from each of two items.
                    supported, scored = self._recited_to_a_pair(claim, vector, by_number, given, asked_years, scored)
                    if supported and not self._premises_held(claim, [by_number[n] for n in supported], premise):
                        supported = []
            if not supported:
                result.sentences.append(CheckedSentence(said, valid, max(scored.values(), default=0.0), False, reason))
                continue
            for n in supported:
                renumber.setdefault(n, len(renumber) + 1)
            markers_text = "".join(f"[{renumber[n]}]" for n in supported)
            kept_parts.append(_attach(said, markers_text))
            result.sentences.append(CheckedSentence(said, supported, max(scored[n] for n in supported), True))

        best_support: dict[int, float] = {}
        for sentence in result.sentences:
            if sentence.kept:
                for n in sentence.cited:
                    best_support[n] = max(best_support.get(n, 0.0), sentence.support)
        result.text = " ".join(kept_parts)
        result.citations = [(new, by_number[old], best_support.get(old, 0.0)) for old, new in renumber.items()]
        return result

    def _jointly_supported(
        self,
        claim: str,
        vector: np.ndarray,
        cited: Sequence[Evidence],
        given: set[str],
        derived: set[str],
        asked_years: set[str],
    ) -> tuple[list[int], dict[int, float]]:
        """The citations that support a claim drawing on several items ("213 in 2021 [1] and 222.52 in 2022 [2]").

        Its numbers are checked against the cited items together, each for its year; an item is
        kept when it supports the claim's words or holds one of its numbers, so long as one of
        them supports its words on its own.
        """
        scored = {item.n: self.content_support(claim, vector, item) for item in cited}
        if not self.numbers_hold(claim, cited, given | derived, given, asked_years):
            return [], {n: 0.0 for n in scored}
        threshold = self.settings.support_threshold
        claimed = numbers_in(claim) - given
        supported = [
            item.n
            for item in cited
            if (scored[item.n] >= threshold or claimed & numbers_in(item.readable)) and self._judged(claim, item)
        ]
        if not any(scored[n] >= threshold for n in supported):
            return [], scored
        return supported, scored

    def _recited_to_a_pair(
        self,
        claim: str,
        vector: np.ndarray,
        by_number: dict[int, Evidence],
        given: set[str],
        asked_years: set[str],
        scored: dict[int, float],
    ) -> tuple[list[int], dict[int, float]]:
        """The first pair of the items closest to ``claim`` that supports it jointly, else ``([], scored)``.

        A multi-hop claim joins a fact from each of two sentences and a small model cites one of
        them, or neither: no single item holds all its numbers. The pair is checked like a claim
        citing both (:meth:`_jointly_supported`): every number in one of the two, for its year, and
        one of them supporting the claim's words on its own.
        """
        closest = sorted(by_number, key=lambda n: self.content_support(claim, vector, by_number[n]), reverse=True)[
            :_PAIR_POOL
        ]
        for first, second in combinations(closest, 2):
            pair = [by_number[first], by_number[second]]
            derived = derived_numbers(" ".join(item.readable for item in pair))
            supported, pair_scores = self._jointly_supported(claim, vector, pair, given, derived, asked_years)
            if len(supported) == 2 and counted_alike(claim, [item.readable for item in pair], given):
                return supported, {**scored, **pair_scores}
        return [], scored

    @staticmethod
    def _premises_held(claim: str, items: Sequence[Evidence], question: str) -> bool:
        """Every name the claim repeats from the question is named by ``items`` (``rag.facts.unsupported_names``),
        no change or event is claimed the other way round from theirs (``rag.facts.reversed_direction``),
        and some word of its answer is theirs (``rag.facts.unsaid_answer``)."""
        sentences = [item.readable for item in items]
        if reversed_direction(claim, sentences, question) or unsaid_answer(claim, sentences, question):
            return False
        if unlinked_years(claim, [_in_place(item, with_passage=False) for item in items], question):
            return False
        return not unsupported_names(claim, [_in_place(item, with_passage=True) for item in items], question)

    def _judged(self, claim: str, item: Evidence) -> bool:
        return True if self.judge is None else self.judge(claim, item.readable)


def _in_place(item: Evidence, *, with_passage: bool) -> str:
    """The cited sentence with its section and document title: what names its context. A year is
    checked without the rest of the passage (another sentence's year is no support); a name with it."""
    chunk = item.chunk
    passage = (chunk.text,) if with_passage else ()
    return "\n".join((item.readable, *passage, chunk.section or "", chunk.title or ""))


def _attach(claim: str, markers: str) -> str:
    """Put markers before the final punctuation: ``"It is X [1]."``."""
    match = re.search(r"([.!?。]+[\"'”’)]*)$", claim)
    if match:
        return f"{claim[: match.start()]} {markers}{match.group(1)}"
    return f"{claim} {markers}"
