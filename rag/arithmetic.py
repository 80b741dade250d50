"""Worked arithmetic over table evidence, for questions that ask for a change or a difference.

"By how much did world goods trade drop between 2008 and 2009?" is answered by subtracting two
cells of a table. A 1.5B model copies numbers well and subtracts seven-digit numbers badly, so
the subtraction is done here and shown to it, under the evidence, as a worked line it can copy:
``"From [1] and [2]: Total trade fell by 7,387,685 from 32,667,513 (2008) to 25,279,828 (2009)."``
The citation check accepts such a number because it is the difference of two cited numbers
(:func:`derived_numbers`).

Time between two dated events ("How many days after the centre was launched did the training
begin?") is counted here too, from the dates the evidence prints, in whatever sentences they are.

Three table shapes are covered:

* two rows of one table keyed by the two years asked about (``2008 | ...`` and ``2009 | ...``);
* one table whose header row is the years (``Year | 2008 | 2009 ...``), per labelled row;
* one year asked about, the same column of two tables (goods vs services growth in 2009).

Usage::

    worked_lines("By how much did exports fall from 2008 to 2009?", evidence)
    derived_numbers("32,667,513 and 25,279,828")   # {"57947341", "7387685"}
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from itertools import combinations
from math import log

from core.text.sentences import sentence_spans
from core.text.terms import NUMBER, YEAR, content_terms, without_source_years
from rag.decompose import ALTERNATIVES as _ALTERNATIVES
from rag.decompose import question_parts
from rag.evidence import Evidence, row_label
from rag.facts import answers_the_other_side

_VALUE = re.compile(r"^[-−–+]?\d+(?:,\d{3})*(?:\.\d+)?%?$")
_CHANGE = re.compile(
    r"\b(how much|how many|difference|differ\w*|more|less|further|drop\w*|fall|fell|rise|rose|gr[eo]w\w*|jump\w*|"
    r"shr[aiu]nk\w*|increas\w*|decreas\w*|declin\w*|chang\w*|compar\w*|gap|surplus|deficit)\b",
    re.IGNORECASE,
)
# Two tables compared in one year: "which fell further, goods or services?"
_COMPARE = re.compile(r"\b(which|difference|differ\w*|further|compar\w*|more than|less than|gap|versus|vs)\b", re.I)
# One year, two figures set against each other: worked out, not looked up.
_SETS_AGAINST = re.compile(
    r"\b(difference|differ\w*|further|than|gap|apart|versus|vs|compar\w*|surplus|deficit)\b", re.IGNORECASE
)
_ASKS_LOWER = re.compile(
    r"\b(fell|fall\w*|further|drop\w*|declin\w*|decreas\w*|lower|less|smaller|shr[aiu]nk\w*|contract\w*)\b", re.I
)
_RATE_WORDS = re.compile(r"\b(rate|percent\w*|percentage|points?)\b|%", re.IGNORECASE)
_MAX_LINES = 3
_MAX_DERIVED_INPUTS = 40
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_ORDINAL = r"(?:st|nd|rd|th)?"
_DATES = [
    # "December 22nd and 23rd, 2020", "September 25, 2020", "August 27" (the year may be elsewhere)
    re.compile(
        rf"\b{_MONTH}\s+(?P<day>\d{{1,2}}){_ORDINAL}(?:\s*(?:and|to|-|–)\s*\d{{1,2}}{_ORDINAL})?"
        rf"(?:,?\s+(?P<year>(?:19|20)\d\d))?(?!\d)",
        re.IGNORECASE,
    ),
    # "22 December 2020", "1st of June, 2020"
    re.compile(
        rf"(?<!\d)(?P<day>\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?{_MONTH}(?:,?\s+(?P<year>(?:19|20)\d\d))?\b", re.IGNORECASE
    ),
    # "2020年12月22日"
    re.compile(r"(?P<year>(?:19|20)\d\d)年(?P<month>\d{1,2})月(?P<day>\d{1,2})日"),
]
# "222.52 billion yuan", "17.8%", "3,720 China-Europe freight trains": a figure and the words naming its unit.
_FIGURE = re.compile(
    r"(?<![\w.,])(?P<value>\d+(?:,\d{3})*(?:\.\d+)?)\s*(?P<unit>%|percent|per cent|"
    r"(?:(?:hundred |ten )?(?:thousand|million|billion|trillion)\s+)?[A-Za-z][\w-]*(?:\s+dollars)?)",
    re.IGNORECASE,
)
# The year a figure is given for, right after it: "1.5 trillion US dollars in 2019", "17.8% for 2022".
_YEAR_AFTER = re.compile(r"\s*(?:\w+\s+){0,2}?(?:in|for|of|by)\s+(?:the\s+year\s+)?(?P<year>(?:19|20)\d\d)\b")
_ASKS_DAYS = re.compile(r"\bhow many (days|weeks)\b|多少天|几天", re.IGNORECASE)
_ASKS_YEARS = re.compile(r"\bhow many years\b|多少年|几年", re.IGNORECASE)
# "..., according to the 2024 paper": where a fact is read, not part of the event.
_READ_IN = re.compile(r",?\s*\b(?:according to|going by|as stated in|per)\b[^,?]*", re.IGNORECASE)
# An event is matched to a sentence by at least this many shared words, one of them rare in the evidence.
_EVENT_TERMS = 2
_RARE_SHARE = 3


@dataclass
class _Table:
    """One table as evidence shows it: its caption, its header cells and its labelled rows."""

    caption: str
    header: list[str]
    rows: dict[str, tuple[list[str], int]]  # row label -> (cells, evidence number)


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.split("|")]


def _value(cell: str) -> Decimal | None:
    cell = cell.strip().replace("−", "-").replace("–", "-")
    if not _VALUE.match(cell):
        return None
    try:
        return Decimal(cell.rstrip("%").replace(",", ""))
    except InvalidOperation:
        return None


def _decimals(cell: str) -> int:
    return len(cell.split(".", 1)[1].rstrip("%")) if "." in cell else 0


def _format(value: Decimal, decimals: int, commas: bool) -> str:
    text = f"{abs(value):,.{decimals}f}" if commas else f"{abs(value):.{decimals}f}"
    return text


def _tables(evidence: Sequence[Evidence]) -> list[_Table]:
    """The tables in the evidence: rows read under a caption and header, and whole small tables."""
    tables: dict[str, _Table] = {}
    for item in evidence:
        if row_label(item) is not None:
            lines = [line for line in item.context.splitlines() if line.strip()]
            header_lines = [line for line in lines if "|" in line]
            if not header_lines:
                continue
            caption = _short(" ".join(line for line in lines if "|" not in line) or header_lines[0])
            table = tables.setdefault(caption, _Table(caption, _cells(header_lines[-1]), {}))
            cells = _cells(item.text)
            table.rows.setdefault(cells[0], (cells, item.n))
            continue
        lines = [line for line in item.text.splitlines() if line.strip()]
        rows = [_cells(line) for line in lines if "|" in line]
        if len(rows) < 2:
            continue
        caption = _short(" ".join(line.strip() for line in lines if "|" not in line) or " | ".join(rows[0]))
        table = tables.setdefault(caption, _Table(caption, rows[0], {}))
        for cells in rows[1:]:
            if cells[0]:
                table.rows.setdefault(cells[0], (cells, item.n))
    return list(tables.values())


def _short(caption: str) -> str:
    """``"Table 2: World Goods Trade, 1990-2020 (Unit: ...)"`` → ``"Table 2: World Goods Trade"``."""
    return re.split(r",\s*\d{4}|\s\(", caption, maxsplit=1)[0].strip()


def _columns(header: Sequence[str], *, rates: bool) -> list[int]:
    """Columns worth a worked line: rates (growth in %) only when the question asks about rates."""
    return [
        index for index, name in enumerate(header) if index > 0 and name and bool(_RATE_WORDS.search(name)) == rates
    ]


def _change_line(name: str, before: str, after: str, first: str, second: str, cited: str) -> str | None:
    old, new = _value(before), _value(after)
    if old is None or new is None:
        return None
    decimals = max(_decimals(before), _decimals(after))
    commas = "," in before or "," in after
    difference = new - old
    verb = "rose" if difference > 0 else "fell" if difference < 0 else "did not change"
    amount = "" if difference == 0 else f" by {_format(difference, decimals, commas)}"
    return f"From {cited}: {name} {verb}{amount}, from {before} ({first}) to {after} ({second})."


def _gap_line(
    name: str, year: str, a: tuple[str, str], b: tuple[str, str], cited: str, question: str = ""
) -> str | None:
    """The two cells and their difference, saying which is higher in the question's own words if it can."""
    (caption_a, cell_a), (caption_b, cell_b) = a, b
    va, vb = _value(cell_a), _value(cell_b)
    if va is None or vb is None:
        return None
    decimals = max(_decimals(cell_a), _decimals(cell_b))
    gap = _format(abs(va - vb), decimals, "," in cell_a or "," in cell_b)
    line = f"From {cited}: in {year}, {name} was {cell_a} in {caption_a} and {cell_b} in {caption_b}"
    line += f", a difference of {gap}"
    if va == vb:
        return line + "."
    # "Which fell further?" is answered by the lower figure, "which grew faster?" by the higher.
    side = "lower" if _ASKS_LOWER.search(question) else "higher"
    meant = caption_a if (va > vb) == (side == "higher") else caption_b
    return f"{line}, {side} for {_alternative_meant(question, meant, caption_a, caption_b) or _short(meant)}."


