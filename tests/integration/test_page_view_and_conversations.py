"""The page view routes and server-side conversations, over real uvicorn and the default corpus."""

from __future__ import annotations

import hashlib
import io
import json
import uuid

import httpx
import pytest
from conftest import CORPUS_DIR, LIMITED_KEY, PDF_NAME, READ_KEY, pdfium_word_box
from PIL import Image

from api.testing import ApiServer

QUOTE = "The 2016 G20 Summit in Hangzhou facilitated the adoption of the “G20 Global Investment Principles”"
TEXT_DOCUMENT = "sez-alliance-qianhai-2020.txt"


def overlaps(box: dict[str, float], target: tuple[float, float, float, float]) -> bool:
    left, top, right, bottom = target
    return (
        box["left"] < right
        and left < box["left"] + box["width"]
        and box["top"] < bottom
        and top < box["top"] + box["height"]
    )


def test_page_view_locates_the_quote_on_its_page(api_server: ApiServer) -> None:
    response = httpx.get(f"{api_server.url}/documents/{PDF_NAME}/pages/5", params={"quote": QUOTE}, timeout=30)
    assert response.status_code == 200
    view = response.json()
    assert view["page"] == 5 and view["pages"] == 22 and view["highlights"]
    hangzhou = pdfium_word_box(5, "Hangzhou")
    assert any(overlaps(box, hangzhou) for box in view["highlights"]), (view["highlights"], hangzhou)
    # The same sentence is not on page 4: no box there.
    other = httpx.get(f"{api_server.url}/documents/{PDF_NAME}/pages/4", params={"quote": QUOTE}, timeout=30)
    assert other.status_code == 200 and other.json()["highlights"] == []

    image = httpx.get(f"{api_server.url}{view['image_url']}", params={"width": 600}, timeout=30)
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    width, height = Image.open(io.BytesIO(image.content)).size
    assert width == 600 and abs(height / width - view["height_pt"] / view["width_pt"]) < 0.01

    original = httpx.get(f"{api_server.url}{view['file_url']}", timeout=30)
    assert original.status_code == 200 and original.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(original.content).digest() == hashlib.sha256((CORPUS_DIR / PDF_NAME).read_bytes()).digest()
    assert PDF_NAME in original.headers["content-disposition"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (f"/documents/{PDF_NAME}/pages/23", 404),  # out of range
        (f"/documents/{PDF_NAME}/pages/0", 422),
        (f"/documents/{PDF_NAME}/pages/-1/image", 422),
        (f"/documents/{PDF_NAME}/pages/5/image?width=99999", 422),
        ("/documents/unknown.pdf/pages/1", 404),
        ("/documents/unknown.pdf/file", 404),
        (f"/documents/{TEXT_DOCUMENT}/pages/1", 404),  # no pages: the passage view is used
        ("/documents/manifest.yaml/file", 404),
        ("/documents/%2e%2e/file", 400),
        ("/documents/..%2F..%2Fetc%2Fpasswd/file", 404),
        ("/documents/..%2Fcorpus%2Fmanifest.yaml/pages/1", 404),
        ("/documents/%2Fetc%2Fpasswd/file", 404),
        ("/documents/%00.pdf/file", 400),
    ],
)
def test_page_routes_refuse_bad_names_and_pages_with_the_json_error_shape(
    api_server: ApiServer, path: str, status: int
) -> None:
    response = httpx.get(f"{api_server.url}{path}", timeout=30)
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body["detail"], str) and body["request_id"]
    assert "root:" not in response.text  # nothing of /etc/passwd


def test_a_text_document_can_be_downloaded_but_has_no_pages(api_server: ApiServer) -> None:
    original = httpx.get(f"{api_server.url}/documents/{TEXT_DOCUMENT}/file", timeout=30)
    assert original.status_code == 200 and original.content == (CORPUS_DIR / TEXT_DOCUMENT).read_bytes()
    pages = httpx.get(f"{api_server.url}/documents/{TEXT_DOCUMENT}/pages/1", timeout=30)
    assert pages.status_code == 404 and "only PDF documents" in pages.json()["detail"]


