"""A document's own date and publisher, read as evidence for questions about them (rag.document_details)."""

from __future__ import annotations

import pytest

from index.store import DocumentRecord
from rag.document_details import (
    DETAILS_SECTION,
    asks_about_publication,
    date_in_words,
    details_chunk,
    details_sentence,
)

WESTERN = DocumentRecord(
    source="western.txt",
    title="Enhancing the strategy of the pilot free trade zone",
    sha256="x",
    chunks=3,
    publisher="China Trade News",
    date="2025-03-14",
)


@pytest.mark.parametrize(
    "question",
    [
        "On what date was the article on the western region's pilot free trade zone strategy published?",
        "When did the tenth-anniversary paper come out?",
        "Which journal ran the paper on the tenth anniversary of the pilot zones?",
        "Who published the news about the special economic zone alliance?",
        "Roughly how many years after the first zone was set up was the western-region article released?",
        "How many days after its launch was the news about the Special Economic Zone Alliance released?",
    ],
)
def test_a_question_about_when_or_by_whom_a_document_was_published_asks_about_it(question: str) -> None:
    assert asks_about_publication(question)


@pytest.mark.parametrize(
    "question",
    [
        "When was China's first pilot free trade zone set up?",
        "What does the article say the west should align with?",
        "Which lessons does the training report list?",
        "What fuel price did the Zhoushan zone start publishing?",
        "Which of the six western zones named in the 2025 article does not appear in the 2024 paper?",
        "What is written in the report about the Hainan free trade port?",
        "How many anti-globalization articles did The Washington Post publish in 2008?",
    ],
)
def test_a_question_about_what_a_document_says_does_not(question: str) -> None:
    assert not asks_about_publication(question)


def test_a_manifest_date_is_written_as_a_reader_writes_it() -> None:
    assert date_in_words("2025-03-14") == "March 14, 2025"
    assert date_in_words("2025-10") == "October 2025"
    assert date_in_words("2024") == "2024"
    assert date_in_words("Spring 2024") == "Spring 2024"


def test_the_record_is_one_sentence_cited_under_its_own_section() -> None:
    sentence = (
        "\u201cEnhancing the strategy of the pilot free trade zone\u201d was published on March 14, 2025 "
        "by China Trade News."
    )
    assert details_sentence(WESTERN) == sentence
    chunk = details_chunk(WESTERN)
    assert chunk is not None
    assert (chunk.text, chunk.source, chunk.section) == (sentence, "western.txt", DETAILS_SECTION)
    month_only = DocumentRecord(source="c.txt", title="Congress", sha256="y", chunks=1, date="2025-10")
    assert details_sentence(month_only) == "\u201cCongress\u201d was published in October 2025."
    # A record that says neither is no evidence of anything.
    assert details_chunk(DocumentRecord(source="n.txt", title="N", sha256="z", chunks=1)) is None
