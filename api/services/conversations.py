"""Conversations kept server-side in SQLite beside the feedback, so a reload or a second device returns to them.

A turn is stored under ``(conversation_id, turn_id)``: storing the same turn again (a retry after a
dropped connection) replaces it, so each question shows once. Turns older than the retention
period are deleted on every write. A conversation belongs to the caller that started it (its key,
or its address without keys): another caller sees it as empty.

Usage::

    store = ConversationStore(settings.data_dir / CONVERSATIONS_DB_NAME, retention_days=30)
    store.put("c-1b2f...", "t-1", "Which city hosted the 2016 G20 summit?", answer, owner="key:ab12")
    store.get("c-1b2f...", owner="key:ab12")   # Conversation(conversation_id=..., turns=[...])
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from pathlib import Path

from api.services.feedback import utc_iso
from api.services.sqlite import connect, create
from core.schemas import Answer, ChatTurn, Conversation, ConversationTurn

CONVERSATIONS_DB_NAME = "conversations.sqlite3"
#: Newest turns kept per conversation: a conversation is a chat, not an archive.
MAX_TURNS_PER_CONVERSATION = 200
_SECONDS_PER_DAY = 86_400


class ConversationStore:
    """Turns in SQLite (WAL; one connection per call, so threads and processes can share the file)."""

    def __init__(self, path: Path, retention_days: float) -> None:
        if retention_days <= 0:
            raise ValueError("retention_days must be positive")
        self.path = path
        self.retention_seconds = retention_days * _SECONDS_PER_DAY
        create(
            path,
            """CREATE TABLE IF NOT EXISTS turns (
                   seq INTEGER PRIMARY KEY AUTOINCREMENT,
                   conversation_id TEXT NOT NULL,
                   turn_id TEXT NOT NULL,
                   owner TEXT NOT NULL,
                   question TEXT NOT NULL,
                   answer_json TEXT NOT NULL,
                   created REAL NOT NULL,
                   UNIQUE (conversation_id, turn_id)
               )""",
            "CREATE INDEX IF NOT EXISTS turns_created ON turns (created)",
        )
        self.purge()

    def _connect(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return connect(self.path)

    def purge(self, now: float | None = None) -> int:
        """Delete the turns older than the retention period; returns how many went."""
        cutoff = (now or time.time()) - self.retention_seconds
        with self._connect() as connection:
            return connection.execute("DELETE FROM turns WHERE created < ?", (cutoff,)).rowcount

    def _owner(self, connection: sqlite3.Connection, conversation_id: str) -> str | None:
        row = connection.execute(
            "SELECT owner FROM turns WHERE conversation_id = ? ORDER BY seq LIMIT 1", (conversation_id,)
        ).fetchone()
        return None if row is None else str(row[0])

    def put(self, conversation_id: str, turn_id: str, question: str, answer: Answer, owner: str) -> bool:
        """Store (or replace) one turn; False when the conversation belongs to another caller."""
        now = time.time()
        self.purge(now)
        with self._connect() as connection:
            existing = self._owner(connection, conversation_id)
            if existing is not None and existing != owner:
                return False
            # A replaced turn keeps its place: a retried question stays where it was asked.
            connection.execute(
                """INSERT INTO turns (conversation_id, turn_id, owner, question, answer_json, created)
                   VALUES (?, ?, ?, ?, ?, ?)
                   ON CONFLICT (conversation_id, turn_id)
                   DO UPDATE SET question = excluded.question, answer_json = excluded.answer_json,
                                 created = excluded.created""",
                (conversation_id, turn_id, owner, question, answer.model_dump_json(), now),
            )
            connection.execute(
                """DELETE FROM turns WHERE conversation_id = ? AND seq NOT IN (
                       SELECT seq FROM turns WHERE conversation_id = ? ORDER BY seq DESC LIMIT ?)""",
                (conversation_id, conversation_id, MAX_TURNS_PER_CONVERSATION),
            )
        return True

    def get(self, conversation_id: str, owner: str) -> Conversation:
        """The conversation's turns, oldest first (none for an unknown id or another caller's)."""
        with self._connect() as connection:
            if self._owner(connection, conversation_id) not in (None, owner):
                return Conversation(conversation_id=conversation_id)
            rows = connection.execute(
                "SELECT turn_id, question, answer_json, created FROM turns WHERE conversation_id = ? "
                "AND created >= ? ORDER BY seq",
                (conversation_id, time.time() - self.retention_seconds),
            ).fetchall()
        turns = [
            ConversationTurn(
                turn_id=turn_id,
                question=question,
                answer=Answer.model_validate_json(answer_json),
                created_at=utc_iso(created),
            )
            for turn_id, question, answer_json, created in rows
        ]
        return Conversation(conversation_id=conversation_id, turns=turns)

    def history(self, conversation_id: str, owner: str, turns: int) -> list[ChatTurn]:
        """The last ``turns`` messages as chat turns, for a follow-up sent without its history."""
        messages: list[ChatTurn] = []
        for turn in self.get(conversation_id, owner).turns:
            messages.append(ChatTurn(role="user", content=turn.question[:8000]))
            messages.append(ChatTurn(role="assistant", content=turn.answer.answer[:8000]))
        return messages[-turns:] if turns > 0 else []

    def delete(self, conversation_id: str, owner: str) -> int:
        """Forget a conversation; returns how many turns went (0 for another caller's)."""
        with self._connect() as connection:
            if self._owner(connection, conversation_id) not in (None, owner):
                return 0
            return connection.execute("DELETE FROM turns WHERE conversation_id = ?", (conversation_id,)).rowcount
