"""``core.text.sentences.sentence_spans``: where sentences end, and that spans are exact source offsets.

Evidence quotes and chunk overlaps are cut from these spans, so a wrong boundary splits a figure
("3.6") or a reference ("No. 5") into a meaningless quote, and a wrong offset cites text that
is not in the document.
"""

from __future__ import annotations

import pytest

from core.text.sentences import sentence_spans


def sentences(text: str, start: int = 0, end: int | None = None) -> list[str]:
    """The sentence strings, cut from ``text`` by the returned spans (so the offsets are tested too)."""
    return [text[a:b] for a, b in sentence_spans(text, start, end)]


def test_docstring_example_splits_after_the_first_sentence() -> None:
    """The module's own example: a percentage with a decimal point does not end the sentence."""
    text = "It grew 5.3% in 2023. Then it fell."
    assert sentence_spans(text) == [(0, 21), (22, 35)]
    assert sentences(text) == ["It grew 5.3% in 2023.", "Then it fell."]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Growth was 3.6 per cent. Exports rose.", ["Growth was 3.6 per cent.", "Exports rose."]),
        ("Rates fell to 0.25 in 2020. They rose later.", ["Rates fell to 0.25 in 2020.", "They rose later."]),
    ],
)
def test_decimal_numbers_do_not_end_a_sentence(text: str, expected: list[str]) -> None:
    """A period between digits is a decimal point, not a boundary (no whitespace follows it)."""
    assert sentences(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("See No. 5 for details. The end.", ["See No. 5 for details.", "The end."]),
        ("Dr. Smith came. He left.", ["Dr. Smith came.", "He left."]),
        ("Mr. Li and Mrs. Wang met. They agreed.", ["Mr. Li and Mrs. Wang met.", "They agreed."]),
        ("Zones (e.g. Pudong) grew. Yes.", ["Zones (e.g. Pudong) grew.", "Yes."]),
        ("The U.S. economy grew. Then it slowed.", ["The U.S. economy grew.", "Then it slowed."]),
        ("As Fig. 3 shows, it grew. End.", ["As Fig. 3 shows, it grew.", "End."]),
        ("Founded Sept. 2013 in Shanghai. It grew.", ["Founded Sept. 2013 in Shanghai.", "It grew."]),
    ],
)
def test_abbreviations_do_not_end_a_sentence(text: str, expected: list[str]) -> None:
    """In "No. 5", "Dr. Smith", "e.g. Pudong" a capital or digit follows the period, yet no split."""
    assert sentences(text) == expected


def test_single_capital_initial_does_not_end_a_sentence() -> None:
    """A name with an initial ("J. Smith") is not the sentence "J." followed by "Smith wrote."."""
    assert sentences("J. Smith wrote. Ok then.") == ["J. Smith wrote.", "Ok then."]


def test_a_non_abbreviation_word_before_a_period_does_end_a_sentence() -> None:
    """Control for the abbreviation list: an ordinary word ("zone.") before a capital is a boundary."""
    assert sentences("They built a zone. No one objected.") == ["They built a zone.", "No one objected."]


def test_lowercase_after_a_period_is_not_a_boundary() -> None:
    """A boundary needs an uppercase letter, digit, quote or bracket after the whitespace."""
    assert sentences("Output rose by approx. a third. Then it fell.") == [
        "Output rose by approx. a third.",
        "Then it fell.",
    ]
    assert sentences("lower. case next") == ["lower. case next"]


def test_question_and_exclamation_marks_end_sentences() -> None:
    """``?`` and ``!`` end sentences like ``.`` does."""
    assert sentences("Is it open? Yes! Good.") == ["Is it open?", "Yes!", "Good."]


def test_closing_quote_belongs_to_the_sentence_it_closes() -> None:
    """The closing quote after the final period stays with its sentence, not with the next one."""
    text = 'He said "Stop." Then he left.'
    assert sentences(text) == ['He said "Stop."', "Then he left."]


def test_closing_bracket_belongs_to_the_sentence_it_closes() -> None:
    """Same for a closing bracket: "(Note.)" is one sentence."""
    assert sentences("(Note.) Next one.") == ["(Note.)", "Next one."]


