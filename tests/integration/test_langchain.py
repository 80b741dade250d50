"""LangChain: the hybrid retriever passes langchain-tests' standard retriever tests on a real on-disk
index, and the answer pipeline is a Runnable that composes in LCEL (invoke, stream, batch, ainvoke).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.documents import Document
from langchain_core.runnables import RunnableLambda
from langchain_tests.integration_tests import RetrieversIntegrationTests

from core.config import Settings
from core.schemas import Answer
from rag.langchain import TOKEN_EVENT, ZoneQAChain
from rag.pipeline import REFUSAL_TEXT, RagPipeline
from rag.retriever import HybridRetriever

QUESTION = "Which city hosted the 2016 G20 summit that adopted the G20 Global Investment Principles?"
OFF_CORPUS = "What is the boiling point of liquid nitrogen?"
PDF_NAME = "ftz-tenth-anniversary-pei-2024.pdf"


# ---- the standard retriever tests ------------------------------------------------------------------
@pytest.mark.anyio  # the standard suite has one async test (ainvoke): anyio's pytest plugin runs it
class TestHybridRetrieverStandard(RetrieversIntegrationTests):
    """langchain-tests' RetrieversIntegrationTests, unchanged, over the session's on-disk Chroma + BM25."""

    searcher: Any = None

    @pytest.fixture(autouse=True)
    def _on_disk_index(self, default_pipeline: RagPipeline) -> None:
        type(self).searcher = default_pipeline.searcher

    @property
    def retriever_constructor(self) -> type[HybridRetriever]:
        return HybridRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"searcher": self.searcher}

    @property
    def retriever_query_example(self) -> str:
        return "free trade pilot zones in China"

    @property
    def num_results_arg_name(self) -> str:
        return "top_k"


def test_retriever_documents_carry_source_and_page(default_pipeline: RagPipeline) -> None:
    retriever = HybridRetriever(searcher=default_pipeline.searcher, top_k=2)
    documents = retriever.invoke("G20 summit Hangzhou")
    assert len(documents) == 2 and all(isinstance(document, Document) for document in documents)
    assert documents[0].metadata["source"] == PDF_NAME and documents[0].metadata["page"] >= 1
    only = retriever.invoke("free zones", sources=["free-zone-congress-2025.txt"], top_k=1)
    assert [document.metadata["source"] for document in only] == ["free-zone-congress-2025.txt"]


# ---- the answer pipeline as a Runnable --------------------------------------------------------------
@pytest.fixture(scope="module")
def chain(ingested_settings: Settings, default_pipeline: RagPipeline) -> ZoneQAChain:
    # Built by the composition root; the session's searcher is handed in so the models load once.
    return ZoneQAChain.from_settings(
        ingested_settings.model_copy(update={"generator": "extractive"}), searcher=default_pipeline.searcher
    )


def cited_markdown(answer: Answer) -> Iterator[str]:
    """A user's formatter: the answer, then one line per source (a generator: LCEL streams its lines)."""
    yield answer.answer
    for citation in answer.citations:
        yield f"\n[{citation.n}] {citation.title}, p. {citation.page}"


class TokenCollector(BaseCallbackHandler):
    def __init__(self) -> None:
        self.texts: list[str] = []

    def on_custom_event(self, name: str, data: Any, **kwargs: Any) -> None:
        if name == TOKEN_EVENT:
            self.texts.append(data["text"])


def test_invoke_returns_the_answer_object(chain: ZoneQAChain) -> None:
    answer = chain.invoke(QUESTION)
    assert isinstance(answer, Answer) and answer.answerable and "Hangzhou" in answer.answer
    assert any(citation.source == PDF_NAME and citation.page for citation in answer.citations)
    restricted = chain.invoke({"question": QUESTION, "sources": ["free-zone-congress-2025.txt"], "top_k": 3})
    assert {citation.source for citation in restricted.citations} <= {"free-zone-congress-2025.txt"}
    assert chain.input_schema.model_json_schema()["title"] == "ZoneQAChainInput"
    assert chain.OutputType is Answer
    with pytest.raises(TypeError, match="question"):
        chain.invoke({"query": QUESTION})  # type: ignore[arg-type]


def test_lcel_chain_streams(chain: ZoneQAChain) -> None:
    composed = chain | RunnableLambda(cited_markdown)
    collector = TokenCollector()
    pieces = list(composed.stream(QUESTION, config={"callbacks": [collector]}))
    answer = chain.invoke(QUESTION)
    assert pieces[0] == answer.answer and len(pieces) == 1 + len(answer.citations)
    assert "".join(pieces).count("\n[") == len(answer.citations)
    assert collector.texts  # the provisional text arrived while the answer was made
    alone = list(chain.stream(QUESTION))  # the runnable alone streams one item: the checked Answer
    assert len(alone) == 1 and isinstance(alone[0], Answer) and alone[0].answer == answer.answer


def test_batch_and_ainvoke(chain: ZoneQAChain) -> None:
    answers = chain.batch([QUESTION, OFF_CORPUS])
    assert [answer.answerable for answer in answers] == [True, False]
    assert answers[1].answer == REFUSAL_TEXT and answers[1].citations == []
    follow_up = chain.invoke(
        {
            "question": "How many members reached it?",
            "history": [
                {"role": "user", "content": "What roadmap did the 2014 APEC meeting in Beijing produce?"},
                {"role": "assistant", "content": "The APEC Beijing Roadmap for an Asia-Pacific FTA [1]."},
            ],
        }
    )
    assert "APEC" in follow_up.question_used

    async def in_a_loop() -> tuple[Answer, list[Any], list[str]]:
        answer = await chain.ainvoke({"question": QUESTION})
        one_line = RunnableLambda(lambda answer: f"{answer.answer} ({len(answer.citations)} sources)")
        streamed = [item async for item in (chain | one_line).astream(QUESTION)]
        tokens = [
            event["data"]["text"]
            async for event in chain.astream_events(QUESTION, version="v2")
            if event["event"] == "on_custom_event" and event["name"] == TOKEN_EVENT
        ]
        return answer, streamed, tokens

    answer, streamed, tokens = asyncio.run(in_a_loop())
    assert answer.answerable and "Hangzhou" in answer.answer
    assert streamed == [f"{answer.answer} ({len(answer.citations)} sources)"] and tokens
