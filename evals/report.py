"""Run reports: ``evals/reports/<run>/`` with report.md, metrics.json, per_question.jsonl and PNG plots.

Usage::

    folder = write_retrieval_report(results, run_dir("scifact-dense"))
    folder = write_answer_report(answer_result, run_dir(None))   # timestamped folder
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evals.answers import AnswerEvalResult
    from evals.retrieval import RetrievalResult

JUDGE_TEXT = {"lexical": "ZoneQA support score >= support_threshold", "llm": "local LLM, yes/no"}
REPORTS_DIR = Path(__file__).resolve().parent / "reports"
BAR_METRICS = ("hit@5", "mrr@10", "ndcg@10", "recall@100")
ANSWER_TABLE = (
    "answer_accuracy",
    "citation_recall",
    "citation_precision",
    "unsupported_sentence_rate",
    "evidence_cited_rate",
    "refusal_precision",
    "refusal_recall",
    "false_refusal_rate",
    "latency_total_p50_ms",
    "latency_total_p95_ms",
    "latency_first_token_p50_ms",
    "latency_first_token_p95_ms",
    "prompt_tokens_mean",
)


def run_dir(name: str | None, root: Path = REPORTS_DIR) -> Path:
    """``root/<name>`` (or a timestamp), created."""
    folder = root / (name or time.strftime("%Y%m%d-%H%M%S"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def machine() -> dict[str, Any]:
    return {"cpu_cores": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()}


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}" if abs(value) >= 10 else f"{value:.3f}"
    return str(value)


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_fmt(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # no display: CI and servers
    import matplotlib.pyplot as plt

    return plt


# ---- retrieval -----------------------------------------------------------------------------------
def write_retrieval_report(results: Sequence[RetrievalResult], folder: Path, settings_summary: dict[str, Any]) -> Path:
    from evals.retrieval import CUTOFFS

    by_config = {r.config: r for r in results}
    metrics: dict[str, Any] = {
        "kind": "retrieval",
        "dataset": results[0].dataset if results else "",
        "machine": machine(),
        "settings": settings_summary,
        "configs": {
            r.config: {
                "description": r.description,
                "queries": len(r.per_query),
                "seconds": r.seconds,
                "metrics": r.metrics,
                "notes": r.notes,
            }
            for r in results
        },
    }
    if "naive" in by_config:
        naive = by_config["naive"].metrics
        metrics["ratio_vs_naive"] = {
            r.config: {k: (v / naive[k] if naive.get(k) else None) for k, v in r.metrics.items()}
            for r in results
            if r.config != "naive"
        }
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2))
    _write_jsonl(folder / "per_question.jsonl", (row for r in results for row in r.per_question_rows()))

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.8 / max(len(results), 1)
    for offset, result in enumerate(results):
        xs = [i + offset * width for i in range(len(BAR_METRICS))]
        ax.bar(xs, [result.metrics[m] for m in BAR_METRICS], width, label=result.config)
    ax.set_xticks([i + width * (len(results) - 1) / 2 for i in range(len(BAR_METRICS))], list(BAR_METRICS))
    ax.set_ylim(0, 1)
    ax.set_title(f"Retrieval on {metrics['dataset']}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(folder / "metrics_bars.png", dpi=100)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4))
    for result in results:
        ax.plot(list(CUTOFFS), [result.metrics[f"recall@{k}"] for k in CUTOFFS], marker="o", label=result.config)
    ax.set_xscale("log")
    ax.set_xlabel("k")
    ax.set_ylabel("recall@k")
    ax.set_ylim(0, 1.02)
    ax.legend()
    fig.tight_layout()
    fig.savefig(folder / "recall_at_k.png", dpi=100)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4))
    for result in results:
        ax.hist(result.latencies(), bins=30, alpha=0.5, label=result.config)
    ax.set_xlabel("retrieval latency per query (ms)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(folder / "latency_hist.png", dpi=100)
    plt.close(fig)

    lines = [
        f"# Retrieval evaluation: {metrics['dataset']}",
        "",
        f"Machine: {machine()['cpu_cores']} CPU cores, {machine()['platform']}. "
        f"Scorer: pytrec_eval. Settings: `{json.dumps(settings_summary)}`.",
        "",
        _table(
            ["config", "queries"] + [f"hit@{k}" for k in CUTOFFS] + ["MRR@10", "nDCG@10", "R@100"],
            [
                [r.config, len(r.per_query)]
                + [r.metrics[f"hit@{k}"] for k in CUTOFFS]
                + [r.metrics["mrr@10"], r.metrics["ndcg@10"], r.metrics["recall@100"]]
                for r in results
            ],
        ),
        "",
        "Recall@k:",
        "",
        _table(
            ["config"] + [f"R@{k}" for k in CUTOFFS],
            [[r.config] + [r.metrics[f"recall@{k}"] for k in CUTOFFS] for r in results],
        ),
        "",
    ]
    if "ratio_vs_naive" in metrics:
        lines += [
            "ZoneQA configuration / naive baseline:",
            "",
            _table(
                ["config", "hit@5", "MRR@10", "nDCG@10", "R@100"],
                [[c] + [v.get(m) for m in BAR_METRICS] for c, v in metrics["ratio_vs_naive"].items()],
            ),
            "",
        ]
    lines += ["Configurations:", ""] + [f"- `{r.config}`: {r.description}" for r in results]
    notes = [f"- `{r.config}`: {note}" for r in results for note in r.notes]
    if notes:
        lines += ["", "Notes:", ""] + notes
    lines += ["", "![bars](metrics_bars.png) ![recall](recall_at_k.png) ![latency](latency_hist.png)", ""]
    (folder / "report.md").write_text("\n".join(lines))
    return folder


# ---- answers -------------------------------------------------------------------------------------
def write_answer_report(result: AnswerEvalResult, folder: Path, settings_summary: dict[str, Any]) -> Path:
    metrics = {
        "kind": "answers",
        "generator": result.generator,
        "judge": result.judge,
        "machine": machine(),
        "settings": settings_summary,
        "seconds": result.seconds,
        "metrics": result.metrics,
        "by_type": result.by_type,
    }
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2))
    _write_jsonl(folder / "per_question.jsonl", (r.row() for r in result.results))

    systems = [s for s in ("zoneqa", "naive") if s in result.metrics]
    plt = _pyplot()
    bars = ("answer_accuracy", "citation_recall", "citation_precision", "evidence_cited_rate", "refusal_recall")
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / max(len(systems), 1)
    for offset, system in enumerate(systems):
        values = [result.metrics[system].get(m) or 0.0 for m in bars]
        ax.bar([i + offset * width for i in range(len(bars))], values, width, label=system)
    ax.set_xticks([i + width * (len(systems) - 1) / 2 for i in range(len(bars))], list(bars), fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_title(f"Answers ({result.generator}, judge: {result.judge})")
    ax.legend()
    fig.tight_layout()
    fig.savefig(folder / "metrics_bars.png", dpi=100)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4))
    for system in systems:
        ax.hist([r.total_ms for r in result.results if r.system == system], bins=30, alpha=0.5, label=system)
    ax.set_xlabel("total latency per question (ms)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(folder / "latency_hist.png", dpi=100)
    plt.close(fig)

    header = ["metric"] + systems + (["ZoneQA / naive"] if "ratio" in result.metrics else [])
    rows = [
        [m]
        + [result.metrics[s].get(m) for s in systems]
        + ([result.metrics["ratio"].get(m)] if "ratio" in result.metrics else [])
        for m in ANSWER_TABLE
    ]
    type_rows = [
        [
            system,
            item_type,
            int(values["items"] or 0),
            values["answer_accuracy"],
            values["citation_recall"],
            values["citation_precision"],
            values["evidence_cited_rate"],
            values["refusal_recall"],
        ]
        for system, types in result.by_type.items()
        for item_type, values in types.items()
    ]
    lines = [
        f"# Answer evaluation: generator `{result.generator}`",
        "",
        f"Support judge: **{result.judge}** ({JUDGE_TEXT.get(result.judge, result.judge)}). "
        f"Machine: {machine()['cpu_cores']} CPU cores. Items: {len({r.item_id for r in result.results})}. "
        f"Settings: `{json.dumps(settings_summary)}`.",
        "",
        "Citation recall/precision follow ALCE (Gao et al. 2023). ZoneQA citations are judged on their quote; "
        "the naive baseline cites the four chunks it stuffed into the prompt (extractive: its answer is the "
        "first chunk). Refusal = `answerable` false (naive LLM: it says it does not know).",
        "",
        _table(header, rows),
        "",
        "Per type:",
        "",
        _table(
            [
                "system",
                "type",
                "items",
                "accuracy",
                "cit. recall",
                "cit. precision",
                "evidence cited",
                "refusal recall",
            ],
            type_rows,
        ),
        "",
        "Per kind, ZoneQA beside the naive baseline (right+cited: the answer matches and a citation comes "
        "from the document that holds it; refused: answerable items refused, or for `unanswerable` the "
        "share refused):",
        "",
        kind_table(result),
        "",
        "ZoneQA's refusals and their reasons:",
        "",
        *(refusal_list(result) or ["- none"]),
        "",
        "![bars](metrics_bars.png) ![latency](latency_hist.png)",
        "",
    ]
    (folder / "report.md").write_text("\n".join(lines))
    return folder


#: The kinds of question in the order the reports list them.
KIND_ORDER = ("fact", "paraphrase", "table", "multi-hop", "follow-up", "list", "unanswerable", "chinese")


def kind_table(result: AnswerEvalResult) -> str:
    """Per kind, ZoneQA beside the naive baseline: accuracy with the right document cited (answerable
    kinds) or refusals (unanswerable), and how often answerable items were refused."""
    systems = [s for s in ("zoneqa", "naive") if s in result.by_type]
    kinds = sorted(
        {k for s in systems for k in result.by_type[s]},
        key=lambda k: (k not in KIND_ORDER, KIND_ORDER.index(k) if k in KIND_ORDER else 0, k),
    )
    header = ["kind", "items"]
    for system in systems:
        header += [f"{system} right+cited", f"{system} right", f"{system} refused"]
    rows = []
    for kind in kinds:
        first = result.by_type[systems[0]].get(kind, {})
        row: list[Any] = [kind, int(first.get("items") or 0)]
        for system in systems:
            values = result.by_type[system].get(kind, {})
            if kind == "unanswerable":
                row += ["", "", values.get("refusal_recall")]
            else:
                row += [
                    values.get("answer_accuracy_cited"),
                    values.get("answer_accuracy"),
                    values.get("false_refusal_rate"),
                ]
        rows.append(row)
    overall: list[Any] = ["all", int(result.metrics[systems[0]].get("items") or 0)] if systems else []
    for system in systems:
        values = result.metrics[system]
        overall += [
            values.get("answer_accuracy_cited"),
            values.get("answer_accuracy"),
            values.get("false_refusal_rate"),
        ]
    if systems:
        rows.append(overall)
    return _table(header, rows)


def refusal_list(result: AnswerEvalResult, system: str = "zoneqa") -> list[str]:
    """One line per refused item: id, kind, whether the gold says it is answerable, and the reason."""
    return [
        f"- `{r.item_id}` ({r.kind or r.item_type}, {'answerable' if r.answerable_gold else 'unanswerable'}): "
        f"{r.refusal_reason or 'no reason recorded'}"
        for r in result.results
        if r.system == system and r.refused
    ]


def settings_summary(settings: Any) -> dict[str, Any]:
    """The settings that move the figures, for the report header."""
    return {
        "embedding": settings.embedding.model,
        "chunk_tokens": settings.chunking.chunk_tokens,
        "overlap_tokens": settings.chunking.overlap_tokens,
        "fusion": settings.retrieval.fusion,
        "top_k": settings.retrieval.top_k,
        "candidates": settings.retrieval.candidates,
        "refusal_threshold": settings.evidence.refusal_threshold,
        "support_threshold": settings.evidence.support_threshold,
        "generator": settings.generator,
    }
