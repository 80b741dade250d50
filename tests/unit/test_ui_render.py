"""Fast tests of the chat's pure parts: rendering helpers and the HTTP client (fake transport)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest

from ui.client import (
    ApiClient,
    ApiError,
    ApiTimeout,
    ApiUnavailable,
    AskResult,
    CitationResult,
    RateLimited,
    SourcesFound,
    StreamInterrupted,
)
from ui.launcher import streamlit_command, streamlit_env
from ui.render import (
    ChatEntry,
    answer_html,
    badge_markers,
    citation_card_html,
    citation_label,
    citations_in_cited_order,
    cited_numbers,
    conversation_markdown,
    highlighted_passage_html,
    refusal_markdown,
)

PASSAGE = "In 2016 the G20 met in China. The summit in Hangzhou adopted the principles. Later work followed."
QUOTE = "The summit in Hangzhou adopted the principles."


def make_citation(n: int = 1, **overrides: object) -> CitationResult:
    start = PASSAGE.index(QUOTE)
    values: dict[str, object] = {
        "n": n,
        "source": "ftz-tenth-anniversary-pei-2024.pdf",
        "title": "FTZ tenth anniversary",
        "page": 5,
        "section": "Investment",
        "chunk_id": "c1",
        "quote": QUOTE,
        "score": 0.9,
        "passage": PASSAGE,
        "quote_start": start,
        "quote_end": start + len(QUOTE),
    }
    values.update(overrides)
    return CitationResult.model_validate(values)


def answer_body(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "answer": "Hangzhou [1].",
        "citations": [make_citation().model_dump()],
        "answerable": True,
        "question_used": "Which city?",
        "timings_ms": {"total": 12.0},
        "model": "extractive",
        "closest_documents": [],
        "prompt_tokens": None,
    }
    body.update(overrides)
    return body


# -- render -------------------------------------------------------------------------------------


def test_badges_replace_markers_and_escape_html() -> None:
    html = badge_markers("<b>Hangzhou</b> [1] and [2, 3] but not [a].")
    assert "&lt;b&gt;Hangzhou&lt;/b&gt;" in html
    assert html.count('class="zoneqa-badge"') == 3
    assert 'data-n="3"' in html
    assert "[a]" in html  # not a marker: shown literally
    assert "[1]" not in html


def test_badges_keep_markdown_characters_literal_inside_the_html_block() -> None:
    # Inside an HTML block Markdown is not parsed: a backslash escape would show up on the page.
    assert badge_markers("The (WTO) costs $5 *now* [1].").startswith("The (WTO) costs $5 *now* <span")


def test_answer_html_wraps_lines_without_blank_lines() -> None:
    html = answer_html("First [1].\n\nSecond [2].")
    assert html.startswith('<div class="zoneqa-answer">')
    assert "\n" not in html and "<br>" in html


def test_cited_order_follows_first_appearance() -> None:
    text = "B [2]. A [1][2]. C [3]."
    assert cited_numbers(text) == [2, 1, 3]
    citations = [make_citation(1), make_citation(2), make_citation(3), make_citation(4)]
    assert [c.n for c in citations_in_cited_order(text, citations)] == [2, 1, 3, 4]


def test_quote_is_highlighted_inside_its_passage() -> None:
    html = highlighted_passage_html(make_citation())
    assert html == (f'In 2016 the G20 met in China. <mark class="zoneqa-quote">{QUOTE}</mark> Later work followed.')


def test_long_passages_are_trimmed_around_the_quote() -> None:
    before, after = "word " * 200, " more" * 200
    citation = make_citation(
        passage=before + QUOTE + after, quote_start=len(before), quote_end=len(before) + len(QUOTE)
    )
    html = highlighted_passage_html(citation, context_chars=50)
    assert html.startswith("…") and html.endswith("…")
    assert f'<mark class="zoneqa-quote">{QUOTE}</mark>' in html
    assert len(html) < len(QUOTE) + 200


def test_wrong_offsets_fall_back_to_searching_the_quote() -> None:
    html = highlighted_passage_html(make_citation(quote_start=0, quote_end=4))
    assert f'<mark class="zoneqa-quote">{QUOTE}</mark>' in html
    assert html.startswith("In 2016")


def test_quote_missing_from_passage_is_shown_alone() -> None:
    html = highlighted_passage_html(make_citation(passage="unrelated text", quote_start=0, quote_end=0))
    assert html == f'<mark class="zoneqa-quote">{QUOTE}</mark>'


def test_citation_card_escapes_document_text_and_has_stable_markers() -> None:
    hostile = "<script>alert(1)</script> is quoted."
    card = citation_card_html(
        make_citation(
            passage=f"Before.\n\n{hostile}",
            quote=hostile,
            quote_start=9,
            quote_end=9 + len(hostile),
            section='A "section" <i>',
        )
    )
    assert "<script>" not in card and "&lt;script&gt;" in card
    assert "<i>" not in card
    assert 'class="zoneqa-citation"' in card
    assert 'data-source="ftz-tenth-anniversary-pei-2024.pdf"' in card and 'data-page="5"' in card
    assert "\n" not in card  # a blank line would end the HTML block inside st.markdown


def test_citation_label_names_number_title_and_page() -> None:
    assert citation_label(make_citation(2)) == "\\[2\\] FTZ tenth anniversary · p. 5"
    assert citation_label(make_citation(1, page=None)).endswith("no page")


def test_refusal_lists_closest_documents() -> None:
    text = refusal_markdown(["World Investment Report", "A_B"])
    assert text.startswith("**Not in the documents.**")
    assert "- World Investment Report" in text and "- A\\_B" in text


def test_conversation_export_has_questions_answers_and_quotes() -> None:
    answer = AskResult.model_validate(answer_body())
    refusal = AskResult.model_validate(
        answer_body(
            answer="I could not find this.",
            citations=[],
            answerable=False,
            closest_documents=["World Investment Report"],
        )
    )
    entries = [
        ChatEntry(role="user", content="Which city?"),
        ChatEntry(role="assistant", content=answer.answer, result=answer, question="Which city?"),
        ChatEntry(role="user", content="Boiling point of mercury?"),
        ChatEntry(role="assistant", content=refusal.answer, result=refusal, question="Boiling point?"),
    ]
    markdown = conversation_markdown(entries, exported_at=datetime(2024, 5, 1, 9, 30))
    assert "_Exported 2024-05-01 09:30_" in markdown
    assert "## Q: Which city?" in markdown
    source_line = "1. *FTZ tenth anniversary* (ftz-tenth-anniversary-pei-2024.pdf, p. 5, Investment): "
    assert f'{source_line}"{QUOTE}"' in markdown
    assert "> Not in the documents. I could not find this." in markdown
    assert "Closest documents: World Investment Report" in markdown


# -- client -------------------------------------------------------------------------------------


def client_for(handler: object) -> ApiClient:
    return ApiClient("http://api.test", api_key="k1", transport=httpx.MockTransport(handler))  # type: ignore[arg-type]


def test_ask_sends_key_history_sources_and_parses_answer() -> None:
    seen: dict[str, object] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["key"] = request.headers.get("X-API-Key")
        seen["body"] = json.loads(request.content)
        return httpx.Response(200, json=answer_body())

    result = client_for(handler).ask(
        "And when?", history=[{"role": "user", "content": "Which city?"}], sources=["a.pdf"], top_k=3
    )
    assert seen["key"] == "k1"
    assert seen["body"] == {
        "question": "And when?",
        "history": [{"role": "user", "content": "Which city?"}],
        "sources": ["a.pdf"],
        "top_k": 3,
    }
    assert result.answerable and result.citations[0].page == 5


def sse(*events: tuple[str, object]) -> bytes:
    return "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events).encode()


def test_stream_yields_tokens_then_final_answer() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/ask/stream"
        body = sse(("token", {"text": "Hang"}), ("token", {"text": "zhou [1]."}), ("answer", answer_body()))
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    items = list(client_for(handler).ask_stream("Which city?"))
    assert items[:2] == ["Hang", "zhou [1]."]
    assert isinstance(items[2], AskResult) and items[2].answer == "Hangzhou [1]."


def test_stream_error_event_becomes_api_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = sse(("token", {"text": "Ha"}), ("error", {"detail": "generator crashed", "request_id": "r1"}))
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    with pytest.raises(ApiError, match="generator crashed") as info:
        list(client_for(handler).ask_stream("Which city?"))
    assert info.value.request_id == "r1"


def test_stream_without_final_answer_is_an_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "text/event-stream"}
        return httpx.Response(200, content=sse(("token", {"text": "Ha"})), headers=headers)

    with pytest.raises(StreamInterrupted, match="dropped before the answer was complete"):
        list(client_for(handler).ask_stream("Which city?"))


def test_stream_yields_sources_before_tokens_and_sends_the_conversation() -> None:
    sent: list[dict[str, object]] = []
    source = {"n": 1, "source": "a.pdf", "title": "A", "page": 5, "chunk_id": "c1", "quote": "Hangzhou hosted it."}

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        body = sse(("sources", {"sources": [source]}), ("token", {"text": "Hangzhou"}), ("answer", answer_body()))
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    items = list(client_for(handler).ask_stream("Which city?", conversation_id="conv-12345678", turn_id="t1"))
    assert isinstance(items[0], SourcesFound) and items[0].sources[0].page == 5
    assert items[1] == "Hangzhou" and isinstance(items[2], AskResult)
    assert sent[0]["conversation_id"] == "conv-12345678" and sent[0]["turn_id"] == "t1"


def test_a_connection_that_breaks_mid_stream_is_an_interruption_not_an_outage() -> None:
    class BrokenStream(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            yield sse(("token", {"text": "Hang"}))
            raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=BrokenStream(), headers={"content-type": "text/event-stream"})

    with pytest.raises(StreamInterrupted):
        list(client_for(handler).ask_stream("Which city?"))


def test_stream_http_error_is_mapped_before_reading_events() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        error = {"detail": "slow down", "request_id": "r"}
        return httpx.Response(429, json=error, headers={"Retry-After": "7"})

    with pytest.raises(RateLimited) as info:
        list(client_for(handler).ask_stream("Which city?"))
    assert info.value.retry_after == 7.0
    assert "7 s" in str(info.value)


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (429, {}, RateLimited),
        (503, {}, ApiUnavailable),
        (403, {}, ApiError),
        (422, {}, ApiError),
        (500, {}, ApiError),
    ],
)
def test_error_statuses_map_to_friendly_exceptions(status: int, headers: dict[str, str], expected: type) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"detail": "nope", "request_id": "r"}, headers=headers)

    with pytest.raises(expected):
        client_for(handler).ask("q")


def test_forbidden_is_flagged_and_validation_details_are_joined() -> None:
    def forbidden(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json={"detail": "admin key required", "request_id": "r"})

    with pytest.raises(ApiError) as info:
        client_for(forbidden).delete("a b.pdf")
    assert info.value.forbidden and "admin key required" in str(info.value)

    def invalid(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json={"detail": [{"msg": "too long"}, {"msg": "bad role"}]})

    with pytest.raises(ApiError, match="too long; bad role"):
        client_for(invalid).ask("q")


def test_unreachable_and_timeout_become_friendly_errors() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(ApiUnavailable, match="Cannot reach"):
        client_for(refuse).ask("q")
    with pytest.raises(ApiUnavailable):
        list(client_for(refuse).ask_stream("q"))
    with pytest.raises(ApiTimeout):
        client_for(slow).ask("q")
    with pytest.raises(ApiUnavailable):
        client_for(refuse).ready()


def test_documents_ready_feedback_upload_and_delete() -> None:
    calls: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append((request.method, request.url.raw_path.decode()))
        if request.url.path == "/documents" and request.method == "GET":
            return httpx.Response(
                200,
                json={
                    "documents": [
                        {"source": "a.pdf", "title": "A", "pages": 3, "chunks": 7, "ingested_at": "2024-01-01"}
                    ]
                },
            )
        if request.url.path == "/documents" and request.method == "POST":
            assert b'filename="new.txt"' in request.content
            return httpx.Response(201, json={"source": "new.txt", "title": "New", "chunks": 2, "pages": None})
        if request.url.path == "/feedback":
            assert json.loads(request.content) == {
                "question": "q",
                "answer": "a",
                "rating": "down",
                "comment": "wrong page",
            }
            return httpx.Response(201, json={"id": "f1"})
        if request.url.path == "/readyz":
            return httpx.Response(503, json={"detail": "index empty"})
        return httpx.Response(200, json={})

    client = client_for(handler)
    assert client.documents()[0].chunks == 7
    assert client.upload("new.txt", b"hello", "text/plain").chunks == 2
    assert client.feedback("q", "a", "down", "  wrong page ") == "f1"
    status = client.ready()
    assert not status.ready and status.detail == "index empty"
    client.delete("my file.pdf")
    assert ("DELETE", "/documents/my%20file.pdf") in calls


def test_launcher_command_runs_the_app_headless_on_the_port() -> None:
    command = streamlit_command(8765)
    assert command[1:4] == ["-m", "streamlit", "run"] and command[4].endswith("ui/app.py")
    assert command[command.index("--server.port") + 1] == "8765"
    assert command[command.index("--server.headless") + 1] == "true"
    assert command[command.index("--browser.gatherUsageStats") + 1] == "false"
    assert streamlit_env("http://api:1")["ZONEQA_API_URL"] == "http://api:1"
