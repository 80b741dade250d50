"""Multi-hop questions split into the parts that are searched for on their own.

"How many days after the joint training centre was launched did its first training begin?"
needs two sentences that may sit pages apart: one search for the whole question finds the one
that shares most of its words and misses the other. The question's parts are searched as well
(a few milliseconds each, no model call) and each part's best sentence joins the evidence.

Five shapes are recognised, all cheap to tell apart by their wording:

* two alternatives compared: "which fell further, world trade in goods or world trade in services?";
* two events timed: "how many days after X did Y", "how many years passed between X and Y",
  "by the time X, how many years had Y";
* two figures set apart: "how far apart are X and Y", "the difference between X and Y";
* one quantity in two years: "how much more ... in 2022 than in 2021" (a part per year);
* a premise, then the question: "The article calls for cooperation with a free trade port. When
  was that port created?" (a part per sentence).

A sixth shape needs the first hop's answer before the second can be searched for: a question
that names something by what another passage says of it ("the free trade port that the
western-region article wants closer cooperation with", "the province whose pilot zone ran 3,720
trains"). Its best sentences name the thing ("... and Hainan Free Trade Port"); :func:`bridge_query`
searches again with those names (:func:`bridging_names`), so the sentence about Hainan's free
trade port, which shares few of the question's words, joins the evidence. So does a premise
followed by a question that points back at it by the premise's noun ("... a particular free
trade port. What did the province where that port lies introduce in 2021?"): the name ending on
that noun leads, without the words it shares with the premise ("Hainan", not "Hainan Free Trade
Port"), and the premise's words are left out of the second search, which they would lead back
to the premise's passage.

When such a question's description ends at its verb ("The pilot zone that gained 11,900 firms in
2021 | has leaned on ..."), the description is searched as a part, the subject is named from its
best sentence (:func:`named_subject`), and the model is asked about the name ("Fujian FTZ has
leaned on ..."); "In the year that inflows hit their record, ..." is asked "In 2007, ...". The
answer then opens with the link, cited to the first hop's sentence ("The pilot zone that ... is
Fujian FTZ [1]").

Usage::

    bridge_query("The port that the article wants cooperation with opened when?", evidence)
    # "Hainan Free Trade Port: The port that the article wants cooperation with opened when?"
    question_parts("How much more foreign capital did the zones use in 2022 than in 2021?")
    # ["How much more foreign capital did the zones use in 2022?",
    #  "How much more foreign capital did the zones use than in 2021?"]
    merge_evidence(main, [part_evidence, ...])   # main's items, then each part's new ones, renumbered
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from core.text.terms import YEAR, content_terms
from rag.evidence import Evidence

ALTERNATIVES = re.compile(r",\s*(?P<a>[^,?]{4,}?)\s+or\s+(?P<b>[^,?]{4,}?)\s*(?=[,?]|$)", re.IGNORECASE)
_TIMED = re.compile(
    r"\bhow many (?:days|weeks|months|years)\s+(?:passed\s+|elapsed\s+|went by\s+)?(?:after|before)\s+"
    r"(?P<a>.+)\s+(?:did|was|were|had|has|is|does)\s+(?P<b>.+?)\s*\?*$",
    re.IGNORECASE,
)
# "By the time the article was published, how many years had RCEP been in effect?": the same two events.
_BY_THE_TIME = re.compile(
    r"^(?:by the time|at the time)\s+(?P<a>[^,]+?),\s*(?:about\s+|roughly\s+|around\s+|approximately\s+)?"
    r"how many (?:days|weeks|months|years)\s+(?:had|has|have|did|was|were)\s+(?P<b>.+?)\s*\?*$",
    re.IGNORECASE,
)
_BETWEEN = re.compile(
    r"\b(?:between|how far apart are|difference between|gap between)\s+(?P<a>[^,?]+?)\s+and\s+(?P<b>[^,?]+)",
    re.IGNORECASE,
)
_TWO_YEARS_CHANGE = re.compile(
    r"\b(more|less|than|from|between|change\w*|differ\w*|ris\w*|rose|fell|fall\w*|grew|gr[oe]w\w*|drop\w*|"
    r"jump\w*|shr[aiu]nk\w*|increas\w*|decreas\w*|declin\w*|smaller|bigger|larger|higher|lower)\b",
    re.IGNORECASE,
)
# A question that opens on "The port that ...", "The province whose ...", "In the city where ...": its
# subject is named by what is said of it.
_BRIDGE = re.compile(
    r"^(?:(?:in|at|for|from|of|by|to)\s+)?(?:the|a|an)\s+(?:[\w'’-]+\s+){1,4}?"
    r"(?:that|whose|where|which|who|when|in which)\s+(?!is\b|are\b)",
    re.IGNORECASE,
)
# Where such a question's description of its subject ends: "The port that the article wants
# cooperation with | was created ...", "The zone that gained 11,900 firms in 2021 | has leaned on ...",
# "The zone whose launch is said to have kicked off ... | has tried ..." ("is said" is still the description).
_DESCRIPTION_END = re.compile(
    r"\s*[:,]\s+|(?<!\bto)\s+(?=(?:is|are|was|were|has|have|had|also)\s+"
    r"(?!(?:said|reported|described|credited|known|called|named|thought|seen|considered)\b))",
    re.IGNORECASE,
)
_VERB_FIRST = re.compile(r"(?:is|are|was|were|has|have|had|also)\b", re.IGNORECASE)
# "In the year that ...": a subject the first hop finds as a year.
_IN_THE_YEAR = re.compile(r"^(?:in|during)\s+the\s+year\b", re.IGNORECASE)
# Between the clauses of a sentence, each of which may give its own year.
_CLAUSE_BREAK = re.compile(r"[,;]\s+|\s+(?:but|while|whereas)\s+")
# Between the sentences of a question that sets out its premise first.
_SENTENCE_BREAK = re.compile(r"(?<=[a-z0-9)'’”][.;])\s+(?=[A-Z])")
# "Dr.", "Prof.", "Inc.": a short capitalised word before the full stop is a title, not a sentence end.
_ABBREVIATION_END = re.compile(r"\b(?:[A-Z][a-z]{0,3}|etc|approx)\.$")
# A run of capitalised words (with the "of"/"and"/hyphens inside names): "Hainan Free Trade Port".
_NAME = re.compile(r"\b[A-Z][\w'’-]*(?:\s+(?:of\s+|and\s+)?[A-Z][\w'’-]*)*")
# "FTZs", "SEZ": a bare abbreviation names a kind of thing, not the one the question means.
_ABBREVIATION = re.compile(r"[A-Z]{2,5}s?")
# ", according to the 2024 paper": where the answer is read, not what it is about.
_ATTRIBUTION = re.compile(r",?\s*\b(?:according to|as stated in|per)\s+(?:the\s+)?[^,?]*?(?=[,?]|$)", re.I)
# "that port", "this city", "the same zone": a question's last sentence naming what its premise named.
_POINTS_BACK = re.compile(r"\b(?:that|this|those|these|the same)\s+(?P<noun>[a-z]+)", re.IGNORECASE)
_BRIDGE_SOURCES = 2
# Subjects that a first hop finds as a number or a date, not a name to search with.
_NOT_NAMED = frozenset({"year", "years", "month", "day", "date", "time", "period"})
_BRIDGE_NAMES = 3
# A part shorter than this names nothing to search for ("it", "the one").
_MIN_PART_TERMS = 2
_MAX_PARTS = 2


@dataclass(frozen=True)
class Described:
    """The subject a question names by what a passage says of it, and what it asks of that subject.

    "The free trade port that the western-region article wants closer cooperation with was created
    on what date?": ``description`` "The free trade port that the western-region article wants
    closer cooperation with", ``noun`` "port", ``asked`` "was created on what date?".
    """

    description: str
    noun: str
    asked: str


def described_subject(question: str) -> Described | None:
    """The description a one-sentence question gives of its subject (``None`` for other questions).

    A search for the description alone finds the sentence that names the subject ("... and Hainan
    Free Trade Port"), which the whole question's other words can push out of the evidence.
    """
    if len(_sentences(question)) != 1 or not (match := _BRIDGE.search(question)):
        return None
    if (end := _DESCRIPTION_END.search(question, match.end())) is None:
        return None
    description = question[: end.start()].strip()
    if len(content_terms(description)) < _MIN_PART_TERMS:
        return None
    words = re.findall(r"[\w'’-]+", match[0])  # "... free trade port that", "... city in which"
    noun = words[-3] if words[-2].lower() == "in" and len(words) > 2 else words[-2]
    return Described(description, noun, question[end.end() :].strip())


def question_parts(question: str) -> list[str]:
    """The parts of ``question`` worth a search of their own (``[]`` for a question about one thing)."""
    years = list(dict.fromkeys(YEAR.findall(question)))
    parts: list[str] = []
    if match := ALTERNATIVES.search(question):
        # With years, an alternative and the years find its row ("world trade in services 2009");
        # the rest of the question ("which fell further in percentage terms") finds other rows.
        rest = " ".join(years) or (question[: match.start()] + question[match.end() :]).strip(" ,?")
        parts = [f"{match['a']} {rest}", f"{match['b']} {rest}"]
    elif match := _TIMED.search(question) or _BY_THE_TIME.search(question):
        parts = [match["a"], match["b"]]
    elif (match := _BETWEEN.search(question)) and not YEAR.fullmatch(match["a"].strip()):
        context = " ".join(year for year in years if year not in match[0])
        parts = [f"{match['a']} {context}".strip(), f"{match['b']} {context}".strip()]
    elif len(years) == 2 and _TWO_YEARS_CHANGE.search(question):
        parts = [_without(question, other) for other in reversed(years)]
    elif len(said := _sentences(question)) > 1:
        # "The article calls for cooperation with a free trade port. When was it created?": the first
        # sentence names the first hop, which a search for the whole question dilutes.
        parts = said[:_MAX_PARTS]
    elif described := described_subject(question):
        parts = [described.description]  # the first hop; the second needs the name it finds (bridge_query)
    parts = [" ".join(part.split()) for part in parts]
    return [part for part in parts if len(content_terms(part)) >= _MIN_PART_TERMS][:_MAX_PARTS]


def bridging_names(
    question: str, evidence: Sequence[Evidence], pointed: str | None = None, *, own_words: bool = True
) -> list[str]:
    """Names in the best-scored evidence that the question does not use: the first hop's answer.

    With ``pointed``, the noun a question points back with ("that port"), a name ending on it
    ("Hainan Free Trade Port") is the answer, before any other; with ``own_words``, only its words
    that the question lacks ("Hainan").
    """
    asked = set(content_terms(question))
    names, new_names = _names_in(
        question, sorted(evidence, key=lambda item: item.score, reverse=True)[:_BRIDGE_SOURCES]
    )
    if pointed and (kind := _of_kind(names, pointed)):
        # "Hainan Free Trade Port" for "a free trade port": the words the question has lead back to the premise.
        own = [word for word in kind[0].split() if not set(content_terms(word)) <= asked]
        return [" ".join(own) or kind[0]] if own_words else kind[:1]
    # A name that repeats the question's words ("APEC Leaders' Meeting") only leads back to the first hop.
    # A name that shares none is the first hop's answer; the first one found is the likeliest.
    return new_names[:1] or names[:_BRIDGE_NAMES]


def _names_in(question: str, items: Sequence[Evidence]) -> tuple[list[str], list[str]]:
    """The names ``items`` give that the question does not, and those of them sharing no word with it."""
    asked = set(content_terms(question))
    names: list[str] = []
    new_names: list[str] = []  # sharing no word with the question: "Beijing" for "the city that hosted APEC"
    for item in items:
        for match in _NAME.finditer(item.text):
            name = match[0]
            if match.start() == 0:
                name = name.partition(" ")[2]  # a sentence's first word is capitalised, not a name
            terms = set(content_terms(name))
            if terms and not terms <= asked and name not in names:
                names.append(name)
                if not terms & asked and not _ABBREVIATION.fullmatch(name):
                    new_names.append(name)
    return names, new_names


def _of_kind(names: Sequence[str], noun: str) -> list[str]:
    """The names ending on ``noun``: "Hainan Free Trade Port" for "port"."""
    return [name for name in names if name.lower().split()[-1] == noun.lower()]


def unread_names(question: str, evidence: Sequence[Evidence]) -> list[str]:
    """Names the question gives ("the Zhejiang zone") that no evidence sentence mentions.

    Hybrid search ranks passages by all of the question's words: a paraphrase's other words can push
    the one passage about the named place below the cut. Such a name is searched for on its own.
    A sentence's first word is capitalised, not a name; bare abbreviations ("FTZs") name a kind.
    """
    read = [set(content_terms(item.readable)) for item in evidence]
    unread: list[str] = []
    for sentence in _sentences(question) or [question]:
        for match in _NAME.finditer(sentence):
            name = match[0] if match.start() > 0 else match[0].partition(" ")[2]
            terms = set(content_terms(name))
            if terms and not _ABBREVIATION.fullmatch(name) and not any(terms <= words for words in read):
                unread.append(name)
    return list(dict.fromkeys(unread))


def bridge_query(
    question: str, evidence: Sequence[Evidence], first_hop: Sequence[Evidence] | None = None
) -> str | None:
    """The question again, led by the names its first hop found; ``None`` for a question of another shape.

    ``first_hop``: the best sentences for the description of the question's subject
    (:func:`described_subject`), searched as a part. The name is read from them, not from the
    sentences best for the whole question, which may be about what is asked instead ("The zone that
    gained 11,900 firms in 2021 has leaned on its geography to build ties with which region?"), and
    the second search asks what the question asks of the subject, led by that name.
    """
    if first_hop and (subject := described_subject(question)):
        if subject.noun.lower() in _NOT_NAMED:
            # "In the year that ...": what the first hop finds is a year ("2007: how fast did trade grow?").
            named = named_subject(question, first_hop)
            return f"{named.name}: {_ATTRIBUTION.sub('', subject.asked)}" if named else None
        # The whole name ("Hainan Free Trade Port"): what is asked of it no longer has the description's words.
        names = bridging_names(subject.description, first_hop, pointed=subject.noun, own_words=False)
        return f"{' '.join(names)}: {_ATTRIBUTION.sub('', subject.asked)}" if names else None
    said = _sentences(question)
    # "The port that the article ...": named by what is said of it. Else, maybe a premise, then "that port".
    described = _BRIDGE.search(question) is not None
    pointed = None if described else _pointed_noun(said)
    if pointed is None and not described:
        return None
    names = bridging_names(question, evidence, pointed)
    # "The city that hosted APEC has a zone. What centre has it built?": the name found and what is asked of it.
    asked = _ATTRIBUTION.sub("", said[-1])
    if pointed is not None:
        # "... the province where that port lies introduce in 2021": the premise's words ("port") would
        # lead back to the premise's passage, not to what is asked of the name.
        premise = _words(" ".join(said[:-1]))
        asked = " ".join(word for word in asked.split() if word.lower().strip("?,.") not in premise)
    return f"{' '.join(names)}: {asked}" if names else None


@dataclass(frozen=True)
class NamedSubject:
    """A described subject, the name its first hop found for it, and the question asked of that name.

    ``question``: "Fujian FTZ has leaned on its geography to build ties with which region?";
    ``link``, the first hop as a claim to cite: "The pilot zone that gained 11,900 firms in 2021 is
    Fujian FTZ".
    """

    description: str
    name: str
    question: str
    link: str


def named_subject(question: str, first_hop: Sequence[Evidence]) -> NamedSubject | None:
    """The question's described subject, named by the best sentence for its description.

    "The pilot zone that gained around 11,900 new enterprises in 2021 has leaned on its geography to
    build ties with which region?": a 1.5B model asked this restates the description, cites the
    sentence it came from and not the one that answers, and the citation check drops the answer.
    Asked "Fujian FTZ has leaned on its geography to build ties with which region?", it answers
    from the sentence about the Fujian FTZ's ties; the first hop is cited by the ``link``. So is
    "In the year that FDI inflows hit their pre-crisis record, how fast did goods trade grow?"
    asked "In 2007, how fast did goods trade grow?".

    ``None`` unless the description is followed by its verb ("... has leaned", not "...: how much
    freight") or is a year's ("In the year that ..., "), and the best sentence for it names one
    subject: a name of the described kind ("... Port" for "the free trade port that ..."), else
    the one name sharing no word with the description; for a year, the one year of its clause
    that shares most words with the description.
    """
    described = described_subject(question)
    if described is None or not first_hop:
        return None
    best = max(first_hop, key=lambda item: item.score)
    description, asked = described.description, described.asked
    if described.noun.lower() in _NOT_NAMED:
        if described.noun.lower() != "year" or not _IN_THE_YEAR.match(description):
            return None
        if (year := _year_meant(description, best)) is None:
            return None
        the_year = _IN_THE_YEAR.sub("The year", description, count=1)
        return NamedSubject(description, year, f"In {year}, {asked}", f"{the_year} was {year}")
    if not _VERB_FIRST.match(asked):
        return None
    # Only the best sentence, and only one name in it: a wrong name would be answered about with confidence.
    names, new_names = _names_in(description, [best])
    kind = _of_kind(names, described.noun)
    name = kind[0] if kind else new_names[0] if len(new_names) == 1 else None
    return NamedSubject(description, name, f"{name} {asked}", f"{description} is {name}") if name else None


def _year_meant(description: str, item: Evidence) -> str | None:
    """The year ``item`` gives the description: the one year of the clause sharing most words with it.

    "Since the 1990s, investment grew, peaking in 2007 with a record inflow of 1.98 trillion US
    dollars, but due to the crisis in 2008, ...": "the year that inflows hit their pre-crisis
    record" shares "record" and "inflow" with the 2007 clause, "crisis" with the 2008 one.
    ``None`` when no clause shares a word or two years tie.
    """
    wanted = {term for term in content_terms(description) if term != "year" and not YEAR.fullmatch(term)}
    scored: dict[str, int] = {}
    for clause in _CLAUSE_BREAK.split(item.text):
        if len(years := set(YEAR.findall(clause))) == 1:
            year = years.pop()
            scored[year] = max(scored.get(year, 0), len(wanted & set(content_terms(clause))))
    ranked = sorted(scored.items(), key=lambda pair: pair[1], reverse=True)
    if not ranked or ranked[0][1] == 0 or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
        return None
    return ranked[0][0]


def _words(text: str) -> set[str]:
    return {word.lower() for word in re.findall(r"[\w'’-]+", text)}


def _pointed_noun(said: Sequence[str]) -> str | None:
    """ "port" in "The article calls for cooperation with a free trade port. What did the province where
    that port lies introduce?": a question that points back at what its premise named, by the noun
    the premise used. ``None`` when the question is one sentence or points back at nothing it named."""
    if len(said) < 2:
        return None
    premise = _words(" ".join(said[:-1]))
    return next((m["noun"] for m in _POINTS_BACK.finditer(said[-1]) if m["noun"].lower() in premise), None)


def _sentences(question: str) -> list[str]:
    """The sentences of ``question`` ("The article names a port. When was it created?" has two)."""
    sentences: list[str] = []
    for piece in _SENTENCE_BREAK.split(question.strip()):
        if sentences and _ABBREVIATION_END.search(sentences[-1]):
            sentences[-1] += " " + piece
        else:
            sentences.append(piece)
    return sentences


def _without(question: str, year: str) -> str:
    """``question`` with ``year`` (and the "than in"/"from" that introduces it) taken out."""
    pattern = rf"\s*(?:\b(?:than|from|to|and|in|of)\s+)*(?:in\s+)?(?<!\d){year}(?!\d)"
    return re.sub(pattern, "", question, count=1).strip(" ,?") + "?"


def same_sentence_key(item: Evidence) -> tuple[str, str]:
    """By text: the same sentence reached through a merged neighbour chunk has other offsets."""
    return item.source, " ".join(item.readable.split())


def merge_evidence(
    main: Sequence[Evidence], extras: Sequence[Sequence[Evidence]], per_part: int | None = None
) -> list[Evidence]:
    """``main``'s items, then each part's items that ``main`` lacks (at most ``per_part`` each), numbered 1..k again."""
    merged = list(main)
    seen = {same_sentence_key(item) for item in merged}
    for part in extras:
        added = 0
        for item in part:
            key = same_sentence_key(item)
            if key not in seen and (per_part is None or added < per_part):
                seen.add(key)
                merged.append(item)
                added += 1
    for number, item in enumerate(merged, start=1):
        item.n = number
    return merged