def _alternative_meant(question: str, caption: str, *captions: str) -> str | None:
    """The alternative of "which grew faster, goods or services?" that ``caption`` is the table of, if one is."""
    match = _ALTERNATIVES.search(question)
    if match is None:
        return None
    alternatives = [match["a"].strip(), match["b"].strip()]
    shared = set(content_terms(alternatives[0])) & set(content_terms(alternatives[1]))
    shared |= set.intersection(*(set(content_terms(other)) for other in captions))  # "world", "trade", "situation"
    own = set(content_terms(caption)) - shared
    meant = [alternative for alternative in alternatives if own & set(content_terms(alternative))]
    return meant[0] if len(meant) == 1 else None


def worked_lines(question: str, evidence: Sequence[Evidence]) -> list[str]:
    """Worked differences the question asks for, from the table evidence (``[]`` when it asks for none).

    At most three lines, those whose table caption and column share most words with the question first.
    """
    if dated := date_lines(question, evidence) or year_gap_lines(question, evidence):
        return dated
    if balance := balance_lines(question, evidence):
        return balance
    if not _CHANGE.search(question):
        return []
    years = list(dict.fromkeys(YEAR.findall(question)))
    if not years or len(years) > 2:
        return count_lines(question, evidence)
    rates = bool(_RATE_WORDS.search(question))
    wanted = set(content_terms(question))
    scored: list[tuple[int, int, int, str]] = []  # (-column relevance, -table relevance, order, line)

    def add(line: str | None, caption: str, column: str) -> None:
        if line:
            by_column = len(wanted & set(content_terms(column)))
            by_table = len(wanted & set(content_terms(caption)))
            scored.append((-by_column, -by_table, len(scored), line))

    tables = _tables(evidence)
    if len(years) == 2:
        first, second = sorted(years)
        for table in tables:
            if first in table.rows and second in table.rows:  # rows keyed by the years
                (before, n1), (after, n2) = table.rows[first], table.rows[second]
                cited = f"[{n1}]" if n1 == n2 else f"[{n1}] and [{n2}]"
                for column in _columns(table.header, rates=rates):
                    if column < len(before) and column < len(after):
                        name = f"{table.header[column]} ({table.caption})"
                        add(
                            _change_line(name, before[column], after[column], first, second, cited),
                            table.caption,
                            table.header[column],
                        )
            elif first in table.header and second in table.header:  # a header of years
                i, j = table.header.index(first), table.header.index(second)
                for label, (cells, n) in table.rows.items():
                    if i < len(cells) and j < len(cells):
                        add(_change_line(label, cells[i], cells[j], first, second, f"[{n}]"), table.caption, label)
    elif _COMPARE.search(question):
        [year] = years
        keyed = [table for table in tables if year in table.rows]
        for a, b in combinations(keyed, 2):
            (cells_a, na), (cells_b, nb) = a.rows[year], b.rows[year]
            for column in _columns(a.header, rates=rates):
                name = a.header[column]
                if name in b.header and column < len(cells_a) and (k := b.header.index(name)) < len(cells_b):
                    cited = f"[{na}] and [{nb}]"
                    line = _gap_line(name, year, (a.caption, cells_a[column]), (b.caption, cells_b[k]), cited, question)
                    add(line, "", name)
    if not scored and len(years) == 2:
        return prose_lines(question, evidence, years) or count_lines(question, evidence)
    return [line for *_, line in sorted(scored)[:_MAX_LINES]]


