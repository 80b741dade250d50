"""The ``zoneqa`` command line: one module per command group, assembled here.

Usage::

    zoneqa ingest                 # bring the index in step with corpus/ (and uploads)
    zoneqa stats [--json]         # documents, chunks and pages in the index
    zoneqa ask "question" [--json]
    zoneqa chat
    zoneqa models pull            # assemble and verify the local LLM
    zoneqa serve                  # the HTTP API
    zoneqa ui                     # the Streamlit chat
    zoneqa up                     # both
    zoneqa mcp                    # the MCP server over stdio (for AI assistants)
    zoneqa eval retrieval|answers|gate|calibrate
    zoneqa bench ingest|retrieval|ask|plot
"""

from __future__ import annotations

import typer

from benchmarks.cli import bench_app
from evals.cli import eval_app
from zoneqa.cli import answers, index, mcp, servers
from zoneqa.cli.models import models_app

app = typer.Typer(help="ZoneQA: cited answers from the free trade zone literature.", no_args_is_help=True)
for group in (index, answers, servers, mcp):
    app.registered_commands.extend(group.app.registered_commands)
app.add_typer(models_app, name="models")
app.add_typer(eval_app, name="eval")
app.add_typer(bench_app, name="bench")


def main() -> None:  # pragma: no cover - console entry point
    app()
