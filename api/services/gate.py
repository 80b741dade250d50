"""The LLM gate: one generation at a time per process, a bounded queue behind it, then 503.

Usage::

    gate = GenerationGate(enabled=True, queue=8, wait_seconds=30)
    with gate.admit():                  # raises GeneratorBusyError when the queue is full
        pipeline.answer("...")
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from core.errors import GeneratorBusyError

# What a 503 "busy" tells clients to wait before trying again.
BUSY_RETRY_AFTER_SECONDS = 2


class _Ticket:
    """Releases a gate admission exactly once (explicitly, or when garbage collected)."""

    def __init__(self, releases: list[threading.Semaphore]) -> None:
        self._releases = releases
        self._lock = threading.Lock()

    def release(self) -> None:
        with self._lock:
            releases, self._releases = self._releases, []
        for semaphore in releases:
            semaphore.release()

    def __del__(self) -> None:  # a stream whose generator never started must not leak its slot
        self.release()


class GenerationGate:
    """Serialises LLM generation with a bounded queue: 1 running + ``queue`` waiting, then 503.

    The extractive generator is cheap and thread-safe, so its gate is disabled (always admits).
    """

    def __init__(self, *, enabled: bool, queue: int, wait_seconds: float) -> None:
        self.enabled = enabled
        self.wait_seconds = wait_seconds
        self._slots = threading.BoundedSemaphore(queue + 1)
        self._running = threading.Semaphore(1)

    def acquire(self) -> _Ticket:
        """Admit one request (blocking up to ``wait_seconds``) or raise :class:`GeneratorBusyError`."""
        if not self.enabled:
            return _Ticket([])
        if not self._slots.acquire(blocking=False):
            raise GeneratorBusyError("The answer generator is busy: too many questions are waiting.")
        if not self._running.acquire(timeout=self.wait_seconds):
            self._slots.release()
            raise GeneratorBusyError("The answer generator is busy: the wait for it ran out.")
        return _Ticket([self._running, self._slots])

    @contextlib.contextmanager
    def admit(self) -> Iterator[None]:
        ticket = self.acquire()
        try:
            yield
        finally:
            ticket.release()
