"""A :class:`~rag.generators.base.Generator` on top of any LLM backend (:class:`~rag.generators.base.ChatModel`).

It owns what every LLM answer needs: the answer prompt within its token budget (the weakest
evidence is left out first, since prompt processing dominates CPU latency), follow-up rewriting,
and the optional yes/no support judge.

Usage::

    generator = ChatGenerator(LlamaCppGenerator(path, settings.llamacpp), max_prompt_tokens=560)
    draft = generator.draft("What is a negative list?", evidence)
    print("".join(draft.pieces), draft.prompt_tokens)
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.evidence import Evidence
from rag.generators.base import ChatMessage, ChatModel, Draft, SupportJudge
from rag.prompts import answer_messages

#: Answer budget of a yes/no question: "Yes"/"No" plus a little slack.
YES_NO_MAX_TOKENS = 4
_YES_NO_SYSTEM = "Answer with exactly one word: Yes or No."
_YES_NO_PATTERN = re.compile(r"\b(yes|no)\b", re.IGNORECASE)


def ask_yes_no(model: ChatModel, question: str) -> bool:
    """Ask a yes/no question; anything but a clear "yes" is False.

    Usage::

        ask_yes_no(model, "Does 'Zones cut tariffs' follow from '...tariffs are cut...'?")
    """
    messages: list[ChatMessage] = [
        {"role": "system", "content": _YES_NO_SYSTEM},
        {"role": "user", "content": question},
    ]
    answer = "".join(model.stream(messages, max_tokens=YES_NO_MAX_TOKENS))
    match = _YES_NO_PATTERN.search(answer)
    return bool(match and match.group(1).lower() == "yes")


class ChatGenerator:
    """Answers with an LLM backend; ``judge=True`` also asks it whether each cited passage supports a claim."""

    def __init__(self, model: ChatModel, max_prompt_tokens: int, *, judge: bool = False) -> None:
        if max_prompt_tokens < 1:
            raise ValueError("max_prompt_tokens must be >= 1")
        self.chat_model: ChatModel | None = model
        self._model = model
        self.name = model.name
        self.max_prompt_tokens = max_prompt_tokens
        self.support_judge: SupportJudge | None = self._judge if judge else None

    def draft(self, question: str, evidence: Sequence[Evidence]) -> Draft:
        messages, tokens = self.fit_prompt(question, evidence)
        return Draft(self._model.stream(messages), prompt_tokens=tokens)

    def rewrite(self, messages: list[ChatMessage], *, max_tokens: int) -> str | None:
        return "".join(self._model.stream(messages, max_tokens=max_tokens))

    def fit_prompt(self, question: str, evidence: Sequence[Evidence]) -> tuple[list[ChatMessage], int]:
        """The answer prompt within the token budget: the weakest evidence is left out first."""
        kept = list(evidence)
        while True:
            messages = answer_messages(question, kept)
            tokens = self._model.count_tokens(messages[0]["content"] + messages[1]["content"])
            if tokens <= self.max_prompt_tokens or len(kept) <= 1:
                return messages, tokens
            kept.remove(min(kept, key=lambda item: item.score))

    def _judge(self, claim: str, evidence_text: str) -> bool:
        return ask_yes_no(
            self._model, f"Evidence: {evidence_text}\nClaim: {claim}\nDoes the evidence support the claim?"
        )
