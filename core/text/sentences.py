"""Sentence boundaries as character spans.

Used by the chunker (to split long paragraphs at sentence ends, and for overlap) and by
evidence selection (to quote single sentences). Spans, not strings, so that every quote can be
traced back to an exact character range of the source document.

Usage::

    >>> [text[a:b] for a, b in sentence_spans(text := "It grew 5.3% in 2023. Then it fell.")]
    ['It grew 5.3% in 2023.', 'Then it fell.']
"""

from __future__ import annotations

import re

# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) before whitespace and
# an uppercase letter, digit, quote or bracket; at Chinese 。！？； (which need no space after
# them); or at a line break between blocks.
_CLOSERS = "\"'”’)]」』）"
_BOUNDARY = re.compile(
    r"""(?<=[。！？；])[”’」』）)]*\s*(?=\S)"""
    r"""|(?<=[.!?。！？])["'”’)\]]*\s+(?=["'“‘(\[]?[A-Z0-9\u4e00-\u9fff])|\n\s*\n|\n(?=\s*[•\-*]\s)"""
)

# Tokens that end with a period without ending a sentence.
_ABBREVIATIONS = {
    "e.g",
    "i.e",
    "etc",
    "vs",
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "no",
    "nos",
    "fig",
    "figs",
    "vol",
    "pp",
    "p",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "st",
    "co",
    "corp",
    "inc",
    "ltd",
    "u.s",
    "u.k",
    "u.n",
    "approx",
    "al",
    "cf",
    "ed",
    "eds",
    "rev",
}
_LAST_WORD = re.compile(r"([A-Za-z.]+)\.\W*$")


def _ends_with_abbreviation(text: str) -> bool:
    match = _LAST_WORD.search(text)
    if not match:
        return False
    word = match.group(1).lower()
    # Single capital initials ("J. Smith") also do not end a sentence.
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans ``(a, b)`` of the sentences in ``text[start:end]``, stripped of surrounding whitespace.

    Offsets are into ``text`` (not into the slice), so callers can keep document coordinates.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in _BOUNDARY.finditer(text, start, end):
        # Closing quotes/brackets after the final punctuation belong to the sentence.
        closers = len(match.group(0)) - len(match.group(0).lstrip(_CLOSERS))
        sentence_end = match.start() + closers
        candidate = text[cursor:sentence_end]
        at_block_break = match.group(0).startswith("\n")
        if not at_block_break and _ends_with_abbreviation(candidate):
            continue
        spans.append((cursor, sentence_end))
        cursor = match.end()
    spans.append((cursor, end))
    return [_strip(text, a, b) for a, b in spans if text[a:b].strip()]


def _strip(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b
