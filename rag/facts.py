"""Fact-level number check: a value must be cited for the year, and the province, it is claimed for.

Checking numbers one by one passes "In 2022 the zones used 200 billion yuan [1]." when [1] says
"In 2021 the zones used 200 billion yuan": 2022 is the question's own year and 200 is in the
passage. Read as a fact, the passage ties 200 to 2021 only. Here every number of the evidence is
tied to the years of its sentence, or, in a table, of its row and its column header; a claimed
value whose every occurrence is tied to years, none of them a year the claim names, is misdated.
A value found next to no year at all (the year is in a heading, or nowhere) is not judged. A
claim without a year of its own is read for the year the question asks about.

The same goes for places: "The Shaanxi FTZ's foreign investment grew by 100% [1]." citing "That
year, the Hainan FTZ saw ... grow by more than 100%" is another province's figure
(:func:`misplaced`), and so is an event of another year (:func:`off_year`).

Usage::

    misplaced("Shaanxi's FTZ grew by 100%.", ["That year, the Hainan FTZ grew by more than 100%."])   # True
    off_year("Six provinces got zones in the 2021 round.", ["In August 2019, six provinces got zones."])   # True
    misdated_values("In 2022 the zones used 200 billion yuan.", "In 2021 the zones used 200 billion yuan.")
    # ["200"]
    misdated_values("Inflows were 1,362 in 2015.", "Year | Inflows\\n2014 | 1,228\\n2015 | 1,362")   # []
    redated("China had 17.44% in 2021.", "In 2021, its share rose from 17.44% in the previous year to 18.13%.")
    # "China had 18.13% in 2021."
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence

from core.text.sentences import sentence_spans
from core.text.terms import NUMBER, YEAR, content_terms

_YEAR_RANGE = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)\s*(?:-|–|—|to)\s*(1[89]\d\d|20\d\d)(?!\d)")
_SOURCE_CITATION = re.compile(r"\((?:[^()]*?(?:,|et al\.?)\s*)(?:19|20)\d\d[a-z]?\)")
# A value "in the previous year" (a few unit words may sit between: "5.03 trillion US dollars in the previous year").
_PREVIOUS_YEAR = re.compile(
    r"(?<![\d.,])(\d+(?:[.,]\d+)*)\s*(?:%|percent\b)?(?:\s+[A-Za-z]+){0,3}?\s+(?:in|of|for)\s+the\s+"
    r"(?:previous|prior|preceding)\s+year",
    re.IGNORECASE,
)
_CLAUSE_BREAK = re.compile(r"[;,]\s+|\s+(?:and|while|whereas|but|compared with|against)\s+")


def _normal(number: str) -> str:
    return number.replace(",", "").rstrip(".")


def _is_year(cell: str) -> bool:
    return bool(YEAR.fullmatch(cell.strip()))


def _spanned_years(text: str) -> frozenset[str]:
    """Every year of the ranges ``text`` names: a caption's "1990-2020" covers 2008 too."""
    years: set[str] = set()
    for first, last in _YEAR_RANGE.findall(text):
        years.update(str(year) for year in range(int(first), min(int(last), int(first) + 200) + 1))
    return frozenset(years)


def _values(text: str) -> list[str]:
    """The numbers of ``text`` that are not years."""
    return [_normal(n) for n in NUMBER.findall(text) if not _is_year(n)]


def _table_rows(text: str) -> tuple[list[tuple[list[str], list[str]]], list[str]]:
    """``text``'s table data rows, each with the header row above it, and its prose lines.

    Lines with ``|`` are table lines: one whose cells after the first hold no value other than
    years is a header row; the others are data rows.
    """
    rows: list[tuple[list[str], list[str]]] = []
    header: list[str] = []
    prose: list[str] = []
    for line in text.splitlines():
        if "|" not in line:
            prose.append(line)
            continue
        cells = [cell.strip() for cell in line.split("|")]
        if not any(_values(cell) for cell in cells[1:]):
            header = cells
        else:
            rows.append((header, cells))
    return rows, prose


