"""ZoneQA chat for delegates: streamed answers with citations they can check in one click.

Run it with ``zoneqa ui`` (or ``streamlit run ui/app.py``); it talks only to the HTTP API at
``ZONEQA_API_URL`` with the key ``ZONEQA_API_KEY``.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any, Literal

import streamlit as st

from core.schemas import Conversation
from ui.client import (
    ApiClient,
    ApiClientError,
    ApiError,
    AskResult,
    DocumentInfo,
    ReadyStatus,
    SourcesFound,
    StreamInterrupted,
)
from ui.render import (
    PAGE_CSS,
    ChatEntry,
    answer_html,
    citation_card_html,
    citation_label,
    citations_in_cited_order,
    conversation_markdown,
    is_paged,
    language_of,
    page_view_html,
    refusal_markdown,
    source_cards_html,
    text_for,
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
#: The page URL's query parameter that names the conversation (``?c=...``): reload-safe and shareable.
CONVERSATION_PARAM = "c"
_CONVERSATION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# Page images are rendered this wide: sharp on a phone held upright, light enough for conference Wi-Fi.
PAGE_IMAGE_WIDTH = 900
STATUS_TTL_SECONDS = 5.0


# -- session state ------------------------------------------------------------------------------


def _state() -> Any:
    """Session state with the chat's keys initialised (one place, so every rerun agrees)."""
    state = st.session_state
    state.setdefault("entries", [])  # list[ChatEntry]
    state.setdefault("pending", None)  # {"question", "turn_id"} to answer in this run
    state.setdefault("failure", None)  # {"question", "turn_id", "message"} of the last failed question
    state.setdefault("conversation", 0)  # bumped by "New conversation" so widget keys reset
    state.setdefault("conversation_id", "")  # the id in the URL; its turns live in the API
    state.setdefault("loaded_for", "")  # the conversation whose stored turns are in ``entries``
    state.setdefault("upload_round", 0)  # bumped after an upload to clear the file uploader
    state.setdefault("admin_notice", None)
    return state


def _new_id() -> str:
    return uuid.uuid4().hex


def ask(question: str, turn_id: str | None = None) -> None:
    """Queue ``question`` to be answered in this run (button callbacks and chat input).

    A retry passes the failed turn's id, so an answer the API stored anyway replaces it, once.
    """
    state = _state()
    question = question.strip()
    state.pending = {"question": question, "turn_id": turn_id or _new_id()} if question else None
    state.failure = None


def retry(question: str, turn_id: str) -> None:
    """Ask again, unless the API finished and stored the answer while the connection was down."""
    state = _state()
    state.failure = None
    try:
        conversation = _client().conversation(state.conversation_id)
    except ApiClientError:
        conversation = None
    if conversation is not None and any(turn.turn_id == turn_id for turn in conversation.turns):
        state.entries = entries_of(conversation)
        return
    ask(question, turn_id)


def new_conversation() -> None:
    state = _state()
    state.entries = []
    state.pending = None
    state.failure = None
    state.conversation += 1
    state.conversation_id = state.loaded_for = _new_id()
    st.query_params[CONVERSATION_PARAM] = state.conversation_id


def entries_of(conversation: Conversation) -> list[ChatEntry]:
    """The chat entries of a stored conversation: each turn's question, then its answer."""
    entries: list[ChatEntry] = []
    for turn in conversation.turns:
        entries.append(ChatEntry(role="user", content=turn.question, turn_id=turn.turn_id))
        entries.append(
            ChatEntry(role="assistant", content=turn.answer.answer, result=turn.answer, question=turn.question,
                      turn_id=turn.turn_id)
        )
    return entries


def sync_conversation(client: ApiClient) -> None:
    """Take the conversation named in the URL (or start one), and load its stored turns once."""
    state = _state()
    wanted = st.query_params.get(CONVERSATION_PARAM, "")
    if not _CONVERSATION_ID.match(wanted):
        wanted = state.conversation_id or _new_id()
        st.query_params[CONVERSATION_PARAM] = wanted
    state.conversation_id = wanted
    if state.loaded_for == wanted:
        return
    try:
        conversation = client.conversation(wanted)
    except ApiClientError:
        # The sidebar's status says the API is unreachable; the next rerun tries again (the turns
        # stay safe in the API, and the id stays in the URL).
        return
    if state.loaded_for:  # another conversation was on screen: its widgets' keys must not be reused
        state.conversation += 1
    state.entries = entries_of(conversation)
    state.loaded_for = wanted


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


# Every question reruns the page: the sidebar's status and document list are reused for a few
# seconds, so the question goes to the API at once instead of after two status calls.
@st.cache_data(ttl=STATUS_TTL_SECONDS, show_spinner=False)
def _cached_ready(api_url: str, api_key: str) -> ReadyStatus:
    with ApiClient(api_url, api_key) as client:
        return client.ready()


@st.cache_data(ttl=STATUS_TTL_SECONDS, show_spinner=False)
def _cached_documents(api_url: str, api_key: str) -> list[DocumentInfo]:
    with ApiClient(api_url, api_key) as client:
        return client.documents()


def _status(client: ApiClient) -> None:
    try:
        ready = _cached_ready(client.base_url, get_ui_settings().api_key)
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
        return _cached_documents(client.base_url, get_ui_settings().api_key)
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
                _cached_documents.clear()
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
                _cached_documents.clear()
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
    st.markdown("**Try one of these**")
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
        language = language_of(entry.question)
        if result is not None and not result.answerable:
            show_refusal(result, language)
        else:
            st.markdown(answer_html(entry.content), unsafe_allow_html=True)
            if result is not None and result.citations:
                show_citations(result, language, key=f"{_state().conversation}-{index}")
        _feedback(index, entry, client)


