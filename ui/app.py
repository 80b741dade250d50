"""ZoneQA chat for delegates: streamed answers with citations they can check in one click.

Run it with ``zoneqa ui`` (or ``streamlit run ui/app.py``); it talks only to the HTTP API at
``ZONEQA_API_URL`` with the key ``ZONEQA_API_KEY``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, Literal

import streamlit as st

from ui.client import (
    ApiClient,
    ApiClientError,
    ApiError,
    AskResult,
    DocumentInfo,
)
from ui.render import (
    PAGE_CSS,
    ChatEntry,
    answer_html,
    citation_card_html,
    citation_label,
    citations_in_cited_order,
    conversation_markdown,
    refusal_markdown,
)
from ui.settings import get_ui_settings

logger = logging.getLogger("zoneqa.ui")

UNEXPECTED_ERROR = (
    "Something went wrong while answering. Please retry; if it keeps happening, tell the admin."
)
EXAMPLE_QUESTIONS = (
    "Which city hosted the 2016 G20 summit that adopted the G20 Global Investment Principles?",
    "How many pilot free trade zones has China established?",
    "Who organized the training program on economic zones under the Belt and Road Initiative?",
    "When was the first FTZ established in Shanghai?",
)
# Earlier turns sent with a question: enough for follow-ups, small enough for a short LLM context.
HISTORY_TURNS = 6
MAX_SOURCES_SETTING = 20
FEEDBACK_RATINGS: dict[int, Literal["up", "down"]] = {0: "down", 1: "up"}  # st.feedback thumbs
UPLOAD_TYPES = ["pdf", "html", "htm", "md", "txt"]


# -- session state ------------------------------------------------------------------------------


def _state() -> Any:
    """Session state with the chat's keys initialised (one place, so every rerun agrees)."""
    state = st.session_state
    state.setdefault("entries", [])  # list[ChatEntry]
    state.setdefault("pending", None)  # a question to answer in this run
    state.setdefault("failure", None)  # {"question", "message"} of the last failed question
    state.setdefault("conversation", 0)  # bumped by "New conversation" so widget keys reset
    state.setdefault("upload_round", 0)  # bumped after an upload to clear the file uploader
    state.setdefault("admin_notice", None)
    return state


def ask(question: str) -> None:
    """Queue ``question`` to be answered in this run (button callbacks and chat input)."""
    state = _state()
    state.pending = question.strip() or None
    state.failure = None


def new_conversation() -> None:
    state = _state()
    state.entries = []
    state.pending = None
    state.failure = None
    state.conversation += 1


def _client() -> ApiClient:
    settings = get_ui_settings()
    return ApiClient(settings.api_url, settings.api_key)


def _history(entries: list[ChatEntry]) -> list[dict[str, str]]:
    return [{"role": entry.role, "content": entry.content} for entry in entries[-HISTORY_TURNS:]]


# -- sidebar ------------------------------------------------------------------------------------


def sidebar(client: ApiClient) -> tuple[list[str] | None, int]:
    """Status, document filter, answer settings, conversation tools, admin tools.

    Returns the sources to restrict the search to (None = all) and the number of sources.
    """
    state = _state()
    settings = get_ui_settings()
    with st.sidebar:
        st.markdown("### ZoneQA")
        _status(client)

        st.markdown("#### Conversation")
        st.button("New conversation", on_click=new_conversation, icon=":material/add_comment:",
                  width="stretch")
        st.download_button(
            "Export as Markdown",
            data=conversation_markdown(state.entries),
            file_name="zoneqa-conversation.md",
            mime="text/markdown",
            icon=":material/download:",
            disabled=not state.entries,
            width="stretch",
        )

        st.markdown("#### Answer settings")
        top_k = st.slider(
            "Number of sources",
            min_value=1,
            max_value=MAX_SOURCES_SETTING,
            value=settings.retrieval.top_k,
            help="How many passages ZoneQA reads before answering.",
        )

        documents = _documents(client)
        sources = _document_filter(documents)
        _admin_tools(client, documents)
    return sources, top_k


def _status(client: ApiClient) -> None:
    try:
        ready = client.ready()
    except ApiClientError as error:
        st.error(f"API unreachable: {error}", icon=":material/cloud_off:")
        return
    if ready.ready:
        st.success(
            f"Ready · {ready.documents} documents · {ready.chunks} passages · {ready.generator}",
            icon=":material/check_circle:",
        )
    else:
        st.warning(f"API not ready: {ready.detail}", icon=":material/hourglass_top:")