def year_ties(evidence: str) -> dict[str, list[frozenset[str]]]:
    """Each value of ``evidence`` → the year sets of its occurrences (an empty set: no year near it).

    Lines with ``|`` are table lines: one whose cells after the first hold no value other than
    years is a header; in a data row, a value's years are the row's year cells and its column's
    header year. Other text is read sentence by sentence.
    """
    ties: dict[str, list[frozenset[str]]] = defaultdict(list)
    rows, prose = _table_rows(evidence)
    for header, cells in rows:
        row_years = {cell for cell in cells if _is_year(cell)}
        for index, cell in enumerate(cells):
            column_year = {header[index]} if index < len(header) and _is_year(header[index]) else set()
            for value in _values(cell):
                ties[value].append(frozenset(row_years | column_year))
    # "(Ministry of Commerce ..., 2022)" dates the source, not the figure before it.
    text = _SOURCE_CITATION.sub("", "\n".join(prose))
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        years = frozenset(YEAR.findall(sentence)) | _spanned_years(sentence)
        # "In 2021 ... from 17.44% in the previous year to 18.13%": 17.44 is 2020's.
        earlier = {_normal(match[1]) for match in _PREVIOUS_YEAR.finditer(sentence)}
        year_before = frozenset(str(int(year) - 1) for year in years)
        for value in _values(sentence):
            ties[value].append(year_before if value in earlier and years else years)
    return ties


def off_year(claim: str, texts: Sequence[str], asked_years: Iterable[str] = ()) -> bool:
    """True when the claim is set in years (its own, else the question's) that ``texts`` never name,
    while they do name others: what they tell happened in another year.

    "Shandong and Jiangsu were given zones in the 2021 round [1]." citing "On August 26, 2019,
    approval was granted to ... Shandong, Jiangsu ..." answers a false premise from the 2019 round.
    Texts that name no year at all are not judged (the year may be in a heading).
    """
    claimed = set(YEAR.findall(claim)) or set(asked_years)
    if not claimed:
        return False
    joined = _SOURCE_CITATION.sub("", "\n".join(texts))
    named = set(YEAR.findall(joined)) | _spanned_years(joined)
    return bool(named) and not claimed & named


def misdated_values(
    claim: str, evidence: str | Sequence[str], given: Iterable[str] = (), asked_years: Iterable[str] = ()
) -> list[str]:
    """Values of ``claim`` that ``evidence`` (one text or several) states only for years the claim does not name.

    A claim that names no year is read for the ``asked_years`` (the question's: "How much was used in
    2022?" answered "200 billion yuan [1]." claims 200 for 2022). ``given`` numbers (the question's
    own) are premises, not claims, and are not judged.
    """
    claimed_years = set(YEAR.findall(claim)) or set(asked_years)
    if not claimed_years:
        return []
    skip = {_normal(n) for n in given}
    ties: dict[str, list[frozenset[str]]] = defaultdict(list)
    for text in [evidence] if isinstance(evidence, str) else evidence:
        for value, years in year_ties(text).items():
            ties[value].extend(years)
    misdated: list[str] = []
    # "213 in 2022 and 222.52 in 2021" swaps two facts that are right as a pair: a clause that
    # names its own year is judged for that year, any other for the claim's.
    for clause in _CLAUSE_BREAK.split(claim):
        clause_years = set(YEAR.findall(clause)) or claimed_years
        # The claim may itself say "17.44% in the previous year": that value is claimed for the year before.
        earlier = {_normal(match[1]) for match in _PREVIOUS_YEAR.finditer(clause)}
        for value in dict.fromkeys(_values(clause)):
            occurrences = ties.get(value)
            if value in skip or value in misdated or not occurrences:
                continue
            judged = {str(int(year) - 1) for year in clause_years} if value in earlier else clause_years
            if all(tied and not (tied & judged) for tied in occurrences):
                misdated.append(value)
    return misdated