def show_refusal(result: AskResult, language: str) -> None:
    st.warning(refusal_markdown(result.closest_documents, language), icon=":material/search_off:")
    st.markdown(f'<span class="zoneqa-refusal">{text_for(language, "refusal_hint")}</span>',
                unsafe_allow_html=True)


def show_citations(result: AskResult, language: str, key: str) -> None:
    st.markdown(f'<div class="zoneqa-sources-title">{text_for(language, "sources_title")}</div>',
                unsafe_allow_html=True)
    for citation in citations_in_cited_order(result.answer, result.citations):
        with st.expander(citation_label(citation), icon=":material/description:"):
            st.markdown(citation_card_html(citation), unsafe_allow_html=True)
            if is_paged(citation.source, citation.page) and st.button(
                text_for(language, "show_page", page=citation.page),
                key=f"page-{key}-{citation.n}",
                icon=":material/picture_as_pdf:",
            ):
                page_dialog(citation.source, citation.page or 1, citation.quote)


@st.dialog("Cited page", width="large")
def page_dialog(source: str, cited_page: int, quote: str) -> None:
    """The cited PDF page as an image, the quote highlighted; previous/next page; the document."""
    client = _client()
    key = f"page-view::{source}::{cited_page}::{hash(quote)}"
    page = int(st.session_state.get(key, cited_page))
    try:
        view = client.page_view(source, page, quote if page == cited_page else "")
        png = client.page_image(source, page, width=PAGE_IMAGE_WIDTH)
    except ApiClientError as error:
        st.error(str(error), icon=":material/error:")
        return
    st.caption(f"{view.title} · p. {view.page} / {view.pages}")
    st.markdown(page_view_html(view, png, highlight=page == cited_page), unsafe_allow_html=True)
    previous, following, download = st.columns(3)
    if previous.button("Previous page", icon=":material/chevron_left:", disabled=page <= 1, width="stretch"):
        st.session_state[key] = page - 1
        st.rerun(scope="fragment")
    if following.button("Next page", icon=":material/chevron_right:", disabled=page >= view.pages,
                        width="stretch"):
        st.session_state[key] = page + 1
        st.rerun(scope="fragment")
    download.download_button(
        "Document", data=lambda: client.document_file(source), file_name=source, mime="application/pdf",
        icon=":material/download:", width="stretch", on_click="ignore",
    )


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
    """Stream the queued question: the passages about to be read at once, then the answer above
    them, then (after a rerun) the verified answer with its citations in their place."""
    state = _state()
    pending: dict[str, str] = state.pending
    state.pending = None
    question, turn_id = pending["question"], pending["turn_id"]
    language = language_of(question)
    history = _history([entry for entry in state.entries if entry.turn_id != turn_id])
    with st.chat_message("user"):
        st.markdown(question)
    final: AskResult | None = None
    with st.chat_message("assistant"):
        answer_slot = st.empty()
        status_slot = st.empty()
        sources_slot = st.empty()
        status_slot.caption(text_for(language, "searching"))
        text = ""
        try:
            for item in client.ask_stream(question, history=history, sources=sources, top_k=top_k,
                                          conversation_id=state.conversation_id, turn_id=turn_id):
                if isinstance(item, SourcesFound):
                    sources_slot.markdown(
                        source_cards_html(item.sources, text_for(language, "reading_title")),
                        unsafe_allow_html=True,
                    )
                    status_slot.caption(text_for(language, "reading", n=len(item.sources)))
                elif isinstance(item, str):
                    if not text:
                        status_slot.empty()
                    text += item
                    answer_slot.markdown(answer_html(text, streaming=True), unsafe_allow_html=True)
                else:
                    final = item
        except StreamInterrupted:
            state.failure = {"question": question, "turn_id": turn_id, "message": text_for(language, "dropped")}
        except ApiClientError as error:
            state.failure = {"question": question, "turn_id": turn_id, "message": str(error)}
        except Exception:  # noqa: BLE001 - a delegate must never see a traceback
            logger.exception("Answering %r failed", question)
            state.failure = {"question": question, "turn_id": turn_id, "message": UNEXPECTED_ERROR}
    if final is not None:
        # One entry per turn: an answer that arrives for a retried turn replaces the old one.
        state.entries = [entry for entry in state.entries if entry.turn_id != turn_id]
        state.entries.append(ChatEntry(role="user", content=question, turn_id=turn_id))
        # The streamed text is replaced by the verified answer (sentences dropped, markers renumbered).
        state.entries.append(ChatEntry(role="assistant", content=final.answer, result=final,
                                       question=question, turn_id=turn_id))
    st.rerun()


def show_failure() -> None:
    state = _state()
    failure = state.failure
    if not failure:
        return
    language = language_of(failure["question"])
    with st.chat_message("user"):
        st.markdown(failure["question"])
    with st.chat_message("assistant"):
        st.error(failure["message"], icon=":material/wifi_off:")
        st.button(text_for(language, "retry"), on_click=retry, args=(failure["question"], failure["turn_id"]),
                  icon=":material/refresh:", key="retry", type="primary")


def main() -> None:
    # "auto": the sidebar starts collapsed on a phone-sized screen and open on a desktop.
    st.set_page_config(page_title="ZoneQA", page_icon=":material/travel_explore:", layout="centered",
                       initial_sidebar_state="auto")
    st.markdown(PAGE_CSS, unsafe_allow_html=True)
    state = _state()
    client = _client()
    sync_conversation(client)
    sources, top_k = sidebar(client)

    st.title("ZoneQA", anchor=False)
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
