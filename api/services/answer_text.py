"""An :class:`~core.schemas.Answer` as plain text: the answer with its [n] markers, then a numbered source list.

The OpenAI-compatible route and the MCP ``ask`` tool both send this text, so a chat window that
knows nothing of ZoneQA's structured citations still shows where each claim comes from.

Usage::

    text = answer_with_sources(answer)
    # "Hangzhou hosted the 2016 G20 summit [1].\n\nSources:\n[1] The Tenth Anniversary ..., p. 5
    #  (ftz-tenth-anniversary-pei-2024.pdf): “The 2016 G20 Summit in Hangzhou ...”"
    strip_sources(text)    # "Hangzhou hosted the 2016 G20 summit [1]."  (for a conversation's history)
"""

from __future__ import annotations

from core.schemas import Answer, Citation

#: The line that starts the source list (and marks where a reply's own answer text ends).
SOURCES_HEADING = "Sources:"
_SOURCES_BLOCK = f"\n\n{SOURCES_HEADING}\n"
_CLOSEST_LEAD = "\n\nThe closest documents were: "


def _one_line(text: str) -> str:
    return " ".join(text.split())


def source_line(citation: Citation) -> str:
    """``[n] Title, p. 5 (file.pdf): “quote”`` (no page for documents without pages)."""
    page = f", p. {citation.page}" if citation.page is not None else ""
    quote = _one_line(citation.quote)
    return f"[{citation.n}] {_one_line(citation.title)}{page} ({citation.source}): \u201c{quote}\u201d"


def answer_with_sources(answer: Answer) -> str:
    """The checked answer, then its sources; a refusal names the closest documents instead."""
    text = answer.answer.strip()
    if answer.citations:
        return text + _SOURCES_BLOCK + "\n".join(source_line(citation) for citation in answer.citations)
    if not answer.answerable and answer.closest_documents:
        return text + _CLOSEST_LEAD + "; ".join(_one_line(title) for title in answer.closest_documents) + "."
    return text


def strip_sources(text: str) -> str:
    """A reply of :func:`answer_with_sources` without its source list (other text is kept as it is)."""
    for marker in (_SOURCES_BLOCK, _CLOSEST_LEAD):
        head, found, _tail = text.partition(marker)
        if found:
            return head.strip()
    return text.strip()
