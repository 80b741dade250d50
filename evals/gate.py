"""The gated eval: gold and hard sets, extractive generator, retrieval + grounding, against ``evals/thresholds.yaml``.

Fast (no LLM, no baseline) so it runs inside ``make test``; a metric below its ``min`` (or above its
``max``) fails the gate. What it measures, by prefix:

* ``retrieval.``: the gold set's evidence chunks in the hybrid ranking (every item);
* ``answers.``: the gold set's extractive answers (every third item);
* ``hard.`` and ``hard.<kind>.``: the hard set's extractive answers (every item, both halves),
  overall and per kind (``hard.refusal_recall``, ``hard.table.answer_accuracy_cited``);
* ``corrupted.``: every other hard item again, with a generator that adds one sentence the
  citation check must drop or re-cite (:class:`CorruptingGenerator`). Extractive answers are
  quotes, supported by construction, so without this a check that accepts everything would pass.

Metric names are :func:`evals.answers.aggregate`'s (retrieval: :func:`evals.retrieval.compute_metrics`'s).

Usage::

    outcome = run_gate(get_settings())
    outcome.passed, outcome.failures   # ["retrieval.hit@5 = 0.41 < min 0.85", ...]
    run_gate(settings, checker=broken, sections=("corrupted",))   # one section, its thresholds only
"""

from __future__ import annotations

import zlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from core.config import Settings
from evals.answers import AnswerEvalResult, ProgressHook
from evals.datasets import GoldItem
from rag.generators.base import ChatMessage, ChatModel, Draft, SupportJudge
from rag.generators.extractive import ExtractiveGenerator

if TYPE_CHECKING:
    from rag.citations import CitationChecker
    from rag.evidence import Evidence

THRESHOLDS_PATH = Path(__file__).resolve().parent / "thresholds.yaml"
GATE_RETRIEVAL_CONFIG = "hybrid"
# Answers are scored on every third gold item (51 items, every type): the full set costs minutes on
# 2 cores, and a third of it still moves clearly when grounding breaks. Retrieval uses every item.
GATE_ANSWER_STRIDE = 3
# The hard set is scored whole (189 items, both halves: the gate guards against regressions, it
# reports nothing); the corrupted-answer probe runs on every other item (95).
GATE_HARD_STRIDE = 1
GATE_CORRUPTED_STRIDE = 2
#: What the gate measures, in order (a threshold belongs to the section its name starts with).
SECTIONS = ("retrieval", "answers", "hard", "corrupted")


@dataclass
class GateOutcome:
    measured: dict[str, float | None]
    thresholds: dict[str, dict[str, float]]
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def load_thresholds(path: Path = THRESHOLDS_PATH) -> dict[str, dict[str, float]]:
    """``{"retrieval.hit@5": {"min": 0.85}, ...}``; each entry has ``min`` and/or ``max``."""
    raw = yaml.safe_load(path.read_text()) or {}
    thresholds: dict[str, dict[str, float]] = {}
    for name, bounds in raw.items():
        if not isinstance(bounds, dict) or not ({"min", "max"} & set(bounds)):
            raise ValueError(f"{path}: threshold {name!r} needs a min or a max")
        thresholds[name] = {key: float(bounds[key]) for key in ("min", "max") if key in bounds}
    return thresholds


def compare(measured: dict[str, float | None], thresholds: dict[str, dict[str, float]]) -> list[str]:
    """One line per metric outside its bounds (a metric that was not measured fails too)."""
    failures = []
    for name, bounds in thresholds.items():
        value = measured.get(name)
        if value is None:
            failures.append(f"{name} was not measured")
            continue
        if "min" in bounds and value < bounds["min"]:
            failures.append(f"{name} = {value:.3f} < min {bounds['min']:.3f}")
        if "max" in bounds and value > bounds["max"]:
            failures.append(f"{name} = {value:.3f} > max {bounds['max']:.3f}")
    return failures


def section_thresholds(
    thresholds: dict[str, dict[str, float]], sections: Collection[str]
) -> dict[str, dict[str, float]]:
    """The thresholds of ``sections`` (named ``<section>.…``), and any named after no section at all,
    so that a misspelt name still fails as not measured."""
    return {
        name: bounds
        for name, bounds in thresholds.items()
        if (section := name.split(".", 1)[0]) in sections or section not in SECTIONS
    }


# ---- the corrupted-answer probe of the citation check -----------------------------------------------
def _cited(text: str, n: int) -> str:
    """``text`` as one answer sentence citing evidence ``n`` (as the extractive generator writes it)."""
    sentence = " ".join(text.split())
    if sentence[-1:] in ".!?":
        return f"{sentence[:-1]} [{n}]{sentence[-1]}"
    return f"{sentence} [{n}]."


def _wrong_number(question: str, ranked: Sequence[Evidence]) -> str | None:
    """The first evidence span that states a number, with that number's last digit changed so that
    no evidence item (nor a sum or difference of their numbers, nor the question) holds it; cited to
    its item, under its context (a table row's caption and header) as the extractive answer quotes it."""
    from core.text.terms import NUMBER
    from rag.arithmetic import derived_numbers
    from rag.citations import numbers_in

    everything = " ".join(item.readable for item in ranked)
    taken = numbers_in(f"{everything} {question}") | derived_numbers(everything)
    for item in ranked:
        match = NUMBER.search(item.text)
        if match is None:
            continue
        number = match.group(0)
        for step in range(1, 10):
            other = f"{number[:-1]}{(int(number[-1]) + step) % 10}"
            if not numbers_in(other) & taken:
                text = f"{item.text[: match.start()]}{other}{item.text[match.end() :]}"
                return _cited(f"{item.context}\n{text}" if item.context else text, item.n)
    return None


