"""Retrieval suite: BM25, dense and hybrid latency at several index sizes, embedded and server Chroma.

The scale corpus is synthetic but made of real parts: SciFact chunk texts and their real
MiniLM vectors (exported by the ingest suite), repeated to the wanted size, each copy's vector
perturbed by small Gaussian noise and re-normalised (so HNSW sees distinct points). Indexes are
built directly through :class:`ChromaStore` (one synthetic document per Chroma batch) and
:class:`BM25Index`, not through the embedder. Queries are real SciFact claims, searched through
:class:`rag.retriever.HybridSearcher` (query embedding included in dense and hybrid times).

Usage::

    section = run_retrieval(BenchOptions(sizes=(5000,), servers=("embedded",)))
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.ingest_bench import SCIFACT_VECTORS
from benchmarks.measure import disk_mb, load_average, machine_info, rss_mb, summarise
from benchmarks.options import BenchOptions
from core.config import Settings
from core.documents import Chunk
from index.store import release_embedded_chroma
from rag.retriever import SearchMode

MODES: tuple[SearchMode, ...] = ("bm25", "dense", "hybrid")
CHROMA_START_SECONDS = 90.0
_SEED = 7


def load_base_corpus(work_dir: Path) -> tuple[list[str], np.ndarray]:
    """Real SciFact chunk texts and vectors saved by the ingest suite."""
    path = work_dir / SCIFACT_VECTORS
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `python -m benchmarks ingest` first (it exports them)")
    data = np.load(path, allow_pickle=True)
    return [str(text) for text in data["texts"]], np.asarray(data["vectors"], dtype=np.float32)


def synthetic_batches(
    texts: list[str], vectors: np.ndarray, size: int, batch: int, noise: float
) -> Iterator[tuple[list[Chunk], np.ndarray]]:
    """``size`` chunks in batches: base chunk ``i % len(base)``, vector + N(0, noise²), re-normalised."""
    rng = np.random.default_rng(_SEED)
    for start in range(0, size, batch):
        count = min(batch, size - start)
        rows = np.arange(start, start + count) % len(texts)
        noisy = vectors[rows] + rng.normal(0.0, noise, size=(count, vectors.shape[1])).astype(np.float32)
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        source = f"synthetic-{start // batch:05d}"
        chunks = [
            Chunk(
                chunk_id=f"{source}#{offset}",
                source=source,
                title=source,
                text=texts[row],
                chunk_index=offset,
                char_start=0,
                char_end=len(texts[row]),
                sha256="synthetic",
            )
            for offset, row in enumerate(rows.tolist())
        ]
        yield chunks, noisy


def progress(message: str) -> None:
    """A timestamped line on stderr, so a watcher knows when the timed queries run."""
    print(f"{time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def build_index(settings: Settings, texts: list[str], vectors: np.ndarray, size: int, noise: float) -> dict[str, Any]:
    """Chroma (batched adds) then BM25 (from the store, as ingest does); timings in seconds."""
    from index.store import ChromaStore, DocumentRecord
    from ingest.pipeline import Ingestor

    progress(f"building {size:,} chunks ({'server' if settings.chroma_host else 'embedded'})")
    store = ChromaStore.from_settings(settings)
    batch = store._max_batch  # noqa: SLF001 - one synthetic document per Chroma batch
    started = time.perf_counter()
    for chunks, noisy in synthetic_batches(texts, vectors, size, batch, noise):
        record = DocumentRecord(source=chunks[0].source, title=chunks[0].title, sha256="synthetic", chunks=len(chunks))
        store.replace_document(record, chunks, noisy)
    chroma_seconds = time.perf_counter() - started
    progress(f"chroma done in {chroma_seconds:.0f} s; building BM25")
    started = time.perf_counter()
    Ingestor(settings, store=store).refresh_lexical_index(force=True)
    bm25_seconds = time.perf_counter() - started
    return {"chroma_build_s": chroma_seconds, "bm25_build_s": bm25_seconds, "chunks": store.count()}


class ChromaServer:
    """A ``chroma run`` process on a free port (stopped on exit)."""

    def __init__(self, path: Path) -> None:
        from api.testing import free_port

        self.path = path
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ChromaServer:
        import httpx

        chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
        command = [chroma, "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + CHROMA_START_SECONDS
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/api/v2/heartbeat", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.3)
        raise TimeoutError("chroma run did not start")

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


def measure_queries(settings: Settings, queries: list[str], repeats: int) -> dict[str, dict[str, Any]]:
    """Latency (ms) per mode over ``repeats`` passes of ``queries``, modes interleaved per query."""
    from rag.components import build

    progress(f"timing {len(queries)} queries x {repeats} ({'server' if settings.chroma_host else 'embedded'})")
    searcher = build(settings).searcher
    searcher.lexical.get()
    searcher.embedder.embed_query("warm-up")
    for mode in MODES:  # first query per mode pays lazy loads (mmap pages, HNSW into memory)
        searcher.search(queries[0], mode=mode)
    timings: dict[str, list[float]] = {mode: [] for mode in MODES}
    for _ in range(repeats):
        for query in queries:
            for mode in MODES:
                started = time.perf_counter()
                searcher.search(query, mode=mode)
                timings[mode].append((time.perf_counter() - started) * 1000)
    progress("timing done")
    return {mode: summarise(values) for mode, values in timings.items()}


def _row(
    where: str,
    folder: Path,
    build: dict[str, Any],
    latency: dict[str, dict[str, Any]],
    *,
    own_build: bool = True,
    client_rss: float | None = None,
    server_rss: float | None = None,
) -> dict[str, Any]:
    """One table row; without ``own_build`` the row reuses an index built for another row."""
    size = build["chunks"]
    build = build if own_build else {}
    build_total = build["chroma_build_s"] + build["bm25_build_s"] if build else None
    return {
        "store": where,
        "chunks": size,
        **{f"{mode} p50 ms": latency[mode]["p50"] for mode in MODES},
        **{f"{mode} p95 ms": latency[mode]["p95"] for mode in MODES},
        "queries x repeats": latency["hybrid"]["n"],
        "build s": round(build_total, 1) if build_total is not None else None,
        "build s per 1M chunks": round(build_total / size * 1_000_000) if build_total is not None else None,
        "chroma build s": round(build["chroma_build_s"], 1) if build else None,
        "bm25 build s": round(build["bm25_build_s"], 1) if build else None,
        "client RSS MiB": client_rss,
        "server RSS MiB": server_rss,
        "disk MiB": disk_mb(folder),
        "load avg after": load_average()[0],
    }


def run_size(options: BenchOptions, where: str, size: int, texts: list[str], vectors: np.ndarray) -> dict[str, Any]:
    """Build an index of ``size`` chunks in ``where`` (embedded or a fresh server) and time queries."""
    folder = options.work_dir / "retrieval" / f"{where}-{size}"
    shutil.rmtree(folder, ignore_errors=True)
    queries = _queries(options)
    base = Settings(data_dir=folder / "data", collection="scale")
    if where == "server":
        with ChromaServer(folder / "chroma-server") as server:
            settings = base.model_copy(update={"chroma_host": server.host})
            build = build_index(settings, texts, vectors, size, options.perturbation)
            latency = measure_queries(settings, queries, options.query_repeats)
            server_rss = rss_mb(server.process.pid) if server.process else None
        client_rss = rss_mb()
    else:
        settings = base
        build = build_index(settings, texts, vectors, size, options.perturbation)
        latency = measure_queries(settings, queries, options.query_repeats)
        server_rss = None
        client_rss = rss_mb()
        release_embedded_chroma(settings.chroma_dir)  # frees its HNSW index before the next size
    return _row(where, folder, build, latency, client_rss=client_rss, server_rss=server_rss)


def run_size_shared(options: BenchOptions, size: int, texts: list[str], vectors: np.ndarray) -> list[dict[str, Any]]:
    """Build once in embedded Chroma, time queries, then serve the same folder with ``chroma run``.

    Halves the build time at sizes where one build takes an hour (1M chunks). The server row has
    no build figures of its own, and its client RSS is not reported: the process still holds
    what the embedded measurement loaded.
    """
    folder = options.work_dir / "retrieval" / f"shared-{size}"
    shutil.rmtree(folder, ignore_errors=True)
    queries = _queries(options)
    settings = Settings(data_dir=folder / "data", collection="scale")
    build = build_index(settings, texts, vectors, size, options.perturbation)
    latency = measure_queries(settings, queries, options.query_repeats)
    embedded = _row("embedded", folder, build, latency, client_rss=rss_mb())
    release_embedded_chroma(settings.chroma_dir)
    with ChromaServer(settings.chroma_dir) as server:
        served = settings.model_copy(update={"chroma_host": server.host})
        latency = measure_queries(served, queries, options.query_repeats)
        server_rss = rss_mb(server.process.pid) if server.process else None
    return [embedded, _row("server (same index)", folder, build, latency, own_build=False, server_rss=server_rss)]


def _queries(options: BenchOptions) -> list[str]:
    from evals.datasets import load_scifact

    return list(load_scifact().queries.values())[: options.query_count]


def run_retrieval(options: BenchOptions) -> dict[str, Any]:
    """The retrieval suite; returns its results section."""
    load_before = load_average()
    texts, vectors = load_base_corpus(options.work_dir)
    rows: list[dict[str, Any]] = []
    for size in options.sizes:
        if size >= options.share_build_from and set(options.servers) == {"embedded", "server"}:
            rows.extend(run_size_shared(options, size, texts, vectors))
            shutil.rmtree(options.work_dir / "retrieval" / f"shared-{size}", ignore_errors=True)
            continue
        for where in options.servers:
            rows.append(run_size(options, where, size, texts, vectors))
            shutil.rmtree(options.work_dir / "retrieval" / f"{where}-{size}", ignore_errors=True)
    settings = Settings()
    headline: dict[str, Any] = {}
    for row in rows:
        if row["store"] == "embedded":
            headline[f"hybrid_p50_ms_{row['chunks']}"] = row["hybrid p50 ms"]
    notes = [
        f"Scale corpus: {len(texts)} real SciFact chunks (texts and MiniLM vectors from the ingest suite) "
        f"repeated to each size; every copy's vector gets N(0, {options.perturbation}²) noise per "
        "coordinate, then is re-normalised. BM25 sees the real texts (so postings grow with size).",
        "Latency is HybridSearcher.search(top_k="
        f"{settings.retrieval.top_k}, candidates={settings.retrieval.candidates}) in one process, "
        "query embedding included for dense and hybrid; modes interleaved per query.",
        "Client RSS is this benchmark process after the measurement (embedding model, BM25 and, "
        "embedded, Chroma's HNSW index); server RSS is the `chroma run` process.",
    ]
    shared = [size for size in options.sizes if size >= options.share_build_from]
    if shared and set(options.servers) == {"embedded", "server"}:
        notes.append(
            f"At {', '.join(f'{size:,}' for size in shared)} chunks the index is built once, in embedded Chroma, "
            "and then served by `chroma run --path` on the same folder (row 'server (same index)'): the build "
            "time is the embedded one, and the server row's client RSS is left out (same process)."
        )
    if 1_000_000 not in options.sizes:
        notes.append("1M chunks: not measured in this run (see the 1M section if present).")
    return {
        "load_before": load_before,
        "load_after": load_average(),
        "machine": machine_info(),
        "config": {
            "retrieval": settings.retrieval.model_dump(),
            "sizes": list(options.sizes),
            "stores": list(options.servers),
            "queries": options.query_count,
            "repeats": options.query_repeats,
        },
        "headline": headline,
        "notes": notes,
        "tables": {"Retrieval latency at scale": rows},
        "plot": {
            "title": "p50 latency by size (ms)",
            "ylabel": "ms (log)",
            "log": True,
            "labels": [f"{row['store']} {row['chunks']:,}" for row in rows],
            "series": {mode: [row[f"{mode} p50 ms"] for row in rows] for mode in MODES},
        },
    }
