"""``zoneqa mcp``: ZoneQA's MCP server over stdio, for assistants that spawn their tools.

The tools are ``search_documents``, ``ask`` and ``list_documents`` (``api/mcp_server.py``); the
same server runs over streamable HTTP at ``/mcp`` on ``zoneqa serve``. Settings come from the
environment as everywhere (``ZONEQA_DATA_DIR`` names the index). stdout is the protocol's: logs go
to stderr.

Usage::

    zoneqa mcp                      # an MCP client spawns this (see README, "MCP server")
    zoneqa mcp --generator llamacpp
"""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from core.config import GENERATORS
from zoneqa.cli.console import fail

app = typer.Typer()


@app.command()
def mcp(
    generator: Annotated[
        str | None, typer.Option("--generator", "-g", help=f"{' | '.join(GENERATORS)} (default: settings).")
    ] = None,
    log_level: Annotated[str, typer.Option(help="Log level of the messages written to stderr.")] = "WARNING",
) -> None:
    """Serve ZoneQA's tools (search_documents, ask, list_documents) over MCP on stdin/stdout."""
    from api.mcp_server import stdio_server
    from core.config import get_settings

    logging.basicConfig(stream=sys.stderr, level=log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    if generator:
        if generator not in GENERATORS:
            fail(f"unknown generator {generator!r}: use {', '.join(GENERATORS)}")
        settings = settings.model_copy(update={"generator": generator})
    stdio_server(settings).run("stdio")
