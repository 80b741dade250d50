"""The eval suite: metrics on hand-made rankings, ALCE scoring, and the CI gate (passes now, fails when broken:
a random retriever, a citation check that accepts everything, an answerability gate that refuses
everything or nothing)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.config import Settings
from evals.answers import ItemResult, SentenceScore, aggregate, ratios, score_citations
from evals.datasets import GoldItem, contains_evidence, load_gold, load_scifact
from evals.gate import SECTIONS, GateOutcome, compare, load_thresholds, measure, section_thresholds
from evals.retrieval import compute_metrics, documents_from_chunks, relevant_chunks
from rag.citations import CitationChecker
from rag.evidence import Evidence


# ---- metrics on tiny rankings ------------------------------------------------------------------------
def test_metrics_known_values() -> None:
    qrels = {"q1": {"a": 1}, "q2": {"b": 1, "c": 1}, "q3": {"d": 1}}
    rankings = {"q1": ["x", "a"], "q2": ["b", "y", "z", "c"]}  # q3 returned nothing
    means, per_query = compute_metrics(qrels, rankings)
    assert per_query["q1"]["hit@1"] == 0.0
    assert per_query["q1"]["hit@3"] == 1.0
    assert per_query["q1"]["mrr@10"] == pytest.approx(0.5)
    assert per_query["q1"]["ndcg@10"] == pytest.approx(1 / 1.5849625, rel=1e-6)  # 1/log2(3)
    assert per_query["q2"]["recall@3"] == pytest.approx(0.5)
    assert per_query["q2"]["recall@5"] == pytest.approx(1.0)
    assert all(value == 0.0 for value in per_query["q3"].values())
    assert means["hit@5"] == pytest.approx(2 / 3)
    assert means["mrr@10"] == pytest.approx((0.5 + 1.0 + 0.0) / 3)


def test_mrr_is_cut_at_ten() -> None:
    ranking = [f"n{i}" for i in range(10)] + ["rel"]
    means, _ = compute_metrics({"q": {"rel": 1}}, {"q": ranking})
    assert means["mrr@10"] == 0.0
    assert means["hit@20"] == 1.0


def test_chunk_hits_become_document_hits() -> None:
    assert documents_from_chunks(["d1", "d2", "d1", "d3"], depth=2) == ["d1", "d2"]


def test_evidence_matching_rules() -> None:
    assert contains_evidence("The  ﬁrst\nZone was BUILT in 1980.", "first zone was built")
    assert not contains_evidence("unrelated text", "first zone")
    assert contains_evidence("Volume | 16,974 | 10,403\n", "Volume 16,974 10,403")  # table cells
    # A chunk border that cuts the quote: each chunk holding a half is relevant.
    chunks = [("c1", "intro. The 2016 G20 Summit in Hangzhou"), ("c2", "in Hangzhou facilitated the adoption of it")]
    assert relevant_chunks("The 2016 G20 Summit in Hangzhou facilitated the adoption", chunks) == ["c1", "c2"]


def test_datasets_load() -> None:
    items = load_gold()
    assert len(items) == 153 and sum(not item.answerable for item in items) == 16
    item = GoldItem(id="x", type="fact", question="q", answers=["\\b21\\b", "FTZ"], answers_mode="any")
    assert item.answer_matches("there are 21 zones") and not item.answer_matches("210 zones")
    # Every listed name present, plus one from the next batch: a wrong list.
    listed = GoldItem(id="y", type="list", question="q", answers=["Liaoning", "Henan"], wrong_answers=[r"\bYunnan\b"])
    assert listed.answer_matches("Liaoning and Henan.") and not listed.answer_matches("Liaoning, Henan and Yunnan.")
    scifact = load_scifact()
    assert len(scifact.queries) == 300 and len(scifact.corpus) == 5183


# ---- ALCE citation scoring ---------------------------------------------------------------------------
def _judge(claim: str, passages: Any) -> bool:
    """Supported when every word of the claim appears in the passages together."""
    words = set(" ".join(passages).lower().split())
    return set(claim.lower().rstrip(".").split()) <= words


def test_alce_recall_and_precision() -> None:
    passages = {1: "alpha beta", 2: "gamma", 3: "unrelated"}
    scores = score_citations("Alpha beta gamma [1][2]. Alpha beta [1][3]. Delta [2].", passages, _judge)
    assert [s.supported for s in scores] == [True, True, False]
    # Both needed in sentence 1; [3] over-cites in sentence 2; sentence 3 unsupported.
    assert [s.precise_citations for s in scores] == [2, 1, 0]
    results = [ItemResult("zoneqa", "i", "fact", "q", "a", True, False, True, sentences=scores)]
    metrics = aggregate(results)
    assert metrics["citation_recall"] == pytest.approx(2 / 3)
    assert metrics["citation_precision"] == pytest.approx(3 / 5)


def test_refusal_metrics_and_ratios() -> None:
    results = [
        ItemResult("zoneqa", "a", "fact", "q", "x", True, False, True),
        ItemResult("zoneqa", "b", "fact", "q", "", True, True, False),
        ItemResult("zoneqa", "c", "unanswerable", "q", "", False, True, None),
        ItemResult("zoneqa", "d", "unanswerable", "q", "y", False, False, None, [SentenceScore("y", [], False, 0)]),
    ]
    metrics = aggregate(results)
    assert metrics["refusal_precision"] == pytest.approx(0.5)
    assert metrics["refusal_recall"] == pytest.approx(0.5)
    assert metrics["answer_accuracy"] == pytest.approx(0.5)
    assert ratios({"m": 0.8, "n": None}, {"m": 0.4, "n": 1.0}) == {"m": pytest.approx(2.0), "n": None}


def test_threshold_comparison(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("a:\n  min: 0.5\nb:\n  max: 0.2\nc:\n  min: 0.1\n")
    thresholds = load_thresholds(path)
    failures = compare({"a": 0.4, "b": 0.1}, thresholds)
    assert failures == ["a = 0.400 < min 0.500", "c was not measured"]


def test_a_section_of_the_gate_keeps_its_thresholds_and_any_misspelt_one() -> None:
    thresholds = {name: {"min": 0.5} for name in ("retrieval.hit@5", "hard.refusal_recall", "hrad.refusal_recall")}
    assert set(section_thresholds(thresholds, ("hard",))) == {"hard.refusal_recall", "hrad.refusal_recall"}
    assert set(section_thresholds(load_thresholds(), SECTIONS)) == set(load_thresholds())
    assert {name.split(".", 1)[0] for name in load_thresholds()} == set(SECTIONS)  # every section is gated
    with pytest.raises(ValueError, match="unknown gate sections"):
        measure(Settings(), sections=("hrad",))


# ---- the gate on the real system -----------------------------------------------------------------------
class RandomSearcher:
    """A broken retriever: random chunks of the index, whatever the question."""

    def __init__(self, real: Any) -> None:
        self.embedder = real.embedder
        self.store = real.store
        self.lexical = real.lexical  # the vocabulary still answers "is this name in the corpus?"
        self._chunks = [chunk for ids, _t, _m in real.store.iter_chunks() for chunk in real.store.get_chunks(ids)]
        self._random = random.Random(7)

    def search(self, query: str, *, top_k: int | None = None, **_options: Any) -> list[Any]:
        from rag.retriever import RetrievedChunk

        picked = self._random.sample(self._chunks, min(top_k or 5, len(self._chunks)))
        return [
            RetrievedChunk(chunk=c, score=1.0 / (i + 1), merged_ids=[c.chunk_id], chunk_indexes=[c.chunk_index])
            for i, c in enumerate(picked)
        ]


@pytest.fixture(scope="module")
def gate_items() -> list[GoldItem]:
    return load_gold()


def test_gate_passes_on_current_system(ingested_settings: Any) -> None:
    from evals.gate import run_gate

    outcome = run_gate(ingested_settings)
    assert outcome.passed, outcome.failures


def test_gate_fails_with_random_retriever(ingested_settings: Any) -> None:
    from evals.gate import run_gate
    from rag.components import build

    broken = RandomSearcher(build(ingested_settings).searcher)
    outcome = run_gate(ingested_settings, searcher=broken, sections=("retrieval", "answers"))
    assert not outcome.passed
    assert any(failure.startswith("retrieval.hit@5") for failure in outcome.failures), outcome.failures


class AcceptingChecker(CitationChecker):
    """A broken citation check: every sentence is supported by whatever it cites (numbers included)."""

    def support(
        self, claim: str, claim_vector: np.ndarray, item: Evidence, given_numbers: set[str] | None = None
    ) -> float:
        return 1.0


def failed_metrics(outcome: GateOutcome) -> set[str]:
    """The metric names of the gate's failures (``"hard.refusal_recall = 0.000 < min 0.240"``)."""
    return {failure.split(" ", 1)[0] for failure in outcome.failures}


