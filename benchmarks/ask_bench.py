"""Ask suite: ``/ask`` over HTTP against a real uvicorn server, and the naive LangChain baseline.

Time to first token is measured on ``POST /ask/stream`` as the arrival of the first ``token``
event at the client; total as the arrival of the ``answer`` event. Questions are the gold set's
``fact`` items; an answer is correct when the item's answer patterns match it. Repeats loop
outside the questions, so consecutive prompts differ and llama.cpp can reuse only the fixed
system prompt, never a whole previous prompt.

The naive baseline (``evals.answers.NaiveBaseline``: 1000/200 character splits, dense top-4,
whole chunks in the prompt) runs in-process with the same GGUF model and llama.cpp settings,
after the server stopped (no HTTP cost: the comparison favours the baseline slightly).

Usage::

    section = run_ask(BenchOptions(generators=("extractive",), naive=False))
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from benchmarks.measure import load_average, machine_info, summarise
from benchmarks.options import BenchOptions
from core.config import Settings

REQUEST_TIMEOUT_SECONDS = 300.0


def gold_facts(count: int) -> list[Any]:
    from evals.datasets import load_gold

    return [item for item in load_gold() if item.type == "fact" and not item.history][:count]


def ask_stream(client: Any, question: str) -> dict[str, Any]:
    """One streamed answer: first-token and total seconds (client side) and the final answer text."""
    started = time.perf_counter()
    first: float | None = None
    answer: dict[str, Any] = {}
    event = ""
    with client.stream("POST", "/ask/stream", json={"question": question}) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                if event == "token" and first is None:
                    first = time.perf_counter() - started
                elif event == "answer":
                    answer = json.loads(line.split(":", 1)[1])
                elif event == "error":
                    raise RuntimeError(line)
    total = time.perf_counter() - started
    return {"first_s": first if first is not None else total, "total_s": total, "answer": answer.get("answer", "")}


def ask_plain(client: Any, question: str) -> float:
    started = time.perf_counter()
    response = client.post("/ask", json={"question": question})
    response.raise_for_status()
    return time.perf_counter() - started


def prepare_index(options: BenchOptions) -> Settings:
    """The default corpus ingested into the benchmark's own data dir (idempotent)."""
    from ingest.pipeline import Ingestor

    settings = Settings(data_dir=options.work_dir / "ask-data")
    Ingestor(settings).run()
    return settings


def server_env(settings: Settings, generator: str) -> dict[str, str]:
    """The environment of a benchmark's API server: this index, this generator, no keys, no rate limit."""
    from api.testing import child_env

    return child_env(
        ZONEQA_DATA_DIR=str(settings.data_dir),
        ZONEQA_CORPUS_DIR=str(settings.corpus_dir),
        ZONEQA_CHROMA_HOST="",
        ZONEQA_GENERATOR=generator,
        ZONEQA_API_KEYS="",
        ZONEQA_ADMIN_KEYS="",
        ZONEQA_API__RATE_LIMIT_PER_MINUTE="1000000",
        ZONEQA_API__GENERATION_WAIT_SECONDS=str(REQUEST_TIMEOUT_SECONDS),
    )


def measure_server(settings: Settings, generator: str, options: BenchOptions, items: list[Any]) -> dict[str, Any]:
    import httpx

    from api.testing import ApiServer

    env = server_env(settings, generator)
    repeats = options.ask_repeats if generator != "extractive" else options.extractive_repeats
    with ApiServer(env=env) as server, httpx.Client(base_url=server.url, timeout=REQUEST_TIMEOUT_SECONDS) as client:
        ask_stream(client, items[0].question)  # warm-up: first prompt evaluation, lazy loads
        sequential = []
        for _ in range(repeats):
            for item in items:
                result = ask_stream(client, item.question)
                result["correct"] = item.answer_matches(result["answer"])
                sequential.append(result)
        # The non-streamed route is timed for the extractive target only (with an LLM it is the
        # stream's total again, at minutes per pass on 2 cores).
        plain = (
            [ask_plain(client, i.question) for _ in range(repeats) for i in items] if generator == "extractive" else []
        )

        def one(item: Any) -> dict[str, Any]:
            with httpx.Client(base_url=server.url, timeout=REQUEST_TIMEOUT_SECONDS) as own:
                return ask_stream(own, item.question)

        with ThreadPoolExecutor(options.concurrency) as pool:
            concurrent = list(pool.map(one, items))
    accuracy = sum(r["correct"] for r in sequential) / len(sequential)
    rows = []
    for label, results in (("sequential", sequential), (f"{options.concurrency} concurrent clients", concurrent)):
        first = summarise([r["first_s"] for r in results])
        total = summarise([r["total_s"] for r in results])
        rows.append(
            {
                "system": f"ZoneQA /ask/stream ({generator})",
                "clients": label,
                "n": first["n"],
                "first token p50 s": first["p50"],
                "first token p95 s": first["p95"],
                "total p50 s": total["p50"],
                "total p95 s": total["p95"],
                "accuracy": round(accuracy, 3) if label == "sequential" else None,
            }
        )
    plain_summary = summarise(plain)
    if plain:
        rows.append(
            {
                "system": f"ZoneQA POST /ask ({generator})",
                "clients": "sequential",
                "n": plain_summary["n"],
                "total p50 s": plain_summary["p50"],
                "total p95 s": plain_summary["p95"],
            }
        )
    return {"rows": rows, "sequential": sequential, "plain": plain, "accuracy": accuracy}


