"""The conversation store: one row per turn id, owners kept apart, old turns purged."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from api.services.conversations import MAX_TURNS_PER_CONVERSATION, ConversationStore
from core.schemas import Answer


def answer(text: str) -> Answer:
    return Answer(answer=text, answerable=True, question_used=text, model="extractive")


def test_a_turn_stored_twice_is_kept_once_in_its_place(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite3", retention_days=30)
    store.put("conv-0001", "t1", "first?", answer("one"), owner="key:a")
    store.put("conv-0001", "t2", "second?", answer("two"), owner="key:a")
    store.put("conv-0001", "t1", "first?", answer("one, retried"), owner="key:a")
    turns = store.get("conv-0001", owner="key:a").turns
    assert [(turn.turn_id, turn.answer.answer) for turn in turns] == [("t1", "one, retried"), ("t2", "two")]
    assert [turn.content for turn in store.history("conv-0001", "key:a", 3)] == ["one, retried", "second?", "two"]


def test_another_owner_neither_sees_nor_writes_nor_deletes(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite3", retention_days=30)
    store.put("conv-0001", "t1", "mine?", answer("mine"), owner="key:a")
    assert store.get("conv-0001", owner="key:b").turns == []
    assert store.put("conv-0001", "t9", "theirs?", answer("theirs"), owner="key:b") is False
    assert store.delete("conv-0001", owner="key:b") == 0
    assert len(store.get("conv-0001", owner="key:a").turns) == 1


def test_turns_older_than_the_retention_are_purged(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite3", retention_days=1)
    store.put("conv-0001", "t1", "old?", answer("old"), owner="key:a")
    assert store.purge(now=time.time() + 2 * 86_400) == 1
    assert store.get("conv-0001", owner="key:a").turns == []
    # It survives a restart: a new store on the same file sees what the old one wrote.
    store.put("conv-0002", "t1", "new?", answer("new"), owner="key:a")
    assert len(ConversationStore(tmp_path / "c.sqlite3", retention_days=1).get("conv-0002", "key:a").turns) == 1


def test_a_conversation_keeps_its_newest_turns_only(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite3", retention_days=30)
    for number in range(MAX_TURNS_PER_CONVERSATION + 3):
        store.put("conv-0001", f"t{number}", "q?", answer(str(number)), owner="key:a")
    turns = store.get("conv-0001", owner="key:a").turns
    assert len(turns) == MAX_TURNS_PER_CONVERSATION and turns[0].turn_id == "t3"


def test_retention_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="positive"):
        ConversationStore(tmp_path / "c.sqlite3", retention_days=0)