def looked_up_line(question: str, evidence: Sequence[Evidence]) -> str | None:
    """The one table cell a question names by its row year, its column and its table, as a worked line.

    "What growth rate did world service imports show in 2018?" names the 2018 row, the import
    growth rate column and the service trade table: "From [2]: in 2018, Import growth rate (%)
    (Table 3: World Service Trade Situation) was 7.62." ``None`` unless one cell matches better than
    every other (its column and caption sharing words with the question), or the question sets two
    figures against each other, which :func:`worked_lines` works out.
    """
    years = list(dict.fromkeys(YEAR.findall(question)))
    if len(years) != 1 or _SETS_AGAINST.search(question):
        return None
    [year] = years
    rates = bool(_RATE_WORDS.search(question))
    wanted = set(content_terms(question)) - {year}
    # (column relevance without the words that name the table, column relevance, table relevance, line)
    scored: list[tuple[int, int, int, str]] = []
    for table in _tables(evidence):
        if year not in table.rows:
            continue
        cells, n = table.rows[year]
        caption_terms = set(content_terms(table.caption))
        for column in _columns(table.header, rates=rates):
            if answers_the_other_side(table.header[column], question):
                continue  # imports asked: not the exports' column, nor the total's
            header_terms = set(content_terms(table.header[column]))
            by_column = len(wanted & header_terms)
            if column < len(cells) and by_column and _value(cells[column]) is not None:
                # "the table on trade in services ... service exports' growth rate": "trade" names the
                # table (World Service Trade), so it does not also make "Total trade growth rate" the column.
                by_column_alone = len((wanted - caption_terms) & header_terms)
                by_table = len(wanted & caption_terms)
                line = f"From [{n}]: in {year}, {table.header[column]} ({table.caption}) was {cells[column]}."
                scored.append((by_column_alone, by_column, by_table, line))
    if not scored:
        return None
    scored.sort(key=lambda entry: entry[:3], reverse=True)
    if len(scored) > 1 and scored[0][:3] == scored[1][:3]:
        return None  # two cells match as well: which one is meant is not clear
    return scored[0][3]