def redated(claim: str, evidence: str, given: Iterable[str] = (), asked_years: Iterable[str] = ()) -> str | None:
    """``claim`` with its one misdated value replaced by the one its clause of ``evidence`` gives for the claim's year.

    Asked "What share of the world economy did mainland China have in 2021?", a small model reads
    "... the Chinese mainland's economy ... increasing its share from 17.44% in the previous year to
    18.13%" and answers 17.44%: the right sentence, the other year's figure. The clause that holds
    the misdated value holds the claim year's value too; when exactly one value of the same kind
    (a percentage for a percentage) is tied to that year there, it is the answer. ``None`` when the
    claim is not misdated, or the clause offers no single replacement. Table rows are left to the
    table look-up.
    """
    wrong = misdated_values(claim, evidence, given, asked_years)
    claimed_years = set(YEAR.findall(claim)) or set(asked_years)
    if len(wrong) != 1 or not claimed_years:
        return None
    [value] = wrong
    printed_in_claim = next(m for m in NUMBER.finditer(claim) if _normal(m[0]) == value)
    percent = _is_percent(claim, printed_in_claim.end())
    prose = _SOURCE_CITATION.sub("", "\n".join(line for line in evidence.splitlines() if "|" not in line))
    for start, end in sentence_spans(prose):
        sentence = prose[start:end]
        ties = year_ties(sentence)
        for clause in re.split(r";\s+", sentence):
            printed = {_normal(m[0]): m for m in NUMBER.finditer(clause) if not _is_year(m[0])}
            if value not in printed:
                continue
            candidates = [
                match[0]
                for other, match in printed.items()
                if other != value
                and _is_percent(clause, match.end()) == percent
                and any(years & claimed_years for years in ties.get(other, []))
            ]
            if len(candidates) == 1:
                return claim[: printed_in_claim.start()] + candidates[0] + claim[printed_in_claim.end() :]
    return None


# Two sides of one flow: a figure for one is never a figure for the other.
_SIDES = (("export", "import"), ("inflow", "outflow"), ("surplus", "deficit"))
# The sum of both sides ("total trade"): a figure of one side is not the total.
_TOTAL = "total"
# Clauses for telling the sides apart: not cut at "and", which joins the sides in "the import and
# export volume of 6.8 trillion yuan" (both sides: not judged).
_SIDE_CLAUSE_BREAK = re.compile(r"[;,]\s+|\s+(?:while|whereas|but|compared with|against)\s+")


def _side(terms: set[str]) -> dict[int, str]:
    """Which side of each pair the terms name, when they name exactly one (pair index -> side)."""
    return {i: a if a in terms else b for i, (a, b) in enumerate(_SIDES) if (a in terms) != (b in terms)}


def _labels(text: str) -> dict[str, list[set[str]]]:
    """Each value of ``text`` -> the words around each of its occurrences: its clause, or its row and column header."""
    labels: dict[str, list[set[str]]] = defaultdict(list)
    rows, prose = _table_rows(text)
    for header, cells in rows:
        for index, cell in enumerate(cells):
            column = header[index] if index < len(header) else ""
            for value in _values(cell):
                labels[value].append(set(content_terms(f"{cells[0]} {column}")))
    text = " ".join(prose)
    for start, end in sentence_spans(text):
        before: set[str] = set()
        for clause in _SIDE_CLAUSE_BREAK.split(text[start:end]):
            terms = set(content_terms(clause))
            if _carries_on(clause, terms):
                terms |= before  # "exports were 581.783 billion dollars, up 1.2%": the exports' change
            for value in _values(clause):
                labels[value].append(terms)
            before = terms
    return labels


# A clause going on about what the clause before it named: "..., reaching 581.783 billion dollars".
_GOES_ON = re.compile(
    r"(?:and\s+)?(?:reaching|totall?ing|amounting|standing|rising|falling|growing|increasing|decreasing|"
    r"dropping|declining|up|down|to|at)\b",
    re.IGNORECASE,
)


def _carries_on(clause: str, terms: set[str]) -> bool:
    """ "up 1.2%", "a year-over-year increase of 29.5%", "reaching 581.783 billion dollars": a clause naming
    no side of a flow and no total that tells a change or a level of what the clause before it names."""
    if _side(terms) or _TOTAL in terms:
        return False
    rise, fall = (pattern for _, pattern in _DIRECTION_WORDS[0])
    words = terms - set(_values(clause)) - {"year"}
    bare_change = 0 in _directions(clause) and all(rise.fullmatch(word) or fall.fullmatch(word) for word in words)
    return bare_change or _GOES_ON.match(clause.strip()) is not None


def _claimed_sides(claim: str) -> list[tuple[str, set[str], dict[int, str]]]:
    """Each clause of ``claim`` with its terms and the side of a flow it claims, carried on from the
    clause before ("Imports fell by 1.1%, reaching 581.783 billion dollars": both are the imports')."""
    clauses: list[tuple[str, set[str], dict[int, str]]] = []
    for clause in _SIDE_CLAUSE_BREAK.split(claim):
        terms = set(content_terms(clause))
        side = clauses[-1][2] if clauses and _carries_on(clause, terms) else _side(terms)
        clauses.append((clause, terms, side))
    return clauses


