"""Helpers shared by the reliability, fuzz and injection tests (this module holds no tests).

Usage::

    record_figures("load", {"requests": 1234, "p95_ms": 80.5})   # appended to test-artifacts/reliability.json
    with time_limit(10, "loading fuzz.pdf"):
        load_file(...)
    percentile([1.0, 2.0, 3.0], 95)                               # 2.9
"""

from __future__ import annotations

import contextlib
import json
import signal
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import FrameType
from typing import Any

from tests.conftest import ARTIFACTS_DIR

RELIABILITY_REPORT = ARTIFACTS_DIR / "reliability.json"


def record_figures(name: str, figures: Mapping[str, Any], path: Path = RELIABILITY_REPORT) -> dict[str, Any]:
    """Append ``{"name", "recorded_at", **figures}`` to the JSON list in ``path`` and print it."""
    entry = {"name": name, "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%S"), **figures}
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        existing = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        existing = []
    entries = existing if isinstance(existing, list) else []
    entries.append(entry)
    path.write_text(json.dumps(entries, indent=2) + "\n", encoding="utf-8")
    print(f"[reliability] {json.dumps(entry)}")
    return entry


def percentile(values: list[float], pct: float) -> float:
    """Linear-interpolated percentile (the numpy default) without numpy."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


class HangError(Exception):
    """A bounded operation ran past its limit (a hang is a bug, reported as a test failure)."""


@contextlib.contextmanager
def time_limit(seconds: float, what: str) -> Iterator[None]:
    """Raise :class:`HangError` in the main thread if the block runs longer than ``seconds`` (Unix)."""

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        raise HangError(f"{what} ran longer than {seconds}s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
