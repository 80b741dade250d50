"""The chat on a phone, in headless Debian Chromium against a real API and a real Streamlit UI:
sources before the answer, the cited PDF page with the quote highlighted, conversations that survive
a reload, Chinese notices, and a retry after the API dies mid-stream."""

from __future__ import annotations

import os
import re
import shutil
import signal
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from browser_helpers import DESKTOP, PHONE, ask, browser, open_chat, streamlit_ui, ui_url
from conftest import PDF_NAME, pdfium_word_box, settings_env
from playwright.sync_api import Browser, Page, expect
from test_ui_apptest import G20_QUESTION

from api.testing import ApiServer
from benchmarks.ui_bench import ask_in_browser
from core.config import Settings
from rag.llm_models import qwen_path

pytestmark = pytest.mark.slow

MIN_TAP_PX = 44
CHINESE_OFF_TOPIC = "水银的沸点是多少度？"


def conversation_id(page: Page) -> str:
    return parse_qs(urlparse(page.url).query)["c"][0]


def small_tap_targets(page: Page) -> list[str]:
    """Visible buttons, links and disclosure toggles of the main page under 44×44 px."""
    return page.evaluate(
        """(minimum) => [...document.querySelectorAll('button, a, summary')]
            .filter((e) => e.offsetParent !== null && !e.closest('[data-testid=stSidebar]')
                    && e.getAttribute('data-testid') !== 'stSkipToContent')
            .map((e) => [e, e.getBoundingClientRect()])
            .filter(([e, r]) => r.width < minimum || r.height < minimum)
            .map(([e, r]) => `${e.tagName} ${e.getAttribute('data-testid')} ${r.width}x${r.height}`)""",
        MIN_TAP_PX,
    )


def test_phone_sources_first_page_view_and_conversation_that_survives_reload(
    browser: Browser, ui_url: str, artifacts_dir: Path
) -> None:
    page = open_chat(browser, ui_url, PHONE)
    first_id = conversation_id(page)
    # Narrow screen: the sidebar starts collapsed, nothing scrolls sideways.
    assert page.get_by_test_id("stSidebar").bounding_box()["width"] < 10  # type: ignore[index]

    timings = ask_in_browser(page, G20_QUESTION)
    print(f"\nphone, extractive API: {timings}")
    assert timings["first_source_s"] is not None, "no source card was shown before the answer"
    assert timings["answer_s"] is not None and timings["first_source_s"] <= timings["answer_s"]
    answer = page.locator(".zoneqa-answer").first
    expect(answer).to_contain_text("Hangzhou")
    expect(page.locator(".zoneqa-source-card")).to_have_count(0)  # replaced by the verified citations
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert small_tap_targets(page) == []
    page.screenshot(path=str(artifacts_dir / "ui-phone.png"))

    # One tap on the citation, one on "Show page 5": the page image with the quote highlighted.
    page.locator("[data-testid=stExpander] summary").first.click()
    page.get_by_role("button", name="Show page 5").click()
    image = page.locator(".zoneqa-page-image")
    expect(image).to_be_visible()
    expect(page.locator(".zoneqa-page")).to_have_attribute("data-page", "5")
    image_box = image.bounding_box()
    assert image_box is not None
    left, top, right, bottom = pdfium_word_box(5, "Hangzhou")
    word = {
        "x0": image_box["x"] + left * image_box["width"],
        "x1": image_box["x"] + right * image_box["width"],
        "y0": image_box["y"] + top * image_box["height"],
        "y1": image_box["y"] + bottom * image_box["height"],
    }
    highlights = [box for box in (h.bounding_box() for h in page.locator(".zoneqa-highlight").all()) if box]
    assert highlights, "the quote is not highlighted on its page"
    assert any(
        box["x"] < word["x1"]
        and word["x0"] < box["x"] + box["width"]
        and box["y"] < word["y1"]
        and word["y0"] < box["y"] + box["height"]
        for box in highlights
    ), (highlights, word)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(artifacts_dir / "ui-phone-page.png"))
    page.get_by_role("button", name="Next page").click()
    expect(page.locator(".zoneqa-page")).to_have_attribute("data-page", "6")
    expect(page.locator(".zoneqa-highlight")).to_have_count(0)  # the highlight belongs to the cited page
    page.get_by_role("button", name="Previous page").click()
    expect(page.locator(".zoneqa-page")).to_have_attribute("data-page", "5")
    expect(page.get_by_role("button", name="Document")).to_be_visible()
    page.keyboard.press("Escape")

    # A reload, and a second device with the same link, return to the same conversation.
    page.reload()
    page.get_by_test_id("stChatInputTextArea").wait_for()
    expect(page.locator(".zoneqa-answer").first).to_contain_text("Hangzhou")
    assert conversation_id(page) == first_id
    other_device = open_chat(browser, page.url, PHONE)
    expect(other_device.locator(".zoneqa-answer").first).to_contain_text("Hangzhou")
    expect(other_device.locator(".zoneqa-answer")).to_have_count(1)
    other_device.context.close()

    # A Chinese question gets the Chinese notices.
    ask(page, CHINESE_OFF_TOPIC)
    expect(page.get_by_text("文档中没有答案")).to_be_visible()

    # A new conversation has a new id and starts empty; the old link still shows the old one.
    page.get_by_test_id("stExpandSidebarButton").click()
    page.get_by_role("button", name="New conversation").click()
    expect(page.locator(".zoneqa-answer")).to_have_count(0)
    page.wait_for_function(f"!window.location.search.includes('{first_id}')")
    assert conversation_id(page) != first_id