def _documents(client: ApiClient) -> list[DocumentInfo]:
    try:
        return client.documents()
    except ApiClientError as error:
        st.session_state["documents_error"] = str(error)
        return []


def _document_filter(documents: list[DocumentInfo]) -> list[str] | None:
    st.markdown(f"#### Documents ({len(documents)})")
    if not documents:
        st.caption(st.session_state.get("documents_error") or "The index is empty.")
        return None
    st.caption("Untick documents to leave them out of the search.")
    selected: list[str] = []
    for document in documents:
        pages = f"{document.pages} pages · " if document.pages else ""
        if st.checkbox(
            document.title,
            value=True,
            key=f"doc::{document.source}",
            help=f"{document.source} · {pages}{document.chunks} passages",
        ):
            selected.append(document.source)
    if not selected:
        st.warning("No document selected: searching all of them.")
        return None
    return None if len(selected) == len(documents) else selected


def _admin_tools(client: ApiClient, documents: list[DocumentInfo]) -> None:
    state = _state()
    if not st.toggle("Admin tools", help="Upload and delete documents (needs an admin API key)."):
        return
    if state.admin_notice:
        kind, message = state.admin_notice
        (st.success if kind == "ok" else st.error)(message)
        state.admin_notice = None
    upload = st.file_uploader("Add a document", type=UPLOAD_TYPES, key=f"upload-{state.upload_round}")
    if upload is not None and st.button("Upload and index", icon=":material/upload:"):
        with st.spinner(f"Indexing {upload.name}…"):
            try:
                result = client.upload(upload.name, upload.getvalue(), upload.type)
            except ApiClientError as error:
                state.admin_notice = ("error", _admin_error(error))
            else:
                state.admin_notice = ("ok", f"Indexed {result.title}: {result.chunks} passages.")
                state.upload_round += 1
        st.rerun()
    if documents:
        titles = {document.source: document.title for document in documents}
        source = st.selectbox("Delete a document", list(titles), format_func=lambda s: titles[s])
        confirmed = st.checkbox("Yes, remove it from the index", key="confirm-delete")
        if st.button("Delete", icon=":material/delete:", disabled=not confirmed):
            try:
                client.delete(source)
            except ApiClientError as error:
                state.admin_notice = ("error", _admin_error(error))
            else:
                state.admin_notice = ("ok", f"Removed {titles[source]}.")
            st.rerun()


def _admin_error(error: ApiClientError) -> str:
    if isinstance(error, ApiError) and error.forbidden:
        return "Your API key may not change documents: set an admin key in ZONEQA_API_KEY."
    return str(error)


# -- conversation -------------------------------------------------------------------------------


def welcome() -> None:
    st.markdown(
        "Ask a question about free trade zones and special economic zones. ZoneQA answers **only** "
        "from the documents in its library, and every claim carries a numbered source you can open "
        "to read the exact sentence on its page."
    )
    st.markdown("###### Try one of these")
    columns = st.columns(2)
    for index, question in enumerate(EXAMPLE_QUESTIONS):
        columns[index % 2].button(
            question, key=f"example-{index}", on_click=ask, args=(question,), width="stretch",
            wrap=True,
        )


def show_entry(index: int, entry: ChatEntry, client: ApiClient) -> None:
    """One message: a question, or an answer with badges, citation cards and feedback."""
    if entry.role == "user":
        with st.chat_message("user"):
            st.markdown(entry.content)
        return
    with st.chat_message("assistant"):
        result = entry.result
        if result is not None and not result.answerable:
            st.warning(refusal_markdown(result.closest_documents), icon=":material/search_off:")
            st.markdown('<span class="zoneqa-refusal">Try rephrasing, or ask about a topic '
                        "covered by the documents in the sidebar.</span>", unsafe_allow_html=True)
        else:
            st.markdown(answer_html(entry.content), unsafe_allow_html=True)
            if result is not None and result.citations:
                show_citations(result)
        _feedback(index, entry, client)