def with_evidence(settings: Settings, **update: Any) -> Settings:
    return settings.model_copy(update={"evidence": settings.evidence.model_copy(update=update)})


def test_gate_fails_when_the_citation_check_accepts_everything(ingested_settings: Settings) -> None:
    """Extractive answers are quotes and pass any check; the corrupted-answer probe is what catches it."""
    from evals.gate import run_gate
    from rag.components import build

    broken = AcceptingChecker(build(ingested_settings).embedder, ingested_settings.evidence)
    outcome = run_gate(ingested_settings, checker=broken, sections=("corrupted",))
    failed = failed_metrics(outcome)
    assert {"corrupted.citation_recall", "corrupted.citation_precision"} <= failed, outcome.failures
    assert (outcome.measured["corrupted.citation_recall"] or 0.0) < 0.8


def test_gate_fails_when_the_answerability_gate_refuses_everything(ingested_settings: Settings) -> None:
    from evals.gate import run_gate

    refusing = with_evidence(ingested_settings, refusal_threshold=1.0)  # no evidence scores 1.0
    outcome = run_gate(refusing, sections=("answers", "hard"))
    assert outcome.measured["hard.false_refusal_rate"] == 1.0
    failed = failed_metrics(outcome)
    expected = {"answers.false_refusal_rate", "hard.false_refusal_rate", "hard.answer_accuracy_cited"}
    expected |= {f"hard.{kind}.answer_accuracy_cited" for kind in ("fact", "paraphrase", "table", "follow-up", "list")}
    assert expected <= failed, outcome.failures