def answers_the_other_side(claim: str, question: str) -> bool:
    """Whether ``claim`` is about the other side of a flow than the one ``question`` asks about.

    "Where has China placed for outward investment?" answered "China ranked second in attracting
    foreign investment" (an inflow), or a question about imports answered with exports or with total
    trade: each may be what its cited sentence says, and none answers. A question naming both sides
    of a pair ("exports and imports") is not judged on that pair, nor a claim naming both but no total.
    """
    asked_terms, said_terms = set(content_terms(question)), set(content_terms(claim))
    asked, said = _side(asked_terms), _side(said_terms)
    if 0 in asked and _TOTAL not in asked_terms and _TOTAL in said_terms and 0 not in said:
        return True  # imports asked, "total trade (exports and imports)" told
    return any(pair in said and said[pair] != side for pair, side in asked.items())


def swapped_values(claim: str, texts: Sequence[str]) -> list[str]:
    """Values of ``claim`` that ``texts`` give only for the other side of a flow the claim names.

    "China exported 177.644 billion dollars to the US [1]" citing "China's exports to the U.S. were
    581.783 billion dollars, ..., and imports from the U.S. were 177.644 billion dollars": 177.644
    is the imports' figure. A value is judged by its clause (or its table row and column header);
    one whose clause names neither side, or both, is not judged. A claim about the total of both
    sides ("total trade", "exports plus imports") does not hold a figure given for one side only,
    nor a claim about one side the total's.
    """
    labels = _labels("\n".join(texts))
    swapped: list[str] = []
    for clause, terms, claimed in _claimed_sides(claim):
        # "Total trade (exports plus imports) grew by 16.77%", where 16.77 is the exports' growth only.
        total = _TOTAL in terms and 0 not in claimed and "|" not in clause  # not a quoted row under its header
        for value in dict.fromkeys(_values(clause)):
            found = labels.get(value, [])
            sides = [_side(words) for words in found]
            if (
                sides
                and claimed
                and all(any(i in side and side[i] != name for i, name in claimed.items()) for side in sides)
            ) or (found and total and all(0 in _side(words) and _TOTAL not in words for words in found)):
                swapped.append(value)
            elif (
                found
                and 0 in claimed
                and _TOTAL not in terms
                and all(_TOTAL in words and 0 not in _side(words) for words in found)
            ):
                # "Goods bought from abroad (imports) cost 12,603,386", the total of both sides.
                swapped.append(value)
    return swapped


def resided(claim: str, evidence: str) -> str | None:
    """``claim`` with its swapped values replaced by the other side's, from the same sentence or table row.

    "China exported 177.644 billion dollars [1]" over "exports ... were 581.783 billion dollars, up 1.2%,
    and imports ... were 177.644 billion dollars" becomes "China exported 581.783 billion dollars";
    a percentage is replaced by a percentage only. ``None`` unless each swapped value has one replacement.
    """
    wrong = swapped_values(claim, [evidence])
    if not wrong:
        return None
    fixed = claim
    for value in wrong:
        replacement = _other_sides_value(claim, value, evidence)
        if replacement is None:
            return None
        printed = next(m for m in NUMBER.finditer(fixed) if _normal(m[0]) == value)
        fixed = fixed[: printed.start()] + replacement + fixed[printed.end() :]
    return fixed


def _other_sides_value(claim: str, value: str, evidence: str) -> str | None:
    """The one value that the sentence or table row of ``evidence`` printing ``value`` gives for the side
    the claim names where it states ``value``, as printed there; ``None`` unless there is exactly one."""
    printed_in_claim = next(m for m in NUMBER.finditer(claim) if _normal(m[0]) == value)
    percent = _is_percent(claim, printed_in_claim.end())
    claimed = next((side for clause, _, side in _claimed_sides(claim) if value in _values(clause)), {})
    rows, prose = _table_rows(evidence)
    units = [f"{' | '.join(header)}\n{' | '.join(cells)}" for header, cells in rows]
    units += [line[start:end] for line in prose for start, end in sentence_spans(line)]
    for unit in units:
        labels = _labels(unit)
        if value not in labels:
            continue
        printed = {_normal(m[0]): m[0] for m in NUMBER.finditer(unit.splitlines()[-1]) if not _is_year(m[0])}
        candidates = [
            shown
            for other, shown in printed.items()
            if other != value
            and _is_percent(unit, unit.find(shown) + len(shown)) == percent
            and any(all(_side(words).get(i) == name for i, name in claimed.items()) for words in labels[other])
        ]
        if len(candidates) == 1:
            return candidates[0]
    return None


