"""``zoneqa eval``: retrieval and answer evaluations, and the CI gate.

Light to import: everything heavy is imported inside the commands.

Usage::

    zoneqa eval retrieval --dataset zone --config hybrid --config bm25
    zoneqa eval retrieval --dataset scifact --config dense-minilm
    zoneqa eval answers --generator extractive --judge lexical --limit 40
    zoneqa eval gate          # exit 1 below evals/thresholds.yaml
    python -m evals.cli retrieval --dataset zone
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer

from core.config import GENERATORS

if TYPE_CHECKING:
    from core.config import Settings
    from evals.answers import ItemResult

eval_app = typer.Typer(help="Evaluate retrieval and answers (gold set, SciFact) and gate CI.", no_args_is_help=True)


@contextmanager
def _progress() -> Iterator[Callable[[str, int, int], None]]:
    """A rich progress bar per phase, fed by ``(phase, done, total)`` calls."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()) as bar:
        tasks: dict[str, TaskID] = {}

        def update(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total)
            bar.update(tasks[phase], completed=done, total=total)

        yield update


def _settings(ingest: bool, dataset: str = "gold") -> Settings:
    from core.config import get_settings

    settings = get_settings()
    from evals.datasets import WITH_ZH_DOCUMENTS

    if dataset in WITH_ZH_DOCUMENTS:
        settings, ingest = _with_zh_documents(settings), True
    if ingest:
        from ingest.pipeline import Ingestor

        report = Ingestor(settings).run()
        if report.failed:
            typer.echo(f"ingest failures: {[(o.source, o.reason) for o in report.failed]}", err=True)
    return settings


def _with_zh_documents(settings: Settings) -> Settings:
    """Settings for an index of its own over the corpus plus the Chinese test documents."""
    import shutil

    from evals.datasets import ZH_CORPUS_DIR

    folder = settings.data_dir / "eval-zh-docs"
    corpus = folder / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for source in [*settings.corpus_dir.iterdir(), *ZH_CORPUS_DIR.glob("*.txt")]:
        if source.is_file() and not (corpus / source.name).exists():
            shutil.copy2(source, corpus / source.name)
    return settings.model_copy(update={"data_dir": folder / "data", "corpus_dir": corpus})


def _report_dir(out: Path | None) -> Path:
    from evals.report import run_dir

    if out is None:
        return run_dir(None)
    out.mkdir(parents=True, exist_ok=True)
    return out


