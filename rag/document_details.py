"""What the index knows about a document itself (its date and publisher), as evidence for questions about it.

"On what date was the article on the western region's pilot zones published?" is answered by no
sentence of the article: its dateline is page furniture the loader drops. The date and publisher
stated in the corpus manifest (``corpus/manifest.yaml``) are kept on the document's record in the
index; for a question about when or by whom a document was published, the pipeline reads that
record as one more sentence, cited to the document under the section "Document details".

Usage::

    asks_about_publication("When did the tenth-anniversary paper come out?")   # True
    details_sentence(store.document("western-pilot-ftz-strategy-2025.txt"))
    # '“Enhancing the strategy of ... western region” was published on March 14, 2025 by China Trade News.'
"""

from __future__ import annotations

import calendar
import re

from core.documents import Chunk, make_chunk_id
from index.store import DocumentRecord

#: The section name of a document-details citation: its quote is the document's record, not its text.
DETAILS_SECTION = "Document details"

_DOCUMENT = r"(?:article|paper|report|document|piece|story|news|page|study|essay|release|item|text)"
_PUBLISHED = (
    r"(?:publish\w*|publication|release[sd]?|releasing|issued|come out|came out|comes out|written|wrote|"
    r"dated|date of|put out|posted|printed|appear(?:ed|s)?)"
)
# What a question about a document's own publication asks: when, how long after, or by whom.
_WHEN_OR_WHO = re.compile(r"\b(?:when|dates?|days?|weeks?|months?|years?|who|whom|how long|how old)\b", re.IGNORECASE)
# A document noun with a publishing verb ("when was the article published"), or the publisher
# asked for ("which journal ran the paper", "who published the news").
_ABOUT_PUBLICATION = re.compile(rf"\b{_DOCUMENT}s?\b.*\b{_PUBLISHED}\b|\b{_PUBLISHED}\b.*\b{_DOCUMENT}s?\b", re.I)
_PUBLISHER_ASKED = re.compile(
    r"\b(?:which|what|who)\b[^?]*\b(?:publisher|journal|newspaper|outlet|magazine|news agency)\b"
    r"|\bwho\s+(?:published|released|issued|put out)\b",
    re.IGNORECASE,
)
_ISO_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


def asks_about_publication(question: str) -> bool:
    """Whether ``question`` asks when, where or by whom a document was published::

    asks_about_publication("On what date was the article on the western zones published?")   # True
    asks_about_publication("Which journal ran the tenth-anniversary paper?")                   # True
    asks_about_publication("When was the first pilot zone set up?")                            # False
    """
    # "Which zones appear in the report?" and "What is written in the paper?" ask what it says.
    about = _ABOUT_PUBLICATION.search(question) is not None and _WHEN_OR_WHO.search(question) is not None
    return about or _PUBLISHER_ASKED.search(question) is not None


def date_in_words(date: str) -> str:
    """A manifest date as a reader writes it: "2025-03-14" → "March 14, 2025", "2025-10" → "October 2025".

    A date in any other form is returned as it is.
    """
    match = _ISO_DATE.match(date.strip())
    if not match:
        return date.strip()
    year, month, day = match.groups()
    if not month or not 1 <= int(month) <= 12:
        return year
    month_name = calendar.month_name[int(month)]
    return f"{month_name} {int(day)}, {year}" if day else f"{month_name} {year}"


def details_sentence(record: DocumentRecord) -> str | None:
    """The record's date and publisher in one sentence, or ``None`` when it has neither.

    Said the way a question asks it ("was published on ..."): told "... is dated March 14, 2025",
    the 1.5B model declined to say when the article was published.
    """
    said: list[str] = []
    if record.date:
        date = date_in_words(record.date)
        said.append(f"{'on' if ',' in date else 'in'} {date}")
    if record.publisher:
        said.append(f"by {record.publisher}")
    if not said:
        return None
    return f"\u201c{record.title}\u201d was published {' '.join(said)}."


def details_chunk(record: DocumentRecord) -> Chunk | None:
    """The record's :func:`details_sentence` as a chunk of its document, in the section :data:`DETAILS_SECTION`."""
    sentence = details_sentence(record)
    if sentence is None:
        return None
    return Chunk(
        chunk_id=make_chunk_id(record.source, sentence),
        source=record.source,
        title=record.title,
        text=sentence,
        chunk_index=-1,  # before the document's first chunk: no neighbour is read with it
        char_start=0,
        char_end=0,
        sha256=record.sha256,
        section=DETAILS_SECTION,
    )
