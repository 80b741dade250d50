"""Pure rendering helpers for the chat page: citation badges, citation cards, Markdown export.

Everything here returns strings (HTML for ``st.markdown(..., unsafe_allow_html=True)`` or Markdown),
so it can be tested without Streamlit. Text from documents and from the API is always HTML-escaped.
Stable class names let browser tests find things: ``zoneqa-answer``, ``zoneqa-badge``,
``zoneqa-citation`` (with ``data-source`` / ``data-page``), ``zoneqa-quote``, ``zoneqa-refusal``.

Usage::

    from ui.render import answer_html, citation_card_html, conversation_markdown
    answer_html("Hangzhou [1].")   # '<div class="zoneqa-answer">Hangzhou <span class="zoneqa-badge" ...'
    citation_card_html(citation)   # the passage with the quote inside <mark>
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from core.schemas import PageView, Source
from ui.client import AskResult, CitationResult

# "[1]", "[2, 3]" and "[2,3]" are citation markers; "[a]" or "[1a]" are not.
MARKER_PATTERN = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
# Characters that would otherwise be read as Markdown (``$`` starts LaTeX in Streamlit).
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+!|$~>])")
_WHITESPACE = re.compile(r"\s+")

REFUSAL_TITLE = "Not in the documents"
# Han characters: a question with any is answered with Chinese interface notices.
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
Language = str  # "en" or "zh"

#: The page's notices, in each language a delegate may ask in (the answer itself comes from the API).
TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "refusal_title": REFUSAL_TITLE,
        "refusal_body": "ZoneQA found no passage that answers this question, so it does not guess.",
        "closest": "The closest documents were:",
        "refusal_hint": "Try rephrasing, or ask about a topic covered by the documents in the sidebar.",
        "searching": "Searching the documents…",
        "reading": "Reading {n} passages…",
        "reading_title": "Reading these passages",
        "sources_title": "Sources",
        "dropped": "The connection dropped before the answer was complete. Your question is kept: retry when "
        "you are back online.",
        "retry": "Retry",
        "show_page": "Show page {page}",
    },
    "zh": {
        "refusal_title": "文档中没有答案",
        "refusal_body": "ZoneQA 没有找到能回答这个问题的段落，因此不作猜测。",
        "closest": "最接近的文档：",
        "refusal_hint": "请换一种问法，或询问侧栏所列文档涉及的主题。",
        "searching": "正在检索文档…",
        "reading": "正在阅读 {n} 个段落…",
        "reading_title": "正在阅读以下段落",
        "sources_title": "来源",
        "dropped": "连接在回答完成前中断。您的问题已保留：恢复网络后请重试。",
        "retry": "重试",
        "show_page": "查看第 {page} 页",
    },
}
# Passage text kept on each side of the quote in a card: enough context to judge the quote,
# short enough that a card stays readable (a retrieved chunk can run to a few thousand characters).
PASSAGE_CONTEXT_CHARS = 360
ELLIPSIS = "…"

PAGE_CSS = """
<style>
.zoneqa-answer { line-height: 1.65; font-size: 1.02rem; }
.zoneqa-badge {
  display: inline-block; min-width: 1.35em; padding: 0 0.38em; margin: 0 0.12em;
  border-radius: 0.7em; background: #1f4e79; color: #fff; font-size: 0.72em; font-weight: 600;
  line-height: 1.5; text-align: center; vertical-align: 0.18em;
}
.zoneqa-citation { font-size: 0.93rem; }
.zoneqa-citation .zoneqa-meta { color: #5b6470; font-size: 0.82rem; margin-bottom: 0.45rem; }
.zoneqa-citation .zoneqa-meta code { font-size: 0.8rem; }
.zoneqa-citation .zoneqa-passage {
  border-left: 3px solid #c9d6e3; padding: 0.35rem 0 0.35rem 0.8rem; color: #3b4350; line-height: 1.6;
}
.zoneqa-quote { background: #fff1a8; color: #111; padding: 0.05em 0.15em; border-radius: 0.2em; }
.zoneqa-refusal { color: #5b6470; font-size: 0.9rem; }
.zoneqa-sources-title { color: #5b6470; font-size: 0.82rem; font-weight: 600; letter-spacing: 0.04em;
  text-transform: uppercase; margin: 0.6rem 0 0.2rem 0; }
.zoneqa-source-card { border: 1px solid #dde3ea; border-radius: 0.5rem; padding: 0.45rem 0.65rem;
  margin: 0.3rem 0; font-size: 0.88rem; background: #f8fafc; }
.zoneqa-source-head { color: #1f4e79; font-weight: 600; }
.zoneqa-source-n { display: inline-block; min-width: 1.3em; text-align: center; border-radius: 0.6em;
  background: #c9d6e3; color: #1f4e79; font-size: 0.78em; }
.zoneqa-source-quote { color: #3b4350; margin-top: 0.15rem; }
.zoneqa-page { position: relative; width: 100%; line-height: 0; border: 1px solid #dde3ea; }
.zoneqa-page-image { width: 100%; height: auto; display: block; }
.zoneqa-highlight { position: absolute; background: rgba(255, 214, 0, 0.38);
  outline: 2px solid rgba(230, 160, 0, 0.9); border-radius: 2px; pointer-events: none; }
/* Long document names, URLs and quotes wrap instead of widening the page. */
.zoneqa-answer, .zoneqa-citation, .zoneqa-source-card { overflow-wrap: anywhere; word-break: break-word; }
/* Phones: full-width content, tap targets of at least 44 px. */
@media (max-width: 640px) {
  .block-container { padding-left: 0.75rem !important; padding-right: 0.75rem !important;
    padding-top: 2.5rem !important; }
  .stButton button, .stDownloadButton button, [data-testid="stExpander"] summary {
    min-height: 44px; }
  .zoneqa-answer { font-size: 1rem; }
  [data-testid="stExpandSidebarButton"], [data-testid="stFeedbackButton"],
  [data-testid="stChatInputSubmitButton"], [data-testid="stBaseButton-headerNoPadding"] {
    min-width: 44px !important; min-height: 44px !important; }
}
</style>
"""


def escape_markdown(text: str) -> str:
    """Escape HTML and Markdown so document text shows literally in ``st.markdown``."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", html.escape(text, quote=False))


def _badge(number: str) -> str:
    return f'<span class="zoneqa-badge" data-n="{number}" title="Source {number}">{number}</span>'


def badge_markers(text: str) -> str:
    """HTML-escape ``text`` and turn its ``[n]`` citation markers into compact badges.

    The result belongs inside an HTML block (see ``answer_html``), where Markdown is not parsed,
    so only HTML is escaped.

    >>> badge_markers("Hangzhou [1].")
    'Hangzhou <span class="zoneqa-badge" data-n="1" title="Source 1">1</span>.'
    """
    pieces: list[str] = []
    position = 0
    for match in MARKER_PATTERN.finditer(text):
        pieces.append(_inline(text[position : match.start()]))
        numbers = [number.strip() for number in match.group(1).split(",")]
        pieces.append("".join(_badge(number) for number in numbers))
        position = match.end()
    pieces.append(_inline(text[position:]))
    return "".join(pieces)


def answer_html(text: str, streaming: bool = False) -> str:
    """The answer text as one HTML block with badges (newlines kept as line breaks).

    ``streaming`` marks text still being generated (class ``zoneqa-streaming``): provisional until verified.
    No blank line may appear inside: it would end the HTML block and the rest would be read as Markdown.
    """
    paragraphs = [badge_markers(line) for line in text.splitlines() if line.strip()]
    classes = "zoneqa-answer zoneqa-streaming" if streaming else "zoneqa-answer"
    return f'<div class="{classes}">{"<br>".join(paragraphs)}</div>'


def cited_numbers(text: str) -> list[int]:
    """Marker numbers in order of first appearance: ``"a [2] b [1][2]"`` → ``[2, 1]``."""
    seen: list[int] = []
    for match in MARKER_PATTERN.finditer(text):
        for number in match.group(1).split(","):
            value = int(number)
            if value not in seen:
                seen.append(value)
    return seen


def citations_in_cited_order(text: str, citations: Sequence[CitationResult]) -> list[CitationResult]:
    """Citations ordered as the answer first cites them; uncited ones keep their order, last."""
    order = {number: rank for rank, number in enumerate(cited_numbers(text))}
    return sorted(citations, key=lambda citation: (order.get(citation.n, len(order)), citation.n))


def page_label(citation: CitationResult) -> str:
    return f"p. {citation.page}" if citation.page is not None else "no page"


def citation_label(citation: CitationResult) -> str:
    """The expander label of a citation card: ``[1] Title · p. 5``."""
    return f"\\[{citation.n}\\] {escape_markdown(citation.title)} · {page_label(citation)}"


def _quote_span(citation: CitationResult) -> tuple[int, int] | None:
    """Where the quote sits inside the passage: the API's offsets, else a search, else nothing."""
    passage, quote = citation.passage, citation.quote
    start, end = citation.quote_start, citation.quote_end
    if quote and 0 <= start < end <= len(passage) and passage[start:end] == quote:
        return start, end
    found = passage.find(quote) if quote else -1
    return (found, found + len(quote)) if found >= 0 else None


def _inline(text: str) -> str:
    """Escape for an HTML block: no blank lines (they would end the block and start Markdown)."""
    return html.escape(_WHITESPACE.sub(" ", text), quote=False)


def highlighted_passage_html(citation: CitationResult, context_chars: int = PASSAGE_CONTEXT_CHARS) -> str:
    """The passage with the quote wrapped in ``<mark class="zoneqa-quote">``; the quote alone if absent.

    At most ``context_chars`` of the passage are kept before and after the quote.
    """
    mark = '<mark class="zoneqa-quote">{}</mark>'
    span = _quote_span(citation)
    if span is None:
        return mark.format(_inline(citation.quote))
    start, end = span
    passage = citation.passage
    return (
        _inline(_tail(passage[:start], context_chars))
        + mark.format(_inline(passage[start:end]))
        + _inline(_head(passage[end:], context_chars))
    )


def _tail(text: str, limit: int) -> str:
    """The last ``limit`` characters of ``text``, cut at a word boundary, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[-limit:]
    space = cut.find(" ")
    return ELLIPSIS + (cut[space:] if 0 <= space < limit // 4 else cut)


def _head(text: str, limit: int) -> str:
    """The first ``limit`` characters of ``text``, cut at a word boundary, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit * 3 // 4 else cut) + ELLIPSIS


def citation_card_html(citation: CitationResult) -> str:
    """The body of a citation card: document, page, section and the highlighted passage."""
    meta = [f"<code>{_inline(citation.source)}</code>", html.escape(page_label(citation))]
    if citation.section:
        meta.append(f"§ {_inline(citation.section)}")
    attributes = (
        f'class="zoneqa-citation" data-n="{citation.n}" '
        f'data-source="{html.escape(citation.source, quote=True)}" '
        f'data-page="{"" if citation.page is None else citation.page}"'
    )
    return (
        f"<div {attributes}>"
        f'<div class="zoneqa-meta">{" · ".join(meta)}</div>'
        f'<div class="zoneqa-passage">{highlighted_passage_html(citation)}</div>'
        "</div>"
    )


def language_of(text: str) -> Language:
    """``"zh"`` for text with Chinese characters, else ``"en"``: the language of the page's notices."""
    return "zh" if _HAN.search(text) else "en"


def text_for(language: Language, key: str, **values: object) -> str:
    return TEXTS.get(language, TEXTS["en"])[key].format(**values)


def refusal_markdown(closest_documents: Sequence[str], language: Language = "en") -> str:
    """The text of the refusal notice (shown in ``st.warning``), in the question's language."""
    title = text_for(language, "refusal_title")
    stop = "。" if language == "zh" else "."
    lines = [f"**{title}{stop}** {text_for(language, 'refusal_body')}"]
    if closest_documents:
        lines.append("")
        lines.append(text_for(language, "closest"))
        lines.extend(f"- {escape_markdown(title)}" for title in closest_documents)
    return "\n".join(lines)


def is_paged(source: str, page: int | None) -> bool:
    """True for a PDF citation with a page: it can open the page view."""
    return page is not None and source.lower().endswith(".pdf")


def source_cards_html(sources: Sequence[Source], title: str = "Reading these passages") -> str:
    """The passages announced before the answer, as compact cards (``zoneqa-source-card``)."""
    cards = []
    for source in sources:
        where = html.escape(page_label_of(source.page))
        cards.append(
            f'<div class="zoneqa-source-card" data-source="{html.escape(source.source, quote=True)}" '
            f'data-page="{"" if source.page is None else source.page}">'
            f'<div class="zoneqa-source-head"><span class="zoneqa-source-n">{source.n}</span> '
            f"{_inline(source.title)} · {where}</div>"
            f'<div class="zoneqa-source-quote">{_inline(_head(source.quote, 220))}</div></div>'
        )
    return (
        f'<div class="zoneqa-sources-pending"><div class="zoneqa-sources-title">{html.escape(title)}</div>'
        f"{''.join(cards)}</div>"
    )


def page_label_of(page: int | None) -> str:
    return f"p. {page}" if page is not None else "no page"


def page_view_html(view: PageView, png: bytes, highlight: bool) -> str:
    """The page image with the quote's boxes drawn over it (``zoneqa-highlight``, placed in percent,
    so they stay on the text at any screen width)."""
    boxes = ""
    if highlight:
        boxes = "".join(
            f'<div class="zoneqa-highlight" style="left:{box.left * 100:.3f}%;top:{box.top * 100:.3f}%;'
            f'width:{box.width * 100:.3f}%;height:{box.height * 100:.3f}%"></div>'
            for box in view.highlights
        )
    image = base64.b64encode(png).decode("ascii")
    alt = html.escape(f"{view.title}, page {view.page} of {view.pages}", quote=True)
    return (
        f'<div class="zoneqa-page" data-source="{html.escape(view.source, quote=True)}" data-page="{view.page}">'
        f'<img class="zoneqa-page-image" alt="{alt}" src="data:image/png;base64,{image}">{boxes}</div>'
    )


@dataclass
class ChatEntry:
    """One message of the conversation kept in the session: a question or an answer."""

    role: str
    content: str
    result: AskResult | None = None
    question: str = ""
    feedback_sent: dict[str, str] = field(default_factory=dict)
    turn_id: str = ""


def conversation_markdown(entries: Sequence[ChatEntry], exported_at: datetime | None = None) -> str:
    """The conversation as Markdown, each answer followed by its numbered citations and quotes."""
    when = (exported_at or datetime.now()).strftime("%Y-%m-%d %H:%M")
    lines = ["# ZoneQA conversation", "", f"_Exported {when}_", ""]
    for entry in entries:
        if entry.role == "user":
            lines += [f"## Q: {entry.content.strip()}", ""]
            continue
        result = entry.result
        if result is not None and not result.answerable:
            lines += [f"> {REFUSAL_TITLE}. {entry.content.strip()}", ""]
            if result.closest_documents:
                lines.append("Closest documents: " + "; ".join(result.closest_documents))
                lines.append("")
            continue
        lines += [entry.content.strip(), ""]
        if result is not None and result.citations:
            lines += ["**Sources**", ""]
            for citation in citations_in_cited_order(entry.content, result.citations):
                where = [citation.source, page_label(citation)]
                if citation.section:
                    where.append(citation.section)
                lines.append(f"{citation.n}. *{citation.title}* ({', '.join(where)}): \"{citation.quote}\"")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