# Which way a change, or an event, goes. "up"/"down" count only before a figure ("up 1.2%"), not in
# "set up" or "up to"; "growth" is a noun of either way ("growth slowed") and not counted.
_DIRECTIONS = (
    (
        (
            "up",
            r"increas\w*|rises?|rising|rose|risen|grew|grows?|growing|grown|rais(?:e|ed|es|ing)|upgrad\w*"
            r"|climb\w*|jump\w*|surg(?:e|ed|es|ing)|higher|up(?=\s+(?:by\s+)?\d)",
        ),
        (
            "down",
            r"decreas\w*|declin\w*|falls?|falling|fell|fallen|drop\w*|lower\w*|cuts?|cutting|downgrad\w*"
            r"|shr[aiu]nk\w*|contract(?:ed|ion|ing)|reduc\w*|slip\w*|plung\w*|down(?=\s+(?:by\s+)?\d)",
        ),
    ),
    (
        ("start", r"establish\w*|set(?:s|ting)? up|creat(?:e|ed|es|ing)|launch\w*|founded|inaugurat\w*"),
        (
            "end",
            r"abolish\w*|wound up|wind(?:s|ing)? up|dissolv\w*|disband\w*|scrap\w*|shut(?:s|ting)? down"
            r"|clos(?:e|ed|es|ing) down|terminat\w*",
        ),
    ),
)
_DIRECTION_WORDS = [
    [(name, re.compile(rf"\b(?:{pattern})\b", re.IGNORECASE)) for name, pattern in pair] for pair in _DIRECTIONS
]


def _directions(text: str) -> dict[int, str]:
    """Which way ``text`` goes in each pair (index -> "up", "down", "start" or "end"), where it goes one way only."""
    found: dict[int, str] = {}
    for index, pair in enumerate(_DIRECTION_WORDS):
        ways = [name for name, pattern in pair if pattern.search(text)]
        if len(ways) == 1:
            found[index] = ways[0]
    return found


def _turned(claimed: dict[int, str], stated: dict[int, str], all_stated: Iterable[dict[int, str]]) -> bool:
    """``claimed`` goes the other way from ``stated`` in some pair, and no ``all_stated`` goes its way."""
    return any(
        index in stated and stated[index] != way and all(other.get(index) != way for other in all_stated)
        for index, way in claimed.items()
    )


def reversed_direction(claim: str, texts: Sequence[str], question: str = "") -> bool:
    """The claim turns round a change or an event that its cited passages state the other way.

    * A figure: "Imports from the US increased by 1.1% [1]" citing "... imports from the U.S. were
      177.644 billion dollars, down 1.1%": the clause that prints 1.1 says down. A figure whose
      clauses go no way, or both ways, is not judged.
    * A premise: "Why did the IMF raise its forecast four times?" answered "The IMF raised its
      forecast four times due to ... [1]" citing "The IMF has downgraded its global growth forecast
      four times": the question's way, repeated, where the cited passages only go the other way.

    ``texts`` are the cited sentences themselves, not their whole passages (which tell of other things).
    """
    claimed = _DOCUMENT_YEAR.sub("", _ATTRIBUTION.sub("", claim))
    prose = [line for text in texts for line in _table_rows(text)[1]]
    clauses = [clause for line in prose for clause in _SIDE_CLAUSE_BREAK.split(line)]
    for clause in _SIDE_CLAUSE_BREAK.split(claimed):
        way = _directions(clause)
        for value in dict.fromkeys(_values(clause)) if way else ():
            stated = [_directions(other) for other in clauses if value in _values(other)]
            if any(_turned(way, one, stated) for one in stated):
                return True
    premise = {i: w for i, w in _directions(question).items() if _directions(claimed).get(i) == w}
    cited = _directions(" ".join(prose))
    return _turned(premise, cited, [cited])


def _word_pairs(text: str) -> dict[str, str]:
    return {word: opposite for word, _, opposite in (pair.partition("/") for pair in text.split())}