def test_page_routes_need_a_key_when_keys_are_configured(keyed_api_server: ApiServer) -> None:
    url = keyed_api_server.url
    for suffix in ("pages/5", "pages/5/image", "file"):
        assert httpx.get(f"{url}/documents/{PDF_NAME}/{suffix}", timeout=30).status_code == 401
    keyed = httpx.get(f"{url}/documents/{PDF_NAME}/pages/5/image", headers={"X-API-Key": READ_KEY}, timeout=30)
    assert keyed.status_code == 200 and keyed.content.startswith(b"\x89PNG")


def sse_answer(response: httpx.Response) -> dict[str, object]:
    events = [block for block in response.text.split("\n\n") if block.startswith("event: answer")]
    assert len(events) == 1, response.text
    return json.loads(events[0].split("data: ", 1)[1])


def test_turns_are_stored_once_per_turn_id_and_reload_in_order(api_server: ApiServer) -> None:
    url, conversation = api_server.url, f"conv-{uuid.uuid4().hex}"
    first = {"question": "Which city hosted the 2016 G20 summit?", "conversation_id": conversation, "turn_id": "t1"}
    assert httpx.post(f"{url}/ask", json=first, timeout=60).status_code == 200
    # A retry of the same turn (the stream dropped): stored again under the same id, not twice.
    streamed = httpx.post(f"{url}/ask/stream", json=first, timeout=60)
    assert streamed.status_code == 200 and sse_answer(streamed)["answerable"] is True
    # A follow-up sent without its history: the stored turns are the history.
    follow_up = {"question": "What did it lay the foundation for?", "conversation_id": conversation, "turn_id": "t2"}
    answer = httpx.post(f"{url}/ask", json=follow_up, timeout=60).json()
    assert answer["question_used"] != follow_up["question"] and answer["answerable"]

    stored = httpx.get(f"{url}/conversations/{conversation}", timeout=30).json()
    assert [turn["turn_id"] for turn in stored["turns"]] == ["t1", "t2"]
    assert "Hangzhou" in stored["turns"][0]["answer"]["answer"]
    assert stored["turns"][0]["answer"]["citations"][0]["page"] == 5

    assert httpx.get(f"{url}/conversations/conv-{uuid.uuid4().hex}", timeout=30).json()["turns"] == []
    deleted = httpx.delete(f"{url}/conversations/{conversation}", timeout=30).json()
    assert deleted["turns_deleted"] == 2
    assert httpx.get(f"{url}/conversations/{conversation}", timeout=30).json()["turns"] == []


def test_a_conversation_is_visible_only_to_the_key_that_started_it(keyed_api_server: ApiServer) -> None:
    url, conversation = keyed_api_server.url, f"conv-{uuid.uuid4().hex}"
    body = {"question": "Which city hosted the 2016 G20 summit?", "conversation_id": conversation}
    assert httpx.post(f"{url}/ask", json=body, headers={"X-API-Key": READ_KEY}, timeout=60).status_code == 200
    own = httpx.get(f"{url}/conversations/{conversation}", headers={"X-API-Key": READ_KEY}, timeout=30)
    other = httpx.get(f"{url}/conversations/{conversation}", headers={"X-API-Key": LIMITED_KEY}, timeout=30)
    assert len(own.json()["turns"]) == 1 and other.json()["turns"] == []
    assert httpx.get(f"{url}/conversations/{conversation}", timeout=30).status_code == 401


@pytest.mark.parametrize("conversation_id", ["short", "has spaces in it", "x" * 65, "../../etc/passwd"])
def test_bad_conversation_ids_are_refused(api_server: ApiServer, conversation_id: str) -> None:
    response = httpx.get(f"{api_server.url}/conversations/{conversation_id}", timeout=30)
    assert response.status_code in (404, 422) and response.json()["request_id"]
    ask = httpx.post(
        f"{api_server.url}/ask", json={"question": "Which city?", "conversation_id": conversation_id}, timeout=30
    )
    assert ask.status_code == 422
