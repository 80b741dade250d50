"""End to end in a real browser: headless Debian Chromium, a real API and a real Streamlit UI."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import PDF_NAME, free_port, stop_process, wait_for
from playwright.sync_api import Page, ViewportSize, expect, sync_playwright
from test_ui_apptest import G20_QUESTION, REFUSAL_QUESTION

from api.testing import ApiServer
from ui.launcher import streamlit_command, streamlit_env

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
UI_START_SECONDS = 60
PAGE_TIMEOUT_MS = 60_000  # an answer on a busy CI machine, including the first embedding call
VIEWPORT = ViewportSize(width=1360, height=900)


@pytest.fixture(scope="module")
def ui_url(api_server: ApiServer) -> Iterator[str]:
    """A real API and a real ``streamlit run ui/app.py`` pointing at it; yields the UI's URL."""
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    api_url = api_server.url
    port = free_port()
    process = subprocess.Popen(
        streamlit_command(port, address="127.0.0.1"),
        env=streamlit_env(api_url),
        stdout=subprocess.DEVNULL,  # an unread pipe would block Streamlit once its buffer fills
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: httpx.get(f"{url}/_stcore/health", timeout=2).status_code == 200,
                 UI_START_SECONDS, "Streamlit UI", process)
        yield url
    finally:
        stop_process(process)


@pytest.fixture()
def page(ui_url: str) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            browser_page = browser.new_page(viewport=VIEWPORT)
            browser_page.set_default_timeout(PAGE_TIMEOUT_MS)
            expect.set_options(timeout=PAGE_TIMEOUT_MS)
            browser_page.goto(ui_url)
            browser_page.get_by_test_id("stChatInputTextArea").wait_for()
            yield browser_page
        finally:
            browser.close()


def ask(browser_page: Page, question: str) -> None:
    chat_box = browser_page.get_by_test_id("stChatInputTextArea")
    chat_box.fill(question)
    chat_box.press("Enter")


def test_streamed_answer_cites_the_right_page_and_refusal_is_shown(page: Page, artifacts_dir: Path) -> None:
    browser_page = page
    expect(browser_page.get_by_text("Ready ·")).to_be_visible()

    ask(browser_page, G20_QUESTION)
    answer = browser_page.locator(".zoneqa-answer").first
    expect(answer).to_contain_text("Hangzhou")
    expect(answer.locator(".zoneqa-badge").first).to_have_text("1")

    card_toggle = browser_page.locator("[data-testid=stExpander] summary").first
    expect(card_toggle).to_contain_text("p. 5")
    card_toggle.click()
    card = browser_page.locator(".zoneqa-citation").first
    expect(card).to_be_visible()
    assert card.get_attribute("data-source") == PDF_NAME
    assert card.get_attribute("data-page") == "5"
    expect(card.locator(".zoneqa-quote")).to_contain_text("Hangzhou")
    browser_page.screenshot(path=str(artifacts_dir / "ui-answer.png"))

    # A fresh conversation, so the out-of-corpus question is not read as a follow-up.
    browser_page.get_by_role("button", name="New conversation").click()
    expect(browser_page.locator(".zoneqa-answer")).to_have_count(0)
    ask(browser_page, REFUSAL_QUESTION)
    expect(browser_page.get_by_text("Not in the documents.")).to_be_visible()
    expect(browser_page.locator(".zoneqa-refusal")).to_be_visible()
    expect(browser_page.locator(".zoneqa-citation")).to_have_count(0)
    browser_page.screenshot(path=str(artifacts_dir / "ui-refusal.png"))
