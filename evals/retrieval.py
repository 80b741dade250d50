"""Retrieval evaluation: named configurations run over the gold set or SciFact, scored by pytrec_eval.

Metrics (means over queries): ``hit@k`` (trec_eval ``success``), ``recall@k`` for
k in 1, 3, 5, 10, 20, 100, ``mrr@10`` (reciprocal rank over the top 10) and ``ndcg@10``.
pytrec_eval is the scorer BEIR uses, so SciFact figures compare with published ones.

Gold set: a chunk is relevant when it contains the item's evidence quote; unanswerable items are
left out; follow-ups are condensed as ``rag.condense`` does without an LLM. Rankings are the
un-merged chunk rankings (``merge_neighbours=False``) to depth 100.
SciFact: chunk hits become document hits (a document's best chunk), to depth 100.

Usage::

    result = evaluate_zone(settings, "hybrid")
    result.metrics["hit@5"], result.metrics["ndcg@10"]
    compute_metrics({"q1": {"a": 1}}, {"q1": ["x", "a"]})[0]["mrr@10"]  # 0.5
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from core.config import Settings
from evals.datasets import GoldItem, SciFact, contains_evidence, load_gold, load_scifact, normalize_for_match

CUTOFFS = (1, 3, 5, 10, 20, 100)
DEPTH = 100
# SciFact abstracts have ~2 chunks each: rank this many chunks to fill 100 documents.
SCIFACT_CHUNK_DEPTH = 300
CONFIGS = ("hybrid", "hybrid-rrf", "hybrid-weighted", "bm25", "dense-minilm", "dense-chunked", "naive")
DEFAULT_CONFIGS = ("hybrid", "naive")
CONFIG_HELP = {
    "hybrid": "HybridSearcher as configured (BM25 + dense, configured fusion)",
    "hybrid-rrf": "HybridSearcher, reciprocal rank fusion",
    "hybrid-weighted": "HybridSearcher, weighted score fusion",
    "bm25": "BM25 only (ZoneQA chunks)",
    "dense-minilm": "dense only, all-MiniLM-L6-v2 (SciFact: one vector per whole abstract, as published)",
    "dense-chunked": "dense only over ZoneQA chunks (SciFact: best chunk per abstract)",
    "naive": "LangChain tutorial: 1000/200 character splits, dense only",
}
Dataset = Literal["zone", "scifact"]
ProgressHook = Callable[[str, int, int], None]


class Searcher(Protocol):
    """What the evaluation needs of a searcher (``HybridSearcher`` or a stand-in)."""

    def search(self, query: str, **options: Any) -> Sequence[Any]: ...


# ---- metrics -------------------------------------------------------------------------------------
def metric_names(cutoffs: Sequence[int] = CUTOFFS) -> list[str]:
    return [f"hit@{k}" for k in cutoffs] + [f"recall@{k}" for k in cutoffs] + ["mrr@10", "ndcg@10"]


def compute_metrics(
    qrels: Mapping[str, Mapping[str, int]], rankings: Mapping[str, Sequence[str]], cutoffs: Sequence[int] = CUTOFFS
) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Mean and per-query metrics of ranked id lists against graded judgments (pytrec_eval).

    Queries without any relevant id are skipped; a judged query with no ranking scores 0.
    """
    import pytrec_eval

    judged = {qid: {doc: int(rel) for doc, rel in rels.items()} for qid, rels in qrels.items() if rels}
    names = metric_names(cutoffs)
    per_query: dict[str, dict[str, float]] = {qid: dict.fromkeys(names, 0.0) for qid in judged}
    if not judged:
        return dict.fromkeys(names, 0.0), per_query

    def as_run(depth: int | None) -> dict[str, dict[str, float]]:
        # Scores encode rank so that ties in the system's own scores cannot reorder the list.
        run: dict[str, dict[str, float]] = {}
        for qid, ranking in rankings.items():
            unique = list(dict.fromkeys(ranking))[:depth]
            if qid in judged and unique:
                run[qid] = {doc: float(len(unique) - rank) for rank, doc in enumerate(unique)}
        return run

    cut = ",".join(str(k) for k in cutoffs)
    full = pytrec_eval.RelevanceEvaluator(judged, {f"success.{cut}", f"recall.{cut}", "ndcg_cut.10"})
    for qid, values in full.evaluate(as_run(None)).items():
        for k in cutoffs:
            per_query[qid][f"hit@{k}"] = float(values[f"success_{k}"])
            per_query[qid][f"recall@{k}"] = float(values[f"recall_{k}"])
        per_query[qid]["ndcg@10"] = float(values["ndcg_cut_10"])
    top10 = pytrec_eval.RelevanceEvaluator(judged, {"recip_rank"})
    for qid, values in top10.evaluate(as_run(10)).items():
        per_query[qid]["mrr@10"] = float(values["recip_rank"])
    means = {name: sum(q[name] for q in per_query.values()) / len(per_query) for name in names}
    return means, per_query


