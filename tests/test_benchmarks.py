"""Smoke test of the benchmark runner: quick suites write a results file (no timing assertions)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchmarks.cli import bench_app
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
