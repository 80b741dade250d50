"""What a benchmark run does: sizes, repeats and limits, with full and ``--quick`` presets.

Usage::

    options = BenchOptions.preset(quick=True, work_dir=Path("/tmp/bench"))
    options.sizes     # (2000,) in quick mode; (5000, 100000) in a full run
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from core.config import REPO_ROOT

DEFAULT_WORK_DIR = REPO_ROOT / "data" / "bench"
DEFAULT_OUT_DIR = REPO_ROOT / "benchmarks"
FULL_SIZES = (5000, 100_000)
QUICK_SIZES = (1000,)


@dataclass(frozen=True)
class BenchOptions:
    """Every knob of a run; recorded verbatim in the results."""

    quick: bool = False
    work_dir: Path = DEFAULT_WORK_DIR
    out_dir: Path = DEFAULT_OUT_DIR
    # ingest
    ingest_repeats: int = 3
    scifact_repeats: int = 1
    scifact_limit: int | None = None  # None: all 5,183 abstracts
    ndcg_queries: int | None = None  # None: all 300 test claims
    # retrieval
    sizes: tuple[int, ...] = FULL_SIZES
    servers: tuple[str, ...] = ("embedded", "server")
    query_count: int = 50
    query_repeats: int = 3
    perturbation: float = 0.02  # std-dev of the noise added to each vector coordinate (then re-normalised)
    # From this size on, one embedded build is timed and then served by `chroma run` (an hour saved at 1M).
    share_build_from: int = 1_000_000
    # ask
    questions: int = 8
    ask_repeats: int = 3
    extractive_questions: int = 20
    extractive_repeats: int = 3
    concurrency: int = 4
    generators: tuple[str, ...] = ("extractive", "llamacpp")
    naive: bool = True
    # ui
    ui_questions: int = 10
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def preset(cls, *, quick: bool, work_dir: Path | None = None, out_dir: Path | None = None) -> BenchOptions:
        options = cls(work_dir=work_dir or DEFAULT_WORK_DIR, out_dir=out_dir or DEFAULT_OUT_DIR)
        if quick:
            options = replace(
                options,
                quick=True,
                ingest_repeats=1,
                scifact_limit=60,
                ndcg_queries=10,
                sizes=QUICK_SIZES,
                servers=("embedded",),
                query_count=5,
                query_repeats=1,
                questions=2,
                ask_repeats=1,
                extractive_questions=3,
                extractive_repeats=1,
                concurrency=2,
                generators=("extractive",),
                naive=False,
                ui_questions=2,
            )
        return options