def test_sentence_may_start_with_an_opening_quote() -> None:
    """An opening quote before the capital still marks the start of a new sentence."""
    assert sentences('It ended. "Next," he said.') == ["It ended.", '"Next," he said.']


def test_blank_line_ends_a_block_even_without_punctuation() -> None:
    """Paragraph breaks are boundaries: a heading without a period is its own span."""
    text = "Overview\n\nThe zone opened in 2013. It grew."
    assert sentences(text) == ["Overview", "The zone opened in 2013.", "It grew."]


def test_blank_line_splits_even_after_an_abbreviation() -> None:
    """A block break wins over the abbreviation rule ("No." at a paragraph end still splits)."""
    assert sentences("Items listed under No.\n\nNext paragraph here.") == [
        "Items listed under No.",
        "Next paragraph here.",
    ]


def test_bullet_lines_are_separate_spans() -> None:
    """A newline before a bullet marker starts a new span (list items are quoted one by one)."""
    assert sentences("Items:\n- one\n- two\n• three") == ["Items:", "- one", "- two", "• three"]


def test_single_newline_inside_a_paragraph_is_not_a_boundary() -> None:
    """A wrapped line (one newline, no bullet, lowercase next) stays inside its sentence."""
    assert sentences("The zone was\nopened in 2013. It grew.") == ["The zone was\nopened in 2013.", "It grew."]


def test_spans_are_stripped_of_surrounding_whitespace() -> None:
    """Leading and trailing spaces, tabs and newlines are outside every span."""
    text = "  \t Lead space.   Trailing.  \n"
    spans = sentence_spans(text)
    assert spans == [(4, 15), (18, 27)]
    for a, b in spans:
        assert not text[a].isspace()
        assert not text[b - 1].isspace()


def test_inner_whitespace_is_kept_verbatim() -> None:
    """Only the ends are stripped: tabs and double spaces inside a sentence are part of the quote."""
    text = "Tab\there  twice. Next\tone."
    assert sentences(text) == ["Tab\there  twice.", "Next\tone."]


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t  \n"])
def test_empty_or_blank_text_has_no_sentences(text: str) -> None:
    """Whitespace alone yields no span (an empty span would become an empty quote)."""
    assert sentence_spans(text) == []


def test_text_without_final_punctuation_is_one_sentence() -> None:
    """The tail after the last boundary is a sentence too, punctuation or not."""
    assert sentences("First one. And then a trailing fragment") == ["First one.", "And then a trailing fragment"]
    assert sentences("First one. And then") == ["First one.", "And then"]


def test_start_and_end_window_returns_document_offsets() -> None:
    """With ``start``/``end``, spans stay offsets into the whole text, not into the slice."""
    text = "xx First one. Second one. yy"
    spans = sentence_spans(text, 3, 25)
    assert spans == [(3, 13), (14, 25)]
    assert [text[a:b] for a, b in spans] == ["First one.", "Second one."]


def test_spans_map_back_exactly_and_in_order_on_mixed_text() -> None:
    """On a realistic paragraph every span is a verbatim, ordered, non-overlapping slice of the text."""
    text = (
        "Overview of the zone\n\n"
        "  The Shanghai FTZ opened on Sept. 29, 2013. Its area was 28.78 sq. km at first! "
        'Officials said "more will follow." (See No. 5.) Growth averaged 3.6 per cent.\n'
        "- Goods trade\n"
        "- Services trade   "
    )
    spans = sentence_spans(text)
    assert [text[a:b] for a, b in spans] == [
        "Overview of the zone",
        "The Shanghai FTZ opened on Sept. 29, 2013.",
        "Its area was 28.78 sq. km at first!",
        'Officials said "more will follow."',
        "(See No. 5.)",
        "Growth averaged 3.6 per cent.",
        "- Goods trade",
        "- Services trade",
    ]
    previous_end = 0
    for a, b in spans:
        assert previous_end <= a < b <= len(text)
        assert text[previous_end:a].strip() == ""  # nothing but whitespace is ever left out
        previous_end = b
    assert text[previous_end:].strip() == ""