def show_citations(result: AskResult) -> None:
    st.markdown('<div class="zoneqa-sources-title">Sources</div>', unsafe_allow_html=True)
    for citation in citations_in_cited_order(result.answer, result.citations):
        with st.expander(citation_label(citation), icon=":material/description:"):
            st.markdown(citation_card_html(citation), unsafe_allow_html=True)


def _feedback(index: int, entry: ChatEntry, client: ApiClient) -> None:
    state = _state()
    key = f"feedback-{state.conversation}-{index}"
    rating = st.feedback("thumbs", key=key, on_change=_send_rating, args=(index, key))
    if rating is None:
        return
    if "comment" in entry.feedback_sent:
        st.caption("Thank you for your feedback.")
        return
    columns = st.columns([4, 1], vertical_alignment="bottom")
    comment = columns[0].text_input("Optional comment", key=f"{key}-comment",
                                    placeholder="What was good or wrong?")
    if columns[1].button("Send", key=f"{key}-send") and comment.strip():
        _post_feedback(entry, FEEDBACK_RATINGS[rating], comment, client)
        entry.feedback_sent["comment"] = comment
        st.rerun()


def _send_rating(index: int, key: str) -> None:
    state = _state()
    rating = state.get(key)
    if rating is None or index >= len(state.entries):
        return
    entry: ChatEntry = state.entries[index]
    _post_feedback(entry, FEEDBACK_RATINGS[rating], "", _client())


def _post_feedback(
    entry: ChatEntry, rating: Literal["up", "down"], comment: str, client: ApiClient
) -> None:
    try:
        client.feedback(entry.question, entry.content, rating, comment)
    except ApiClientError as error:
        st.toast(f"Feedback not saved: {error}", icon=":material/error:")
    else:
        entry.feedback_sent["rating"] = rating
        st.toast("Feedback saved. Thank you!", icon=":material/thumb_up:")


def answer_pending(client: ApiClient, sources: list[str] | None, top_k: int) -> None:
    """Stream the answer to the queued question, then keep the final verified answer."""
    state = _state()
    question: str = state.pending
    state.pending = None
    history = _history(state.entries)
    with st.chat_message("user"):
        st.markdown(question)
    final: list[AskResult] = []

    def text_pieces() -> Iterator[str]:
        for item in client.ask_stream(question, history=history, sources=sources, top_k=top_k):
            if isinstance(item, AskResult):
                final.append(item)
            else:
                yield item

    with st.chat_message("assistant"):
        try:
            with st.spinner("Searching the documents…"):
                pieces = text_pieces()
                first = next(pieces, None)  # the spinner covers retrieval, until the first token
            st.write_stream(_prepend(first, pieces))
        except ApiClientError as error:
            state.failure = {"question": question, "message": str(error)}
        except Exception:  # noqa: BLE001 - a delegate must never see a traceback
            logger.exception("Answering %r failed", question)
            state.failure = {"question": question, "message": UNEXPECTED_ERROR}
    if final:
        result = final[0]
        state.entries.append(ChatEntry(role="user", content=question))
        # The streamed text is replaced by the verified answer (sentences dropped, markers renumbered).
        state.entries.append(ChatEntry(role="assistant", content=result.answer, result=result,
                                       question=question))
    st.rerun()


def _prepend(first: str | None, rest: Iterator[str]) -> Iterator[str]:
    if first is not None:
        yield first
    yield from rest


def show_failure() -> None:
    state = _state()
    failure = state.failure
    if not failure:
        return
    with st.chat_message("assistant"):
        st.error(failure["message"], icon=":material/error:")
        st.button("Retry", on_click=ask, args=(failure["question"],), icon=":material/refresh:",
                  key="retry", type="primary")


def main() -> None:
    st.set_page_config(page_title="ZoneQA", page_icon=":material/travel_explore:", layout="centered")
    st.markdown(PAGE_CSS, unsafe_allow_html=True)
    state = _state()
    client = _client()
    sources, top_k = sidebar(client)

    st.title("ZoneQA")
    st.caption("Cited answers from the free trade zone and special economic zone literature.")
    if not state.entries and not state.pending and not state.failure:
        welcome()
    for index, entry in enumerate(state.entries):
        show_entry(index, entry, client)
    show_failure()

    typed = st.chat_input("Ask about free trade zones…")
    if typed:
        ask(typed)
    if state.pending:
        answer_pending(client, sources, top_k)


main()
