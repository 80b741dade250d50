"""``zoneqa serve``, ``zoneqa ui`` and ``zoneqa up``: the HTTP API, the chat page, or both.

Usage::

    zoneqa serve --host 127.0.0.1 --port 8000 --workers 1
    zoneqa ui --port 8501 --api-url http://127.0.0.1:8000
    zoneqa up
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from zoneqa.cli.console import console, fail

app = typer.Typer()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="API processes (each loads its own models).")] = 1,
) -> None:
    """Run the HTTP API (uvicorn)."""
    from api.server import run
    from core.config import get_settings

    console.print(f"ZoneQA API listening on http://{host}:{port}")
    if host not in ("127.0.0.1", "localhost", "::1") and not get_settings().admin_keys:
        console.print("[yellow]No admin keys (ZONEQA_ADMIN_KEYS): document changes are accepted from loopback only.[/]")
    run(host=host, port=port, workers=workers)


@app.command()
def ui(
    port: Annotated[int, typer.Option(help="TCP port of the web UI.")] = 8501,
    api_url: Annotated[str | None, typer.Option(help="API base URL (default: settings api_url).")] = None,
    address: Annotated[
        str | None, typer.Option(help="Interface to listen on (default: ZONEQA_UI_ADDRESS, 127.0.0.1).")
    ] = None,
) -> None:
    """Run the Streamlit chat UI alone (it talks to a running API)."""
    from ui.launcher import run

    run(port=port, api_url=api_url, address=address)


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
    zoneqa = [sys.executable, "-m", "zoneqa.cli"]
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
        fail(f"the API exited with code {api.returncode}")
    ui_command = [*zoneqa, "ui", "--port", str(ui_port), "--api-url", api_url, "--address", host]
    ui_process = subprocess.Popen(ui_command, env=env)
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