def test_desktop_layout_screenshot(browser: Browser, ui_url: str, artifacts_dir: Path) -> None:
    page = open_chat(browser, ui_url, DESKTOP)
    expect(page.get_by_test_id("stSidebar")).to_be_visible()  # a wide screen shows the sidebar
    ask(page, G20_QUESTION)
    expect(page.locator(".zoneqa-answer").first).to_contain_text("Hangzhou")
    page.locator("[data-testid=stExpander] summary").first.click()
    expect(page.locator(".zoneqa-citation").first).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "ui-desktop.png"))


def test_a_stream_cut_by_a_dead_api_is_reported_and_retried_once_it_is_back(
    browser: Browser, ingested_settings: Settings, tmp_path: Path
) -> None:
    """The local LLM makes the answer slow enough to kill the API between the sources and the answer."""
    model = qwen_path(ingested_settings)
    if not model.is_file():
        pytest.skip(f"the local LLM is not pulled ({model}): run `zoneqa models pull`")
    data_dir = tmp_path / "data"
    shutil.copytree(ingested_settings.data_dir, data_dir)
    settings = ingested_settings.model_copy(update={"data_dir": data_dir, "generator": "llamacpp"})
    env = settings_env(settings)
    env.update(ZONEQA_API_KEYS="", ZONEQA_ADMIN_KEYS="", ZONEQA_API__RATE_LIMIT_PER_MINUTE="1000000")
    api = ApiServer(env).start()
    try:
        with streamlit_ui(api.url) as url:
            page = open_chat(browser, url, PHONE)
            timings = ask_in_browser(page, G20_QUESTION)
            print(f"\nphone, local LLM API: {timings}")
            assert timings["first_source_s"] is not None and timings["first_token_s"] is not None
            assert timings["first_source_s"] <= timings["first_token_s"] <= timings["answer_s"]  # type: ignore[operator]
            expect(page.locator(".zoneqa-answer").first).to_contain_text("Hangzhou")

            question = "How many pilot free trade zones has China established?"
            ask(page, question)
            # The second answer's own sources: "Reading N passages…" is shown only between a stream's
            # sources and its first token (the first answer's cards are on the page already).
            expect(page.get_by_text(re.compile(r"Reading \d+ passages"))).to_be_visible()
            assert api.process is not None
            os.kill(api.process.pid, signal.SIGKILL)  # mid-answer: the sources are out, the answer is not
            api.process.wait()
            expect(page.get_by_text("The connection dropped before the answer was complete")).to_be_visible()
            retry = page.get_by_role("button", name="Retry")
            expect(retry).to_be_visible()

            # Back, same port (the quick generator, so the retry's answer comes fast).
            env.update(ZONEQA_GENERATOR="extractive")
            api = ApiServer(env, port=api.port).start()
            retry.click()
            expect(page.get_by_text("The connection dropped")).to_have_count(0)
            expect(page.locator(".zoneqa-answer")).to_have_count(2)
            expect(page.get_by_text(question, exact=True)).to_have_count(1)  # shown once, not twice
            stored = httpx.get(f"{api.url}/conversations/{conversation_id(page)}", timeout=30).json()
            assert [turn["question"] for turn in stored["turns"]] == [G20_QUESTION, question]
    finally:
        api.stop()
