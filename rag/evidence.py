"""Evidence selection: the few sentences (or table rows) of the retrieved chunks that bear on the question.

Each candidate unit is scored against the question by a blend of embedding similarity and
lexical overlap (stemmed content words); the best ``max_sentences`` are kept, in document order,
each remembering its chunk, page and character span. This, and only this, is what a generator
sees, numbered [1]..[k]: a small prompt is how a CPU answers in seconds.

Usage::

    selector = EvidenceSelector(embedder, get_settings().evidence)
    evidence = selector.select("Which city hosted the 2016 G20 summit?", hits)
    evidence[0].n, evidence[0].text, evidence[0].page
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import numpy as np

from core.config import EvidenceSettings
from core.documents import Chunk
from core.text.sentences import sentence_spans
from core.text.terms import NUMBER, YEAR, content_terms, has_han, spelled_out
from index.embedders import Embedder
from rag.facts import answers_the_other_side
from rag.retriever import RetrievedChunk

_TABLE_ROW = re.compile(r"^[^\n]*\|[^\n]*$", re.MULTILINE)
_TABLE_CAPTION = re.compile(r"^Table\s+\d+[:.]", re.IGNORECASE)
# A table printed whole in a prompt must stay small; larger ones are cut into caption+rows units.
_MAX_TABLE_UNIT_CHARS = 1200
# "It has announced the China Zhoushan ... price": a sentence that opens on a pronoun names its
# subject only in the sentence before ("The Zhejiang FTZ has ..."), which it is read with.
_OPENS_ON_PRONOUN = re.compile(r"^(?:It|Its|They|Their|He|His|She|Her)\b")
# A referent sentence longer than this would crowd the prompt: the pronoun's sentence is read alone.
_MAX_REFERENT_CHARS = 400
_VECTOR_CACHE_SIZE = 20000
# "By 2023, what share ...?": the year is the question's sharpest constraint, yet one word among
# many to MiniLM and to word overlap, so the 2022 sentence beside the 2023 one scored higher. A
# sentence naming a year the question names gains this much; one naming only other years loses it.
# (Dev half: evidence recall 78 -> 80 of 95 for 0.03-0.05; 0.08 gives 79.)
YEAR_AGREEMENT = 0.04
# A sentence read because it follows a well-scored one ranks below it: it never lifts the
# refusal gate's best score on its own.
FOLLOWER_DISCOUNT = 0.05
# Each added sentence costs about 40 prompt tokens (0.4 s on 2 cores); the dev half read four
# no worse than eight (90 vs 89 of 117: shown a whole list, the model pads its answer with it).
MAX_FOLLOWERS = 4
# A sentence that carries on ("These western zones ... have not only become growth poles") is read
# only after an item within this much of the best one. Read after weak items, such generic
# sentences cost the Chinese set 0.750 -> 0.667 (the model answered from them or from the
# wrong item); the dev half keeps its evidence recall (85 of 95) down to 0.1, 0.05 loses one.
FOLLOWER_MARGIN = 0.1
# "This scalability knowledge ...", "In addition, ...": a sentence that carries on from the one before it.
_CARRIES_ON = re.compile(
    r"^(?:This|These|That|Those|Such|In addition|Additionally|Moreover|Furthermore|Besides|Also)\b"
)
# A bibliography entry in the GB/T 7714 style Chinese papers use: "Li Z. Study on ... [J]." (also [N], [R], [M] ...).
_REFERENCE_ENTRY = re.compile(r"\[(?:J|N|R|M|C|D|S|P|Z|EB/OL|J/OL|N/OL)\](?:[.,\s]|$)")


@dataclass
class Evidence:
    """One numbered piece of evidence: a verbatim span of a chunk."""

    text: str
    chunk: Chunk
    start: int  # offset of the span inside chunk.text
    end: int
    context: str = ""  # what a reader needs to understand the span (a table row's caption and header)
    score: float = 0.0
    lexical: float = 0.0
    dense: float = 0.0
    retrieval_rank: int = 0
    n: int = 0
    vector: np.ndarray | None = field(default=None, repr=False)

    @property
    def readable(self) -> str:
        """The span with its context: what is scored, shown to the generator and checked against."""
        return f"{self.context}\n{self.text}" if self.context else self.text

    def shown_beside(self, quoted: Collection[str]) -> str:
        """:attr:`readable`, less the context when that sentence is itself among the ``quoted`` texts.

        "It has announced ..." needs the sentence before it, unless that sentence is shown on its own
        too: then it would be read (and cost prompt tokens) twice. A table row keeps its caption and
        header whatever else is shown: they are how its cells are read.
        """
        if "|" in self.text or self.context.strip() not in quoted:
            return self.readable
        return self.text

    @property
    def page(self) -> int | None:
        return self.chunk.page_at(self.start)

    @property
    def source(self) -> str:
        return self.chunk.source

    @property
    def absolute_start(self) -> int:
        return self.chunk.char_start + self.start


def year_agreement(question_years: Collection[str], text: str) -> float:
    """``+YEAR_AGREEMENT`` when ``text`` names a year of ``question_years``, ``-YEAR_AGREEMENT`` when
    it names only other years, 0 when either names none.

    Usage::

        year_agreement({"2023"}, "... rose to 35% in 2023.")   # 0.04
        year_agreement({"2023"}, "In 2022, trade reached ...")  # -0.04
    """
    if not question_years:
        return 0.0
    years = set(YEAR.findall(text))
    if not years:
        return 0.0
    return YEAR_AGREEMENT if years & set(question_years) else -YEAR_AGREEMENT


def lexical_overlap(query_tokens: Sequence[str], text_tokens: Sequence[str]) -> float:
    """Share of the distinct query tokens that occur in the text (0-1).

    A text without Chinese cannot contain a Chinese term, so against it only the query's other
    terms (numbers, Latin names) count: a Chinese question is not penalised for its language.
    """
    wanted = set(query_tokens)
    present = set(text_tokens)
    if not any(has_han(token) for token in present):
        wanted = {token for token in wanted if not has_han(token)}
    if not wanted:
        return 0.0
    return len(wanted & present) / len(wanted)


# A unit whose words are mostly the question's, repeated, is keyword stuffing (an SEO line).
_STUFFED_QUESTION_SHARE = 0.6
_STUFFED_MAX_DIVERSITY = 0.6
_STUFFED_MIN_TERMS = 6
#: Text this repetitive is keyword stuffing whatever it repeats (prose and table rows measure 0.7-1).
_REPETITIVE_MAX_DIVERSITY = 0.4


def restates_question(query_tokens: Sequence[str], text: str) -> bool:
    """True when ``text`` only restates the question, so it is no evidence for an answer:

    * it is itself a question (a heading or FAQ line like "What is a bonded warehouse?");
    * it adds no content word the question does not have;
    * it is keyword stuffing: most of its words are the question's, repeated, or any words repeated
      over and over.

    An answer always says something the question does not ("... opened in 1987").
    """
    terms = content_terms(text)
    if not terms:
        return False
    wanted = set(query_tokens)
    if text.rstrip().rstrip("\"'”’)]").endswith(("?", "？")):
        return True
    novel = set(terms) - wanted
    if not novel and wanted:
        return True
    if len(terms) >= _STUFFED_MIN_TERMS:
        share = sum(term in wanted for term in terms) / len(terms)
        diversity = len(set(terms)) / len(terms)
        if share >= _STUFFED_QUESTION_SHARE and diversity <= _STUFFED_MAX_DIVERSITY:
            return True
        if diversity <= _REPETITIVE_MAX_DIVERSITY:
            return True
    return False


def evidence_units(chunk: Chunk, min_chars: int) -> list[tuple[int, int, str]]:
    """Spans of a chunk worth quoting, each with the context needed to read it.

    Sentences, small tables whole, and big tables row by row. A sentence that opens on a pronoun
    ("It has announced ...") has the sentence before it as its context; a row's context is the
    table's caption and header row, so "2009 | 12,5 | ..." can be understood and matched. Rows
    that continue a table from an earlier chunk take the caption and header from ``chunk.context``.
    """
    text = chunk.text
    table_lines = [(m.start(), m.end()) for m in _TABLE_ROW.finditer(text)]
    units: list[tuple[int, int, str]] = []
    covered: list[tuple[int, int]] = []
    if table_lines:
        groups: list[list[tuple[int, int]]] = [[table_lines[0]]]
        for start, end in table_lines[1:]:
            if text[groups[-1][-1][1] : start].strip() == "":
                groups[-1].append((start, end))
            else:
                groups.append([(start, end)])
        for rows in groups:
            caption_start = _caption_before(text, rows[0][0])
            table_start = caption_start if caption_start is not None else rows[0][0]
            covered.append((table_start, rows[-1][1]))
            if chunk.context and caption_start is None and not text[: rows[0][0]].strip():
                # The rest of a table begun in an earlier chunk: each row is read under the
                # caption and header that chunk carries.
                units.extend((start, end, chunk.context) for start, end in rows)
            elif rows[-1][1] - table_start <= _MAX_TABLE_UNIT_CHARS:
                units.append((table_start, rows[-1][1], ""))
            else:
                head_end = rows[0][1]
                units.append((table_start, head_end, ""))
                context = text[table_start:head_end]
                units.extend((start, end, context) for start, end in rows[1:])
    previous: tuple[int, int] | None = None
    for start, end in sentence_spans(text):
        before, previous = previous, (start, end)
        if end - start < min_chars:
            continue
        if any(a <= start < b for a, b in covered):
            # Parts of a sentence span that fall outside the table (e.g. a note after it) stay.
            continue
        units.append((start, end, _referent(text, start, before)))
    return sorted(units)


def _referent(text: str, start: int, before: tuple[int, int] | None) -> str:
    """The sentence before a sentence that opens on a pronoun ("It has announced ..."), else ""."""
    if before is None or not _OPENS_ON_PRONOUN.match(text[start:]):
        return ""
    referent = text[before[0] : before[1]].strip()
    if "|" in referent or len(referent) > _MAX_REFERENT_CHARS or text[before[1] : start].count("\n") > 1:
        return ""  # a table row, a long sentence, or another paragraph
    return referent


def is_reference_entry(text: str) -> bool:
    """A bibliography line ("Quan Y., Zhang T. Y. The Direction ... of China's Free Trade Pilot Zones [J].").

    It shares the question's words (it is a paper's title) and states nothing: no evidence.
    """
    return _REFERENCE_ENTRY.search(text.strip()) is not None


def is_heading(text: str, chunk: Chunk) -> bool:
    """The document's title or the chunk's section heading, standing alone ("The Tenth Anniversary of ... Zones").

    It shares most of the question's words (it names the subject) and states nothing: a small
    model shown it copies it as the answer.
    """
    line = " ".join(text.split()).rstrip(".")
    names = {" ".join(name.split()).rstrip(".") for name in (chunk.title, chunk.section) if name}
    return bool(line) and line in names


def row_label(item: Evidence) -> str | None:
    """The first cell of a table row read under its caption and header (``"2004 | 9,222,553"`` → ``"2004"``)."""
    if not item.context or "\n" in item.text.strip() or "|" not in item.text:
        return None
    return item.text.split("|", 1)[0].strip() or None


def keep_asked_rows(question: str, candidates: list[Evidence]) -> list[Evidence]:
    """Leave out table rows keyed by a number the question does not ask about, when some row is keyed by one it does.

    "How much did the world import in 2004?" wants the 2004 row: the 1997 and 2001 rows of the same
    table score almost as well (same caption, same header) and only tempt a small model to read
    the wrong line. Rows are kept as they are when no row label matches the question's numbers.
    """
    asked = {number.replace(",", "") for number in NUMBER.findall(question)}
    labels = {id(item): row_label(item) for item in candidates}
    if not asked or not any(label in asked for label in labels.values() if label):
        return candidates
    return [
        item
        for item in candidates
        if (label := labels[id(item)]) is None or label in asked or not NUMBER.fullmatch(label)
    ]


def keep_asked_tables(question: str, candidates: list[Evidence]) -> list[Evidence]:
    """Leave out the rows of tables whose caption lacks what the question names, when another table's has it.

    "What did the world import in 2001, per the goods trade table?" wants "Table 2: World Goods Trade
    Situation": the 2001 row of "Table 3: World Service Trade Situation" has the same year, the same
    header and scores as well. Only the words that tell the captions apart count ("goods",
    "service"); rows stay as they are when the question names none of them.
    """
    asked = set(content_terms(question))
    captions = {id(item): caption for item in candidates if (caption := _caption(item))}
    terms = {caption: set(content_terms(caption)) for caption in set(captions.values())}
    if len(terms) < 2:
        return candidates
    shared = set.intersection(*terms.values())
    named = {caption for caption, words in terms.items() if (words - shared) & asked}
    if not named or len(named) == len(terms):
        return candidates
    return [item for item in candidates if id(item) not in captions or captions[id(item)] in named]


def _caption(item: Evidence) -> str | None:
    """The caption a table row is read under, or that a whole (small) table opens with."""
    if row_label(item):
        return item.context.splitlines()[0]
    first_line = item.text.strip().split("\n", 1)[0]
    return first_line if _TABLE_CAPTION.match(first_line) else None


def _caption_before(text: str, row_start: int) -> int | None:
    line_start = text.rfind("\n", 0, max(row_start - 1, 0)) + 1
    line = text[line_start : max(row_start - 1, line_start)]
    return line_start if _TABLE_CAPTION.match(line.strip()) else None


class EvidenceSelector:
    """Scores candidate sentences against the question and keeps the best few."""

    def __init__(self, embedder: Embedder, settings: EvidenceSettings) -> None:
        self.embedder = embedder
        self.settings = settings
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()

    def only_restates(self, question: str, chunk: Chunk) -> bool:
        """Whether every quotable unit of the chunk merely restates the question (an FAQ page, keyword stuffing)."""
        query_tokens = content_terms(question)
        units = evidence_units(chunk, self.settings.min_sentence_chars)
        return bool(units) and all(restates_question(query_tokens, chunk.text[a:b]) for a, b, _ in units)

    def select(self, question: str, hits: Sequence[RetrievedChunk], max_items: int | None = None) -> list[Evidence]:
        max_items = max_items or self.settings.max_sentences
        candidates: list[Evidence] = []
        seen: set[tuple[str, int]] = set()
        for rank, hit in enumerate(hits):
            for start, end, context in evidence_units(hit.chunk, self.settings.min_sentence_chars):
                key = (hit.chunk.source, hit.chunk.char_start + start)
                if key in seen:
                    continue  # the same sentence through overlapping chunks
                seen.add(key)
                candidates.append(
                    Evidence(hit.chunk.text[start:end], hit.chunk, start, end, context=context, retrieval_rank=rank)
                )
        if not candidates:
            return []

        query_tokens = content_terms(question)
        # A sentence that merely restates the question (a heading, an FAQ line, keyword stuffing)
        # matches it best of all and answers nothing: it is not evidence.
        candidates = [c for c in candidates if not restates_question(query_tokens, c.text)]
        candidates = [c for c in candidates if not is_reference_entry(c.text) and not is_heading(c.text, c.chunk)]
        candidates = keep_asked_rows(question, candidates)
        candidates = keep_asked_tables(question, candidates)
        # Asked about outward investment, a sentence about investment attracted tempts a small model
        # to answer with it (rag.facts.answers_the_other_side): it is not evidence. (A table's header
        # names every side and the total: its rows are read through the row and column rules.)
        candidates = [c for c in candidates if "|" in c.readable or not answers_the_other_side(c.readable, question)]
        if not candidates:
            return []
        for candidate in candidates:
            candidate.lexical = lexical_overlap(query_tokens, content_terms(candidate.readable))
        # Embedding is the costly part: only the lexically most promising candidates (ties: the
        # better-ranked chunk first) are embedded.
        candidates.sort(key=lambda c: (-c.lexical, c.retrieval_rank, c.start))
        candidates = candidates[: self.settings.max_candidates]
        query_vector = self.embedder.embed_query(spelled_out(question))
        vectors = self._vectors([spelled_out(c.readable) for c in candidates])
        weight = self.settings.lexical_weight
        asked_years = set(YEAR.findall(question))
        for candidate, vector in zip(candidates, vectors, strict=True):
            candidate.vector = vector
            candidate.dense = float(np.clip(vector @ query_vector, 0.0, 1.0))
            candidate.score = (1 - weight) * candidate.dense + weight * candidate.lexical
            candidate.score += year_agreement(asked_years, candidate.readable)

        best = sorted(candidates, key=lambda c: c.score, reverse=True)[:max_items]
        # Document order reads naturally and keeps neighbouring sentences together.
        best.sort(key=lambda c: (c.retrieval_rank, c.start))
        for number, item in enumerate(best, start=1):
            item.n = number
        return best

    def with_next_sentences(self, evidence: Sequence[Evidence]) -> list[Evidence]:
        """``evidence`` with the sentences that carry on from its items inserted after them.

        The sentence that matches a question best often sets up the one that answers it, which
        shares few of the question's words:

        * a sentence that opens by pointing back ("This scalability knowledge proved particularly
          valuable for delegates from ...", "In addition, we will jointly promote ... tourism") is
          read after an item it follows that scores within ``FOLLOWER_MARGIN`` of the best;
        * a lead-in that ends on a colon ("the following are important:") brings the list after it.

        At most ``MAX_FOLLOWERS`` sentences are added, for the best-scored items first; items are
        numbered 1..k again. (Dev half: evidence recall 80 -> 82 of 95; 85 of 95 with ``FOLLOWER_MARGIN``.)
        """
        if not evidence:
            return []
        present = {(item.source, item.absolute_start): item for item in evidence}
        near_best = max(item.score for item in evidence) - FOLLOWER_MARGIN
        followers: dict[int, list[Evidence]] = {}
        budget = MAX_FOLLOWERS
        for item in sorted(evidence, key=lambda item: item.score, reverse=True):
            if "|" in item.text:
                continue  # a table row's neighbours are other rows, read through the row rules
            units = [
                unit for unit in evidence_units(item.chunk, self.settings.min_sentence_chars) if unit[0] >= item.end
            ]
            lead_in = item.text.rstrip().endswith(":")
            previous_end, previous_text = item.end, item.text.rstrip()
            for start, end, context in units[: MAX_FOLLOWERS if lead_in else 1]:
                text = item.chunk.text[start:end]
                key = (item.source, item.chunk.char_start + start)
                # A list runs on while its items end on ";" (or a sentence of an item goes on in its paragraph).
                in_list = lead_in and (
                    previous_text.endswith((":", ";")) or "\n\n" not in item.chunk.text[previous_end:start]
                )
                carries_on = in_list or (
                    not lead_in and item.score >= near_best and _CARRIES_ON.match(text) is not None
                )
                if budget <= 0 or "|" in text or not carries_on:
                    break
                previous_end, previous_text = end, text.rstrip()
                if (shown := present.get(key)) is not None:
                    # A list item chosen on its own moves into its place in the list, which goes on after it.
                    if shown is not item and not any(shown is placed for run in followers.values() for placed in run):
                        followers.setdefault(id(item), []).append(shown)
                    continue
                budget -= 1
                follower = Evidence(
                    text,
                    item.chunk,
                    start,
                    end,
                    context=context,
                    score=item.score - FOLLOWER_DISCOUNT,
                    retrieval_rank=item.retrieval_rank,
                )
                present[key] = follower
                followers.setdefault(id(item), []).append(follower)
        moved = {id(shown) for run in followers.values() for shown in run}
        merged: list[Evidence] = []

        def place(item: Evidence) -> None:
            merged.append(item)
            for follower in followers.get(id(item), []):
                place(follower)  # positions only grow along a run: no cycles

        for item in evidence:
            if id(item) not in moved:
                place(item)
        for number, item in enumerate(merged, start=1):
            item.n = number
        return merged

    def _vectors(self, texts: list[str]) -> list[np.ndarray]:
        """Embeddings with an LRU cache: popular passages are embedded once per process."""
        with self._cache_lock:
            known = {text: self._cache[text] for text in set(texts) if text in self._cache}
            for text in known:
                self._cache.move_to_end(text)
        missing = [text for text in dict.fromkeys(texts) if text not in known]
        if missing:
            fresh = dict(zip(missing, self.embedder.embed_documents(missing), strict=True))
            known.update(fresh)
            with self._cache_lock:
                self._cache.update(fresh)
                while len(self._cache) > _VECTOR_CACHE_SIZE:
                    self._cache.popitem(last=False)
        return [known[text] for text in texts]
