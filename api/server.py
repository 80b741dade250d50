"""Run the API with uvicorn (``zoneqa serve`` calls :func:`run`).

Usage::

    from api.server import run
    run(host="127.0.0.1", port=8000, workers=2)

Each worker is a process with its own pipeline (models loaded once per worker); with Chroma in
server mode (``ZONEQA_CHROMA_HOST``) several processes, on one or more machines, share one index.
"""

from __future__ import annotations

import uvicorn

APP_FACTORY = "api.main:create_app"


def run(host: str, port: int, workers: int) -> None:
    """Serve until interrupted. ``workers`` > 1 starts that many processes behind one port."""
    if workers < 1:
        raise ValueError("workers must be >= 1")
    uvicorn.run(APP_FACTORY, factory=True, host=host, port=port, workers=workers, proxy_headers=True)