# A change's word and its opposite, in the same form: "increased" for "decreased", "rose" for "fell".
_EITHER_WAY = _word_pairs(
    "increased/decreased increase/decrease increases/decreases increasing/decreasing rose/fell rise/fall "
    "rises/falls rising/falling risen/fallen higher/lower up/down"
)
_UP_TO_DOWN = _EITHER_WAY | _word_pairs(
    "grew/fell grow/fall grows/falls growing/falling grown/fallen jumped/fell climbed/fell surged/fell"
)
_DOWN_TO_UP = {down: up for up, down in _EITHER_WAY.items()} | _word_pairs(
    "declined/increased decline/increase declines/increases declining/increasing dropped/rose drop/rise "
    "drops/rises shrank/grew shrunk/grown contracted/grew reduced/increased slipped/rose"
)
_OPPOSITE = {"up": _UP_TO_DOWN, "down": _DOWN_TO_UP}
_OPPOSITE_WAY = {"up": "down", "down": "up"}


def redirected(claim: str, evidence: str) -> str | None:
    """``claim`` with its change turned the way the clause of ``evidence`` that prints its figure states it.

    "China's imports from the US increased by 1.1% [1]" over "... imports from the U.S. were
    177.644 billion dollars, down 1.1%" becomes "China's imports from the US decreased by 1.1%": the
    figure was read right and its way wrong (:func:`reversed_direction`). Only a rise or a fall is
    turned, only where every clause that prints the figure goes the other way, and only when each
    of the claim's words for it has an opposite in the same form. ``None`` otherwise.
    """
    clauses = [clause for line in _table_rows(evidence)[1] for clause in _SIDE_CLAUSE_BREAK.split(line)]
    turned = claim
    for clause in _SIDE_CLAUSE_BREAK.split(claim):
        way = _directions(clause).get(0)
        if way is None:
            continue
        values = dict.fromkeys(_values(clause))
        stated = [_directions(other).get(0) for value in values for other in clauses if value in _values(other)]
        if not stated or any(other != _OPPOSITE_WAY[way] for other in stated):
            continue  # not stated, or not only the other way
        pattern, opposites = dict(_DIRECTION_WORDS[0])[way], _OPPOSITE[way]
        words = [match[0] for match in pattern.finditer(clause)]
        if any(word.lower() not in opposites for word in words):
            return None  # "soared" has no opposite in the table: left to the citation check
        turned = turned.replace(clause, _turned_words(clause, pattern, opposites), 1)
    return turned if turned != claim else None


def _turned_words(clause: str, pattern: re.Pattern[str], opposites: dict[str, str]) -> str:
    """``clause`` with each word ``pattern`` finds replaced by its opposite, in the same case."""

    def opposite(match: re.Match[str]) -> str:
        word = opposites[match[0].lower()]
        return word.capitalize() if match[0][:1].isupper() else word

    return pattern.sub(opposite, clause)


def _is_percent(text: str, end: int) -> bool:
    return re.match(r"\s*(?:%|percent\b|per cent\b)", text[end:], re.IGNORECASE) is not None


# The provinces and municipalities with pilot FTZs: a figure for one is never a figure for another.
# Cities are left out: "Xi'an" in a passage may well be the Shaanxi a claim names.
_PROVINCES = re.compile(
    r"\b(Shanghai|Guangdong|Tianjin|Fujian|Liaoning|Zhejiang|Henan|Hubei|Chongqing|Sichuan|Shaanxi|Hainan|"
    r"Shandong|Jiangsu|Guangxi|Hebei|Yunnan|Heilongjiang|Beijing|Hunan|Anhui|Xinjiang)\b"
)


def misplaced(claim: str, texts: Sequence[str]) -> bool:
    """True when a claim with a figure names a province that ``texts`` never name, while they name
    another one the claim does not: the figure is that other province's."""
    if not NUMBER.search(claim):
        return False
    claimed = set(_PROVINCES.findall(claim))
    cited = set(_PROVINCES.findall("\n".join(texts)))
    return bool(claimed - cited) and bool(cited - claimed)


