"""ZoneQA's answer pipeline as a LangChain ``Runnable``: input a question, output the checked :class:`Answer`.

LCEL users compose it like any other runnable (``ZoneQAChain.from_settings(s) | their_formatter``);
``invoke``, ``batch``, ``stream``, ``ainvoke``, ``abatch`` and ``astream`` all work. The retriever
alone is :class:`rag.retriever.HybridRetriever`.

The input is a question (``str``) or a dict ``{"question", "history", "sources", "top_k"}``.
``stream`` yields one item, the checked Answer: an answer is only final once every sentence has been
checked against its source (and Answer objects do not add up like text chunks). The provisional
text, as it is generated, arrives as ``zoneqa_token`` custom events (``{"text": ...}``) to callback
handlers and in ``astream_events``.

Usage::

    chain = ZoneQAChain.from_settings(get_settings())
    answer = chain.invoke("Which city hosted the 2016 G20 summit?")
    answer.answer, [citation.page for citation in answer.citations]
    cited = chain | RunnableLambda(lambda a: f"{a.answer} ({len(a.citations)} sources)")
    for text in cited.stream({"question": "What is a negative list?", "sources": ["a.pdf"]}): ...
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NotRequired

from langchain_core.callbacks.manager import CallbackManagerForChainRun, dispatch_custom_event
from langchain_core.runnables import Runnable, RunnableConfig
from typing_extensions import TypedDict  # pydantic reads it on Python 3.11 (input_schema)

from core.config import Settings, get_settings
from core.schemas import Answer, ChatTurn
from rag.components import Components, build
from rag.pipeline import RagPipeline

#: The custom event that carries provisional text while an answer is generated.
TOKEN_EVENT = "zoneqa_token"


class ZoneQAQuery(TypedDict):
    """The dict form of the input (only ``question`` is required)."""

    question: str
    history: NotRequired[Sequence[ChatTurn | Mapping[str, Any]] | None]
    sources: NotRequired[Sequence[str] | None]
    top_k: NotRequired[int | None]


ZoneQAInput = str | ZoneQAQuery


def _query(value: Any) -> tuple[str, list[ChatTurn] | None, list[str] | None, int | None]:
    """(question, history, sources, top_k) from a str or a :class:`ZoneQAQuery` dict."""
    if isinstance(value, str):
        return value, None, None, None
    if not isinstance(value, Mapping) or not isinstance(value.get("question"), str):
        raise TypeError(f"ZoneQAChain takes a question (str) or a dict with a 'question'; got {type(value).__name__}")
    unknown = sorted(set(value) - set(ZoneQAQuery.__annotations__))
    if unknown:
        raise TypeError(f"unknown input keys {unknown}; ZoneQAChain reads {', '.join(ZoneQAQuery.__annotations__)}")
    history = [
        turn if isinstance(turn, ChatTurn) else ChatTurn.model_validate(turn) for turn in value.get("history") or []
    ]
    sources = list(value.get("sources") or []) or None
    return value["question"], history or None, sources, value.get("top_k")


class ZoneQAChain(Runnable[ZoneQAInput, Answer]):
    """A Runnable over a :class:`~rag.pipeline.RagPipeline` (thread-safe: ``batch`` runs questions in parallel)."""

    name = "ZoneQAChain"

    def __init__(self, pipeline: RagPipeline) -> None:
        self.pipeline = pipeline

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **overrides: Any) -> ZoneQAChain:
        """Built by the composition root: ``rag.components.build(settings, **overrides).pipeline``."""
        return cls.from_components(build(settings or get_settings(), **overrides))

    @classmethod
    def from_components(cls, parts: Components) -> ZoneQAChain:
        return cls(parts.pipeline)

    @property
    def InputType(self) -> Any:  # noqa: N802 - LangChain's name
        return ZoneQAInput

    @property
    def OutputType(self) -> type[Answer]:  # noqa: N802 - LangChain's name
        return Answer

    def invoke(self, input: ZoneQAInput, config: RunnableConfig | None = None, **kwargs: Any) -> Answer:  # noqa: A002
        return self._call_with_config(self._answer, input, config, run_type="chain", **kwargs)

    def _answer(self, value: ZoneQAInput, run_manager: CallbackManagerForChainRun, config: RunnableConfig) -> Answer:
        question, history, sources, top_k = _query(value)
        final: Answer | None = None
        for event in self.pipeline.stream(question, history=history, sources=sources, top_k=top_k):
            if event.kind == "token":
                dispatch_custom_event(TOKEN_EVENT, {"text": event.text}, config=config)
            elif event.answer is not None:
                final = event.answer
        assert final is not None  # the pipeline always ends with an answer event
        return final
