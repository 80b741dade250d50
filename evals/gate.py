"""The gated eval: gold set, extractive generator, retrieval + grounding, against ``evals/thresholds.yaml``.

Fast (no LLM, no baseline) so it runs inside ``make test``; a metric below its ``min`` (or above its
``max``) fails the gate.

Usage::

    outcome = run_gate(get_settings())
    outcome.passed, outcome.failures   # ["retrieval.hit@5 = 0.41 < min 0.85", ...]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from core.config import Settings
from evals.answers import ProgressHook

THRESHOLDS_PATH = Path(__file__).resolve().parent / "thresholds.yaml"
GATE_RETRIEVAL_CONFIG = "hybrid"
# Answers are scored on every third gold item (51 items, every type): the full set costs minutes on
# 2 cores, and a third of it still moves clearly when grounding breaks. Retrieval uses every item.
GATE_ANSWER_STRIDE = 3


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


def measure(
    settings: Settings, *, searcher: Any | None = None, progress: ProgressHook | None = None
) -> dict[str, float | None]:
    """Gate metrics, prefixed ``retrieval.`` and ``answers.`` (``searcher`` replaces the real one)."""
    from evals.answers import evaluate_answers
    from evals.datasets import load_gold
    from evals.retrieval import evaluate_zone

    extractive = settings.model_copy(update={"generator": "extractive"})
    retrieval = evaluate_zone(extractive, GATE_RETRIEVAL_CONFIG, searcher=searcher, progress=progress)
    answers = evaluate_answers(
        extractive,
        items=load_gold()[::GATE_ANSWER_STRIDE],
        generator="extractive",
        judge="lexical",
        searcher=searcher,
        include_naive=False,
        progress=progress,
    )
    measured: dict[str, float | None] = {f"retrieval.{k}": v for k, v in retrieval.metrics.items()}
    measured.update({f"answers.{k}": v for k, v in answers.metrics["zoneqa"].items()})
    return measured


def run_gate(
    settings: Settings,
    *,
    searcher: Any | None = None,
    thresholds_path: Path = THRESHOLDS_PATH,
    progress: ProgressHook | None = None,
) -> GateOutcome:
    thresholds = load_thresholds(thresholds_path)
    measured = measure(settings, searcher=searcher, progress=progress)
    return GateOutcome(measured, thresholds, compare(measured, thresholds))
