"""The one way the API's small SQLite stores (feedback, conversations) open their file.

WAL, one connection per call (threads and worker processes share the file), a busy timeout
instead of "database is locked", and a transaction that commits or rolls back as a whole.

Usage::

    with connect(path) as connection:
        connection.execute("INSERT ...")
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

SQLITE_BUSY_TIMEOUT_SECONDS = 10.0


@contextlib.contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
    try:
        with connection:  # commits, or rolls back on error
            yield connection
    finally:
        connection.close()


def create(path: Path, *statements: str) -> None:
    """Create the file (and its folder) in WAL mode with ``statements`` (``CREATE ... IF NOT EXISTS``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        for statement in statements:
            connection.execute(statement)
