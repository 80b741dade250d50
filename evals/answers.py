"""Answer and grounding evaluation of the full pipeline (and the naive baseline) on the gold set.

Per item: answer correctness (the gold regexes, citation markers stripped), refusal, and for each
answer sentence ALCE citation recall and precision (Gao et al. 2023): a sentence is supported
when its cited passages together support it; a citation is precise when the sentence is supported
and the citation is needed (it supports the sentence on its own, or removing it breaks support).
Support is decided by a pluggable judge: ``lexical`` (ZoneQA's support score: content-word
containment + embedding similarity + numbers present) or ``llm`` (the local LLM, yes/no).

The naive baseline (LangChain tutorial defaults): dense top 4 over 1000/200 character splits,
whole chunks stuffed into a prompt, no evidence selection, no citation check. Its "citations" are
the four chunks it stuffed (what the tutorial returns as sources); with the extractive generator
its answer is the first chunk's text.

Usage::

    result = evaluate_answers(settings, generator="extractive", judge="lexical", limit=20)
    result.metrics["zoneqa"]["answer_accuracy"], result.metrics["ratio"]["answer_accuracy"]
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from core.config import Settings
from core.documents import with_context
from evals.datasets import GoldItem, contains_evidence, load_gold
from evals.indexes import NAIVE_CONTEXT_TOKENS

if TYPE_CHECKING:
    from rag.citations import CitationChecker
    from rag.generators.base import ChatModel

JudgeName = Literal["lexical", "llm"]
ProgressHook = Callable[[str, int, int], None]
# A passage set is judged jointly; the lexical judge reads at most this many characters of it.
_MAX_JOINT_CHARS = 4000
# The LangChain hub prompt "rlm/rag-prompt" used by the LangChain RAG tutorial.
NAIVE_PROMPT = (
    "You are an assistant for question-answering tasks. Use the following pieces of retrieved context "
    "to answer the question. If you don't know the answer, just say that you don't know. Use three "
    "sentences maximum and keep the answer concise.\nQuestion: {question} \nContext: {context} \nAnswer:"
)
# How a naive LLM answer says it does not know (the tutorial prompt asks for "I don't know").
_NAIVE_REFUSAL = re.compile(
    r"\b(?:don'?t|do not|does not|doesn'?t|cannot|can'?t) (?:know|provide|find|mention|contain)|"
    r"\bnot (?:mentioned|provided|stated|specified)\b|\bno information\b",
    re.I,
)

SupportFn = Callable[[str, Sequence[str]], bool]


# ---- support judges ------------------------------------------------------------------------------
class LexicalJudge:
    """Support = ZoneQA's own score (``CitationChecker.support``) ≥ ``support_threshold``.

    A set of passages supports a claim when one of them does, or their concatenation does. A
    difference or sum of two of their numbers (or the days between two of their dates) counts as
    stated by them: "fell by 7,387,685" is entailed by the two cells it is worked from.
    """

    name = "lexical"

    def __init__(self, settings: Settings) -> None:
        from index.embedders import get_embedder
        from rag.citations import CitationChecker

        self.embedder = get_embedder(settings.embedding)
        self.checker = CitationChecker(self.embedder, settings.evidence)
        self.threshold = settings.evidence.support_threshold
        self._vectors: dict[str, Any] = {}

    def _vector(self, text: str) -> Any:
        if text not in self._vectors:
            self._vectors[text] = self.embedder.embed_query(text)
        return self._vectors[text]

    def __call__(self, claim: str, passages: Sequence[str]) -> bool:
        from core.documents import Chunk
        from rag.evidence import Evidence

        if not passages:
            return False
        from rag.arithmetic import derived_numbers

        claim_vector = self._vector(claim)
        candidates = list(passages) + (["\n".join(passages)[:_MAX_JOINT_CHARS]] if len(passages) > 1 else [])
        for text in candidates:
            chunk = Chunk(
                chunk_id="judge",
                source="",
                title="",
                text=text,
                chunk_index=0,
                char_start=0,
                char_end=len(text),
                sha256="",
            )
            item = Evidence(text=text, chunk=chunk, start=0, end=len(text), vector=self._vector(text))
            if self.checker.support(claim, claim_vector, item, derived_numbers(text), set()) >= self.threshold:
                return True
        return False


class LlmJudge:
    """Support = the local LLM answers "yes" (:func:`rag.generators.chat.ask_yes_no`)."""

    name = "llm"

    def __init__(self, settings: Settings, chat_model: ChatModel | None = None) -> None:
        if chat_model is None:
            from rag.generators.llamacpp import LlamaCppGenerator
            from rag.llm_models import resolve_model_path

            chat_model = LlamaCppGenerator(resolve_model_path(settings), settings.llamacpp)
        self.chat_model = chat_model

    def __call__(self, claim: str, passages: Sequence[str]) -> bool:
        if not passages:
            return False
        evidence = "\n".join(f"- {' '.join(p.split())}" for p in passages)[:_MAX_JOINT_CHARS]
        from rag.generators.chat import ask_yes_no

        return ask_yes_no(
            self.chat_model, f"Evidence:\n{evidence}\nClaim: {claim}\nDoes the evidence support the claim?"
        )


def make_judge(name: JudgeName, settings: Settings, chat_model: ChatModel | None = None) -> SupportFn:
    if name == "lexical":
        return LexicalJudge(settings)
    if name == "llm":
        return LlmJudge(settings, chat_model)
    raise ValueError(f"unknown judge {name!r}: use lexical or llm")


# ---- ALCE citation scoring -----------------------------------------------------------------------
@dataclass
class SentenceScore:
    text: str
    cited: list[int]
    supported: bool
    precise_citations: int


def score_citations(answer: str, passages: dict[int, str], judge: SupportFn) -> list[SentenceScore]:
    """ALCE recall/precision ingredients per answer sentence (``passages``: marker number → text)."""
    from rag.citations import split_claims

    scores = []
    for claim, markers in split_claims(answer):
        cited = [n for n in markers if n in passages]
        supported = bool(cited) and judge(claim, [passages[n] for n in cited])
        precise = 0
        if supported:
            if len(cited) == 1:
                precise = 1
            else:
                for n in cited:
                    alone = judge(claim, [passages[n]])
                    others = [passages[m] for m in cited if m != n]
                    # ALCE: a citation is over-citing when it does not support alone and is not needed.
                    if alone or not judge(claim, others):
                        precise += 1
        scores.append(SentenceScore(claim, cited, supported, precise))
    return scores


# ---- per-item records ------------------------------------------------------------------------------
@dataclass
class ItemResult:
    system: str  # "zoneqa" | "naive"
    item_id: str
    item_type: str
    question: str
    answer: str
    answerable_gold: bool
    refused: bool
    correct: bool | None
    sentences: list[SentenceScore] = field(default_factory=list)
    evidence_cited: bool | None = None
    total_ms: float = 0.0
    first_token_ms: float | None = None
    prompt_tokens: int | None = None
    citations: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None  # the item failed (counted as not answered correctly); why
    #: The row of the per-kind table: the item's type, or "chinese" for a question asked in Chinese.
    kind: str = ""
    refusal_reason: str | None = None
    #: A citation (ZoneQA) or a stuffed chunk (naive) comes from the document that holds the answer.
    cited_right_document: bool | None = None

    def row(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "id": self.item_id,
            "type": self.item_type,
            "question": self.question,
            "answer": self.answer,
            "answerable_gold": self.answerable_gold,
            "refused": self.refused,
            "correct": self.correct,
            "evidence_cited": self.evidence_cited,
            "sentences": [s.__dict__ for s in self.sentences],
            "total_ms": round(self.total_ms, 1),
            "first_token_ms": None if self.first_token_ms is None else round(self.first_token_ms, 1),
            "prompt_tokens": self.prompt_tokens,
            "citations": self.citations,
            "error": self.error,
            "kind": self.kind or self.item_type,
            "refusal_reason": self.refusal_reason,
            "cited_right_document": self.cited_right_document,
        }

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ItemResult:
        """The inverse of :meth:`row` (how ``--resume`` reads back a partial ``per_question.jsonl``)."""
        return cls(
            system=row["system"],
            item_id=row["id"],
            item_type=row["type"],
            question=row["question"],
            answer=row["answer"],
            answerable_gold=row["answerable_gold"],
            refused=row["refused"],
            correct=row["correct"],
            sentences=[SentenceScore(**sentence) for sentence in row.get("sentences", [])],
            evidence_cited=row.get("evidence_cited"),
            total_ms=row.get("total_ms", 0.0),
            first_token_ms=row.get("first_token_ms"),
            prompt_tokens=row.get("prompt_tokens"),
            citations=row.get("citations", []),
            error=row.get("error"),
            kind=row.get("kind", row["type"]),
            refusal_reason=row.get("refusal_reason"),
            cited_right_document=row.get("cited_right_document"),
        )

    @classmethod
    def failed(cls, system: str, item: GoldItem, exc: Exception) -> ItemResult:
        """An item whose run raised: not refused, not correct, its error kept for the report."""
        return cls(
            system=system,
            item_id=item.id,
            item_type=item.type,
            question=item.question,
            answer="",
            answerable_gold=item.answerable,
            refused=False,
            correct=False if item.answerable else None,
            error=f"{type(exc).__name__}: {exc}",
            kind=item_kind(item),
        )


def item_kind(item: GoldItem) -> str:
    """The row an item is reported in: its type, or "chinese" for a question asked in Chinese."""
    return "chinese" if item.lang == "zh" else item.type


def _right_documents(item: GoldItem) -> set[str]:
    return {source for source in (item.source, item.source_2) if source}


def strip_markers(text: str) -> str:
    from rag.citations import MARKER

    return MARKER.sub("", text)


def _history(item: GoldItem) -> list[Any]:
    from core.schemas import ChatTurn

    return [ChatTurn(role=turn.role, content=turn.content) for turn in item.history]


def run_zoneqa(pipeline: Any, item: GoldItem, judge: SupportFn) -> ItemResult:
    """One gold item through ``RagPipeline`` (streamed, so first-token time is real)."""
    started = time.perf_counter()
    first: float | None = None
    final = None
    for event in pipeline.stream(item.question, history=_history(item)):
        if event.kind == "token" and first is None:
            first = (time.perf_counter() - started) * 1000
        elif event.kind == "answer":
            final = event.answer
    assert final is not None
    refused = not final.answerable
    # A table row is judged under its caption and header, as the citation shows it.
    passages = {c.n: with_context(c.quote, c.context) for c in final.citations}
    sentences = [] if refused else score_citations(final.answer, passages, judge)
    texts = [t for c in final.citations for t in (c.quote, c.passage)]
    return ItemResult(
        system="zoneqa",
        item_id=item.id,
        item_type=item.type,
        question=item.question,
        answer=final.answer,
        answerable_gold=item.answerable,
        refused=refused,
        correct=(not refused and item.answer_matches(strip_markers(final.answer))) if item.answerable else None,
        sentences=sentences,
        evidence_cited=any(contains_evidence(t, item.evidence) for t in texts) if item.answerable else None,
        total_ms=final.timings_ms.get("total", (time.perf_counter() - started) * 1000),
        first_token_ms=final.timings_ms.get("first_token", first),
        prompt_tokens=final.prompt_tokens,
        citations=[{"n": c.n, "source": c.source, "page": c.page, "quote": c.quote} for c in final.citations],
        kind=item_kind(item),
        refusal_reason=final.refusal_reason,
        cited_right_document=bool(_right_documents(item) & {c.source for c in final.citations})
        if item.answerable
        else None,
    )


class NaiveBaseline:
    """The LangChain-tutorial pipeline over the same corpus (see the module docstring)."""

    def __init__(self, settings: Settings, chat_model: ChatModel | None) -> None:
        from evals.indexes import NaiveIndex, cache_root, load_corpus_documents

        self.index = NaiveIndex.build(load_corpus_documents(settings), cache_root(settings) / "naive-zone", settings)
        self.chat_model = chat_model

    def run(self, item: GoldItem, judge: SupportFn) -> ItemResult:
        from evals.indexes import NAIVE_TOP_K
        from evals.retrieval import gold_query

        started = time.perf_counter()
        # Same standalone question as ZoneQA's extractive mode: the comparison is about retrieval
        # and grounding, not condensing.
        question = gold_query(item)
        hits = self.index.search(question, k=NAIVE_TOP_K)
        chunks = [hit.chunk.text for hit in hits]
        first: float | None = None
        prompt_tokens: int | None = None
        if self.chat_model is None:
            answer = chunks[0] if chunks else ""
            first = (time.perf_counter() - started) * 1000
            refused = not answer
        else:
            context = "\n\n".join(chunks)
            prompt = NAIVE_PROMPT.format(question=question, context=context)
            prompt_tokens = self.chat_model.count_tokens(prompt)
            pieces = []
            for piece in self.chat_model.stream([{"role": "user", "content": prompt}]):
                if first is None:
                    first = (time.perf_counter() - started) * 1000
                pieces.append(piece)
            answer = "".join(pieces).strip()
            refused = not answer or bool(_NAIVE_REFUSAL.search(answer))
        total = (time.perf_counter() - started) * 1000
        # The tutorial's "sources" are all stuffed chunks: every sentence cites all of them.
        markers = "".join(f"[{n}]" for n in range(1, len(chunks) + 1))
        from rag.citations import split_claims

        cited_answer = " ".join(f"{claim} {markers}" for claim, _ in split_claims(answer)) if answer else ""
        passages = {n: text for n, text in enumerate(chunks, start=1)}
        sentences = [] if refused else score_citations(cited_answer, passages, judge)
        return ItemResult(
            system="naive",
            item_id=item.id,
            item_type=item.type,
            question=item.question,
            answer=answer,
            answerable_gold=item.answerable,
            refused=refused,
            correct=(not refused and item.answer_matches(answer)) if item.answerable else None,
            sentences=sentences,
            evidence_cited=any(contains_evidence(c, item.evidence) for c in chunks) if item.answerable else None,
            total_ms=total,
            first_token_ms=first,
            prompt_tokens=prompt_tokens,
            citations=[{"n": n, "source": h.chunk.source, "page": h.chunk.page} for n, h in enumerate(hits, 1)],
            kind=item_kind(item),
            refusal_reason="model_declined" if refused else None,
            cited_right_document=bool(_right_documents(item) & {h.chunk.source for h in hits})
            if item.answerable
            else None,
        )


# ---- aggregation ---------------------------------------------------------------------------------
def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return float(values[0])
    return float(statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1])


def aggregate(results: Sequence[ItemResult]) -> dict[str, float | None]:
    """The headline metrics of one system over a list of item results."""
    answerable = [r for r in results if r.answerable_gold]
    unanswerable = [r for r in results if not r.answerable_gold]
    refused = [r for r in results if r.refused]
    sentences = [s for r in results if not r.refused for s in r.sentences]
    citations = sum(len(s.cited) for s in sentences)
    totals = [r.total_ms for r in results]
    firsts = [r.first_token_ms for r in results if r.first_token_ms is not None]
    prompts = [float(r.prompt_tokens) for r in results if r.prompt_tokens is not None]
    return {
        "items": float(len(results)),
        "answer_accuracy": _mean([1.0 if r.correct else 0.0 for r in answerable]),
        "answer_accuracy_cited": _mean([1.0 if r.correct and r.cited_right_document else 0.0 for r in answerable]),
        "citation_recall": _mean([1.0 if s.supported else 0.0 for s in sentences]),
        "citation_precision": (sum(s.precise_citations for s in sentences) / citations) if citations else None,
        "unsupported_sentence_rate": _mean([0.0 if s.supported else 1.0 for s in sentences]),
        "evidence_cited_rate": _mean([1.0 if r.evidence_cited else 0.0 for r in answerable]),
        "refusal_precision": (sum(1 for r in refused if not r.answerable_gold) / len(refused)) if refused else None,
        "refusal_recall": _mean([1.0 if r.refused else 0.0 for r in unanswerable]),
        "false_refusal_rate": _mean([1.0 if r.refused else 0.0 for r in answerable]),
        "latency_total_p50_ms": _percentile(totals, 50),
        "latency_total_p95_ms": _percentile(totals, 95),
        "latency_first_token_p50_ms": _percentile(firsts, 50),
        "latency_first_token_p95_ms": _percentile(firsts, 95),
        "prompt_tokens_mean": _mean(prompts),
        "errors": float(sum(1 for r in results if r.error)),
    }


def ratios(system: dict[str, float | None], baseline: dict[str, float | None]) -> dict[str, float | None]:
    """ZoneQA / baseline per metric (None when either is missing or the baseline is 0)."""
    out: dict[str, float | None] = {}
    for key, value in system.items():
        base = baseline.get(key)
        out[key] = value / base if value is not None and base else None
    return out


@dataclass
class AnswerEvalResult:
    generator: str
    judge: str
    results: list[ItemResult]
    metrics: dict[str, dict[str, float | None]]
    by_type: dict[str, dict[str, dict[str, float | None]]]
    seconds: float = 0.0


def summarise(results: Sequence[ItemResult], generator: str, judge: str, seconds: float) -> AnswerEvalResult:
    systems = sorted({r.system for r in results})
    metrics = {system: aggregate([r for r in results if r.system == system]) for system in systems}
    if "zoneqa" in metrics and "naive" in metrics:
        metrics["ratio"] = ratios(metrics["zoneqa"], metrics["naive"])
    by_type: dict[str, dict[str, dict[str, float | None]]] = {}
    for system in systems:
        for kind in sorted({r.kind or r.item_type for r in results}):
            subset = [r for r in results if r.system == system and (r.kind or r.item_type) == kind]
            by_type.setdefault(system, {})[kind] = aggregate(subset)
    return AnswerEvalResult(generator, judge, list(results), metrics, by_type, seconds)


def evaluate_answers(
    settings: Settings,
    *,
    generator: str = "extractive",
    judge: JudgeName = "lexical",
    limit: int | None = None,
    items: Sequence[GoldItem] | None = None,
    searcher: Any | None = None,
    checker: CitationChecker | None = None,
    include_naive: bool = True,
    progress: ProgressHook | None = None,
    on_result: Callable[[ItemResult], None] | None = None,
    done: Sequence[ItemResult] = (),
) -> AnswerEvalResult:
    """Run ZoneQA (and the naive baseline) over the gold set and score answers and citations.

    ``searcher`` and ``checker`` replace ZoneQA's own (the gate's tests break them on purpose).

    ``on_result`` sees each item's result as soon as it is scored (the CLI appends it to
    ``per_question.jsonl``, so an interrupted hour-long LLM run keeps what it measured);
    ``done`` holds results of an earlier, interrupted run: those items are not run again. An item
    that raises is recorded with its error (and counted as wrong), and the run goes on.
    """
    from rag.components import build

    started = time.perf_counter()
    run_settings = settings.model_copy(update={"generator": generator})
    if include_naive:
        # Four stuffed 1,000-character chunks of table figures reach ~2,300 tokens: the baseline
        # gets the window it needs (a larger window does not change answers that fit).
        llamacpp = run_settings.llamacpp.model_copy(
            update={"n_ctx": max(run_settings.llamacpp.n_ctx, NAIVE_CONTEXT_TOKENS)}
        )
        run_settings = run_settings.model_copy(update={"llamacpp": llamacpp})
    items = list(items or load_gold())[: limit or None]
    parts = build(run_settings, searcher=searcher, checker=checker)
    pipeline = parts.pipeline
    chat_model = parts.generator.chat_model
    support = make_judge(judge, run_settings, chat_model if generator == "llamacpp" else None)
    naive = NaiveBaseline(run_settings, chat_model) if include_naive else None
    # One system over all items, then the other: interleaving them would evict each other's
    # prompt prefix from llama.cpp's KV cache and slow both below what a real server sees.
    runners: list[tuple[str, Callable[[GoldItem], ItemResult]]] = [
        ("zoneqa", lambda item: run_zoneqa(pipeline, item, support))
    ]
    if naive is not None:
        runners.append(("naive", lambda item: naive.run(item, support)))
    wanted = {item.id for item in items}
    results = [result for result in done if result.item_id in wanted]
    finished = {(result.system, result.item_id) for result in results}
    for system, run in runners:
        for number, item in enumerate(items, start=1):
            if (system, item.id) in finished:
                if progress:
                    progress(f"answers/{generator}/{system}", number, len(items))
                continue
            try:
                result = run(item)
            except Exception as exc:  # noqa: BLE001 - one failed item must not lose an hour's run
                result = ItemResult.failed(system, item, exc)
            results.append(result)
            if on_result:
                on_result(result)
            if progress:
                progress(f"answers/{generator}/{system}", number, len(items))
    return summarise(results, generator, judge, time.perf_counter() - started)
