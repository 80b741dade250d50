"""The answer pipeline: condense → retrieve (and the parts of a multi-hop question, or its second hop) →
select evidence → gate → generate → check citations.

Built by the composition root, :func:`rag.components.build`, which hands it its parts.

Usage::

    pipeline = build(get_settings()).pipeline
    answer = pipeline.answer("Which city hosted the 2016 G20 summit?")
    for event in pipeline.stream("What is the negative list?"):
        if event.kind == "sources":
            show(event.sources)     # the passages chosen for reading, before the first token
        elif event.kind == "token":
            print(event.text, end="")
        else:
            final = event.answer    # verified: may differ from the streamed text
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from core.config import EvidenceSettings
from core.schemas import Answer, ChatTurn, Citation, RefusalReason, Source
from core.text.terms import YEAR, content_terms, country_forms, has_han
from rag.answer_type import asks_for_date, asks_for_quantity, insists_on_date, states_date, states_quantity
from rag.arithmetic import looked_up_line, worked_answer, worked_lines, worked_result
from rag.citations import MARKER, CheckedAnswer, CitationChecker, numbers_in, parse_markers, split_claims
from rag.condense import condense_question
from rag.decompose import (
    NamedSubject,
    bridge_query,
    merge_evidence,
    named_subject,
    question_parts,
    same_sentence_key,
    unread_names,
)
from rag.document_details import asks_about_publication, details_chunk
from rag.evidence import Evidence, EvidenceSelector
from rag.facts import redated, redirected, resided
from rag.generators.base import Generator
from rag.generators.extractive import ExtractiveGenerator
from rag.language import (
    OWN_LANGUAGE_DEPTH,
    REFUSAL_TEXTS,
    Language,
    answer_in,
    found_in_its_own_language,
    language_of,
    question_in_english,
    typed_by_the_asker,
)
from rag.prompts import REFUSAL_SENTINEL
from rag.retriever import HybridSearcher, RetrievedChunk

REFUSAL_TEXT = REFUSAL_TEXTS["en"]
_CLOSEST_DOCUMENTS = 3
# A part of a multi-hop question is searched for its few best passages, and adds at most two
# sentences each: enough for the fact it asks about, without doubling the prompt. (Six passages
# found one more dev item's dated event, and cost two probe items a distractor each: kept at three.)
_PART_TOP_K = 3
_PART_ITEMS = 2
_PART_EXTRA_ITEMS = 3
# A question about when or by whom a document was published reads the records of its best passages' documents.
_DETAILED_DOCUMENTS = 2
# Names the evidence does not mention, each searched for on its own (rag.decompose.unread_names).
_NAMES_SEARCHED = 2
# A word, or a number with its thousands separators ("12,200" is one number, not "12" and "200").
_WORD = re.compile(r"\d{1,3}(?:,\d{3})+(?!\d|,\d)|[\w][\w'’\-]*")


@dataclass
class StreamEvent:
    """``sources`` (once, before the first token, when an answer is attempted), then ``token`` events
    carrying text pieces as generated; the last event is ``answer``."""

    kind: Literal["sources", "token", "answer"]
    text: str = ""
    answer: Answer | None = None
    sources: list[Source] = field(default_factory=list)


class _Clock:
    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.marks: dict[str, float] = {}
        self._last = self.started

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.marks[name] = round((now - self._last) * 1000, 2)
        self._last = now

    def mark_since_start(self, name: str) -> None:
        self.marks[name] = round((time.perf_counter() - self.started) * 1000, 2)


class RagPipeline:
    """Answers questions with verified citations; thread-safe (the generator serialises itself)."""

    def __init__(
        self,
        *,
        searcher: HybridSearcher,
        selector: EvidenceSelector,
        checker: CitationChecker,
        generator: Generator,
        evidence: EvidenceSettings,
    ) -> None:
        self.searcher = searcher
        self.selector = selector
        self.checker = checker
        self.generator = generator
        self.evidence = evidence

    def warm_up(self) -> None:
        """Load the BM25 index and run the embedder once, so the first question is not slower."""
        self.searcher.lexical.get()
        self.searcher.embedder.embed_documents(["warm-up"])

    @property
    def model_name(self) -> str:
        return self.generator.name

    # ---- public API --------------------------------------------------------------------------
    def answer(
        self,
        question: str,
        history: Sequence[ChatTurn] | None = None,
        sources: Sequence[str] | None = None,
        top_k: int | None = None,
    ) -> Answer:
        final: Answer | None = None
        for event in self.stream(question, history=history, sources=sources, top_k=top_k):
            if event.kind == "answer":
                final = event.answer
        assert final is not None  # stream always ends with an answer event
        return final

    def stream(
        self,
        question: str,
        history: Sequence[ChatTurn] | None = None,
        sources: Sequence[str] | None = None,
        top_k: int | None = None,
    ) -> Iterator[StreamEvent]:
        question = " ".join(question.split())
        if not question:
            raise ValueError("the question is empty")
        clock = _Clock()
        language = language_of(question)
        question_used = condense_question(question, history, self.generator)
        hits: list[RetrievedChunk] | None = None
        if language != "en":
            # A question the documents answer in its own language is read as asked; any other is
            # searched, read and checked in the documents' language (English) and answered in its own.
            hits = self._search(question_used, top_k, sources)
            own = [hit.chunk.text for hit in hits[:OWN_LANGUAGE_DEPTH]]
            if not found_in_its_own_language(question_used, own):
                hits, question_used = None, question_in_english(question_used, self.generator)
        translate = language != "en" and language_of(question_used) == "en"
        clock.lap("condense")

        if hits is None:
            hits = self._search(question_used, top_k, sources)
        parts = question_parts(question_used)
        part_hits = [self._search(part, _PART_TOP_K, sources) for part in parts]
        clock.lap("retrieve")
        evidence = self.selector.select(question_used, hits)
        # Each part of a multi-hop question brings its own best sentences (rag.decompose).
        per_part = [
            self.selector.select(part, found, max_items=_PART_ITEMS)
            for part, found in zip(parts, part_hits, strict=True)
        ]
        if per_part:
            evidence = merge_evidence(evidence, per_part)[: self.evidence.max_sentences + _PART_EXTRA_ITEMS]
        unread = unread_names(question_used, evidence)[:_NAMES_SEARCHED]
        if named := [self._named(question_used, name, sources) for name in unread]:
            # "The Zhejiang zone": the sentences that name the place join the evidence, in the weakest's places.
            evidence = self._with_room_for(evidence, merge_evidence(evidence, named)[len(evidence) :])
        if asks_about_publication(question_used):
            # "When was the article ... published?": no sentence says; the index's record of the document does.
            details = self._details(question_used, hits)
            evidence = self._with_room_for(evidence, merge_evidence(evidence, [details])[len(evidence) :])
        first_hop = per_part[0] if per_part else None
        subject: NamedSubject | None = None
        if bridged := bridge_query(question_used, evidence, first_hop=first_hop):
            # "The port that the article wants cooperation with ...": searched again by the name found.
            # Its question words bring back the first hop's sentences: only new ones are added.
            found = self.selector.select(
                bridged, self._search(bridged, _PART_TOP_K, sources), max_items=_PART_ITEMS + len(evidence)
            )
            found.sort(key=lambda item: item.score, reverse=True)
            # A sentence both searches found keeps the better of its two scores.
            second_hop = {same_sentence_key(item): item.score for item in found}
            for item in evidence:
                item.score = max(item.score, second_hop.get(same_sentence_key(item), 0.0))
            added = merge_evidence(evidence, [found], per_part=_PART_ITEMS)[len(evidence) :]
            evidence = self._with_room_for(evidence, added)
            subject = named_subject(question_used, first_hop or [])
        # "This knowledge proved valuable for delegates from ...": what carries on from a chosen sentence.
        evidence = self.selector.with_next_sentences(evidence)
        clock.lap("select")

        best = max((item.score for item in evidence), default=0.0)
        if best < self.evidence.refusal_threshold:
            yield from self._refuse(question_used, hits, clock, "no_relevant_passage", language, emit_text=True)
            return
        unknown = self.unknown_names(question_used)
        if translate:
            # A name the translation made up ("Yangjiang Port" for 临港) says nothing about the
            # corpus: only names the asker typed in Latin letters count.
            unknown = typed_by_the_asker(unknown, question)
        if unknown:
            yield from self._refuse(question_used, hits, clock, "unknown_name", language, emit_text=True)
            return
        yield StreamEvent("sources", sources=[self._source(item) for item in evidence])

        pieces: list[str] = []
        # A described subject the first hop named is asked about by its name ("Fujian FTZ has ...").
        draft = self.generator.draft(subject.question if subject else question_used, evidence)
        prompt_tokens, stream = draft.prompt_tokens, draft.pieces
        try:
            for piece in _hold_back_sentinel(stream):
                if not pieces:
                    clock.mark_since_start("first_token")
                pieces.append(piece)
                if not translate:  # an English draft is not shown to a Chinese reader
                    yield StreamEvent("token", text=piece)
        finally:
            close = getattr(stream, "close", None)
            if close:
                close()  # a client that went away stops the generation
        clock.lap("generate")

        raw = "".join(pieces).strip()
        if not raw or REFUSAL_SENTINEL in raw:
            yield from self._refuse(question_used, hits, clock, "model_declined", language, prompt_tokens=prompt_tokens)
            return
        # A translated question's made-up names are no premise: only those the asker typed count.
        asked_as = question if translate else None
        checked = self.checker.check(raw, evidence, question=question_used, asked_as=asked_as)
        if subject and checked.text:
            checked = self._linked(subject, evidence, raw, checked, question_used, asked_as)
        if not checked.text and (cited := self._only_markers(raw, evidence)):
            # A small model sometimes answers with just "[1]": quote what it pointed at, verbatim.
            checked = self.checker.check("".join(ExtractiveGenerator().compose(cited)), evidence, question_used)
        checked = self._worked_out(question_used, evidence, checked)
        checked = self._dated(question_used, evidence, checked, raw)
        if not checked.text:
            checked = self._corrected(question_used, evidence, checked, raw)
        # What the model was asked: "In 2007, ..." for "In the year that ...", whose year the fallback reads.
        asked = subject.question if subject else question_used
        if not checked.text and (line := looked_up_line(asked, evidence)):
            # The model read the wrong row or column of a table: the one cell the question names is the answer.
            checked = self.checker.check(worked_answer(line), evidence, question_used)
            if subject and checked.text:
                checked = self._linked(subject, evidence, worked_answer(line), checked, question_used, asked_as)
        clock.lap("check")
        if not checked.text:
            yield from self._refuse(
                question_used, hits, clock, "unsupported_by_citations", language, prompt_tokens=prompt_tokens
            )
            return
        if asks_for_quantity(question_used) and not states_quantity(checked.text):
            # "How many hectares ...?" answered with a sentence that gives none: the figure is not there.
            yield from self._refuse(
                question_used, hits, clock, "no_figure_found", language, prompt_tokens=prompt_tokens
            )
            return
        if insists_on_date(question_used) and not states_date(checked.text):
            # "Which agreement had come into force, and in what year?" answered without a year.
            yield from self._refuse(question_used, hits, clock, "no_date_found", language, prompt_tokens=prompt_tokens)
            return
        text = checked.text
        if translate:
            text = answer_in(language, checked.text, self.generator) or checked.text
            clock.lap("translate")
            clock.mark_since_start("first_token")
            yield StreamEvent("token", text=text)
        citations = [self._citation(n, item, support) for n, item, support in checked.citations]
        yield StreamEvent(
            "answer",
            answer=Answer(
                answer=text,
                citations=citations,
                answerable=True,
                question_used=question_used,
                timings_ms=self._timings(clock),
                model=self.model_name,
                prompt_tokens=prompt_tokens,
            ),
        )

    def _with_room_for(self, evidence: list[Evidence], added: list[Evidence]) -> list[Evidence]:
        """``evidence`` with ``added`` in the places of its weakest items, not cut off at the end of the list."""
        room = self.evidence.max_sentences + _PART_EXTRA_ITEMS - len(added)
        weakest_first = sorted(evidence, key=lambda item: item.score)
        dropped = {id(item) for item in weakest_first[: max(0, len(evidence) - room)]}
        return merge_evidence([item for item in evidence if id(item) not in dropped], [added])

    def _details(self, question: str, hits: Sequence[RetrievedChunk]) -> list[Evidence]:
        """The date and publisher of the documents of the question's passages, as evidence (rag.document_details)."""
        sources = list(dict.fromkeys(hit.chunk.source for hit in hits))[:_DETAILED_DOCUMENTS]
        records = [self.searcher.store.document(source) for source in sources]
        cards = [
            RetrievedChunk(chunk=chunk, score=0.0)
            for record in records
            if record is not None and (chunk := details_chunk(record)) is not None
        ]
        return self.selector.select(question, cards, max_items=len(cards)) if cards else []

    def _named(self, question: str, name: str, sources: Sequence[str] | None) -> list[Evidence]:
        """The question's best sentences among the passages that mention ``name`` (at most two)."""
        wanted = name.lower()
        hits = self.searcher.search(
            question, top_k=_PART_TOP_K, sources=sources, exclude=lambda chunk: wanted not in chunk.text.lower()
        )
        found = self.selector.select(question, hits, max_items=_PART_ITEMS + 2)
        return [item for item in found if wanted in item.readable.lower()][:_PART_ITEMS]

    def _search(self, question: str, top_k: int | None, sources: Sequence[str] | None) -> list[RetrievedChunk]:
        """The top passages, leaving out those that only restate the question.

        A page that repeats the question (an FAQ heading, keyword stuffing) ranks high and answers
        nothing; it must not push the passage that does answer out of the top k. Only when one shows
        up is the search run again without such chunks, so ordinary questions cost one search.
        """
        hits = self.searcher.search(question, top_k=top_k, sources=sources)
        if not any(self.selector.only_restates(question, hit.chunk) for hit in hits):
            return hits
        return self.searcher.search(
            question, top_k=top_k, sources=sources, exclude=lambda chunk: self.selector.only_restates(question, chunk)
        )

    def unknown_names(self, question: str) -> list[str]:
        """Names and numbers in the question that no indexed document contains (e.g. "Jebel Ali").

        A question about something the corpus never mentions cannot be answered from it, however
        similar the rest of the question is to some passage.
        """
        if not self.evidence.refuse_unknown_names:
            return []
        index = self.searcher.lexical.get()
        words = _WORD.findall(question)
        named = [
            word
            for position, word in enumerate(words)
            if (position > 0 and word[0].isupper()) or any(char.isdigit() for char in word)
        ]
        # Han terms are left out: a Chinese word absent from English documents is a language gap,
        # not a sign that the question is about something the corpus never mentions.
        return [
            word
            for word in named
            if (terms := [t for t in content_terms(word) if not has_han(t)])
            and not all(index.knows(t) for t in terms)
            # "the Egyptian delegates" where the text has "Egypt".
            and not any(index.knows(t) for form in country_forms(word) for t in content_terms(form))
            # "12,200 new companies" where the text has "12200 new enterprises". (Not the other way round:
            # the index splits "3,720" into "3" and "720", which would make any "1985" look known as "1,985".)
            and not index.knows(word.replace(",", ""))
        ]

    # ---- helpers -----------------------------------------------------------------------------
    def _worked_out(self, question: str, evidence: Sequence[Evidence], checked: CheckedAnswer) -> CheckedAnswer:
        """The worked calculation as the answer when the model's answer lacks its result.

        A 1.5B model shown "fell by 7,387,685" under the evidence still often subtracts on its own,
        wrongly, or copies a cell: an answer to a "by how much" question that states none of the
        worked results is replaced by the best worked line, cited to the cells it came from.
        """
        lines = [(line, result) for line in worked_lines(question, evidence) if (result := worked_result(line))]
        if not lines or numbers_in(checked.text) & {result for _, result in lines}:
            return checked
        worked = self.checker.check(worked_answer(lines[0][0]), evidence, question)
        return worked if worked.text else checked

    def _linked(
        self,
        subject: NamedSubject,
        evidence: Sequence[Evidence],
        raw: str,
        checked: CheckedAnswer,
        question: str,
        asked_as: str | None,
    ) -> CheckedAnswer:
        """The answer led by the first hop, cited: "The pilot zone that gained ... in 2021 is Fujian FTZ [1]."

        An answer about "Fujian FTZ" to a question about "the pilot zone that gained 11,900 firms"
        is only trusted with the sentence that ties the two. The link is checked like any claim;
        when it does not hold, or the answer holds nothing besides it, ``checked`` stands.
        """
        named = [item for item in evidence if subject.name.lower() in item.readable.lower()]
        wanted = set(content_terms(subject.description))
        if not named:
            return checked
        tie = max(named, key=lambda item: len(wanted & set(content_terms(item.readable))))
        linked = self.checker.check(f"{subject.link} [{tie.n}]. {raw}", evidence, question, asked_as)
        kept = [sentence for sentence in linked.sentences if sentence.kept]
        return linked if len(kept) > 1 and kept[0].text.startswith(subject.link) else checked

    def _dated(self, question: str, evidence: Sequence[Evidence], checked: CheckedAnswer, raw: str) -> CheckedAnswer:
        """The cited sentence that names a date, quoted, when a "when" answer names none.

        A 1.5B model asked "On what exact date did the first zone open?" often restates the cited
        sentence without its opening "On September 29, 2013, ...". The sentence it cited (or, when
        its answer was dropped, the one it pointed at) answers the question: it is quoted instead.
        """
        if not asks_for_date(question) or states_date(checked.text):
            return checked
        by_number = {item.n: item for item in evidence}
        cited = [item for _, item, _ in checked.citations] or [
            by_number[n] for n in parse_markers(raw) if n in by_number
        ]
        dated = [item for item in cited if states_date(item.readable)]
        if not dated:
            return checked
        quoted = self.checker.check("".join(ExtractiveGenerator().compose(dated[:1])), evidence, question)
        return quoted if quoted.text else checked

    def _corrected(
        self, question: str, evidence: Sequence[Evidence], checked: CheckedAnswer, raw: str
    ) -> CheckedAnswer:
        """The model's dropped answer with a figure read from the wrong year, side or way put right, checked again.

        "Mainland China had 17.44% of the world economy in 2021 [2]" cites the clause that gives
        17.44% for 2020 and 18.13% for 2021 (``rag.facts.redated``); "China exported 177.644
        billion dollars [1]" cites the sentence whose 177.644 is the imports' and 581.783 the
        exports' (``rag.facts.resided``); "imports from the US increased by 1.1%" cites "down 1.1%"
        (``rag.facts.redirected``). Only the cited item's sentence or row is used (for an
        uncited claim, those of the items that print its figure).
        """
        by_number = {item.n: item for item in evidence}
        given, asked_years = numbers_in(question), set(YEAR.findall(question))
        claims: list[str] = []
        changed = False
        for claim, markers in split_claims(raw):
            cited = [by_number[n] for n in markers if n in by_number]
            # An uncited figure points at the items that print it.
            stated = numbers_in(claim) - given
            pointed_at = cited or [item for item in evidence if stated & numbers_in(item.readable)]
            fixed = next(
                ((new, item.n) for item in pointed_at if (new := _put_right(claim, item.readable, given, asked_years))),
                None,
            )
            changed = changed or fixed is not None
            if fixed and not cited:
                markers = [fixed[1]]
            claims.append(f"{fixed[0] if fixed else claim} {''.join(f'[{n}]' for n in markers)}")
        if not changed:
            return checked
        rechecked = self.checker.check(" ".join(claims), evidence, question)
        return rechecked if rechecked.text else checked

    @staticmethod
    def _only_markers(raw: str, evidence: Sequence[Evidence]) -> list[Evidence]:
        """The evidence named by an output that is nothing but markers (e.g. "[1]"), else []."""
        if MARKER.sub("", raw).strip(" .\n"):
            return []
        wanted = set(parse_markers(raw))
        return [item for item in evidence if item.n in wanted]

    def _refuse(
        self,
        question_used: str,
        hits: Sequence[RetrievedChunk],
        clock: _Clock,
        reason: RefusalReason,
        language: Language,
        *,
        emit_text: bool = False,
        prompt_tokens: int | None = None,
    ) -> Iterator[StreamEvent]:
        closest = list(dict.fromkeys(hit.chunk.title for hit in hits))[:_CLOSEST_DOCUMENTS]
        if emit_text:
            clock.mark_since_start("first_token")
            yield StreamEvent("token", text=REFUSAL_TEXTS[language])
        yield StreamEvent(
            "answer",
            answer=Answer(
                answer=REFUSAL_TEXTS[language],
                citations=[],
                answerable=False,
                question_used=question_used,
                timings_ms=self._timings(clock),
                model=self.model_name,
                closest_documents=closest,
                prompt_tokens=prompt_tokens,
                refusal_reason=reason,
            ),
        )

    @staticmethod
    def _timings(clock: _Clock) -> dict[str, float]:
        clock.mark_since_start("total")
        return dict(clock.marks)

    @staticmethod
    def _source(item: Evidence) -> Source:
        chunk = item.chunk
        return Source(
            n=item.n,
            source=chunk.source,
            title=chunk.title,
            page=item.page,
            section=chunk.section,
            chunk_id=chunk.chunk_id,
            quote=item.text,
        )

    @staticmethod
    def _citation(n: int, item: Evidence, support: float) -> Citation:
        return Citation(
            n=n,
            source=item.chunk.source,
            title=item.chunk.title,
            page=item.page,
            section=item.chunk.section,
            chunk_id=item.chunk.chunk_id,
            quote=item.text,
            score=round(support, 4),
            passage=item.chunk.text,
            quote_start=item.start,
            quote_end=item.end,
            context=item.context,
        )


def _put_right(claim: str, text: str, given: set[str], asked_years: set[str]) -> str | None:
    """``claim`` with its figure's year or side, and then its way, put right from ``text``; ``None`` if unchanged.

    "Imports rose by 1.2%" over "exports ..., up 1.2%, and imports ..., down 1.1%" takes the imports'
    figure and then their way: "Imports fell by 1.1%".
    """
    fixed = redated(claim, text, given, asked_years) or resided(claim, text) or claim
    fixed = redirected(fixed, text) or fixed
    return fixed if fixed != claim else None


def _hold_back_sentinel(pieces: Iterator[str]) -> Iterator[str]:
    """Pass pieces through, except a leading refusal sentinel, which is never shown to users."""
    buffer = ""
    decided = False
    for piece in pieces:
        if decided:
            yield piece
            continue
        buffer += piece
        stripped = buffer.lstrip()
        if REFUSAL_SENTINEL.startswith(stripped) or stripped.startswith(REFUSAL_SENTINEL):
            continue
        decided = True
        yield buffer
    if not decided and buffer and REFUSAL_SENTINEL not in buffer:
        yield buffer
