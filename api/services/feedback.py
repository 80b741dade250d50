"""Ratings of answers, kept in SQLite beside the index.

Usage::

    store = FeedbackStore(settings.data_dir / FEEDBACK_DB_NAME)
    store.add("Which city hosted the 2016 G20 summit?", "Hangzhou [1].", "up", None)
    store.all()                         # [FeedbackRow(id=1, ...)]
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from api.services.sqlite import connect, create

FEEDBACK_DB_NAME = "feedback.sqlite3"


def utc_iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).isoformat(timespec="seconds")


@dataclass
class FeedbackRow:
    id: int
    question: str
    answer: str
    rating: str
    comment: str | None
    created_at: str


class FeedbackStore:
    """Ratings in SQLite (WAL; one connection per call, so threads and processes can share the file)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        create(
            path,
            """CREATE TABLE IF NOT EXISTS feedback (
                   id INTEGER PRIMARY KEY AUTOINCREMENT,
                   question TEXT NOT NULL,
                   answer TEXT NOT NULL,
                   rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
                   comment TEXT,
                   created_at TEXT NOT NULL
               )""",
        )

    def _connect(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return connect(self.path)

    def add(self, question: str, answer: str, rating: str, comment: str | None) -> int:
        with self._connect() as connection:
            cursor = connection.execute(
                "INSERT INTO feedback (question, answer, rating, comment, created_at) VALUES (?, ?, ?, ?, ?)",
                (question, answer, rating, comment, utc_iso(time.time())),
            )
            return int(cursor.lastrowid or 0)

    def all(self) -> list[FeedbackRow]:
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT id, question, answer, rating, comment, created_at FROM feedback ORDER BY id"
            ).fetchall()
        return [FeedbackRow(*row) for row in rows]
