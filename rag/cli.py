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


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