# A run of capitalised words: "Western China Expo", "Shaanxi". A sentence's first word is not a name.
_CLAIM_NAME = re.compile(r"(?<=[\s(“\"])[A-Z][\w'’\-]*(?:\s+(?:of\s+|and\s+)?[A-Z][\w'’\-]*)*")
_ATTRIBUTION = re.compile(r",?\s*\b(?:according to|as stated in|per)\s+(?:the\s+)?[^,.;]*", re.IGNORECASE)
# "the 2024 paper", "the 2025 article on the west": a year that names a document, not a fact's year.
_DOCUMENT_YEAR = re.compile(
    r"\b(?:19|20)\d\d\s+(?:[\w'’-]+\s+){0,2}?(?:paper|article|report|study|document|survey|edition|review|book)s?\b",
    re.IGNORECASE,
)
_ORDINAL_WORDS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
_ORDINAL_PATTERN = rf"(?:{'|'.join(_ORDINAL_WORDS)}|\d{{1,2}}(?:st|nd|rd|th))"
_ORDINAL = re.compile(rf"\b{_ORDINAL_PATTERN}\b", re.IGNORECASE)
# One of a series of events: "the third day", "the 2nd round", "the fifth batch of pilot zones".
_ORDINAL_PHRASE = re.compile(
    rf"\b(?P<ordinal>{_ORDINAL_PATTERN})\s+(?:[\w-]+\s+)?"
    r"(?P<noun>day|week|month|round|batch|phase|stage|session|edition|place|position)s?\b",
    re.IGNORECASE,
)
# A rank ("fourth place") is stated by "ranking fourth" as well: its ordinal anywhere in the passage will do.
_RANK_NOUNS = ("place", "position")
# "China" is named by "Chinese", "Egypt" by "Egyptian": a shared stem of this length counts.
_STEM = 4


def unsupported_names(claim: str, texts: Sequence[str], question: str) -> list[str]:
    """Names, years and ordinals ("the third day") the claim takes from the question that none of ``texts`` names.

    "The Western China Expo in Chengdu helped the Shaanxi zone form 72 cases [1]" cites a sentence
    about Shaanxi's cases that never names the Expo or Chengdu: the link is the question's false
    premise, repeated, not something the documents say. So is "The province introduced the first
    of its kind in 2021 [1]" citing a passage that never mentions 2021: the number check lets the
    question's own years pass, this check asks the cited passage for them. A name the question
    does not give is the answer itself, left to the support score. ``texts`` are the cited passages
    with their titles and sections: "according to the WTO figures in Table 2" is named by the
    table's caption; "the 2024 paper" names a document, not a fact's year.
    """
    asked = set(content_terms(question))
    text = "\n".join(texts)
    cited = set(content_terms(text))
    missing = []
    # "..., according to the WTO figures in Table 2": where the answer is read, not what it claims.
    claimed = _DOCUMENT_YEAR.sub("", _ATTRIBUTION.sub("", claim))
    for name in _CLAIM_NAME.findall(claimed):
        terms = content_terms(name)
        held = all(_named(term, cited) for term in terms) or _abbreviated(name, text)
        if terms and set(terms) <= asked and not held:
            missing.append(name)
    asked_years = set(YEAR.findall(_DOCUMENT_YEAR.sub("", question)))
    stated_years = set(YEAR.findall(text)) | _spanned_years(text)
    missing += [year for year in dict.fromkeys(YEAR.findall(claimed)) if year in asked_years - stated_years]
    # "the third day", "the fifth batch": which one of a series is a premise as well.
    asked_ordinals, stated_ordinals = _ordinals(question), _ordinals(text)
    ranked = {_ordinal_number(word) for word in _ORDINAL.findall(text)}
    missing += [
        phrase
        for key, phrase in _ordinals(claimed).items()
        if key in asked_ordinals and key not in stated_ordinals and not (key[1] in _RANK_NOUNS and key[0] in ranked)
    ]
    # "Why did China slip to fourth place?" answered with "ranking first globally": a rank the question
    # presupposes is a premise of the answer whether or not the answer repeats it.
    missing += [
        phrase
        for key, phrase in asked_ordinals.items()
        if key[1] in _RANK_NOUNS and key not in stated_ordinals and key[0] not in ranked and phrase not in missing
    ]
    return missing


