"""Evaluation datasets: the ZoneQA gold set and BEIR SciFact (test split).

Usage::

    from evals.datasets import load_gold, load_scifact, contains_evidence
    items = load_gold()                      # 153 GoldItem
    scifact = load_scifact()                 # corpus, 300 test queries, qrels
    contains_evidence(chunk_text, items[0].evidence)
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

DATASETS_DIR = Path(__file__).resolve().parent / "datasets"
GOLD_PATH = DATASETS_DIR / "zone_gold.jsonl"
#: The hard set: questions asked in other words than the text (dev/test halves by passage).
HARD_PATH = DATASETS_DIR / "zone_hard.jsonl"
#: Fresh multi-hop questions on dev passages only (round 13): a yardstick the dev half was not tuned on.
HARD_PROBE_PATH = DATASETS_DIR / "zone_hard_probe.jsonl"
#: Chinese questions over the English corpus, and zh/en pairs over the Chinese test documents.
ZH_PATH = DATASETS_DIR / "zone_zh.jsonl"
ZH_CORPUS_DIR = DATASETS_DIR / "zh_corpus"
SCIFACT_DIR = DATASETS_DIR / "scifact"

ItemType = Literal["fact", "paraphrase", "table", "multi-hop", "follow-up", "list", "unanswerable"]
_WHITESPACE = re.compile(r"\s+")


class HistoryTurn(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class GoldItem(BaseModel):
    """One gold question; see ``evals/datasets/README.md`` for the field semantics."""

    id: str
    type: ItemType
    question: str
    history: list[HistoryTurn] = Field(default_factory=list)
    answers: list[str] = Field(default_factory=list)
    answers_mode: Literal["all", "any"] = "all"
    wrong_answers: list[str] = Field(
        default_factory=list,
        description="Patterns a right answer never matches: a list padded with the next batch's members, "
        "the other year's figure. An answer matching one is wrong even when every pattern of answers matches.",
    )
    source: str | None = None
    page: int | None = None
    evidence: str | None = None
    # Fields of the hard and Chinese sets (zone_hard.jsonl, zone_zh.jsonl); defaults fit zone_gold.jsonl.
    lang: Literal["en", "zh"] = "en"
    split: Literal["dev", "test"] | None = None
    passage: str | None = Field(None, description="Group key of the dev/test split (same passage, same half).")
    source_2: str | None = None
    page_2: int | None = None
    evidence_2: str | None = None
    unanswerable_kind: Literal["near-domain", "false-premise", "off-domain"] | None = None
    twin_question: str | None = Field(None, description="The same question in the other language.")
    twin_history: list[HistoryTurn] = Field(default_factory=list)
    twin_id: str | None = None
    note: str | None = None

    @property
    def answerable(self) -> bool:
        return self.type != "unanswerable"

    def answer_matches(self, answer: str) -> bool:
        """The answer patterns match ``answer`` (case-insensitive; all or any, per ``answers_mode``) and no
        ``wrong_answers`` pattern does."""
        if not self.answers:
            return False
        if any(re.search(pattern, answer, re.IGNORECASE) for pattern in self.wrong_answers):
            return False
        hits = [re.search(pattern, answer, re.IGNORECASE) is not None for pattern in self.answers]
        return all(hits) if self.answers_mode == "all" else any(hits)


def normalize_for_match(text: str) -> str:
    """NFKC, whitespace collapsed, lowercased: how evidence quotes are compared with chunk text.

    ``|`` counts as whitespace: the PDF loader writes table cells as ``a | b``, while gold quotes
    are pypdf's raw text (``a b``).
    """
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", text).replace("|", " ")).strip().lower()


def contains_evidence(text: str, evidence: str | None) -> bool:
    """``text`` holds the evidence quote (after :func:`normalize_for_match` on both sides)."""
    if not evidence:
        return False
    return normalize_for_match(evidence) in normalize_for_match(text)


DATASETS = {
    "gold": GOLD_PATH,
    "hard": HARD_PATH,
    "hard-probe": HARD_PROBE_PATH,
    "zh": ZH_PATH,
    "zh-twins": ZH_PATH,
    "zh-docs": ZH_PATH,
}
#: Datasets over the default corpus plus the Chinese test documents (an index of their own).
WITH_ZH_DOCUMENTS = ("zh-docs",)
SPLITS = ("all", "dev", "test")


def gold_items(dataset: str = "gold", split: str = "all") -> list[GoldItem]:
    """The items of one dataset and half, answerable from the default corpus.

    Items over the Chinese test documents (``zh_corpus/``) are left out: the default corpus does
    not hold them, so no system could answer them from it.

    Usage::

        gold_items("hard", "dev")      # the half to tune on
        gold_items("hard", "test")     # the half to report on
        gold_items("zh-twins")         # the Chinese items' English twins, same facts
        gold_items("zh-docs")          # over the Chinese test documents, asked in Chinese and in English
    """
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}: use {', '.join(DATASETS)}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}: use {', '.join(SPLITS)}")
    items = load_gold(DATASETS[dataset])
    if dataset == "zh-twins":  # the same facts asked in English: the yardstick for the Chinese items
        items = [
            item.model_copy(update={"question": item.twin_question, "history": item.twin_history, "lang": "en"})
            for item in items
            if item.lang == "zh" and item.twin_question
        ]
    if split != "all" and not any(item.split for item in items):
        raise ValueError(f"the {dataset} set has no dev/test halves: use --split all")
    zh_documents = {path.name for path in ZH_CORPUS_DIR.glob("*.txt")}
    if dataset in WITH_ZH_DOCUMENTS:
        return [
            item
            for item in items
            if (split == "all" or item.split == split)
            and (item.source in zh_documents or (item.twin_id is not None and item.source is None))
        ]
    return [
        item
        for item in items
        if (split == "all" or item.split == split)
        # Over the Chinese test documents: their answerable items name them, the unanswerable ones are their twins.
        and item.source not in zh_documents
        and not (item.twin_id and item.source is None)
    ]


def load_gold(path: Path = GOLD_PATH) -> list[GoldItem]:
    """The gold items, in file order."""
    items = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                items.append(GoldItem.model_validate_json(line))
    return items


@dataclass
class SciFactDoc:
    doc_id: str
    title: str
    text: str

    @property
    def published_text(self) -> str:
        """What BEIR embeds for sentence-transformers models: ``title + " " + text``."""
        return f"{self.title} {self.text}".strip()


@dataclass
class SciFact:
    """BEIR SciFact: the corpus, the queries of one split, and their relevance judgments."""

    corpus: dict[str, SciFactDoc]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def load_scifact(folder: Path = SCIFACT_DIR, split: str = "test") -> SciFact:
    """Load SciFact in BEIR layout; only queries with judgments in ``split`` are kept."""
    corpus: dict[str, SciFactDoc] = {}
    with (folder / "corpus.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                doc_id = str(record["_id"])
                corpus[doc_id] = SciFactDoc(doc_id, record.get("title", ""), record.get("text", ""))
    qrels: dict[str, dict[str, int]] = {}
    with (folder / "qrels" / f"{split}.tsv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            qrels.setdefault(str(row["query-id"]), {})[str(row["corpus-id"])] = int(row["score"])
    queries: dict[str, str] = {}
    with (folder / "queries.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                if str(record["_id"]) in qrels:
                    queries[str(record["_id"])] = record["text"]
    return SciFact(corpus=corpus, queries=queries, qrels=qrels)
