"""Parse files in a worker process, with a time limit: a hostile file costs at most that much CPU.

Parsing is pure Python (pypdf, BeautifulSoup): in the API process a slow file would hold the GIL
and slow every search, and nothing could stop it. :class:`IsolatedLoader` sends each file to one
long-lived worker process (started with ``spawn``, so it shares nothing with the server's threads
and models) and kills the worker when a file takes longer than ``max_parse_seconds``; the next
file gets a fresh worker. The worker's address space is capped (:data:`WORKER_MEMORY_BYTES`), so a
decompression bomb is a ``MemoryError`` in the worker, reported as a per-file error.

Usage::

    loader = IsolatedLoader(max_parse_seconds=30)
    doc = loader(Path("corpus/report.pdf"), limits=settings.limits, manifest={})   # or LoaderError
    Ingestor(settings, loader=loader)                                             # what the API does
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from core.config import IngestLimits
from core.documents import LoadedDocument
from core.errors import LoaderError
from ingest.manifest import ManifestEntry

logger = logging.getLogger(__name__)

#: Address space of the worker process (the loaders need well under 1 GiB for a 50 MB file).
WORKER_MEMORY_BYTES = 4 * 1024**3


def _worker(connection: Connection, memory_bytes: int) -> None:
    """The worker's loop: (path, limits, manifest) in, (True, LoadedDocument) or (False, reason) out."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    except (ImportError, ValueError, OSError):  # not on this platform: the time limit still holds
        pass
    from ingest.loaders import load_file

    while True:
        try:
            path_text, limits_data, manifest = connection.recv()
        except (EOFError, OSError):
            return
        path = Path(path_text)
        try:
            result: tuple[bool, Any] = (True, load_file(path, limits=IngestLimits(**limits_data), manifest=manifest))
        except LoaderError as error:
            result = (False, str(error))
        except MemoryError:
            result = (False, f"{path.name}: parsing needs more memory than allowed (a decompression bomb?)")
        except Exception as error:  # noqa: BLE001 - a broken file must never kill the worker silently
            result = (False, f"{path.name}: could not be parsed ({type(error).__name__}: {error})")
        connection.send(result)


class IsolatedLoader:
    """``load_file`` in a killable worker process; same signature, same :class:`LoaderError`."""

    def __init__(self, max_parse_seconds: float, memory_bytes: int = WORKER_MEMORY_BYTES) -> None:
        self.max_parse_seconds = max_parse_seconds
        self.memory_bytes = memory_bytes
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._process: BaseProcess | None = None
        self._connection: Connection | None = None

    def __call__(
        self, path: Path, *, limits: IngestLimits, manifest: dict[str, ManifestEntry] | None = None
    ) -> LoadedDocument:
        timeout = min(self.max_parse_seconds, limits.max_parse_seconds)
        with self._lock:  # one file at a time per worker
            connection = self._ensure_worker()
            connection.send((str(path), limits.model_dump(), manifest))
            if not connection.poll(timeout):
                self.stop()
                raise LoaderError(
                    f"{path.name}: parsing took longer than {timeout:g} s and was stopped "
                    "(ZONEQA_LIMITS__MAX_PARSE_SECONDS)"
                )
            try:
                ok, payload = connection.recv()
            except (EOFError, OSError) as error:
                code = self._process.exitcode if self._process is not None else None
                self.stop()
                raise LoaderError(f"{path.name}: the parser process died (exit code {code})") from error
        if ok:
            assert isinstance(payload, LoadedDocument)
            return payload
        raise LoaderError(str(payload))

    def _ensure_worker(self) -> Connection:
        if self._process is not None and self._process.is_alive() and self._connection is not None:
            return self._connection
        self.stop()
        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=_worker, args=(child, self.memory_bytes), name="zoneqa-parser", daemon=True
        )
        process.start()
        child.close()
        self._process, self._connection = process, parent
        return parent

    def stop(self) -> None:
        """Kill the worker (a file over its time limit, or shutdown); the next file starts a new one."""
        process, connection = self._process, self._connection
        self._process = self._connection = None
        if connection is not None:
            connection.close()
        if process is not None and process.is_alive():
            process.kill()
            process.join(timeout=5)
            logger.info("stopped the parser process")
