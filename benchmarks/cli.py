"""The benchmark runner: ``python -m benchmarks <suite> [--quick]`` (and ``zoneqa bench <suite>``).

Light to import: the suites (and their heavy libraries) load only when a command runs.

Usage::

    python -m benchmarks ingest --quick
    python -m benchmarks retrieval --sizes 5000,100000,1000000
    python -m benchmarks ask --out /tmp/bench-results
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from benchmarks.options import BenchOptions

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

bench_app = typer.Typer(
    help="Measure ingest speed, retrieval latency at scale and /ask latency; write benchmarks/results.md.",
    no_args_is_help=True,
)

QuickOption = Annotated[bool, typer.Option("--quick", help="Tiny sizes and one repeat: a smoke run.")]
OutOption = Annotated[
    Path | None, typer.Option("--out", help="Folder for results.md/.json/.png (default: benchmarks/).")
]
WorkOption = Annotated[
    Path | None, typer.Option("--work-dir", help="Scratch folder for indexes (default: data/bench/).")
]


def _options(quick: bool, out: Path | None, work_dir: Path | None) -> BenchOptions:
    from benchmarks.options import BenchOptions

    return BenchOptions.preset(quick=quick, work_dir=work_dir, out_dir=out)


def _save(suite: str, options: BenchOptions, section: dict) -> None:
    from benchmarks.report import save_suite

    section["mode"] = "quick" if getattr(options, "quick", False) else "full"
    section["command"] = "python -m benchmarks " + " ".join(sys.argv[1:])
    section.setdefault("config", {})["options"] = {
        key: str(value) for key, value in vars(options).items() if key not in ("extra",)
    }
    paths = save_suite(options.out_dir, suite, section)
    typer.echo(f"{suite}: wrote {', '.join(str(path) for path in paths.values())}")


@bench_app.command("ingest")
def ingest(
    quick: QuickOption = False,
    out: OutOption = None,
    work_dir: WorkOption = None,
    scifact_limit: Annotated[int | None, typer.Option(help="Only the first N SciFact abstracts.")] = None,
) -> None:
    """Chunks/s per phase for the default corpus and SciFact, and the backend's SciFact nDCG@10."""
    from benchmarks.ingest_bench import run_ingest

    options = _options(quick, out, work_dir)
    if scifact_limit:
        options = replace(options, scifact_limit=scifact_limit)
    _save("ingest", options, run_ingest(options))


@bench_app.command("retrieval")
def retrieval(
    quick: QuickOption = False,
    out: OutOption = None,
    work_dir: WorkOption = None,
    sizes: Annotated[str | None, typer.Option(help="Chunk counts, comma separated (e.g. 5000,100000,1000000).")] = None,
    servers: Annotated[str | None, typer.Option(help="embedded,server (a `chroma run` process).")] = None,
    share_build_from: Annotated[
        int | None, typer.Option(help="From this size on, build once (embedded) and serve it with `chroma run`.")
    ] = None,
) -> None:
    """BM25 / dense / hybrid latency, build time, RSS and disk at several index sizes."""
    from benchmarks.retrieval_bench import run_retrieval

    options = _options(quick, out, work_dir)
    if sizes:
        options = replace(options, sizes=tuple(int(size) for size in sizes.split(",")))
    if servers:
        options = replace(options, servers=tuple(s.strip() for s in servers.split(",")))
    if share_build_from:
        options = replace(options, share_build_from=share_build_from)
    _save("retrieval", options, run_retrieval(options))


@bench_app.command("ask")
def ask(
    quick: QuickOption = False,
    out: OutOption = None,
    work_dir: WorkOption = None,
    generators: Annotated[str | None, typer.Option(help="extractive,llamacpp")] = None,
    naive: Annotated[bool | None, typer.Option("--naive/--no-naive", help="Measure the naive baseline.")] = None,
    questions: Annotated[int | None, typer.Option(help="Gold fact questions for the LLM runs.")] = None,
    repeats: Annotated[int | None, typer.Option(help="Passes over the questions for the LLM runs.")] = None,
) -> None:
    """/ask and /ask/stream over HTTP (first token, total), and the naive LangChain baseline."""
    from benchmarks.ask_bench import run_ask

    options = _options(quick, out, work_dir)
    if generators:
        options = replace(options, generators=tuple(g.strip() for g in generators.split(",")))
    if naive is not None:
        options = replace(options, naive=naive)
    if questions:
        options = replace(options, questions=questions)
    if repeats:
        options = replace(options, ask_repeats=repeats)
    _save("ask", options, run_ask(options))


@bench_app.command("ui")
def ui(
    quick: QuickOption = False,
    out: OutOption = None,
    work_dir: WorkOption = None,
    generators: Annotated[str, typer.Option(help="extractive,llamacpp")] = "llamacpp",
    questions: Annotated[int | None, typer.Option(help="Gold fact questions asked in the browser.")] = None,
) -> None:
    """The chat page in headless Chromium at 390x844: Enter to first source card, first token, answer."""
    from benchmarks.ui_bench import run_ui

    options = replace(_options(quick, out, work_dir), generators=tuple(g.strip() for g in generators.split(",")))
    if questions:
        options = replace(options, ui_questions=questions)
    _save("ui", options, run_ui(options))


@bench_app.command("render")
def render(out: OutOption = None) -> None:
    """Re-render results.md and results.png from results.json."""
    from benchmarks.options import DEFAULT_OUT_DIR
    from benchmarks.report import RESULTS_MD, RESULTS_PNG, load_results, plot, render_markdown

    folder = out or DEFAULT_OUT_DIR
    results = load_results(folder)
    (folder / RESULTS_MD).write_text(render_markdown(results))
    plot(results, folder / RESULTS_PNG)
    typer.echo(f"rendered {folder / RESULTS_MD}")