_WORKED = re.compile(r"^From (?P<cited>\[\d+\](?: and \[\d+\])?): (?P<claim>.+?)\.?$")
_RESULT = re.compile(
    r"\b(?:by|difference of|surplus of|deficit of|is(?: a (?:surplus|deficit) of)?) (?P<value>\d[\d,]*(?:\.\d+)?)"
)


def worked_result(line: str) -> str | None:
    """The figure a worked line arrives at ("fell by 7,387,685, ..." → "7387685"), normalised."""
    match = _RESULT.search(line)
    return match["value"].replace(",", "") if match else None


def worked_answer(line: str) -> str:
    """A worked line as an answer sentence with its citations: "X fell by 7,387,685, ... [1][2]."."""
    match = _WORKED.match(line)
    if match is None:
        return line
    markers = "".join(re.findall(r"\[\d+\]", match["cited"]))
    claim = match["claim"]
    return f"{claim[:1].upper()}{claim[1:]} {markers}."


@dataclass(frozen=True)
class _Stated:
    """A figure a sentence states for one year: "222.52 billion yuan" (2022), in evidence item ``n``."""

    value: str
    unit: str
    year: str
    n: int
    clause: str
    sentence: str


def _stated_figures(item: Evidence, years: Sequence[str]) -> list[_Stated]:
    """Figures of the item's sentences that name exactly one of ``years`` (tables are left to the rest)."""
    if "|" in item.text:
        return []
    found: list[_Stated] = []
    for start, end in sentence_spans(item.text):
        sentence = item.text[start:end]
        named = [year for year in years if year in YEAR.findall(sentence)]
        if len(named) != 1:
            continue
        # "fell from almost 2 trillion US dollars in 2016 to 1.5 trillion US dollars in 2019": with more
        # than one year in the sentence, a figure is the year's only when that year follows it.
        several_years = len(set(YEAR.findall(sentence))) > 1
        for clause in re.split(r"[,;]\s+", sentence):
            for match in _FIGURE.finditer(clause):
                if YEAR.fullmatch(match["value"]):
                    continue
                followed_by = _YEAR_AFTER.match(clause, match.end())
                if several_years and (followed_by is None or followed_by["year"] != named[0]):
                    continue
                percent = match["unit"].lower().startswith(("%", "percent", "per cent"))
                unit = "%" if percent else match["unit"]
                found.append(_Stated(match["value"], unit, named[0], item.n, clause, sentence))
    return found


