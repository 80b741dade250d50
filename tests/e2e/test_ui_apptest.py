"""The chat page's logic (Streamlit ``AppTest``) against a real API process over the default corpus."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import PDF_NAME, free_port
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Feedback

from api.testing import ApiServer
from ui.settings import get_ui_settings

APP_PATH = Path(__file__).resolve().parents[2] / "ui" / "app.py"
API_START_SECONDS = 180  # loading the embedding model on a busy 2-core CI machine is slow
APP_TIMEOUT_SECONDS = 60
G20_QUESTION = "Which city hosted the 2016 G20 summit that adopted the G20 Global Investment Principles?"
REFUSAL_QUESTION = "What is the boiling point of mercury?"


@pytest.fixture(scope="module")
def api_url(api_server: ApiServer) -> str:
    return api_server.url


@contextmanager
def ui_env(url: str) -> Iterator[None]:
    """Point the app (which runs in this process) at ``url``."""
    previous = os.environ.get("ZONEQA_API_URL")
    os.environ["ZONEQA_API_URL"] = url
    get_ui_settings.cache_clear()
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("ZONEQA_API_URL", None)
        else:
            os.environ["ZONEQA_API_URL"] = previous
        get_ui_settings.cache_clear()


@pytest.fixture()
def app(api_url: str) -> Iterator[AppTest]:
    with ui_env(api_url):
        app_test = AppTest.from_file(str(APP_PATH), default_timeout=APP_TIMEOUT_SECONDS)
        app_test.run()
        assert not app_test.exception
        yield app_test


def markdown_texts(app_test: AppTest) -> list[str]:
    return [element.value for element in app_test.main.markdown]


def test_empty_state_shows_welcome_examples_documents_and_status(app: AppTest) -> None:
    labels = [button.label for button in app.main.button]
    assert G20_QUESTION in labels and len([key for key in labels if key.endswith("?")]) == 4
    assert any("answers **only**" in text for text in markdown_texts(app))
    assert "Ready" in app.sidebar.success[0].value
    assert any(PDF_NAME in (checkbox.help or "") for checkbox in app.sidebar.checkbox)
    assert not app.chat_message


def test_example_question_gives_a_cited_answer_with_the_right_page(app: AppTest) -> None:
    app.button(key="example-0").click().run()
    assert not app.exception and not app.main.error
    assert [message.name for message in app.chat_message] == ["user", "assistant"]
    answer = next(text for text in markdown_texts(app) if 'class="zoneqa-answer"' in text)
    assert "Hangzhou" in answer and 'class="zoneqa-badge"' in answer
    cards = [text for text in markdown_texts(app) if 'class="zoneqa-citation"' in text]
    assert cards and f'data-source="{PDF_NAME}"' in cards[0] and 'data-page="5"' in cards[0]
    assert '<mark class="zoneqa-quote">' in cards[0]
    assert "p. 5" in app.expander[0].label
    # Feedback and export are offered once there is an answer.
    assert app.sidebar.get("download_button")[0].proto.disabled is False


def test_follow_up_sends_history_and_new_conversation_clears_it(app: AppTest) -> None:
    app.chat_input[0].set_value("How many pilot free trade zones has China established?").run()
    assert len(app.session_state["entries"]) == 2
    assert "22" in app.session_state["entries"][1].content
    app.sidebar.button[0].click().run()  # "New conversation"
    assert app.session_state["entries"] == []
    assert G20_QUESTION in [button.label for button in app.main.button]


def test_thumbs_and_comment_are_posted_to_the_api(app: AppTest) -> None:
    app.button(key="example-1").click().run()
    key = "feedback-0-1"
    thumbs = app.get("feedback")[0]
    assert isinstance(thumbs, Feedback)
    thumbs.set_value(1).run()  # thumbs up
    assert [toast.value for toast in app.toast] == ["Feedback saved. Thank you!"]
    app.text_input(key=f"{key}-comment").input("Clear and correct").run()
    app.button(key=f"{key}-send").click().run()
    assert not app.exception
    assert "Feedback saved. Thank you!" in [toast.value for toast in app.toast]
    assert app.session_state["entries"][1].feedback_sent == {"rating": "up", "comment": "Clear and correct"}
    assert "Thank you for your feedback." in [caption.value for caption in app.main.caption]


def test_out_of_corpus_question_shows_the_refusal_notice(app: AppTest) -> None:
    app.chat_input[0].set_value(REFUSAL_QUESTION).run()
    assert not app.exception
    assert app.warning, "no refusal notice"
    notice = app.warning[0].value
    assert "Not in the documents" in notice and "closest documents" in notice
    assert not [text for text in markdown_texts(app) if 'class="zoneqa-citation"' in text]


def test_api_down_shows_a_friendly_error_and_a_retry_button() -> None:
    with ui_env(f"http://127.0.0.1:{free_port()}"):
        app_test = AppTest.from_file(str(APP_PATH), default_timeout=APP_TIMEOUT_SECONDS)
        app_test.run()
        assert "API unreachable" in app_test.sidebar.error[0].value
        app_test.chat_input[0].set_value(G20_QUESTION).run()
        assert not app_test.exception
        assert "Cannot reach the ZoneQA API" in app_test.main.error[0].value
        retry = app_test.button(key="retry")
        assert retry.label == "Retry"
        retry.click().run()  # still down: the same friendly message, no traceback
        assert not app_test.exception and "Cannot reach" in app_test.main.error[0].value