# ---- results -------------------------------------------------------------------------------------
@dataclass
class QueryRecord:
    qid: str
    query: str
    ranking: list[str]
    relevant: list[str]
    latency_ms: float
    item_type: str = ""


@dataclass
class RetrievalResult:
    """One configuration on one dataset."""

    dataset: str
    config: str
    description: str
    metrics: dict[str, float]
    per_query: dict[str, dict[str, float]]
    records: list[QueryRecord] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def latencies(self) -> list[float]:
        return [record.latency_ms for record in self.records]

    def per_question_rows(self) -> Iterable[dict[str, Any]]:
        for record in self.records:
            first = next((i + 1 for i, cid in enumerate(record.ranking) if cid in set(record.relevant)), None)
            yield {
                "dataset": self.dataset,
                "config": self.config,
                "id": record.qid,
                "type": record.item_type,
                "query": record.query,
                "first_relevant_rank": first,
                "relevant": record.relevant,
                "top5": record.ranking[:5],
                "latency_ms": round(record.latency_ms, 2),
                **{k: round(v, 4) for k, v in self.per_query.get(record.qid, {}).items()},
            }


# ---- the gold set --------------------------------------------------------------------------------
def gold_query(item: GoldItem) -> str:
    """The question as ZoneQA searches it in extractive mode (follow-ups condensed without an LLM)."""
    from core.schemas import ChatTurn
    from rag.condense import condense_question

    history = [ChatTurn(role=turn.role, content=turn.content) for turn in item.history]
    return condense_question(" ".join(item.question.split()), history, None)