_BALANCE = re.compile(r"\b(surplus|deficit|balance)\b", re.IGNORECASE)
_EXPORTS = re.compile(
    r"\bexports?\b[^;]{0,60}?(?P<value>\d[\d,]*(?:\.\d+)?)\s*(?P<unit>(?:thousand|million|billion|trillion)?\s*[A-Za-z]+)",
    re.I,
)
_IMPORTS = re.compile(
    r"\bimports?\b[^;]{0,60}?(?P<value>\d[\d,]*(?:\.\d+)?)\s*(?P<unit>(?:thousand|million|billion|trillion)?\s*[A-Za-z]+)",
    re.I,
)


def balance_lines(question: str, evidence: Sequence[Evidence]) -> list[str]:
    """Exports minus imports, for a question about a trade surplus or deficit, from one sentence stating both."""
    if not _BALANCE.search(question):
        return []
    lines: list[str] = []
    for item in evidence:
        if "|" in item.text:
            continue
        exports, imports = _EXPORTS.search(item.text), _IMPORTS.search(item.text)
        if not exports or not imports or exports["unit"].lower() != imports["unit"].lower():
            continue
        out, back = _value(exports["value"]), _value(imports["value"])
        if out is None or back is None:
            continue
        decimals = max(_decimals(exports["value"]), _decimals(imports["value"]))
        amount = _format(out - back, decimals, "," in exports["value"] or "," in imports["value"])
        kind = "surplus" if out >= back else "deficit"
        unit = exports["unit"]
        lines.append(
            f"From [{item.n}]: exports of {exports['value']} {unit} minus imports of {imports['value']} {unit} "
            f"is a {kind} of {amount} {unit}."
        )
    return lines[:_MAX_LINES]


def prose_lines(question: str, evidence: Sequence[Evidence], years: Sequence[str]) -> list[str]:
    """Differences between figures that two sentences state for the two years asked about.

    "How much more foreign capital did the zones use in 2022 than in 2021?" over "In 2021, ... 213
    billion yuan" and "In 2022, ... 222.52 billion yuan": the figures of one unit are paired, those
    whose sentences share most words with the question first.
    """
    first, second = sorted(years)
    wanted = set(content_terms(question))
    figures = [figure for item in evidence for figure in _stated_figures(item, [first, second])]
    scored: list[tuple[int, int, str]] = []
    for a in (f for f in figures if f.year == first):
        for b in (f for f in figures if f.year == second and f.unit.lower() == a.unit.lower()):
            # By the whole sentence: "rebounding to 1.58 trillion US dollars in 2021" names no FDI, its sentence does.
            relevance = len(wanted & set(content_terms(a.sentence))) + len(wanted & set(content_terms(b.sentence)))
            before, after = _value(a.value), _value(b.value)
            if relevance == 0 or before is None or after is None:
                continue
            decimals = max(_decimals(a.value), _decimals(b.value))
            gap = _format(after - before, decimals, "," in a.value or "," in b.value)
            cited = f"[{a.n}]" if a.n == b.n else f"[{a.n}] and [{b.n}]"
            unit = a.unit if a.unit == "%" else f" {a.unit}"
            change = "more" if after > before else "less" if after < before else "the same"
            line = (
                f"From {cited}: {a.value}{unit} in {first} and {b.value}{unit} in {second}: "
                f"{second} is {gap}{' percentage points' if a.unit == '%' else unit} {change}."
            )
            scored.append((-relevance, len(scored), line))
    return [line for *_, line in sorted(scored)[:_MAX_LINES]]


