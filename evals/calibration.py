"""Refusal-gate calibration: the best evidence score of every gold item against answerability.

Usage::

    rows = evidence_scores(settings)                 # [{"id", "type", "answerable", "best_score"}, ...]
    best = best_threshold(rows)                      # {"threshold": 0.42, "accuracy": ..., ...}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.config import Settings
from evals.datasets import GoldItem, load_gold


def evidence_scores(
    settings: Settings, items: Sequence[GoldItem] | None = None, searcher: Any | None = None
) -> list[dict[str, Any]]:
    """Per item: the max ``Evidence.score`` the pipeline's selector gives its retrieved chunks."""
    from evals.retrieval import gold_query
    from rag.components import build

    parts = build(settings, searcher=searcher)
    selector = parts.selector
    rows = []
    for item in items or load_gold():
        query = gold_query(item)
        evidence = selector.select(query, parts.searcher.search(query))
        best = max((e.score for e in evidence), default=0.0)
        rows.append({"id": item.id, "type": item.type, "answerable": item.answerable, "best_score": round(best, 4)})
    return rows


def best_threshold(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The threshold that best separates answerable (score >= t) from unanswerable (score < t).

    Maximises balanced accuracy (mean of refusal recall and answer rate), so the 16 unanswerable
    items weigh as much as the 137 answerable ones; ties go to the lower threshold (fewer refusals).
    """
    answerable = [r["best_score"] for r in rows if r["answerable"]]
    unanswerable = [r["best_score"] for r in rows if not r["answerable"]]
    candidates = sorted({0.0, *answerable, *unanswerable})
    best: dict[str, Any] = {}
    for low, high in zip(candidates, candidates[1:] + [candidates[-1] + 0.01], strict=True):
        threshold = round((low + high) / 2, 4)
        kept = sum(1 for s in answerable if s >= threshold) / max(len(answerable), 1)
        refused = sum(1 for s in unanswerable if s < threshold) / max(len(unanswerable), 1)
        balanced = (kept + refused) / 2
        if not best or balanced > best["balanced_accuracy"]:
            best = {
                "threshold": threshold,
                "balanced_accuracy": round(balanced, 4),
                "answerable_kept": round(kept, 4),
                "unanswerable_refused": round(refused, 4),
            }
    return best


def rates_at(rows: Sequence[dict[str, Any]], threshold: float) -> dict[str, float]:
    answerable = [r["best_score"] for r in rows if r["answerable"]]
    unanswerable = [r["best_score"] for r in rows if not r["answerable"]]
    return {
        "threshold": threshold,
        "answerable_kept": sum(1 for s in answerable if s >= threshold) / max(len(answerable), 1),
        "unanswerable_refused": sum(1 for s in unanswerable if s < threshold) / max(len(unanswerable), 1),
    }
