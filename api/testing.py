"""A real uvicorn process serving the API, for tests and smoke checks.

Usage::

    with ApiServer(env={"ZONEQA_DATA_DIR": "/tmp/data"}) as server:
        httpx.get(f"{server.url}/healthz")
        server.restart()                      # same port, same environment
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

import httpx

# Loading the embedding model and opening Chroma takes a while on small machines.
STARTUP_TIMEOUT_SECONDS = 180.0
STOP_TIMEOUT_SECONDS = 15.0
_POLL_SECONDS = 0.2
REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ApiServer:
    """``python -m api.server`` (uvicorn with ZoneQA's limits) on a free port, stopped on exit."""

    def __init__(
        self,
        env: Mapping[str, str],
        *,
        port: int | None = None,
        log_path: Path | None = None,
        log_level: str = "warning",
    ) -> None:
        self.env = dict(env)
        self.log_level = log_level
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path or Path(tempfile.mkstemp(prefix="zoneqa-api-", suffix=".log")[1])
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = STARTUP_TIMEOUT_SECONDS) -> ApiServer:
        # api.server: the same uvicorn configuration (protocol, limits, timeouts) as `zoneqa serve`.
        command = [sys.executable, "-m", "api.server"]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--log-level", self.log_level]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, env=self.env, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"API server exited with {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(_POLL_SECONDS)
        self.stop()
        raise TimeoutError(f"API server not up after {timeout}s:\n{self.log()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def restart(self) -> ApiServer:
        self.stop()
        return self.start()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-20000:] if self.log_path.exists() else ""

    def __enter__(self) -> ApiServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def child_env(base: Mapping[str, str] | None = None, **extra: str) -> dict[str, str]:
    """``base`` (default: this process's environment) plus offline flags and ``extra``."""
    env = dict(base if base is not None else os.environ)
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", **extra)
    return env