_MORE_OR_FEWER = re.compile(r"\bhow many (?:more|fewer|less)\b", re.IGNORECASE)
# What a count counts: the words after it ("22 pilot free trade zones, including ...").
_COUNTED_WORDS = 4


def count_lines(question: str, evidence: Sequence[Evidence]) -> list[str]:
    """The difference between two counts of the same thing, stated in two evidence items.

    "Two documents give different totals for China's pilot free trade zones. How many more does
    the newer one count?" over "... has established 22 pilot free trade zones ..." and "... a total
    of 21 FTZs ...": both count what the question names (one term for "FTZs" and "free trade
    zones"), so the line reads "22 pilot free trade zones against 21 FTZs: a difference of 1."
    Counts are whole numbers that are no years and no percentages; a pair counts the same thing
    when the question's words right after each number overlap, the pairs sharing most first.
    """
    if not _MORE_OR_FEWER.search(question):
        return []
    wanted = set(content_terms(question))
    counts: list[tuple[int, set[str], str, Evidence]] = []
    for item in evidence:
        if "|" in item.text:
            continue
        for match in re.finditer(r"(?<![\w.,])\d{1,3}(?:,\d{3})*(?![\d.,]\d|\s*%|\s*per\s*cent)", item.text):
            if YEAR.fullmatch(match[0]):
                continue
            words = " ".join(
                re.split(r"[,;.()]", item.text[match.end() : match.end() + 60])[0].split()[:_COUNTED_WORDS]
            )
            if counted := set(content_terms(words)) & wanted:
                counts.append((int(match[0].replace(",", "")), counted, f"{match[0]} {words}", item))
    scored: list[tuple[int, int, str]] = []
    for (a, counted_a, said_a, item_a), (b, counted_b, said_b, item_b) in combinations(counts, 2):
        shared = counted_a & counted_b
        if item_a.n == item_b.n or a == b or not shared:
            continue
        (high, said_high, n_high), (low, said_low, n_low) = sorted(
            [(a, said_a, item_a.n), (b, said_b, item_b.n)], reverse=True
        )
        line = f"From [{n_high}] and [{n_low}]: {said_high} against {said_low}: a difference of {high - low}."
        scored.append((-len(shared), len(scored), line))
    return [line for *_, line in sorted(scored)[:_MAX_LINES]]


@dataclass(frozen=True)
class _Dated:
    day: int
    month: int
    year: int | None
    text: str  # as printed


def dates_in(text: str) -> list[_Dated]:
    """The calendar dates ``text`` prints, in order (a date without its year keeps ``year=None``)."""
    found: dict[int, _Dated] = {}
    for pattern in _DATES:
        for match in pattern.finditer(text):
            month = match["month"]
            number = int(month) if month.isdigit() else _MONTHS[month.lower().rstrip(".")]
            year = int(match["year"]) if match["year"] else None
            if 1 <= number <= 12 and 1 <= int(match["day"]) <= 31 and match.start() not in found:
                found[match.start()] = _Dated(int(match["day"]), number, year, match[0].strip())
    return [found[start] for start in sorted(found)]


def days_between(a: _Dated, b: _Dated) -> int | None:
    """Whole days from ``a`` to ``b`` (a missing year is taken from the other date), ``None`` if undatable."""
    year_a, year_b = a.year or b.year, b.year or a.year
    if year_a is None or year_b is None:
        return None
    try:
        return abs((date(year_b, b.month, b.day) - date(year_a, a.month, a.day)).days)
    except ValueError:
        return None


def date_lines(question: str, evidence: Sequence[Evidence]) -> list[str]:
    """Days between dates of two evidence items, for a question that asks "how many days"."""
    if not _ASKS_DAYS.search(question):
        return []
    dated = [(item, found) for item in evidence if (found := dates_in(item.readable))]
    lines: list[str] = []
    for (item_a, dates_a), (item_b, dates_b) in combinations(dated, 2):
        first, second = dates_a[0], dates_b[0]
        if (days := days_between(first, second)) is not None and days > 0:
            lines.append(f"From [{item_a.n}] and [{item_b.n}]: {first.text} to {second.text} is {days} days.")
    return lines[:_MAX_LINES]


