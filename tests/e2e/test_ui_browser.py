"""End to end in a real browser: headless Debian Chromium, a real API and a real Streamlit UI."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_helpers import DESKTOP, ask, browser, open_chat, ui_url
from conftest import PDF_NAME
from playwright.sync_api import Browser, expect
from test_ui_apptest import G20_QUESTION, REFUSAL_QUESTION

pytestmark = pytest.mark.slow


def test_streamed_answer_cites_the_right_page_and_refusal_is_shown(
    browser: Browser, ui_url: str, artifacts_dir: Path
) -> None:
    browser_page = open_chat(browser, ui_url, DESKTOP)
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
