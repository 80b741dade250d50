"""Checks on the hand-written gold set ``evals/datasets/zone_gold.jsonl`` (fast, no models).

Every answerable item must quote its evidence verbatim from the named corpus file (and, for
the PDF, from the stated page), its regexes must compile, and fact/table regexes must match
that evidence. The evidence matching rule is the one the evaluation uses: whitespace
collapsed, lowercased, and words hyphenated across PDF line breaks re-joined.

Usage::

    PYTHONPATH=. python -m pytest tests/unit/test_gold_dataset.py -q
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS_DIR = REPO_ROOT / "corpus"
GOLD_PATH = REPO_ROOT / "evals" / "datasets" / "zone_gold.jsonl"
SCIFACT_DIR = REPO_ROOT / "evals" / "datasets" / "scifact"
PDF_NAME = "ftz-tenth-anniversary-pei-2024.pdf"

ITEM_TYPES = ("fact", "table", "multi-hop", "follow-up", "unanswerable")
REQUIRED_KEYS = {"id", "type", "question", "answers", "answers_mode", "source", "page", "evidence"}
# Minimum sizes the brief sets for the gold set.
MIN_TOTAL_ITEMS = 90
MIN_ITEMS_PER_TYPE = {"unanswerable": 14, "table": 10, "follow-up": 8, "multi-hop": 8}
MIN_ITEMS_PER_TXT_SOURCE = 8
MIN_ITEMS_ON_PDF = 30
EVIDENCE_MIN_CHARS = 10
EVIDENCE_MAX_CHARS = 200
# Ligatures (U+FB00..U+FB06) appear in pypdf output; a loader that applies NFKC would turn them into
# plain letters, so PDF quotes avoid them (and any non-ASCII) to match under either treatment.
LIGATURES = re.compile("[\ufb00-\ufb06]")
_WHITESPACE = re.compile(r"\s+")


def collapse(text: str) -> str:
    """Whitespace-collapsed, lowercased text: the form evidence is matched in."""
    return _WHITESPACE.sub(" ", text).strip().lower()


def load_gold() -> list[dict[str, Any]]:
    """Parse the gold JSONL, one object per non-empty line."""
    lines = GOLD_PATH.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@lru_cache(maxsize=1)
def pdf_page_texts() -> tuple[str, ...]:
    """Raw pypdf text of each PDF page (index 0 = page 1); parsed once per test session."""
    reader = PdfReader(CORPUS_DIR / PDF_NAME)
    return tuple(page.extract_text() or "" for page in reader.pages)


def matchable_page(page: int, *, rejoin_hyphens: bool) -> str:
    """A PDF page in matching form; with ``rejoin_hyphens`` "-\\n" line-break hyphenation is removed."""
    text = pdf_page_texts()[page - 1]
    if rejoin_hyphens:
        text = text.replace("-\n", "")
    return collapse(text)


@lru_cache(maxsize=8)
def matchable_txt(source: str) -> str:
    """A .txt corpus file in matching form."""
    return collapse((CORPUS_DIR / source).read_text(encoding="utf-8"))


GOLD = load_gold()
ANSWERABLE = [item for item in GOLD if item["type"] != "unanswerable"]


def item_ids(items: list[dict[str, Any]]) -> list[str]:
    return [str(item.get("id")) for item in items]


def test_gold_file_has_enough_items_and_unique_ids() -> None:
    assert len(GOLD) >= MIN_TOTAL_ITEMS
    ids = [item["id"] for item in GOLD]
    duplicates = [item_id for item_id, count in Counter(ids).items() if count > 1]
    assert not duplicates, duplicates
    questions = [collapse(item["question"]) for item in GOLD]
    assert len(set(questions)) == len(questions), "duplicate questions"


@pytest.mark.parametrize("item", GOLD, ids=item_ids(GOLD))
def test_item_schema(item: dict[str, Any]) -> None:
    assert item.keys() >= REQUIRED_KEYS
    assert item["type"] in ITEM_TYPES
    assert re.fullmatch(r"[a-z-]+-\d{3}", item["id"])
    assert item["id"].rsplit("-", 1)[0] == item["type"]
    assert isinstance(item["question"], str) and item["question"].strip().endswith("?")
    assert item["answers_mode"] in ("all", "any")
    assert isinstance(item["answers"], list)
    history = item.get("history") or []
    if item["type"] == "follow-up":
        assert [turn["role"] for turn in history] == ["user", "assistant"]
        assert all(isinstance(turn["content"], str) and turn["content"].strip() for turn in history)
    else:
        assert history == []
    if item["type"] == "unanswerable":
        assert item["answers"] == []
        assert item["source"] is None and item["page"] is None and item["evidence"] is None
    else:
        assert item["answers"], "answerable items need at least one answer regex"
        assert isinstance(item["evidence"], str)
        assert EVIDENCE_MIN_CHARS <= len(item["evidence"]) <= EVIDENCE_MAX_CHARS


def test_type_minimums_are_met() -> None:
    counts = Counter(item["type"] for item in GOLD)
    for item_type, minimum in MIN_ITEMS_PER_TYPE.items():
        assert counts[item_type] >= minimum, (item_type, counts[item_type])
    assert counts["fact"] > 0


def test_every_corpus_document_is_covered() -> None:
    counts = Counter(item["source"] for item in ANSWERABLE)
    corpus_files = sorted(path.name for path in CORPUS_DIR.iterdir() if path.suffix in {".txt", ".pdf"})
    assert PDF_NAME in corpus_files
    for name in corpus_files:
        minimum = MIN_ITEMS_ON_PDF if name == PDF_NAME else MIN_ITEMS_PER_TXT_SOURCE
        assert counts[name] >= minimum, (name, counts[name])
    # Table questions are about the PDF's data tables.
    assert all(item["source"] == PDF_NAME for item in GOLD if item["type"] == "table")


@pytest.mark.parametrize("item", ANSWERABLE, ids=item_ids(ANSWERABLE))
def test_evidence_is_verbatim_in_its_source(item: dict[str, Any]) -> None:
    source_path = CORPUS_DIR / item["source"]
    assert source_path.is_file(), item["source"]
    quote = collapse(item["evidence"])
    # A paraphrased question, not a copy of the evidence.
    assert quote not in collapse(item["question"])
    if source_path.suffix == ".pdf":
        page = item["page"]
        assert isinstance(page, int) and 1 <= page <= len(pdf_page_texts())
        assert not LIGATURES.search(item["evidence"]) and item["evidence"].isascii()
        assert quote in matchable_page(page, rejoin_hyphens=True), f"not on page {page}"
        # Found without re-joining too, so the quote does not straddle a hyphenated line break.
        assert quote in matchable_page(page, rejoin_hyphens=False)
    else:
        assert item["page"] is None
        assert quote in matchable_txt(item["source"])


@pytest.mark.parametrize("item", GOLD, ids=item_ids(GOLD))
def test_answer_regexes_compile_and_match_evidence(item: dict[str, Any]) -> None:
    patterns = [re.compile(answer, re.IGNORECASE) for answer in item["answers"]]
    if item["type"] not in ("fact", "table", "follow-up"):
        return  # multi-hop answers are computed from two facts, so need not appear in one quote
    evidence = item["evidence"]
    if item["answers_mode"] == "all":
        missing = [pattern.pattern for pattern in patterns if not pattern.search(evidence)]
        assert not missing, missing
    else:
        assert any(pattern.search(evidence) for pattern in patterns)


def test_required_hangzhou_item() -> None:
    question = "Which city hosted the 2016 G20 summit that adopted the G20 Global Investment Principles?"
    matches = [item for item in GOLD if item["question"] == question]
    assert len(matches) == 1
    item = matches[0]
    assert item["source"] == PDF_NAME and item["page"] == 5
    assert any(re.search(answer, "Hangzhou", re.IGNORECASE) for answer in item["answers"])


def test_scifact_copy_is_complete() -> None:
    for relative in ("corpus.jsonl", "queries.jsonl", "qrels/test.tsv", "qrels/train.tsv", "SOURCE.md"):
        assert (SCIFACT_DIR / relative).is_file(), relative
    test_rows = (SCIFACT_DIR / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines()
    assert test_rows[0].split("\t") == ["query-id", "corpus-id", "score"]
    assert len({row.split("\t")[0] for row in test_rows[1:]}) == 300