def year_gap_lines(question: str, evidence: Sequence[Evidence]) -> list[str]:
    """Years between two events the question names, each dated by the evidence sentence that tells of it.

    "How many years after China's first pilot zone opened did customs roll the Single Window out
    nationwide?": the sentence that best matches each event ("the first FTZ in Shanghai", 2013;
    "Since 2017, ... Single Window ... nationwide") gives its year. Words shared by many evidence
    items ("China", "zone") count for little. ``[]`` when the question asks for no years between two
    events, when an event's best sentence gives no single year, or when the question dates an event
    with a year its sentence does not give (a false premise: "Hainan got its zone in 2016").

    Usage::

        year_gap_lines("How many years after the first zone opened did the law come in?", evidence)
        # -> ["From [1] and [3]: the first zone opened in 2013; the law came in in 2020; from 2013 to 2020 is 7 years."]
    """
    if not _ASKS_YEARS.search(question) or len(parts := question_parts(question)) != 2:
        return []
    dated = [item for item in evidence if "|" not in item.readable and YEAR.search(item.readable)]
    if not dated:
        return []
    terms = {item.n: set(content_terms(item.readable)) for item in evidence}
    in_items = Counter(term for found in terms.values() for term in found)  # how many items use each term
    weight = {term: log(1 + len(evidence) / count) for term, count in in_items.items()}
    events: list[tuple[int, str, Evidence]] = []
    for part in parts:
        event = " ".join(_READ_IN.sub("", part).strip(" ,.?").split())
        premise_years = set(YEAR.findall(without_source_years(event)))
        wanted = {term for term in content_terms(without_source_years(event)) if not YEAR.fullmatch(term)}
        scored = [
            (sum(weight[term] for term in shared), item)
            for item in dated
            if len(shared := wanted & terms[item.n]) >= _EVENT_TERMS
            # Not on "pilot" and "zone" alone: one shared word must be in at most a third of the items.
            and any(in_items[term] * _RARE_SHARE <= len(evidence) for term in shared)
        ]
        if not scored:
            return []
        best = max(scored, key=lambda pair: pair[0])[1]
        years = set(YEAR.findall(best.readable))
        if premise_years and not premise_years <= years:
            return []  # the question dates the event otherwise than the documents do
        if len(chosen := premise_years or years) != 1:
            return []  # which of the sentence's years is the event's is not clear
        events.append((int(chosen.pop()), event, best))
    (first_year, first_event, first), (second_year, second_event, second) = sorted(events, key=lambda e: e[0])
    if first_year == second_year:
        return []
    cited = f"[{first.n}]" if first.n == second.n else f"[{first.n}] and [{second.n}]"
    # The events in the question's words, so the line (and an answer copying it) says what is counted;
    # one clause each, so each year is checked against its own event (rag.facts.unlinked_years).
    gap = second_year - first_year
    dated_events = f"{first_event} in {first_year}; {second_event} in {second_year}"
    return [f"From {cited}: {dated_events}; from {first_year} to {second_year} is {gap} years."]


def derived_numbers(text: str) -> set[str]:
    """Differences and sums of every two numbers in ``text``, normalised like the citation check's numbers,
    and the days between every two of its dates.

    A claim may state a number no passage prints when it is the difference of two that they do
    ("fell by 7,387,685"): :func:`worked_lines` hands such numbers to the model.
    """
    raw = list(dict.fromkeys(NUMBER.findall(text)))[:_MAX_DERIVED_INPUTS]
    values: list[tuple[Decimal, int]] = []
    for number in raw:
        if number.count(",") and not re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", number):
            continue
        try:
            values.append((Decimal(number.replace(",", "")), _decimals(number)))
        except InvalidOperation:
            continue
    derived: set[str] = set()
    for (a, da), (b, db) in combinations(values, 2):
        decimals = max(da, db)
        for value in (abs(a - b), a + b):
            derived.add(f"{value:.{decimals}f}")
    for first, second in combinations(dates_in(text), 2):
        if (days := days_between(first, second)) is not None:
            derived.add(str(days))
    return derived
