"""The llama.cpp answer path end to end: SmolLM2-135M (fast) and Qwen2.5-1.5B (slow)."""

from __future__ import annotations

import pytest

from core.config import LlamaCppSettings, Settings
from rag.components import build
from rag.pipeline import RagPipeline

G20 = "Which city hosted the 2016 G20 summit that adopted the G20 Global Investment Principles?"
PDF = "ftz-tenth-anniversary-pei-2024.pdf"

llama_cpp = pytest.importorskip("llama_cpp", reason="llama-cpp-python is installed by `make install-dev`")


def llm_pipeline(settings: Settings, model_path: object, **llm: object) -> RagPipeline:
    llm_settings = LlamaCppSettings.model_validate({"model_path": model_path, "n_ctx": 2048, **llm})
    return build(settings.model_copy(update={"generator": "llamacpp", "llamacpp": llm_settings})).pipeline


@pytest.fixture(scope="module")
def smollm_pipeline(ingested_settings: Settings) -> RagPipeline:
    from rag.llm_models import smollm_path

    return llm_pipeline(ingested_settings, smollm_path(), max_tokens=48)


def test_smollm_pipeline_streams_end_to_end(smollm_pipeline: RagPipeline) -> None:
    events = list(smollm_pipeline.stream(G20))
    assert events[-1].kind == "answer" and events[-1].answer is not None
    answer = events[-1].answer
    assert answer.model.lower().startswith("smollm2")
    assert answer.prompt_tokens is not None and 0 < answer.prompt_tokens < 600
    assert {"retrieve", "select", "generate", "total"} <= set(answer.timings_ms)
    # Whatever the tiny model says, what survives the check is cited to real evidence, or refused.
    if answer.answerable:
        assert answer.citations
        for citation in answer.citations:
            assert f"[{citation.n}]" in answer.answer
            assert citation.passage[citation.quote_start : citation.quote_end] == citation.quote
    else:
        assert answer.citations == []
    tokens = [event for event in events if event.kind == "token"]
    assert tokens, "the LLM path streams pieces before the final answer"


def test_smollm_follow_up_is_rewritten_by_the_llm(smollm_pipeline: RagPipeline) -> None:
    from core.schemas import ChatTurn

    history = [
        ChatTurn(role="user", content="What roadmap did the 2014 APEC meeting in Beijing produce?"),
        ChatTurn(role="assistant", content="The APEC Beijing Roadmap for an Asia-Pacific FTA [1]."),
    ]
    answer = smollm_pipeline.answer("How many members reached it?", history=history)
    assert answer.question_used and answer.question_used != "How many members reached it?"


@pytest.mark.slow
def test_qwen_answers_g20_with_the_pdf_page(ingested_settings: Settings) -> None:
    from rag.llm_models import QWEN_SHA256, qwen_path, verify_model

    path = qwen_path(ingested_settings)
    if not path.is_file():
        pytest.skip("Qwen is not pulled: `make test` runs `zoneqa models pull` first")
    verify_model(path, QWEN_SHA256)
    pipeline = llm_pipeline(ingested_settings, path, max_tokens=80)
    answer = pipeline.answer(G20)
    assert answer.answerable, answer
    assert "Hangzhou" in answer.answer
    pdf = [citation for citation in answer.citations if citation.source == PDF]
    assert pdf and pdf[0].page == 5
    assert answer.model.startswith("qwen2.5")
