"""Shared fixtures: real corpus copies, real on-disk Chroma, a real ``chroma run`` server, free ports.

The default corpus is ingested once per test session (``ingested_settings``) and reused by every
test that only reads the index; tests that change an index build their own.

The folders mirror the code: ``unit/`` (one part at a time, fakes allowed), ``integration/`` (real
Chroma, real ``chroma run``, real uvicorn), ``e2e/`` (Streamlit, Chromium) and ``quality/`` (the
eval gate, the real LLM). Everything in ``e2e/`` and ``quality/`` is marked slow by its folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from api.testing import ApiServer, free_port  # noqa: E402
from core.config import REPO_ROOT, Settings  # noqa: E402

__all__ = ["free_port"]

CORPUS_DIR = REPO_ROOT / "corpus"
#: Folders whose tests are all slow (``make test-fast`` skips them).
SLOW_FOLDERS = ("e2e", "quality")
PDF_NAME = "ftz-tenth-anniversary-pei-2024.pdf"
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow marker follows the folder for e2e/ and quality/ tests."""
    tests_dir = Path(__file__).resolve().parent
    for item in items:
        relative = Path(str(item.fspath)).resolve().relative_to(tests_dir)
        if relative.parts and relative.parts[0] in SLOW_FOLDERS:
            item.add_marker(pytest.mark.slow)


def wait_for(check: Callable[[], bool], timeout: float, what: str, process: subprocess.Popen | None = None) -> None:
    """Poll ``check`` until it is true; fail with the process output if it dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            output = process.stdout.read() if process.stdout else "(output in its log file)"
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{output}")
        try:
            if check():
                return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{what} not ready after {timeout}s")


def stop_process(process: subprocess.Popen, timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL if the process has not exited within ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()


def make_settings(data_dir: Path, corpus_dir: Path | None = None, **overrides: Any) -> Settings:
    """Settings for a test: its own data dir (and corpus dir), everything else default."""
    return Settings(data_dir=data_dir, corpus_dir=corpus_dir or CORPUS_DIR, **overrides)


def settings_env(settings: Settings) -> dict[str, str]:
    """Environment that makes a child process (CLI, API server) use ``settings``."""
    env = dict(os.environ)
    env.update(
        ZONEQA_DATA_DIR=str(settings.data_dir),
        ZONEQA_CORPUS_DIR=str(settings.corpus_dir),
        ZONEQA_CHROMA_HOST=settings.chroma_host,
        ZONEQA_COLLECTION=settings.collection,
        ZONEQA_GENERATOR=settings.generator,
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
    )
    return env


@pytest.fixture()
def corpus_copy(tmp_path: Path) -> Path:
    """A writable copy of the default corpus."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS_DIR, target)
    for path in target.iterdir():
        path.chmod(0o644)
    return target


@pytest.fixture(scope="session")
def ingested_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The default corpus ingested once into a fresh embedded Chroma (read-only use, please)."""
    from ingest.pipeline import Ingestor

    settings = make_settings(tmp_path_factory.mktemp("zoneqa-default") / "data")
    report = Ingestor(settings).run()
    assert not report.failed, report.failed
    return settings


@pytest.fixture(scope="session")
def default_pipeline(ingested_settings: Settings) -> Any:
    """An extractive RagPipeline over the default corpus."""
    from rag.components import build

    return build(ingested_settings.model_copy(update={"generator": "extractive"})).pipeline


@pytest.fixture(scope="session")
def api_server(ingested_settings: Settings) -> Iterator[ApiServer]:
    """One real uvicorn API over the session index (extractive, no keys, no practical rate limit).

    Shared by the API, UI and load tests: read-only use, please.
    """
    env = settings_env(ingested_settings.model_copy(update={"generator": "extractive"}))
    env.update(ZONEQA_API_KEYS="", ZONEQA_ADMIN_KEYS="", ZONEQA_API__RATE_LIMIT_PER_MINUTE="1000000")
    with ApiServer(env) as running:
        yield running


@pytest.fixture()
def chroma_server(tmp_path: Path) -> Iterator[str]:
    """A real ``chroma run`` server on a free port; yields ``host:port``."""
    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    port = free_port()
    # A log file, not a pipe: nobody reads a pipe while tests run, and once its buffer (64 KiB,
    # about 125 requests of access log) is full the server blocks and every request hangs.
    log_path = tmp_path / "chroma-server.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [chroma, "run", "--path", str(tmp_path / "chroma-server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        import httpx

        wait_for(
            lambda: httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200,
            60,
            "chroma server",
            process,
        )
        yield f"127.0.0.1:{port}"
    finally:
        stop_process(process)
        log.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Git-ignored folder for test artifacts (screenshots, reports)."""
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    return ARTIFACTS_DIR


# ---- a keyed API server, shared by the clients that must go through keys and rate limits ------------
# (the openai SDK in integration/test_openai_compat.py, the MCP client over HTTP in integration/test_mcp.py)
READ_KEY = "ecosystem-read-key"
LIMITED_KEY = "ecosystem-limited-key"
KEYED_RATE_LIMIT_PER_MINUTE = 60


@pytest.fixture(scope="session")
def keyed_api_server(ingested_settings: Settings) -> Iterator[ApiServer]:
    env = settings_env(ingested_settings.model_copy(update={"generator": "extractive"}))
    env.update(
        ZONEQA_API_KEYS=f"{READ_KEY},{LIMITED_KEY}",
        ZONEQA_ADMIN_KEYS="",
        ZONEQA_API__RATE_LIMIT_PER_MINUTE=str(KEYED_RATE_LIMIT_PER_MINUTE),
    )
    with ApiServer(env) as running:
        yield running


def pdfium_word_box(page_number: int, word: str, pdf_name: str = PDF_NAME) -> tuple[float, float, float, float]:
    """Where ``word`` is printed on a corpus PDF page, from PDFium's own text search (not ZoneQA's
    matching): left, top, right, bottom as fractions of the page, from its top-left corner."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(CORPUS_DIR / pdf_name))
    try:
        page = pdf[page_number - 1]
        width, height = page.get_size()
        text_page = page.get_textpage()
        found = text_page.search(word, match_case=True).get_next()
        assert found is not None, word
        assert text_page.count_rects(*found) == 1  # one word: one box
        left, bottom, right, top = text_page.get_rect(0)
    finally:
        pdf.close()
    return left / width, (height - top) / height, right / width, (height - bottom) / height
