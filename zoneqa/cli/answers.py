"""``zoneqa ask`` and ``zoneqa chat``: cited answers in the terminal.

Usage::

    zoneqa ask "Which city hosted the 2016 G20 summit?" [--json] [--source FILE] [--generator G]
    zoneqa chat
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from core.config import GENERATORS
from zoneqa.cli.console import console, err_console, fail

if TYPE_CHECKING:
    from rag.pipeline import RagPipeline

app = typer.Typer()


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


def _load_pipeline(generator: str | None) -> RagPipeline:
    from core.config import get_settings
    from core.errors import ZoneQAError
    from rag.components import build

    settings = get_settings()
    if generator:
        if generator not in GENERATORS:
            fail(f"unknown generator {generator!r}: use {', '.join(GENERATORS)}")
        settings = settings.model_copy(update={"generator": generator})
    try:
        parts = build(settings)
        if parts.catalog.chunk_count() == 0:
            fail("The index is empty: run `zoneqa ingest` first.")
        parts.pipeline.warm_up()
    except ZoneQAError as exc:
        fail(str(exc))
    return parts.pipeline


GeneratorOption = Annotated[
    str | None, typer.Option("--generator", "-g", help=f"{' | '.join(GENERATORS)} (default: settings).")
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
        elif event.kind == "answer":
            final = event.answer
    err_console.print()
    _print_answer(final)


@app.command()
def chat(generator: GeneratorOption = None) -> None:
    """A terminal conversation (follow-up questions use the earlier turns). Ctrl-D or 'exit' ends it."""
    from core.schemas import ChatTurn

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
