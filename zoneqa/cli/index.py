"""``zoneqa ingest`` and ``zoneqa stats``: bring the index in step with the folders, and say what it holds.

Usage::

    zoneqa ingest [--corpus DIR] [--no-prune]
    zoneqa stats [--json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from zoneqa.cli.console import RichPhaseProgress, console, err_console, fail, progress_bars

app = typer.Typer()


@app.command()
def ingest(
    corpus: Annotated[Path | None, typer.Option(help="Folder to ingest (default: settings corpus_dir).")] = None,
    prune: Annotated[bool, typer.Option(help="Remove documents whose file is gone.")] = True,
) -> None:
    """Load, clean, chunk and embed documents; keep Chroma and BM25 exactly in step with the folder."""
    from core.config import get_settings
    from core.errors import IndexUnavailableError
    from ingest.pipeline import Ingestor

    settings = get_settings()
    if corpus is not None:
        settings = settings.model_copy(update={"corpus_dir": corpus})
    if not settings.corpus_dir.is_dir():
        fail(f"corpus folder {settings.corpus_dir} does not exist")
    try:
        with progress_bars() as progress:
            report = Ingestor(settings, progress=RichPhaseProgress(progress)).run(prune=prune)
    except IndexUnavailableError as exc:
        fail(str(exc))
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
    """Documents, chunks and pages per document, read from the index (what `GET /documents` lists)."""
    from core.config import get_settings
    from core.errors import IndexUnavailableError
    from rag.components import build

    try:
        catalog = build(get_settings()).catalog
        records = catalog.documents()
        chunks = catalog.chunk_count()
    except IndexUnavailableError as exc:
        fail(str(exc))
    documents: list[dict[str, Any]] = [
        {"source": record.source, "title": record.title, "pages": record.pages, "chunks": record.chunks}
        for record in records
    ]
    if as_json:
        sys.stdout.write(json.dumps({"documents": documents, "chunks": chunks}, indent=2) + "\n")
        return
    table = Table(title=f"{len(documents)} documents, {chunks} chunks")
    for column in ("source", "title", "pages", "chunks"):
        table.add_column(column)
    for doc in documents:
        table.add_row(doc["source"], doc["title"], str(doc["pages"] or "-"), str(doc["chunks"]))
    console.print(table)