def relevant_chunks(evidence: str, chunks: Iterable[tuple[str, str]]) -> list[str]:
    """Ids of chunks containing the evidence; if a chunk border cuts it, chunks holding either half."""
    chunks = list(chunks)
    found = [cid for cid, text in chunks if contains_evidence(text, evidence)]
    if found:
        return found
    words = normalize_for_match(evidence).split(" ")
    halves = [" ".join(words[: len(words) // 2 + 1]), " ".join(words[len(words) // 2 :])]
    normalized = [(cid, normalize_for_match(text)) for cid, text in chunks]
    return [cid for cid, text in normalized if any(len(h) >= 15 and h in text for h in halves)]


def _store_chunks(store: Any) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for ids, texts, _metas in store.iter_chunks():
        pairs.extend(zip(ids, texts, strict=True))
    return pairs


def evaluate_zone(
    settings: Settings,
    config: str,
    *,
    items: Sequence[GoldItem] | None = None,
    searcher: Searcher | None = None,
    progress: ProgressHook | None = None,
) -> RetrievalResult:
    """Run one configuration over the answerable gold items (index: ``settings``; naive: its own)."""
    items = [item for item in (items or load_gold()) if item.answerable and item.evidence]
    started = time.perf_counter()
    search: Callable[[str], list[str]]
    if config == "naive":
        from evals.indexes import NaiveIndex, cache_root, load_corpus_documents

        naive = NaiveIndex.build(load_corpus_documents(settings), cache_root(settings) / "naive-zone", settings)
        pool = _store_chunks(naive.store)

        def search(query: str) -> list[str]:
            return [hit.chunk.chunk_id for hit in naive.search(query, k=DEPTH)]
    else:
        active: Any = searcher
        if active is None:
            from rag.components import build

            active = build(settings).searcher
        options = _hybrid_options(config, settings)
        pool = _store_chunks(getattr(active, "store", None) or _open_store(settings))

        def search(query: str) -> list[str]:
            hits = active.search(query, top_k=DEPTH, merge_neighbours=False, **options)
            return [hit.chunk.chunk_id for hit in hits]

    records: list[QueryRecord] = []
    qrels: dict[str, dict[str, int]] = {}
    unmatched = []
    for number, item in enumerate(items, start=1):
        query = gold_query(item)
        relevant = relevant_chunks(item.evidence or "", pool)
        if not relevant:
            unmatched.append(item.id)
        tick = time.perf_counter()
        ranking = search(query)
        latency = (time.perf_counter() - tick) * 1000
        qrels[item.id] = dict.fromkeys(relevant, 1)
        records.append(QueryRecord(item.id, query, ranking, relevant, latency, item.type))
        if progress:
            progress(f"zone/{config}", number, len(items))
    rankings = {record.qid: record.ranking for record in records}
    # An evidence quote no chunk holds is a miss for the system, not a skipped query.
    for qid in unmatched:
        qrels[qid] = {"__evidence_not_in_any_chunk__": 1}
    means, per_query = compute_metrics(qrels, rankings)
    notes = [f"evidence found in no chunk for: {', '.join(unmatched)}"] if unmatched else []
    return RetrievalResult(
        "zone", config, _describe(config, settings), means, per_query, records, time.perf_counter() - started, notes
    )


def _open_store(settings: Settings) -> Any:
    from index.store import ChromaStore

    return ChromaStore.from_settings(settings)


def _hybrid_options(config: str, settings: Settings) -> dict[str, Any]:
    if config == "hybrid":
        return {"mode": "hybrid", "fusion": settings.retrieval.fusion}
    if config == "hybrid-rrf":
        return {"mode": "hybrid", "fusion": "rrf"}
    if config == "hybrid-weighted":
        return {"mode": "hybrid", "fusion": "weighted"}
    if config == "bm25":
        return {"mode": "bm25"}
    if config in ("dense-minilm", "dense-chunked"):
        return {"mode": "dense"}
    raise ValueError(f"unknown configuration {config!r}; choose from {', '.join(CONFIGS)}")


def _describe(config: str, settings: Settings) -> str:
    text = CONFIG_HELP.get(config, config)
    if config == "hybrid":
        text += f" [fusion={settings.retrieval.fusion}]"
    return text


# ---- SciFact -------------------------------------------------------------------------------------
def documents_from_chunks(chunk_sources: Iterable[str], depth: int = DEPTH) -> list[str]:
    """Chunk ranking → document ranking: a document ranks where its best chunk does."""
    return list(dict.fromkeys(chunk_sources))[:depth]


def evaluate_scifact(
    settings: Settings,
    config: str,
    *,
    scifact: SciFact | None = None,
    progress: ProgressHook | None = None,
) -> RetrievalResult:
    """Run one configuration over the 300 SciFact test claims (indexes built on first use).

    Searches are exact and in memory over ZoneQA's chunks, BM25 index and embeddings, fused with
    ZoneQA's own fusion functions and settings (``candidates``, ``rrf_k``, ``dense_weight``).
    """
    from evals.indexes import NaiveIndex, SciFactIndex, cache_root, scifact_documents
    from index.embedders import get_embedder
    from rag.retriever import reciprocal_rank_fusion, weighted_score_fusion

    scifact = scifact or load_scifact()
    root = cache_root(settings)
    started = time.perf_counter()
    needs_chunk_vectors = config not in ("dense-minilm", "bm25", "naive")
    index = SciFactIndex.build(scifact, settings, root, with_chunk_vectors=needs_chunk_vectors, progress=progress)
    embedder = get_embedder(settings.embedding)
    source_of = index.source_of()
    retrieval = settings.retrieval
    candidates = max(retrieval.candidates, SCIFACT_CHUNK_DEPTH)
    search: Callable[[str], list[str]]
    if config == "dense-minilm":

        def search(query: str) -> list[str]:
            return index.dense_whole(embedder.embed_query(query), DEPTH)
    elif config == "naive":
        naive = NaiveIndex.build(scifact_documents(scifact), root / "naive-scifact", settings, progress)

        def search(query: str) -> list[str]:
            hits = naive.search(query, k=SCIFACT_CHUNK_DEPTH)
            return documents_from_chunks(hit.chunk.source for hit in hits)
    else:
        options = _hybrid_options(config, settings)

        def search(query: str) -> list[str]:
            bm25 = index.bm25.search(query, candidates) if options["mode"] in ("hybrid", "bm25") else []
            dense = (
                index.dense_chunks(embedder.embed_query(query), candidates)
                if options["mode"] in ("hybrid", "dense")
                else []
            )
            if options["mode"] == "bm25":
                fused = dict(bm25)
            elif options["mode"] == "dense":
                fused = dict(dense)
            elif options["fusion"] == "rrf":
                fused = reciprocal_rank_fusion([[c for c, _ in bm25], [c for c, _ in dense]], retrieval.rrf_k)
            else:
                fused = weighted_score_fusion(dict(bm25), dict(dense), retrieval.dense_weight)
            ranked = sorted(fused, key=lambda cid: fused[cid], reverse=True)
            return documents_from_chunks(source_of[cid] for cid in ranked)

    records: list[QueryRecord] = []
    for number, (qid, query) in enumerate(scifact.queries.items(), start=1):
        tick = time.perf_counter()
        ranking = search(query)
        latency = (time.perf_counter() - tick) * 1000
        records.append(QueryRecord(qid, query, ranking, sorted(scifact.qrels.get(qid, {})), latency))
        if progress:
            progress(f"scifact/{config}", number, len(scifact.queries))
    means, per_query = compute_metrics(scifact.qrels, {r.qid: r.ranking for r in records})
    notes = ["exact in-memory search over ZoneQA chunks/BM25/embeddings (no Chroma ANN)"] if config != "naive" else []
    return RetrievalResult(
        "scifact", config, _describe(config, settings), means, per_query, records, time.perf_counter() - started, notes
    )


def evaluate(
    settings: Settings, dataset: Dataset, configs: Sequence[str], progress: ProgressHook | None = None
) -> list[RetrievalResult]:
    """Every configuration in ``configs`` on ``dataset``."""
    unknown = [config for config in configs if config not in CONFIGS]
    if unknown:
        raise ValueError(f"unknown configuration(s) {unknown}; choose from {', '.join(CONFIGS)}")
    if dataset == "zone":
        return [evaluate_zone(settings, config, progress=progress) for config in configs]
    scifact = load_scifact()
    return [evaluate_scifact(settings, config, scifact=scifact, progress=progress) for config in configs]
