"""ZoneQA's answering layer.

Usage::

    import rag
    result = rag.answer("Which city hosted the 2016 G20 summit?")
    print(result.answer, [c.page for c in result.citations])
    for event in rag.answer_stream("What is a negative list?"):
        ...
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.schemas import Answer, ChatTurn
    from rag.pipeline import RagPipeline, StreamEvent

_default: RagPipeline | None = None
_default_lock = threading.Lock()


def default_pipeline() -> RagPipeline:
    """The process-wide pipeline built from settings (loaded once: models are expensive)."""
    global _default
    with _default_lock:
        if _default is None:
            from core.config import get_settings
            from rag.components import build

            _default = build(get_settings()).pipeline
            _default.warm_up()
        return _default


def _turns(history: Sequence[ChatTurn | dict] | None) -> list[ChatTurn] | None:
    from core.schemas import ChatTurn

    if not history:
        return None
    return [turn if isinstance(turn, ChatTurn) else ChatTurn.model_validate(turn) for turn in history]


def answer(
    question: str,
    history: Sequence[ChatTurn | dict] | None = None,
    sources: Sequence[str] | None = None,
    top_k: int | None = None,
) -> Answer:
    """A cited answer (or a refusal) for ``question``."""
    return default_pipeline().answer(question, history=_turns(history), sources=sources, top_k=top_k)


def answer_stream(
    question: str,
    history: Sequence[ChatTurn | dict] | None = None,
    sources: Sequence[str] | None = None,
    top_k: int | None = None,
) -> Iterator[StreamEvent]:
    """The streaming twin of :func:`answer`: token events, then one answer event."""
    return default_pipeline().stream(question, history=_turns(history), sources=sources, top_k=top_k)