@eval_app.command()
def retrieval(
    dataset: Annotated[str, typer.Option(help="zone (gold set) or scifact (BEIR, 300 test claims).")] = "zone",
    config: Annotated[
        list[str] | None,
        typer.Option(
            "--config",
            "-c",
            help="Configuration (repeatable): hybrid, hybrid-rrf, hybrid-weighted, "
            "bm25, dense-minilm, dense-chunked, naive. Default: hybrid and naive.",
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Report folder (default: evals/reports/<timestamp>).")] = None,
    ingest: Annotated[bool, typer.Option(help="Bring the index up to date with the corpus first.")] = True,
) -> None:
    """Hit@k, recall@k, MRR@10 and nDCG@10 per configuration; writes a report folder."""
    from evals.report import settings_summary, write_retrieval_report
    from evals.retrieval import CONFIGS, DEFAULT_CONFIGS, Dataset, evaluate

    if dataset not in ("zone", "scifact"):
        raise typer.BadParameter("dataset must be zone or scifact")
    configs = config or list(DEFAULT_CONFIGS)
    unknown = [c for c in configs if c not in CONFIGS]
    if unknown:
        raise typer.BadParameter(f"unknown configuration(s) {unknown}; choose from {', '.join(CONFIGS)}")
    settings = _settings(ingest and dataset == "zone")
    with _progress() as progress:
        results = evaluate(settings, cast("Dataset", dataset), configs, progress)
    folder = write_retrieval_report(results, _report_dir(out), settings_summary(settings))
    for result in results:
        m = result.metrics
        typer.echo(
            f"{dataset:8} {result.config:16} hit@5={m['hit@5']:.3f} MRR@10={m['mrr@10']:.3f} "
            f"nDCG@10={m['ndcg@10']:.3f} R@100={m['recall@100']:.3f}"
        )
    typer.echo(f"report: {folder / 'report.md'}")


@eval_app.command()
def answers(
    generator: Annotated[str, typer.Option(help=" | ".join(GENERATORS))] = "extractive",
    judge: Annotated[str, typer.Option(help="Support judge: lexical (fast) or llm (local LLM yes/no).")] = "lexical",
    limit: Annotated[int | None, typer.Option(help="Only the first N gold items.")] = None,
    out: Annotated[Path | None, typer.Option(help="Report folder (default: evals/reports/<timestamp>).")] = None,
    ingest: Annotated[bool, typer.Option(help="Bring the index up to date with the corpus first.")] = True,
    baseline: Annotated[bool, typer.Option(help="Also run the naive LangChain baseline on every item.")] = True,
    resume: Annotated[
        bool, typer.Option(help="Keep the items already in <out>/per_question.jsonl and run only the rest.")
    ] = False,
    dataset: Annotated[
        str,
        typer.Option(
            help="gold (zone_gold.jsonl), hard (zone_hard.jsonl), hard-probe (zone_hard_probe.jsonl: fresh "
            "multi-hop items on dev passages), zh (zone_zh.jsonl), zh-twins (its English twins) or zh-docs "
            "(its items over the Chinese test documents, in both languages, indexed with the corpus)."
        ),
    ] = "gold",
    split: Annotated[str, typer.Option(help="all, dev (tune on it) or test (report on it).")] = "all",
) -> None:
    """Answer accuracy, ALCE citation recall/precision, refusals, latency; ZoneQA vs the naive baseline.

    Each item's result is appended to ``per_question.jsonl`` as soon as it is scored, so an
    interrupted run keeps what it measured; ``--resume --out <that folder>`` finishes it.
    """
    import json

    from evals.answers import JudgeName, evaluate_answers
    from evals.report import settings_summary, write_answer_report

    if generator not in GENERATORS:
        raise typer.BadParameter(f"generator must be one of {', '.join(GENERATORS)}")
    if judge not in ("lexical", "llm"):
        raise typer.BadParameter("judge must be lexical or llm")
    if resume and out is None:
        raise typer.BadParameter("--resume needs --out: the folder of the run to finish")
    from evals.datasets import gold_items

    try:
        items = gold_items(dataset, split)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    settings = _settings(ingest, dataset)
    folder = _report_dir(out)
    partial = folder / "per_question.jsonl"
    done = _read_partial(partial) if resume else []
    if done:
        typer.echo(f"resuming: {len(done)} item results kept from {partial}")
    partial.write_text("".join(json.dumps(result.row()) + "\n" for result in done))

    def keep(item_result: ItemResult) -> None:
        with partial.open("a") as stream:
            stream.write(json.dumps(item_result.row()) + "\n")

    with _progress() as progress:
        result = evaluate_answers(
            settings,
            generator=generator,
            judge=cast("JudgeName", judge),
            limit=limit,
            items=items,
            include_naive=baseline,
            progress=progress,
            on_result=keep,
            done=done,
        )
    write_answer_report(result, folder, settings_summary(settings.model_copy(update={"generator": generator})))
    from evals.report import kind_table

    for system, values in result.metrics.items():
        shown = {k: round(v, 3) for k, v in values.items() if v is not None and not k.startswith("latency")}
        typer.echo(f"{system:7} {shown}")
    typer.echo(f"dataset {dataset}, split {split}, generator {generator}:")
    typer.echo(kind_table(result))
    typer.echo(f"report: {folder / 'report.md'}")


def _read_partial(path: Path) -> list[ItemResult]:
    """Item results of an interrupted run (a torn last line, from a killed run, is skipped)."""
    import json

    from evals.answers import ItemResult

    if not path.exists():
        return []
    results = []
    for line in path.read_text().splitlines():
        try:
            results.append(ItemResult.from_row(json.loads(line)))
        except (ValueError, KeyError, TypeError):
            continue
    return results


@eval_app.command()
def gate(
    thresholds: Annotated[Path | None, typer.Option(help="Thresholds file (default: evals/thresholds.yaml).")] = None,
    ingest: Annotated[bool, typer.Option(help="Bring the index up to date with the corpus first.")] = True,
) -> None:
    """The fast gated eval (gold and hard sets, extractive, retrieval + grounding); exit 1 below thresholds."""
    from evals.gate import THRESHOLDS_PATH, run_gate

    settings = _settings(ingest)
    with _progress() as progress:
        outcome = run_gate(settings, thresholds_path=thresholds or THRESHOLDS_PATH, progress=progress)
    for name in outcome.thresholds:
        value = outcome.measured.get(name)
        typer.echo(f"{name:40} {'–' if value is None else f'{value:.3f}'}  {outcome.thresholds[name]}")
    if not outcome.passed:
        typer.echo("GATE FAILED:\n  " + "\n  ".join(outcome.failures), err=True)
        raise typer.Exit(1)
    typer.echo("gate passed")


@eval_app.command()
def calibrate(
    out: Annotated[Path | None, typer.Option(help="JSONL of per-item scores.")] = None,
    ingest: Annotated[bool, typer.Option(help="Bring the index up to date with the corpus first.")] = True,
) -> None:
    """Best evidence score per gold item vs answerability: which refusal threshold separates them."""
    import json

    from evals.calibration import best_threshold, evidence_scores, rates_at
    from evals.report import REPORTS_DIR

    settings = _settings(ingest)
    rows = evidence_scores(settings)
    path = out or REPORTS_DIR / "calibration.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    typer.echo(f"best: {best_threshold(rows)}")
    typer.echo(f"configured: {rates_at(rows, settings.evidence.refusal_threshold)}")
    typer.echo(f"scores: {path}")


if __name__ == "__main__":
    eval_app()