def measure_naive(settings: Settings, options: BenchOptions, items: list[Any]) -> dict[str, Any]:
    from evals.answers import NaiveBaseline
    from evals.indexes import NAIVE_CONTEXT_TOKENS
    from rag.generators.llamacpp import LlamaCppGenerator
    from rag.llm_models import resolve_model_path

    # Whole stuffed chunks can exceed the default window; the eval gives the baseline the same.
    llamacpp = settings.llamacpp.model_copy(update={"n_ctx": max(settings.llamacpp.n_ctx, NAIVE_CONTEXT_TOKENS)})
    generator = LlamaCppGenerator(resolve_model_path(settings), llamacpp)
    baseline = NaiveBaseline(settings, generator)
    baseline.run(items[0], lambda claim, passages: True)  # warm-up, as for the server
    results = [baseline.run(item, lambda claim, passages: True) for _ in range(options.ask_repeats) for item in items]
    first = summarise([(r.first_token_ms or r.total_ms) / 1000 for r in results])
    total = summarise([r.total_ms / 1000 for r in results])
    accuracy = sum(bool(r.correct) for r in results) / len(results)
    row = {
        "system": "naive LangChain baseline (Qwen, in-process)",
        "clients": "sequential",
        "n": first["n"],
        "first token p50 s": first["p50"],
        "first token p95 s": first["p95"],
        "total p50 s": total["p50"],
        "total p95 s": total["p95"],
        "accuracy": round(accuracy, 3),
        "prompt tokens p50": summarise([float(r.prompt_tokens or 0) for r in results])["p50"],
    }
    return {"row": row, "accuracy": accuracy, "first_p50": first["p50"]}


def run_ask(options: BenchOptions) -> dict[str, Any]:
    """The ask suite; returns its results section."""
    load_before = load_average()
    settings = prepare_index(options)
    rows: list[dict[str, Any]] = []
    headline: dict[str, Any] = {}
    notes: list[str] = []
    measured: dict[str, dict[str, Any]] = {}
    for generator in options.generators:
        count = options.questions if generator != "extractive" else options.extractive_questions
        items = gold_facts(count)
        measured[generator] = measure_server(settings, generator, options, items)
        rows.extend(measured[generator]["rows"])
    if "extractive" in measured:
        plain_rows = [r for r in measured["extractive"]["rows"] if r["system"].startswith("ZoneQA POST")]
        headline["extractive_ask_p50_ms"] = round(plain_rows[0]["total p50 s"] * 1000, 1)
    if "llamacpp" in measured:
        sequential = measured["llamacpp"]["rows"][0]
        headline["qwen_first_token_p50_s"] = sequential["first token p50 s"]
        headline["qwen_total_p50_s"] = sequential["total p50 s"]
        if options.naive:
            items = gold_facts(options.questions)
            naive = measure_naive(settings, options, items)
            rows.append(naive["row"])
            if sequential["first token p50 s"]:
                headline["first_token_speedup"] = round(naive["first_p50"] / sequential["first token p50 s"], 2)
            headline["accuracy_margin"] = round(measured["llamacpp"]["accuracy"] - naive["accuracy"], 3)
            notes.append(
                f"Accuracy on {len(items)} gold fact items x {options.ask_repeats} repeats: ZoneQA (Qwen) "
                f"{measured['llamacpp']['accuracy']:.2f}, naive {naive['accuracy']:.2f} (answer regexes)."
            )
    notes.append(
        "Evidence sentence vectors are cached per process (LRU): the first pass over the questions "
        "embeds them (its times show in p95), later repeats reuse them, as popular questions would."
    )
    notes.append(
        "Concurrent clients share one process; the local LLM is serialised (one generation at a time), "
        "so with Qwen their first-token time includes the queue."
    )
    return {
        "load_before": load_before,
        "load_after": load_average(),
        "machine": machine_info(),
        "config": {
            "generators": list(options.generators),
            "llamacpp": settings.llamacpp.model_dump(mode="json"),
            "evidence": settings.evidence.model_dump(),
            "retrieval": settings.retrieval.model_dump(),
            "questions": options.questions,
            "extractive_questions": options.extractive_questions,
            "repeats": options.ask_repeats,
            "concurrency": options.concurrency,
        },
        "headline": headline,
        "notes": notes,
        "tables": {"Ask latency (client side, seconds)": rows},
        "plot": {
            "title": "p50 seconds",
            "ylabel": "seconds (log)",
            "log": True,
            "labels": [f"{r['system'].replace('ZoneQA ', '')} {r['clients']}" for r in rows],
            "series": {
                "first token": [r.get("first token p50 s") for r in rows],
                "total": [r.get("total p50 s") for r in rows],
            },
        },
    }
