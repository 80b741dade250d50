"""Measurement helpers shared by the suites: percentiles, machine facts, memory and disk.

Every figure is a summary of repeated runs (median and p95), taken next to the machine's load
average, because the benchmark machine may be busy with other work.

Usage::

    summary = summarise([12.0, 15.5, 11.2])     # {"n": 3, "p50": 12.0, "p95": ..., "mean": ...}
    machine_info()["cpu_count"], load_average()
    rss_mb(), rss_mb(pid=1234), disk_mb(Path("data"))
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

_PAGE_SIZE_KB = 1024


def summarise(values: Sequence[float]) -> dict[str, float | int | None]:
    """n, median (p50), p95, mean, min and max of ``values`` (None when empty)."""
    if not values:
        return {"n": 0, "p50": None, "p95": None, "mean": None, "min": None, "max": None}
    array = np.asarray(values, dtype=float)
    return {
        "n": int(array.size),
        "p50": round(float(np.percentile(array, 50)), 3),
        "p95": round(float(np.percentile(array, 95)), 3),
        "mean": round(float(array.mean()), 3),
        "min": round(float(array.min()), 3),
        "max": round(float(array.max()), 3),
    }


def load_average() -> list[float]:
    """1, 5 and 15 minute load averages (a busy 2-core machine shows > 2)."""
    return [round(value, 2) for value in os.getloadavg()]


def machine_info() -> dict[str, Any]:
    """Cores, memory, Python and library versions: what a reader needs to compare figures."""
    import importlib.metadata

    versions: dict[str, str | None] = {}
    for package in ("chromadb", "bm25s", "sentence-transformers", "torch", "llama_cpp_python", "onnxruntime"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    mem_total_mb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_total_mb = round(int(line.split()[1]) / _PAGE_SIZE_KB)
    except OSError:
        pass
    return {
        "cpu_count": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "memory_mb": mem_total_mb,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
        "load_average": load_average(),
        "at": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


def rss_mb(pid: int | None = None) -> float | None:
    """Resident memory of a process (default: this one) in MiB, from /proc (Linux)."""
    status = Path(f"/proc/{pid or 'self'}/status")
    try:
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / _PAGE_SIZE_KB, 1)
    except OSError:
        return None
    return None


def disk_mb(*paths: Path) -> float:
    """Bytes on disk under ``paths`` in MiB (files only, links not followed)."""
    total = 0
    for root in paths:
        if root.is_file():
            total += root.stat().st_size
            continue
        for folder, _dirs, files in os.walk(root):
            for name in files:
                path = Path(folder) / name
                if not path.is_symlink():
                    total += path.stat().st_size
    return round(total / (1024 * 1024), 2)


def time_ms(work: Callable[[], Any]) -> tuple[float, Any]:
    """Run ``work`` once; (milliseconds, its result)."""
    started = time.perf_counter()
    result = work()
    return (time.perf_counter() - started) * 1000, result


@contextmanager
def stopwatch() -> Iterator[dict[str, float]]:
    """``with stopwatch() as watch: ...`` then ``watch["seconds"]``."""
    watch: dict[str, float] = {}
    started = time.perf_counter()
    try:
        yield watch
    finally:
        watch["seconds"] = time.perf_counter() - started


class PhaseTimer:
    """An ingest ``PhaseProgress`` that records each phase's wall time (start → last advance).

    The ingestor announces a phase with ``start`` and reports progress with ``advance``; the time
    from the announcement to the last advance is the phase's duration, ``index`` (BM25) included.
    """

    def __init__(self) -> None:
        self.started: dict[str, float] = {}
        self.finished: dict[str, float] = {}
        self.totals: dict[str, int] = {}

    def start(self, phase: str, total: int) -> None:
        now = time.perf_counter()
        self.started[phase] = now
        self.finished[phase] = now
        self.totals[phase] = total

    def advance(self, phase: str, amount: int = 1) -> None:
        self.finished[phase] = time.perf_counter()

    def seconds(self) -> dict[str, float]:
        return {phase: self.finished[phase] - self.started[phase] for phase in self.started}