def unlinked_years(claim: str, sentences: Sequence[str], question: str) -> list[str]:
    """Years the claim gives of its own that no cited sentence ties to what the claim says they are the year of.

    "The Xinjiang pilot free trade zone was approved in 2024 [1][2]" cites "... 6 in the western
    region, located in ..., Yunnan, and Xinjiang" and "For example, in 2024, Shaanxi will explore
    ...": each word is in a cited sentence, the fact in none. A year the question does not give is
    the answer; some cited sentence that states it must also name every name the claim repeats
    from the question. ``sentences`` are the cited sentences, each with its section and document
    title (which often name the country or the zone), not their whole passages: a passage names
    much that its sentence is not about.

    Usage::

        unlinked_years("Xinjiang's zone was approved in 2024.", ["Zones are in Yunnan and Xinjiang.",
                       "In 2024, Shaanxi formed 72 cases."], "When was Xinjiang's zone approved?")   # ["2024"]
    """
    claimed = _DOCUMENT_YEAR.sub("", _ATTRIBUTION.sub("", claim))
    if ";" in claimed:
        # "The first zone opened in 2013; the law came in 2020; ...": each clause dates its own event.
        return [year for clause in claimed.split(";") for year in unlinked_years(clause, sentences, question)]
    asked = set(content_terms(question))
    names = [terms for name in _CLAIM_NAME.findall(claimed) if (terms := content_terms(name)) and set(terms) <= asked]
    own_years = [year for year in dict.fromkeys(YEAR.findall(claimed)) if year not in YEAR.findall(question)]
    if not names or not own_years:
        return []
    unlinked = []
    for year in own_years:
        stating = [text for text in sentences if year in YEAR.findall(text) or year in _spanned_years(text)]
        words = [set(content_terms(text)) for text in stating]
        if stating and not any(all(_named(term, said) for terms in names for term in terms) for said in words):
            unlinked.append(year)
    return unlinked


# Words alike in their first letters are one word here ("ministry", "minister"; "taken", "takes").
_ANSWER_STEM = 5


def unsaid_answer(claim: str, texts: Sequence[str], question: str) -> bool:
    """None of the claim's own words (those the question does not give) is in its cited passages.

    "The permanent secretariat was taken over by the trade minister [1]" citing "The establishment
    of a permanent secretariat to coordinate ongoing collaboration ...": its answer (taken over, trade
    minister) is said nowhere in [1], only its premise is. One word of the answer in the passage
    will do, so a paraphrase passes; a claim giving a figure of its own is left to the number check.
    """
    claimed = _ATTRIBUTION.sub("", claim)
    if {_normal(n) for n in NUMBER.findall(claimed)} - {_normal(n) for n in NUMBER.findall(question)}:
        return False  # a figure of its own answers: the number check judges it
    asked = set(content_terms(question))
    own = {term[:_ANSWER_STEM] for term in content_terms(claimed)} - {term[:_ANSWER_STEM] for term in asked}
    return bool(own) and not own & {term[:_ANSWER_STEM] for term in content_terms("\n".join(texts))}


def _ordinals(text: str) -> dict[tuple[int, str], str]:
    """``(3, "day") -> "third day"`` for each "third day", "3rd day" or "third training day" of ``text``."""
    found: dict[tuple[int, str], str] = {}
    for match in _ORDINAL_PHRASE.finditer(text):
        found.setdefault((_ordinal_number(match["ordinal"]), match["noun"].lower()), match[0])
    return found


def _ordinal_number(ordinal: str) -> int:
    """3 for "third" or "3rd"."""
    ordinal = ordinal.lower()
    return int(ordinal[:-2]) if ordinal[:-2].isdigit() else _ORDINAL_WORDS.index(ordinal) + 1


def _initials(name: str) -> str:
    return "".join(word[0] for word in re.findall(r"[\w'’\-]+", name) if word[0].isupper())


def _abbreviated(name: str, text: str) -> bool:
    """``name`` stands in ``text`` as its initials ("United States" as "U.S."), or spelled out ("RCEP")."""
    undotted = re.sub(r"(?<=\b[A-Z])\.", "", text)
    if " " in name.strip() and re.search(rf"\b{re.escape(_initials(name))}\b", undotted):
        return True
    acronym = name.strip().removesuffix("s").removesuffix("’").removesuffix("'")
    return acronym.isupper() and any(_initials(spelled) == acronym for spelled in _CLAIM_NAME.findall(f" {text}"))


def _named(term: str, words: set[str]) -> bool:
    if term in words:
        return True
    stem = term[:_STEM]
    return len(term) >= _STEM and any(word.startswith(stem) for word in words if len(word) >= _STEM)
