"""The packaged sentence-transformers model on CPU with torch (the default embedding backend).

Usage::

    embedder = SentenceTransformerEmbedder.from_settings(get_settings().embedding)
    vectors = embedder.embed_documents(["free trade zone", "customs"])  # (2, 384), L2-normalized
    query = embedder.embed_query("What is a free trade zone?")
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from core.config import EMBED_BATCH_SIZE, EMBED_MAX_SEQ_TOKENS, EmbeddingSettings
from core.errors import EmbeddingModelError
from index.embedders.base import (
    SMALL_CALL_TEXTS,
    SMALL_CALL_TORCH_THREADS,
    QueryCachingEmbedder,
    model_name,
    resolve_model_dir,
)


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
