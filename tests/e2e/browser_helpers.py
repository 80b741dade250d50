"""Browser fixtures and helpers: headless Debian Chromium (never `playwright install`), real Streamlit UIs.

Test modules import the fixtures they use by name (`from browser_helpers import browser, ui_url`).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from conftest import free_port, stop_process, wait_for
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

from api.testing import ApiServer
from ui.launcher import streamlit_command, streamlit_env

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
DESKTOP = ViewportSize(width=1400, height=940)
PHONE = ViewportSize(width=390, height=844)


@contextmanager
def streamlit_ui(api_url: str) -> Iterator[str]:
    """A real ``streamlit run ui/app.py`` pointing at ``api_url``; yields the UI's URL."""
    port = free_port()
    process = subprocess.Popen(
        streamlit_command(port, address="127.0.0.1"),
        env=streamlit_env(api_url),
        stdout=subprocess.DEVNULL,  # an unread pipe would block Streamlit once its buffer fills
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(
            lambda: httpx.get(f"{url}/_stcore/health", timeout=2).status_code == 200,
            UI_START_SECONDS,
            "Streamlit UI",
            process,
        )
        yield url
    finally:
        stop_process(process)


@pytest.fixture(scope="module")
def ui_url(api_server: ApiServer) -> Iterator[str]:
    """The UI over the session's shared extractive API."""
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    with streamlit_ui(api_server.url) as url:
        yield url


@pytest.fixture()
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        expect.set_options(timeout=PAGE_TIMEOUT_MS)
        try:
            yield launched
        finally:
            launched.close()


def open_chat(browser: Browser, url: str, viewport: ViewportSize = DESKTOP) -> Page:
    """A new browser context (its own cookies and session) with the chat loaded."""
    page = browser.new_context(viewport=viewport).new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    page.goto(url)
    page.get_by_test_id("stChatInputTextArea").wait_for()
    return page


def ask(page: Page, question: str) -> None:
    chat_box = page.get_by_test_id("stChatInputTextArea")
    chat_box.fill(question)
    chat_box.press("Enter")