def _wrong_citation(ranked: Sequence[Evidence]) -> str | None:
    """The weakest evidence sentence, cited to the strongest item."""
    return _cited(ranked[-1].readable, ranked[0].n) if len(ranked) > 1 else None


def corrupted_sentence(question: str, evidence: Sequence[Evidence]) -> str | None:
    """An answer sentence its citation does not support: a wrong number or a wrong citation.

    Which one is fixed by the question (half each; the other when the first cannot be made).
    """
    ranked = sorted(evidence, key=lambda item: item.score, reverse=True)
    number, citation = _wrong_number(question, ranked), _wrong_citation(ranked)
    first, second = (number, citation) if zlib.crc32(question.encode()) % 2 == 0 else (citation, number)
    return first or second


class CorruptingGenerator:
    """The extractive answer plus :func:`corrupted_sentence`: what a careless LLM writes.

    The citation check must drop the wrong number (no evidence holds it) and re-cite the quote to
    the item it comes from; a check that lets either through leaves an answer sentence that its
    citation does not support, and ``corrupted.citation_recall`` falls.
    """

    name = "extractive-corrupted"
    chat_model: ChatModel | None = None
    support_judge: SupportJudge | None = None

    def __init__(self) -> None:
        self.extractive = ExtractiveGenerator()

    def draft(self, question: str, evidence: Sequence[Evidence]) -> Draft:
        answer = "".join(self.extractive.compose(evidence))
        extra = corrupted_sentence(question, evidence) if answer else None
        return Draft(iter([answer, f" {extra}"] if extra else [answer]))

    def rewrite(self, messages: list[ChatMessage], *, max_tokens: int) -> str | None:
        return None


def _corrupted(
    settings: Settings,
    items: Sequence[GoldItem],
    *,
    searcher: Any | None,
    checker: CitationChecker | None,
    progress: ProgressHook | None,
) -> dict[str, float | None]:
    from evals.answers import ItemResult, aggregate, make_judge, run_zoneqa
    from rag.components import build

    pipeline = build(settings, searcher=searcher, checker=checker, generator=CorruptingGenerator()).pipeline
    judge = make_judge("lexical", settings)
    results = []
    for number, item in enumerate(items, start=1):
        try:
            results.append(run_zoneqa(pipeline, item, judge))
        except Exception as exc:  # noqa: BLE001 - counted as wrong, like evaluate_answers does
            results.append(ItemResult.failed("zoneqa", item, exc))
        if progress:
            progress("corrupted answers", number, len(items))
    return aggregate(results)


# ---- the gate ---------------------------------------------------------------------------------------
def measure(
    settings: Settings,
    *,
    searcher: Any | None = None,
    checker: CitationChecker | None = None,
    sections: Collection[str] = SECTIONS,
    progress: ProgressHook | None = None,
) -> dict[str, float | None]:
    """Gate metrics of ``sections``, prefixed as the module docstring says.

    ``searcher`` and ``checker`` replace the real ones (the tests break them on purpose).
    """
    from evals.answers import evaluate_answers
    from evals.datasets import gold_items, load_gold
    from evals.retrieval import evaluate_zone

    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        raise ValueError(f"unknown gate sections {unknown}: use {', '.join(SECTIONS)}")
    extractive = settings.model_copy(update={"generator": "extractive"})
    measured: dict[str, float | None] = {}
    if "retrieval" in sections:
        retrieval = evaluate_zone(extractive, GATE_RETRIEVAL_CONFIG, searcher=searcher, progress=progress)
        measured.update({f"retrieval.{k}": v for k, v in retrieval.metrics.items()})

    def answers(items: Sequence[GoldItem], label: str) -> AnswerEvalResult:
        def labelled(phase: str, done: int, total: int) -> None:
            if progress:
                progress(f"{label} {phase}", done, total)

        return evaluate_answers(
            extractive,
            items=items,
            generator="extractive",
            judge="lexical",
            searcher=searcher,
            checker=checker,
            include_naive=False,
            progress=labelled,
        )

    if "answers" in sections:
        gold = answers(load_gold()[::GATE_ANSWER_STRIDE], "gold")
        measured.update({f"answers.{k}": v for k, v in gold.metrics["zoneqa"].items()})
    hard_items = gold_items("hard")
    if "hard" in sections:
        hard = answers(hard_items[::GATE_HARD_STRIDE], "hard")
        measured.update({f"hard.{k}": v for k, v in hard.metrics["zoneqa"].items()})
        for kind, values in hard.by_type["zoneqa"].items():
            measured.update({f"hard.{kind}.{k}": v for k, v in values.items()})
    if "corrupted" in sections:
        corrupted = _corrupted(
            extractive, hard_items[::GATE_CORRUPTED_STRIDE], searcher=searcher, checker=checker, progress=progress
        )
        measured.update({f"corrupted.{k}": v for k, v in corrupted.items()})
    return measured


def run_gate(
    settings: Settings,
    *,
    searcher: Any | None = None,
    checker: CitationChecker | None = None,
    sections: Collection[str] = SECTIONS,
    thresholds_path: Path = THRESHOLDS_PATH,
    progress: ProgressHook | None = None,
) -> GateOutcome:
    """Measure ``sections`` and compare them with their thresholds."""
    thresholds = section_thresholds(load_thresholds(thresholds_path), sections)
    measured = measure(settings, searcher=searcher, checker=checker, sections=sections, progress=progress)
    return GateOutcome(measured, thresholds, compare(measured, thresholds))
