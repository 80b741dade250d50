"""What every command shares: the consoles, error exits and progress bars.

Usage::

    fail("The index is empty: run `zoneqa ingest` first.")     # prints in red, exits 1
    with progress_bars() as progress:
        Ingestor(settings, progress=RichPhaseProgress(progress)).run()
"""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
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


def progress_bars() -> Progress:
    return Progress(
        TextColumn("{task.description:<11}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    )
