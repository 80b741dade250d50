"""Faults: SIGKILL during an upload's ingest, Chroma going away and coming back, a corrupt model.

Each test runs real processes (uvicorn, ``chroma run``, the ``zoneqa`` CLI) on loopback only, and
every wait is bounded.
"""

from __future__ import annotations

import io
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.testing import ApiServer
from core.config import Settings
from tests.conftest import CORPUS_DIR, PDF_NAME, REPO_ROOT, free_port, make_settings, settings_env, wait_for
from tests.unit.test_reliability_helpers import record_figures

UPLOAD_NAME = "big-upload-copy.pdf"
# Pages of the corpus PDF in the upload: large enough that its ingest takes a while, small
# enough that the re-ingest after the crash stays quick on two cores.
UPLOAD_PAGES = 8
SETTLE_SECONDS = 90.0  # bound on every "wait until" below
KILL_DELAY_SECONDS = 0.3  # after the upload is on disk: its ingest is under way
TIMEOUT = httpx.Timeout(180.0)
QUESTION = "Which organisations initiated the special economic zone alliance?"
SMALL_DOC = "sez-alliance-qianhai-2020.txt"


def poll(check: Callable[[], Any], timeout: float, what: str) -> Any:
    """``check()``'s first truthy result, polling until ``timeout`` (then fail with ``what``)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except httpx.HTTPError as error:
            last = error
        else:
            if last:
                return last
        time.sleep(0.25)
    raise AssertionError(f"{what}: not reached after {timeout}s (last: {last!r})")


def trimmed_pdf(pages: int) -> bytes:
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(str(CORPUS_DIR / PDF_NAME))
    writer = PdfWriter()
    for page in reader.pages[:pages]:
        writer.add_page(page)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def clean_chunk_count(settings: Settings, path: Path) -> int:
    """How many chunks a clean ingest of ``path`` makes (load + chunk; embedding does not change it)."""
    from ingest.loaders import load_file
    from ingest.pipeline import Ingestor

    return len(Ingestor(settings).chunker.split(load_file(path, limits=settings.limits)))


def chunks_in_store(settings: Settings, source: str) -> int:
    from index.store import ChromaStore

    return len(ChromaStore.from_settings(settings).chunks_by_source().get(source, set()))


def listed(server: ApiServer, source: str) -> dict[str, Any] | None:
    documents = httpx.get(f"{server.url}/documents", timeout=TIMEOUT).json()["documents"]
    return next((document for document in documents if document["source"] == source), None)


# ---- SIGKILL during an upload ------------------------------------------------------------------------
@pytest.mark.slow  # two server starts and a PDF ingest
def test_sigkill_during_upload_leaves_the_file_fully_in_or_out(ingested_settings: Settings, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(ingested_settings.data_dir, data_dir)
    settings = ingested_settings.model_copy(update={"data_dir": data_dir, "generator": "extractive"})
    pdf = trimmed_pdf(UPLOAD_PAGES)
    reference = tmp_path / "reference" / UPLOAD_NAME
    reference.parent.mkdir()
    reference.write_bytes(pdf)
    expected_chunks = clean_chunk_count(settings, reference)
    assert expected_chunks > 5

    env = settings_env(settings)
    env.update(ZONEQA_API_KEYS="", ZONEQA_ADMIN_KEYS="", ZONEQA_API__RATE_LIMIT_PER_MINUTE="100000")
    server = ApiServer(env).start()
    try:
        uploaded = settings.uploads_dir / UPLOAD_NAME
        replies: list[object] = []

        def upload() -> None:
            try:
                replies.append(
                    httpx.post(
                        f"{server.url}/documents",
                        files={"file": (UPLOAD_NAME, pdf, "application/pdf")},
                        timeout=TIMEOUT,
                    )
                )
            except httpx.HTTPError as error:  # expected: the server dies mid-request
                replies.append(error)

        sender = threading.Thread(target=upload, daemon=True)
        sender.start()
        poll(uploaded.exists, SETTLE_SECONDS, "the upload reaching the uploads folder")
        time.sleep(KILL_DELAY_SECONDS)
        assert server.process is not None
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=30)
        sender.join(timeout=60)
        reply = replies[0] if replies else None  # a dropped connection, or a 201 that just made it
        assert reply is None or isinstance(reply, httpx.HTTPError) or reply.status_code == 201, reply  # type: ignore[attr-defined]

        server.start()  # same port, same data dir
        record = listed(server, UPLOAD_NAME)
        if record is not None:  # fully in: the record and all of its chunks
            state = "in"
            assert record["chunks"] == expected_chunks
            assert chunks_in_store(settings, UPLOAD_NAME) == expected_chunks
        else:  # fully out: no chunk left behind (the startup recovery removes an interrupted write)
            state = "out"
            poll(lambda: chunks_in_store(settings, UPLOAD_NAME) == 0, SETTLE_SECONDS, "no orphan chunks")
            hits = httpx.post(
                f"{server.url}/search",
                json={"query": "tenth anniversary pilot free trade zones", "top_k": 20},
                timeout=TIMEOUT,
            )
            assert UPLOAD_NAME not in {hit["source"] for hit in hits.json()["results"]}
            # A retry of the upload brings it in, even though the crash left its file on disk.
            retry = httpx.post(
                f"{server.url}/documents", files={"file": (UPLOAD_NAME, pdf, "application/pdf")}, timeout=TIMEOUT
            )
            assert retry.status_code == 201, retry.text
            assert retry.json()["chunks"] == expected_chunks
            assert chunks_in_store(settings, UPLOAD_NAME) == expected_chunks
        final = listed(server, UPLOAD_NAME)
        assert final is not None and final["chunks"] == expected_chunks
        assert not list(settings.uploads_dir.glob(".*.partial"))
        record_figures("sigkill_upload", {"state_after_restart": state, "chunks": expected_chunks})
    finally:
        server.stop()


# ---- Chroma server outage ---------------------------------------------------------------------------------
def _start_chroma(path: Path, port: int) -> subprocess.Popen[str]:
    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    process = subprocess.Popen(
        [chroma, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    wait_for(
        lambda: httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200,
        60,
        "chroma server",
        process,
    )
    return process


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@pytest.fixture()
def chroma_on_port(tmp_path: Path) -> Iterator[tuple[Path, int, list[subprocess.Popen[str]]]]:
    """Our own ``chroma run`` (path, port, processes), so a test can stop and restart it in place."""
    path, port = tmp_path / "chroma-server", free_port()
    processes = [_start_chroma(path, port)]
    try:
        yield path, port, processes
    finally:
        for process in processes:
            _stop(process)


@pytest.mark.slow  # a chroma server, an API server, an outage
def test_chroma_outage_gives_503_then_service_resumes(
    chroma_on_port: tuple[Path, int, list[subprocess.Popen[str]]], tmp_path: Path
) -> None:
    from ingest.pipeline import Ingestor

    path, port, processes = chroma_on_port
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS_DIR / SMALL_DOC, corpus / SMALL_DOC)
    settings = make_settings(tmp_path / "data", corpus, chroma_host=f"127.0.0.1:{port}", generator="extractive")
    assert not Ingestor(settings).run().failed
    env = settings_env(settings)
    env.update(ZONEQA_API_KEYS="", ZONEQA_ADMIN_KEYS="", ZONEQA_API__RATE_LIMIT_PER_MINUTE="100000")
    with ApiServer(env) as server, httpx.Client(base_url=server.url, timeout=TIMEOUT) as http:
        assert http.get("/readyz").status_code == 200
        before = http.post("/ask", json={"question": QUESTION})
        assert before.status_code == 200, before.text

        _stop(processes[0])
        down_ready = http.get("/readyz")
        down_ask = http.post("/ask", json={"question": QUESTION})
        down_search = http.post("/search", json={"query": "alliance"})
        for response in (down_ready, down_ask, down_search):
            assert response.status_code == 503, response.text
            assert response.json()["detail"].startswith("The index is not available"), response.text
            assert response.headers["Retry-After"] and "Traceback" not in response.text
        assert http.get("/healthz").status_code == 200  # the process itself is fine

        processes.append(_start_chroma(path, port))  # same data, same port
        started = time.monotonic()
        poll(lambda: http.get("/readyz").status_code == 200, SETTLE_SECONDS, "readiness after Chroma returns")
        resumed = http.post("/ask", json={"question": QUESTION})
        assert resumed.status_code == 200, resumed.text
        assert resumed.json()["answer"] == before.json()["answer"]  # the same index, the same answer
        record_figures(
            "chroma_outage",
            {
                "down_statuses": [down_ready.status_code, down_ask.status_code, down_search.status_code],
                "down_detail": down_ask.json()["detail"][:200],
                "seconds_to_ready_after_restart": round(time.monotonic() - started, 1),
            },
        )
        assert "Traceback" not in server.log()


# ---- a model that fails its sha256 ---------------------------------------------------------------------------
@pytest.mark.slow  # a CLI run and a server start
def test_corrupt_model_is_a_clear_error_at_start(ingested_settings: Settings, tmp_path: Path) -> None:
    from rag.llm_models import QWEN_FILE_NAME

    models = tmp_path / "models"
    models.mkdir()
    (models / QWEN_FILE_NAME).write_bytes(b"GGUF but not really " * 512)
    env = settings_env(ingested_settings.model_copy(update={"generator": "llamacpp"}))
    env.pop("ZONEQA_LLAMACPP__MODEL_PATH", None)
    env.update(ZONEQA_MODELS_DIR=str(models), ZONEQA_API_KEYS="", ZONEQA_ADMIN_KEYS="")

    done = subprocess.run(
        [sys.executable, "-m", "zoneqa.cli", "ask", "Which city hosted the 2016 G20 summit?"],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = " ".join((done.stdout + done.stderr).split())
    assert done.returncode != 0, output
    assert "sha256 mismatch" in output and "zoneqa models pull" in output, output
    assert "Traceback" not in output

    with ApiServer(env) as server, httpx.Client(base_url=server.url, timeout=TIMEOUT) as http:
        assert http.get("/healthz").status_code == 200
        ready = http.get("/readyz")
        ask = http.post("/ask", json={"question": "Which city hosted the 2016 G20 summit?"})
        for response in (ready, ask):
            assert response.status_code == 503, response.text
            detail = response.json()["detail"]
            assert detail.startswith("The answer generator cannot be loaded") and "sha256 mismatch" in detail
        assert "Traceback" not in server.log()
        record_figures(
            "corrupt_model",
            {"cli_exit": done.returncode, "readyz": ready.status_code, "detail": ready.json()["detail"][:200]},
        )
