"""Worked arithmetic over table evidence, for questions that ask for a change or a difference.

"By how much did world goods trade drop between 2008 and 2009?" is answered by subtracting two
cells of a table. A 1.5B model copies numbers well and subtracts seven-digit numbers badly, so
the subtraction is done here and shown to it, under the evidence, as a worked line it can copy:
``"From [1] and [2]: Total trade fell by 7,387,685 from 32,667,513 (2008) to 25,279,828 (2009)."``
The citation check accepts such a number because it is the difference of two cited numbers
(:func:`derived_numbers`).

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
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from itertools import combinations

from core.text.terms import NUMBER, content_terms
from rag.evidence import Evidence, row_label

_YEAR = re.compile(r"(?<![\d.,])(1[89]\d\d|20\d\d)(?!\d|[.,]\d)")
_VALUE = re.compile(r"^[-−–+]?\d+(?:,\d{3})*(?:\.\d+)?%?$")
_CHANGE = re.compile(
    r"\b(how much|how many|difference|differ\w*|more|less|further|drop\w*|fall|fell|rise|rose|gr[eo]w\w*|jump\w*|"
    r"shr[aiu]nk\w*|increas\w*|decreas\w*|declin\w*|chang\w*|compar\w*|gap|surplus|deficit)\b",
    re.IGNORECASE,
)
# Two tables compared in one year: "which fell further, goods or services?"
_COMPARE = re.compile(r"\b(which|difference|differ\w*|further|compar\w*|more than|less than|gap|versus|vs)\b", re.I)
_RATE_WORDS = re.compile(r"\b(rate|percent\w*|percentage|points?)\b|%", re.IGNORECASE)
_MAX_LINES = 3
_MAX_DERIVED_INPUTS = 40


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


def _gap_line(name: str, year: str, a: tuple[str, str], b: tuple[str, str], cited: str) -> str | None:
    (caption_a, cell_a), (caption_b, cell_b) = a, b
    va, vb = _value(cell_a), _value(cell_b)
    if va is None or vb is None:
        return None
    decimals = max(_decimals(cell_a), _decimals(cell_b))
    gap = _format(va - vb, decimals, "," in cell_a or "," in cell_b)
    return (
        f"From {cited}: in {year}, {name} was {cell_a} in {caption_a} and {cell_b} in {caption_b}, "
        f"a difference of {gap}."
    )


def worked_lines(question: str, evidence: Sequence[Evidence]) -> list[str]:
    """Worked differences the question asks for, from the table evidence (``[]`` when it asks for none).

    At most three lines, those whose table caption and column share most words with the question first.
    """
    if not _CHANGE.search(question):
        return []
    years = list(dict.fromkeys(_YEAR.findall(question)))
    if not years or len(years) > 2:
        return []
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
                    add(_gap_line(name, year, (a.caption, cells_a[column]), (b.caption, cells_b[k]), cited), "", name)
    return [line for *_, line in sorted(scored)[:_MAX_LINES]]


def derived_numbers(text: str) -> set[str]:
    """Differences and sums of every two numbers in ``text``, normalised like the citation check's numbers.

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
    return derived
