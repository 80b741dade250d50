"""Smoke test of the benchmark runner: quick suites write a results file (no timing assertions)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from benchmarks.cli import bench_app
from benchmarks.ingest_bench import SCIFACT_VECTORS
from benchmarks.measure import summarise
from benchmarks.report import render_markdown, target_rows


def test_summarise_and_targets_render() -> None:
    summary = summarise([1.0, 2.0, 3.0, 4.0, 100.0])
    assert summary["p50"] == 3.0 and summary["n"] == 5
    assert summary["p95"] is not None and 4.0 < summary["p95"] <= 100.0
    assert summarise([])["p50"] is None
    results = {"ask": {"headline": {"extractive_ask_p50_ms": 250.0}, "mode": "quick"}}
    verdicts = {row["target"]: row["verdict"] for row in target_rows(results)}
    assert verdicts["Extractive /ask p50 (ms, sequential)"] == "MISSED"
    assert verdicts["Hybrid retrieval p50 at 100k chunks (ms, embedded)"] == "not measured"
    assert "| Extractive /ask p50 (ms, sequential) | <= 100 | 250.0 | MISSED |" in render_markdown(results)


@pytest.mark.slow
def test_quick_ingest_and_retrieval_write_results(tmp_path: Path) -> None:
    runner = CliRunner()
    out, work = tmp_path / "out", tmp_path / "work"
    for suite in ("ingest", "retrieval"):
        result = runner.invoke(
            bench_app, [suite, "--quick", "--out", str(out), "--work-dir", str(work)], catch_exceptions=False
        )
        assert result.exit_code == 0, result.output
    data = json.loads((out / "results.json").read_text())
    assert data["ingest"]["mode"] == "quick"
    assert data["ingest"]["headline"]["default_chunks_per_s"] > 0
    assert data["ingest"]["machine"]["cpu_count"] >= 1 and len(data["ingest"]["load_before"]) == 3
    rows = data["retrieval"]["tables"]["Retrieval latency at scale"]
    assert rows and rows[0]["chunks"] == 1000 and rows[0]["hybrid p50 ms"] is not None
    markdown = (out / "results.md").read_text()
    assert "## ingest" in markdown and "## retrieval" in markdown and "| target |" in markdown
    assert (out / "results.png").stat().st_size > 0


@pytest.mark.slow
def test_shared_build_is_served_by_a_real_chroma_server(tmp_path: Path) -> None:
    """The 1M path in miniature: one embedded build, then `chroma run` serves the same folder."""
    from benchmarks.options import BenchOptions
    from benchmarks.retrieval_bench import run_retrieval

    work = tmp_path / "work"
    work.mkdir()
    texts = [f"free trade zone customs rule number {n} for bonded warehouses" for n in range(40)]
    vectors = np.random.default_rng(3).normal(size=(40, 384)).astype(np.float32)
    np.savez(work / SCIFACT_VECTORS, texts=np.asarray(texts, dtype=object), vectors=vectors)
    options = BenchOptions(work_dir=work, sizes=(600,), query_count=3, query_repeats=1, share_build_from=600)
    section = run_retrieval(options)
    embedded, served = section["tables"]["Retrieval latency at scale"]
    assert (embedded["store"], served["store"]) == ("embedded", "server (same index)")
    assert embedded["chunks"] == served["chunks"] == 600
    assert embedded["build s"] is not None and served["build s"] is None
    assert served["server RSS MiB"] and served["hybrid p50 ms"] is not None
    assert any("built once" in note for note in section["notes"])
