"""Dense embedders behind one protocol, picked from settings (ONNX Runtime imported only when chosen).

Usage::

    embedder = get_embedder(get_settings().embedding)    # ZONEQA_EMBEDDING__BACKEND=torch|onnx|onnx-int8
    embedder.embed_query("What is a free trade zone?")   # (384,) float32, L2-normalized
"""

from __future__ import annotations

import threading

from core.config import EmbeddingSettings
from index.embedders.base import Embedder, QueryCachingEmbedder

__all__ = ["Embedder", "QueryCachingEmbedder", "get_embedder"]

_shared: dict[tuple[str, int, int, str], QueryCachingEmbedder] = {}
_shared_lock = threading.Lock()


def get_embedder(settings: EmbeddingSettings) -> QueryCachingEmbedder:
    """One embedder per process and model (loading costs seconds; queries must not pay it).

    The backend setting picks the implementation; ONNX Runtime is imported only when chosen.
    """
    key = (settings.model, settings.batch_size, settings.max_seq_tokens, settings.backend)
    with _shared_lock:
        if key not in _shared:
            if settings.backend == "torch":
                from index.embedders.torch import SentenceTransformerEmbedder

                _shared[key] = SentenceTransformerEmbedder.from_settings(settings)
            else:
                from index.embedders.onnx import OnnxEmbedder

                _shared[key] = OnnxEmbedder.from_settings(settings)
        return _shared[key]
