"""Chinese through the HTTP API with the real local LLM: a Chinese question about the English PDF is
answered in Chinese with the page cited; a Chinese document uploaded over the API answers Chinese
questions with its own sentences quoted verbatim; an off-topic Chinese question is refused in Chinese."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import PDF_NAME, settings_env

from api.testing import ApiServer
from core.config import Settings
from core.text.terms import has_han
from evals.datasets import ZH_CORPUS_DIR
from rag.llm_models import qwen_path

pytestmark = pytest.mark.slow

ZH_DOCUMENT = "zh-linhai-bonded-zone-yearbook-2024.txt"
ANSWER_TIMEOUT_SECONDS = 300.0


@pytest.fixture(scope="module")
def llm_api(ingested_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    model = qwen_path(ingested_settings)
    if not model.is_file():
        pytest.skip(f"the local LLM is not pulled ({model}): run `zoneqa models pull`")
    data_dir = tmp_path_factory.mktemp("zh-api") / "data"
    shutil.copytree(ingested_settings.data_dir, data_dir)
    env = settings_env(ingested_settings.model_copy(update={"data_dir": data_dir, "generator": "llamacpp"}))
    env.update(ZONEQA_API_KEYS="", ZONEQA_ADMIN_KEYS="", ZONEQA_API__GENERATION_WAIT_SECONDS="300")
    server = ApiServer(env).start()
    yield server
    server.stop()


def ask(server: ApiServer, question: str) -> dict[str, object]:
    response = httpx.post(f"{server.url}/ask", json={"question": question}, timeout=ANSWER_TIMEOUT_SECONDS)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_a_chinese_question_about_the_english_pdf_is_answered_in_chinese_with_its_page(llm_api: ApiServer) -> None:
    answer = ask(llm_api, "2016年G20峰会在哪个城市举行？")
    assert answer["answerable"], answer
    text = str(answer["answer"])
    assert has_han(text) and "杭州" in text, text
    citation = answer["citations"][0]  # type: ignore[index]
    assert citation["source"] == PDF_NAME and citation["page"] == 5
    assert "Hangzhou" in citation["quote"]  # the quote stays verbatim, in the document's language
    assert not has_han(str(answer["question_used"]))  # searched in the documents' language


def test_a_chinese_document_uploaded_over_the_api_answers_chinese_questions(llm_api: ApiServer) -> None:
    path: Path = ZH_CORPUS_DIR / ZH_DOCUMENT
    with path.open("rb") as handle:
        files = {"file": (ZH_DOCUMENT, handle, "text/plain")}
        upload = httpx.post(f"{llm_api.url}/documents", files=files, timeout=ANSWER_TIMEOUT_SECONDS)
    assert upload.status_code == 201, upload.text
    answer = ask(llm_api, "临海综保区是哪一年正式封关运作的？")
    assert answer["answerable"], answer
    assert "2017" in str(answer["answer"])
    citation = answer["citations"][0]  # type: ignore[index]
    assert citation["source"] == ZH_DOCUMENT and "2017年11月" in citation["quote"]
    assert citation["quote"] in path.read_text(encoding="utf-8")  # verbatim from the Chinese text


def test_an_off_topic_chinese_question_is_refused_in_chinese(llm_api: ApiServer) -> None:
    answer = ask(llm_api, "水银的沸点是多少摄氏度？")
    assert not answer["answerable"] and answer["answer"] == "文档中没有找到这个问题的答案。"