def test_gate_fails_when_the_answerability_gate_never_refuses(ingested_settings: Settings) -> None:
    from evals.gate import run_gate

    answering = with_evidence(ingested_settings, refusal_threshold=0.0, refuse_unknown_names=False)
    outcome = run_gate(answering, sections=("answers", "hard"))
    # Only "how many" questions answered without a figure (no_figure_found) and answers whose every
    # sentence the citation check drops are still refused: 4 of 25 on 2026-12-01, far under the gate's 0.36.
    assert (outcome.measured["hard.refusal_recall"] or 0.0) <= 0.20
    assert {"answers.refusal_recall", "hard.refusal_recall"} <= failed_metrics(outcome), outcome.failures


def test_answers_cli_without_baseline_keeps_each_item_as_it_goes(ingested_settings: Any, tmp_path: Path) -> None:
    """``--no-baseline`` runs ZoneQA only; every scored item lands in per_question.jsonl."""
    import json
    import subprocess
    import sys

    from conftest import settings_env

    out = tmp_path / "report"
    command = [sys.executable, "-m", "evals.cli", "answers", "--limit", "3", "--no-baseline", "--no-ingest"]
    env = settings_env(ingested_settings.model_copy(update={"generator": "extractive"}))
    done = subprocess.run([*command, "--out", str(out)], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in (out / "per_question.jsonl").read_text().splitlines()]
    assert [row["system"] for row in rows] == ["zoneqa"] * 3
    assert [row["id"] for row in rows] == [item.id for item in load_gold()[:3]]
    metrics = json.loads((out / "metrics.json").read_text())["metrics"]
    assert set(metrics) == {"zoneqa"}


class FailingSearcher:
    """The real searcher, except that one question raises (an item failing mid-run)."""

    def __init__(self, inner: Any, failing_question: str) -> None:
        self.inner = inner
        self.failing_question = failing_question

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def search(self, query: str, *args: Any, **kwargs: Any) -> Any:
        if query == self.failing_question:
            raise RuntimeError("simulated failure")
        return self.inner.search(query, *args, **kwargs)


def test_a_failed_item_is_recorded_and_a_resumed_run_skips_what_is_done(ingested_settings: Any) -> None:
    from evals.answers import ItemResult, evaluate_answers
    from rag.components import build

    items = [item for item in load_gold() if item.type == "fact"][:3]
    searcher = FailingSearcher(build(ingested_settings).searcher, items[1].question)
    first = evaluate_answers(ingested_settings, items=items, searcher=searcher, include_naive=False)
    assert [r.item_id for r in first.results] == [item.id for item in items]
    failed = first.results[1]
    assert failed.error == "RuntimeError: simulated failure" and failed.correct is False and not failed.refused
    assert first.metrics["zoneqa"]["errors"] == 1.0

    # Rows survive the JSON round trip, and a resumed run only runs the items it lacks.
    kept = [ItemResult.from_row(result.row()) for result in first.results[:1]]
    assert kept[0].row() == first.results[0].row()
    seen: list[str] = []
    resumed = evaluate_answers(
        ingested_settings, items=items, include_naive=False, done=kept, on_result=lambda r: seen.append(r.item_id)
    )
    assert seen == [items[1].id, items[2].id]
    assert [r.item_id for r in resumed.results] == [item.id for item in items]
    assert resumed.metrics["zoneqa"]["errors"] == 0.0


def test_answers_cli_resume_finishes_an_interrupted_run(ingested_settings: Any, tmp_path: Path) -> None:
    """A run killed mid-way (one row kept, one torn line) is finished by ``--resume``."""
    import json
    import subprocess
    import sys

    from conftest import settings_env

    out = tmp_path / "report"
    out.mkdir()
    first_item = load_gold()[0]
    kept_row = {
        "system": "zoneqa", "id": first_item.id, "type": first_item.type, "question": first_item.question,
        "answer": "kept from the first run", "answerable_gold": True, "refused": False, "correct": True,
    }  # fmt: skip
    (out / "per_question.jsonl").write_text(json.dumps(kept_row) + '\n{"system": "zoneqa", "id": "tor')
    command = [sys.executable, "-m", "evals.cli", "answers", "--limit", "2", "--no-baseline", "--no-ingest"]
    env = settings_env(ingested_settings.model_copy(update={"generator": "extractive"}))
    done = subprocess.run(
        [*command, "--out", str(out), "--resume"], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    assert "resuming: 1 item results kept" in done.stdout
    rows = [json.loads(line) for line in (out / "per_question.jsonl").read_text().splitlines()]
    assert [row["id"] for row in rows] == [item.id for item in load_gold()[:2]]
    assert rows[0]["answer"] == "kept from the first run"
    no_out = subprocess.run([*command, "--resume"], env=env, capture_output=True, text=True, timeout=600)
    assert no_out.returncode == 2 and "--resume needs --out" in no_out.stderr
