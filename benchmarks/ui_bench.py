"""UI suite: what a delegate waits for in the browser, from pressing Enter.

Headless Debian Chromium (Playwright, ``/usr/bin/chromium``) at a phone's 390×844 viewport drives
the real Streamlit page against a real API. A MutationObserver installed in the page stamps the
first appearance of a source card (``zoneqa-source-card``), of streamed answer text
(``zoneqa-streaming``) and of the verified answer or refusal, in the browser's own clock, so
short-lived elements are not missed and Playwright's polling adds nothing. Each question starts a
new conversation (the page opened afresh, so no follow-up rewriting).

Usage::

    python -m benchmarks ui                      # 10 gold fact questions, the local LLM
    python -m benchmarks ui --generators extractive --questions 3
"""

from __future__ import annotations

import statistics
import subprocess
import time
from typing import Any

from benchmarks.measure import load_average, machine_info
from benchmarks.options import BenchOptions

CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
PHONE_VIEWPORT = {"width": 390, "height": 844}
ANSWER_TIMEOUT_MS = 300_000
UI_START_SECONDS = 60.0

# Installed once per page load; ``window.__zoneqaStart()`` starts a measurement.
_OBSERVER_JS = """
() => {
  const selectors = {
    source: ".zoneqa-source-card",
    token: ".zoneqa-streaming",
    answer: ".zoneqa-answer:not(.zoneqa-streaming), .zoneqa-refusal",
  };
  window.__zoneqaStart = () => {
    const baseline = {};
    for (const [name, selector] of Object.entries(selectors)) {
      baseline[name] = document.querySelectorAll(selector).length;
    }
    window.__zoneqa = { start: performance.now(), baseline, marks: {} };
  };
  if (window.__zoneqaObserver) return;
  const stamp = () => {
    const run = window.__zoneqa;
    if (!run) return;
    for (const [name, selector] of Object.entries(selectors)) {
      if (run.marks[name] === undefined && document.querySelectorAll(selector).length > run.baseline[name]) {
        run.marks[name] = (performance.now() - run.start) / 1000;
      }
    }
  };
  window.__zoneqaObserver = new MutationObserver(stamp);
  window.__zoneqaObserver.observe(document.body, { childList: true, subtree: true, attributes: true });
}
"""


def ask_in_browser(page: Any, question: str, timeout_ms: int = ANSWER_TIMEOUT_MS) -> dict[str, float | None]:
    """Type ``question`` into the chat and press Enter; seconds until the first source card, the
    first streamed text and the verified answer (``None``: that stage was not seen, e.g. a refusal
    before reading has no source cards)."""
    page.evaluate(_OBSERVER_JS)
    chat_box = page.get_by_test_id("stChatInputTextArea")
    chat_box.fill(question)
    page.evaluate("window.__zoneqaStart()")
    chat_box.press("Enter")
    page.wait_for_function("window.__zoneqa && window.__zoneqa.marks.answer !== undefined", timeout=timeout_ms)
    marks: dict[str, float] = page.evaluate("window.__zoneqa.marks")
    return {
        "first_source_s": marks.get("source"),
        "first_token_s": marks.get("token"),
        "answer_s": marks.get("answer"),
    }


def _median(values: list[float | None]) -> float | None:
    seen = [value for value in values if value is not None]
    return round(statistics.median(seen), 3) if seen else None


def measure_generator(generator: str, options: BenchOptions, questions: list[str]) -> dict[str, Any]:
    import httpx
    from playwright.sync_api import sync_playwright

    from api.testing import ApiServer, free_port
    from benchmarks.ask_bench import prepare_index, server_env
    from ui.launcher import streamlit_command, streamlit_env

    env = server_env(prepare_index(options), generator)
    runs: list[dict[str, float | None]] = []
    with ApiServer(env=env) as server:
        port = free_port()
        ui = subprocess.Popen(
            streamlit_command(port, address="127.0.0.1"),
            env=streamlit_env(server.url),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + UI_START_SECONDS
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{url}/_stcore/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.3)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport=PHONE_VIEWPORT)  # type: ignore[arg-type]
                page.set_default_timeout(ANSWER_TIMEOUT_MS)
                page.goto(url)
                page.get_by_test_id("stChatInputTextArea").wait_for()
                ask_in_browser(page, questions[0])  # warm-up: first prompt evaluation, lazy loads
                for question in questions:
                    page.goto(url)  # no ?c=: a new conversation (no follow-up rewriting)
                    page.get_by_test_id("stChatInputTextArea").wait_for()
                    runs.append(ask_in_browser(page, question))
                browser.close()
        finally:
            ui.terminate()
            ui.wait(timeout=15)
    return {
        "row": {
            "system": f"ZoneQA chat page ({generator}), 390×844",
            "n": len(runs),
            "first source card p50 s": _median([run["first_source_s"] for run in runs]),
            "first answer token p50 s": _median([run["first_token_s"] for run in runs]),
            "verified answer p50 s": _median([run["answer_s"] for run in runs]),
        },
        "runs": runs,
    }


def run_ui(options: BenchOptions) -> dict[str, Any]:
    """The UI suite; returns its results section."""
    from benchmarks.ask_bench import gold_facts

    load_before = load_average()
    questions = [item.question for item in gold_facts(options.ui_questions)]
    measured = {generator: measure_generator(generator, options, questions) for generator in options.generators}
    headline: dict[str, Any] = {}
    for generator, result in measured.items():
        prefix = "qwen" if generator == "llamacpp" else generator
        headline[f"{prefix}_first_source_card_p50_s"] = result["row"]["first source card p50 s"]
        headline[f"{prefix}_first_token_p50_s"] = result["row"]["first answer token p50 s"]
    return {
        "load_before": load_before,
        "load_after": load_average(),
        "machine": machine_info(),
        "config": {"generators": list(options.generators), "questions": len(questions), "viewport": PHONE_VIEWPORT},
        "headline": headline,
        "notes": [
            f"{len(questions)} gold fact questions, each in a new conversation, after one warm-up question; "
            "medians of browser-side timestamps (MutationObserver) from pressing Enter, headless Chromium at "
            "390×844. Target: first source card <= 1 s p50 with the local LLM on 2 cores.",
        ],
        "tables": {"Chat page, seconds from Enter (p50)": [result["row"] for result in measured.values()]},
        "runs": {generator: result["runs"] for generator, result in measured.items()},
    }
