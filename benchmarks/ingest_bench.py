"""Ingest suite: chunks per second per phase (load, chunk, embed, write, index), and the quality of
the embedding backend beside its speed (SciFact nDCG@10).

Two corpora go through the real :class:`ingest.pipeline.Ingestor` into a fresh embedded Chroma:
the default corpus (``corpus/``) and SciFact (5,183 abstracts, one ``.txt`` file each: title line,
blank line, abstract). The embedding model is loaded once before timing (a server pays it once).

Usage::

    section = run_ingest(BenchOptions(quick=True, work_dir=Path("data/bench")))
"""

from __future__ import annotations

import json
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.measure import PhaseTimer, disk_mb, load_average, machine_info, summarise
from benchmarks.options import BenchOptions
from core.config import REPO_ROOT, Settings

PHASES = ("load", "chunk", "embed", "write", "index")
SCIFACT_DIR = REPO_ROOT / "evals" / "datasets" / "scifact"
SCIFACT_VECTORS = "scifact-vectors.npz"
NDCG_DEPTH = 100
RAW_BASELINE_TEXTS = 128


def write_scifact_corpus(folder: Path, limit: int | None) -> dict[str, str]:
    """One ``<doc_id>.txt`` per abstract (title, blank line, text); returns file name → doc id."""
    shutil.rmtree(folder, ignore_errors=True)  # a previous run's (larger) corpus must not linger
    folder.mkdir(parents=True, exist_ok=True)
    names: dict[str, str] = {}
    with (SCIFACT_DIR / "corpus.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            record = json.loads(line)
            doc_id = str(record["_id"])
            name = f"{doc_id}.txt"
            title = " ".join(str(record.get("title", "")).split())
            (folder / name).write_text(f"{title}\n\n{record.get('text', '')}\n", encoding="utf-8")
            names[name] = doc_id
            if limit is not None and len(names) >= limit:
                break
    return names


def ingest_once(settings: Settings, run: int) -> dict[str, Any]:
    """A fresh index of ``settings.corpus_dir`` in ``<data_dir>/run-<n>``: per-phase seconds, chunks, disk.

    Each run gets its own folder: Chroma caches clients per path inside a process, so deleting and
    reusing a folder would let a later run see the previous run's records (and skip everything).
    """
    from ingest.pipeline import Ingestor

    settings = settings.model_copy(update={"data_dir": settings.data_dir / f"run-{run}"})
    shutil.rmtree(settings.data_dir, ignore_errors=True)
    timer = PhaseTimer()
    started = time.perf_counter()
    report = Ingestor(settings, progress=timer).run()
    seconds = time.perf_counter() - started
    if report.failed or not report.chunks_written:
        raise RuntimeError(f"ingest failed for {[(f.source, f.reason) for f in report.failed[:3]]}")
    return {
        "chunks": report.chunks_written,
        "files": report.counts()["added"],
        "seconds": seconds,
        "phases": timer.seconds(),
        "disk_mb": disk_mb(settings.data_dir),
    }


def phase_rows(corpus: str, runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per phase: median seconds over runs and chunks per second (the run's chunk count / phase time)."""
    rows = []
    chunks = runs[0]["chunks"]
    for phase in (*PHASES, "total"):
        seconds = [run["seconds"] if phase == "total" else run["phases"].get(phase, 0.0) for run in runs]
        median = statistics.median(seconds)
        rows.append(
            {
                "corpus": corpus,
                "phase": phase,
                "runs": len(runs),
                "chunks": chunks,
                "seconds p50": round(median, 3),
                "seconds max": round(max(seconds), 3),
                "chunks/s (p50 time)": round(chunks / median, 1) if median > 0 else None,
            }
        )
    return rows


def export_vectors(settings: Settings, names: dict[str, str], target: Path) -> int:
    """Save the SciFact index's chunk texts, sources and real vectors (the scale corpus reuses them)."""
    from index.store import ChromaStore

    store = ChromaStore.from_settings(settings)
    ids: list[str] = []
    texts: list[str] = []
    sources: list[str] = []
    vectors: list[np.ndarray] = []
    collection = store._chunks  # noqa: SLF001 - embeddings are not part of the store's public reads
    offset = 0
    while True:
        page = collection.get(include=["documents", "metadatas", "embeddings"], limit=5000, offset=offset)
        if not page["ids"]:
            break
        ids.extend(page["ids"])
        texts.extend(page["documents"])
        sources.extend(names.get(str(meta["source"]), str(meta["source"])) for meta in page["metadatas"])
        vectors.append(np.asarray(page["embeddings"], dtype=np.float32))
        offset += len(page["ids"])
    np.savez(
        target,
        ids=np.asarray(ids),
        texts=np.asarray(texts, dtype=object),
        sources=np.asarray(sources),
        vectors=np.concatenate(vectors),
    )
    return len(ids)


def scifact_ndcg(settings: Settings, names: dict[str, str], query_limit: int | None) -> dict[str, float]:
    """nDCG@10 of dense and hybrid retrieval over the ingested SciFact (chunk hits → documents)."""
    from evals.datasets import load_scifact
    from evals.retrieval import compute_metrics, documents_from_chunks
    from rag.components import build
    from rag.retriever import SearchMode

    scifact = load_scifact()
    indexed = set(names.values())
    qrels = {
        qid: {doc: rel for doc, rel in rels.items() if doc in indexed}
        for qid, rels in scifact.qrels.items()
        if any(doc in indexed for doc in rels)
    }
    queries = [(qid, text) for qid, text in scifact.queries.items() if qid in qrels][:query_limit]
    searcher = build(settings).searcher
    scores: dict[str, float] = {}
    modes: tuple[SearchMode, ...] = ("dense", "hybrid")
    for mode in modes:
        rankings = {}
        for qid, text in queries:
            hits = searcher.search(text, top_k=NDCG_DEPTH, mode=mode, merge_neighbours=False)
            rankings[qid] = documents_from_chunks(names.get(h.chunk.source, h.chunk.source) for h in hits)
        means, _ = compute_metrics({qid: qrels[qid] for qid, _ in queries}, rankings)
        scores[mode] = round(means["ndcg@10"], 4)
    scores["queries"] = len(queries)
    return scores


def raw_model_speed(vectors_file: Path, texts: int = RAW_BASELINE_TEXTS) -> dict[str, float]:
    """The baseline measured in the same run: the bare model on SciFact chunk texts (chunks/s)."""
    from index.embedders import get_embedder

    sample = [str(text) for text in np.load(vectors_file, allow_pickle=True)["texts"][:texts]]
    embedder = get_embedder(Settings().embedding)
    started = time.perf_counter()
    embedder.embed_documents(sample)
    seconds = time.perf_counter() - started
    return {"texts": len(sample), "seconds": round(seconds, 2), "chunks_per_s": round(len(sample) / seconds, 1)}


#: The embedding backends measured, first the default (its index feeds the retrieval suite).
BACKENDS = ("torch", "onnx", "onnx-int8")
BACKEND_LABELS = {
    "torch": "torch (sentence-transformers, default)",
    "onnx": "onnx (ONNX Runtime, fp32)",
    "onnx-int8": "onnx-int8 (ONNX Runtime, int8 weights)",
}


def cosine_to_reference(reference: Path, other: Path) -> dict[str, float]:
    """Cosine between two exports' vectors of the same chunk ids (1.0 = identical)."""
    first, second = np.load(reference, allow_pickle=True), np.load(other, allow_pickle=True)
    rows = {str(chunk_id): index for index, chunk_id in enumerate(second["ids"])}
    pairs = [(index, rows[str(chunk_id)]) for index, chunk_id in enumerate(first["ids"]) if str(chunk_id) in rows]
    if not pairs:
        return {"mean": float("nan"), "min": float("nan")}
    left = np.asarray(first["vectors"])[[a for a, _ in pairs]]
    right = np.asarray(second["vectors"])[[b for _, b in pairs]]
    cosines = (left * right).sum(axis=1)
    return {"mean": round(float(cosines.mean()), 4), "min": round(float(cosines.min()), 4)}


def measure_backend(
    options: BenchOptions, base: Settings, backend: str, names: dict[str, str], scifact_dir: Path
) -> dict[str, Any]:
    """Default-corpus and SciFact ingests, SciFact nDCG@10 and the exported vectors, for one backend."""
    from index.embedders import get_embedder

    work = options.work_dir / "ingest" / backend
    settings = base.model_copy(update={"embedding": base.embedding.model_copy(update={"backend": backend})})
    started = time.perf_counter()
    get_embedder(settings.embedding).embed_documents(["warm-up"])  # load (and, for ONNX, export once)
    load_s = time.perf_counter() - started
    default_settings = settings.model_copy(update={"data_dir": work / "default-data"})
    default_runs = [ingest_once(default_settings, run) for run in range(options.ingest_repeats)]
    scifact_settings = settings.model_copy(update={"data_dir": work / "scifact-data", "corpus_dir": scifact_dir})
    scifact_runs = [ingest_once(scifact_settings, run) for run in range(options.scifact_repeats)]
    last_run = scifact_settings.model_copy(update={"data_dir": scifact_settings.data_dir / "run-0"})
    vectors_file = work / SCIFACT_VECTORS
    exported = export_vectors(last_run, names, vectors_file)
    return {
        "backend": backend,
        "load_s": load_s,
        "default_runs": default_runs,
        "scifact_runs": scifact_runs,
        "ndcg": scifact_ndcg(last_run, names, options.ndcg_queries),
        "vectors_file": vectors_file,
        "exported": exported,
    }


def backend_row(result: dict[str, Any], reference: dict[str, Any], bare: dict[str, float] | None) -> dict[str, Any]:
    default_total = statistics.median(run["seconds"] for run in result["default_runs"])
    scifact_total = statistics.median(run["seconds"] for run in result["scifact_runs"])
    scifact_embed = statistics.median(run["phases"].get("embed", 0.0) for run in result["scifact_runs"])
    default_chunks, scifact_chunks = result["default_runs"][0]["chunks"], result["scifact_runs"][0]["chunks"]
    cosine = cosine_to_reference(reference["vectors_file"], result["vectors_file"])
    return {
        "backend": BACKEND_LABELS.get(result["backend"], result["backend"]),
        "load s": round(result["load_s"], 1),
        "bare model chunks/s": bare["chunks_per_s"] if bare else None,
        "SciFact embed chunks/s": round(scifact_chunks / scifact_embed, 1) if scifact_embed else None,
        "SciFact end to end chunks/s": round(scifact_chunks / scifact_total, 1),
        "default corpus end to end chunks/s": round(default_chunks / default_total, 1),
        "cosine to torch mean": cosine["mean"],
        "cosine to torch min": cosine["min"],
        "nDCG@10 dense": result["ndcg"]["dense"],
        "nDCG@10 hybrid": result["ndcg"]["hybrid"],
        "queries": result["ndcg"]["queries"],
    }


def run_ingest(options: BenchOptions) -> dict[str, Any]:
    """The ingest suite; returns its results section."""
    load_before = load_average()
    work = options.work_dir / "ingest"
    base = Settings(data_dir=work / "data")
    scifact_limit = options.scifact_limit
    names = write_scifact_corpus(work / "scifact-corpus", scifact_limit)
    results = [measure_backend(options, base, backend, names, work / "scifact-corpus") for backend in BACKENDS]
    torch_result = results[0]
    shutil.copyfile(torch_result["vectors_file"], options.work_dir / SCIFACT_VECTORS)
    raw = raw_model_speed(options.work_dir / SCIFACT_VECTORS)

    default_runs, scifact_runs = torch_result["default_runs"], torch_result["scifact_runs"]
    rows = phase_rows("default", default_runs) + phase_rows(f"scifact ({len(names)} abstracts)", scifact_runs)
    for result in results[1:]:
        rows += phase_rows(f"default [{result['backend']}]", result["default_runs"])
        rows += phase_rows(f"scifact [{result['backend']}]", result["scifact_runs"])
    backend_rows = [backend_row(result, torch_result, raw if result is torch_result else None) for result in results]
    default_total = statistics.median(run["seconds"] for run in default_runs)
    scifact_total = statistics.median(run["seconds"] for run in scifact_runs)
    scifact_chunks = scifact_runs[0]["chunks"]
    fastest = max(backend_rows[1:], key=lambda row: row["SciFact end to end chunks/s"])
    notes = [
        "Each backend's model is loaded (ONNX: exported once, then cached) before timing; load s is that "
        "one-time cost, not counted in the phases.",
        "Phases: load = file parsing, chunk = token-budget chunking, embed = the embedding backend, "
        "write = Chroma (embedded) adds and document records, index = BM25 build and save. Rows without "
        "a [backend] are torch, the default.",
        f"Baseline in the same run: the bare torch model embeds {raw['texts']} SciFact chunks at "
        f"{raw['chunks_per_s']} chunks/s (one encode call); compare with the pipeline's embed phase.",
        "SciFact nDCG@10 is over the ingested abstracts only (a subset has fewer distractors than "
        "the full 5,183, so it reads higher than the full-corpus figure from evals/). Cosine to torch "
        "compares each chunk's vector with the torch backend's vector of the same chunk.",
        f"SciFact exported {torch_result['exported']} real torch chunk vectors to {SCIFACT_VECTORS} for the "
        "retrieval suite.",
        "sentence-transformers' own ONNX backend needs optimum-onnx, which requires transformers < 4.58 "
        "(sentence-transformers 5+ requires transformers 5), so ZoneQA exports with torch.onnx and "
        "quantises with onnxruntime.quantization (index/embedders/onnx.py).",
    ]
    if scifact_limit:
        notes.append(f"Limited run: SciFact limited to the first {scifact_limit} abstracts.")
    return {
        "load_before": load_before,
        "load_after": load_average(),
        "machine": machine_info(),
        "config": {
            "embedding": base.embedding.model_dump(),
            "chunking": base.chunking.model_dump(),
            "default_repeats": options.ingest_repeats,
            "scifact_repeats": options.scifact_repeats,
            "scifact_abstracts": len(names),
            "store": "embedded Chroma (PersistentClient)",
        },
        "headline": {
            "default_chunks_per_s": round(default_runs[0]["chunks"] / default_total, 1),
            "scifact_chunks_per_s": round(scifact_chunks / scifact_total, 1),
            "scifact_ndcg10_hybrid": torch_result["ndcg"]["hybrid"],
            "fastest_backend_scifact_chunks_per_s": fastest["SciFact end to end chunks/s"],
        },
        "headline_notes": {
            "scifact_chunks_per_s": f"{scifact_chunks} chunks, median of {len(scifact_runs)} run(s)",
            "default_chunks_per_s": f"{default_runs[0]['chunks']} chunks, median of {len(default_runs)} runs",
            "fastest_backend_scifact_chunks_per_s": f"{fastest['backend']}: nDCG@10 hybrid "
            f"{fastest['nDCG@10 hybrid']} vs torch {backend_rows[0]['nDCG@10 hybrid']}",
        },
        "notes": notes,
        "tables": {"Ingest phases": rows, "Embedding backends (speed beside quality)": backend_rows},
        "raw": {
            "backends": {
                result["backend"]: {key: value for key, value in result.items() if key != "vectors_file"}
                for result in results
            },
            "bare_model": raw,
        },
        "plot": {
            "title": "chunks/s by phase (p50)",
            "ylabel": "chunks per second (log)",
            "log": True,
            "labels": [*PHASES, "total"],
            "series": {
                corpus: [row["chunks/s (p50 time)"] for row in rows if row["corpus"] == corpus]
                for corpus in dict.fromkeys(row["corpus"] for row in rows)
            },
        },
        "summary": {"default_seconds": summarise([run["seconds"] for run in default_runs])},
    }
