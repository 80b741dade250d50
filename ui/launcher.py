"""Start the Streamlit chat as a child process.

Usage::

    from ui.launcher import run, streamlit_command
    run(8501, api_url="http://127.0.0.1:8000")     # blocks until the UI stops (Ctrl+C)
    streamlit_command(8501)                        # the command line, e.g. for subprocess.Popen
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from ui.settings import get_ui_settings

APP_PATH = Path(__file__).resolve().parent / "app.py"


def streamlit_command(port: int, headless: bool = True, address: str | None = None) -> list[str]:
    """The ``streamlit run ui/app.py`` command line for ``port`` on ``address`` (default: the
    ``ZONEQA_UI_ADDRESS`` setting, loopback unless changed; Streamlit alone would listen on every
    interface)."""
    address = address or get_ui_settings().ui_address
    command = [
        sys.executable, "-m", "streamlit", "run", str(APP_PATH),
        "--server.port", str(port),
        "--server.headless", "true" if headless else "false",
        "--browser.gatherUsageStats", "false",
        # Delegates need no "Deploy" button or developer menu.
        "--client.toolbarMode", "minimal",
        # The chat needs no file watching in production and it costs CPU on small machines.
        "--server.fileWatcherType", "none",
    ]
    command += ["--server.address", address]
    return command


def streamlit_env(api_url: str | None = None) -> dict[str, str]:
    """The environment for the UI process: ``ZONEQA_API_URL`` set when ``api_url`` is given."""
    env = dict(os.environ)
    if api_url:
        env["ZONEQA_API_URL"] = api_url
    env.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
    return env


def run(port: int, api_url: str | None = None, headless: bool = True, address: str | None = None) -> None:
    """Run the chat UI on ``address:port`` until it stops; ``api_url`` overrides ``ZONEQA_API_URL``."""
    address = address or get_ui_settings().ui_address
    print(f"ZoneQA UI listening on http://{address}:{port} (ZONEQA_UI_ADDRESS)", flush=True)
    process = subprocess.Popen(streamlit_command(port, headless, address), env=streamlit_env(api_url))

    def stop(signum: int, frame: object) -> None:
        # A service manager stops us with SIGTERM: pass it on rather than orphan the UI.
        process.terminate()

    in_main_thread = threading.current_thread() is threading.main_thread()  # signals need it
    previous = signal.signal(signal.SIGTERM, stop) if in_main_thread else None
    try:
        process.wait()
    except KeyboardInterrupt:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)
    if process.returncode not in (0, None, -15):
        raise SystemExit(process.returncode)
