"""The packaged sentence-transformers model run by ONNX Runtime, optionally int8-quantised.

ONNX Runtime with int8 weights embeds 1.4-1.7x faster than torch on a 2-core CPU, with vectors
within 0.5% (cosine, on average) of torch's and the same SciFact nDCG@10. The ONNX file is
exported once from the packaged model (torch's TorchScript exporter, then ONNX Runtime's dynamic
quantiser) into ``EmbeddingSettings.onnx_cache_dir`` and reused by every later process; nothing
is downloaded.

sentence-transformers' own ONNX backend needs ``optimum-onnx``, which requires transformers < 4.58
while sentence-transformers 5+ requires transformers 5: the two cannot be installed together.

Usage::

    embedder = OnnxEmbedder.from_settings(EmbeddingSettings(backend="onnx-int8"))
    vectors = embedder.embed_documents(["free trade zone", "customs"])  # (2, 384), L2-normalized
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from core.config import EMBED_BATCH_SIZE, EMBED_MAX_SEQ_TOKENS, EmbeddingSettings
from core.errors import EmbeddingModelError
from index.embedders.base import QueryCachingEmbedder, model_name, resolve_model_dir

#: ONNX opset for the export: supported by every ONNX Runtime from 1.14 on.
ONNX_OPSET = 17
#: Inputs of a BERT-style encoder, in the order the exported graph takes them.
ENCODER_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
#: Bytes hashed from the weights file to name the cache entry (a changed model gets a new file).
FINGERPRINT_BYTES = 1 << 20


def onnx_file(model_dir: Path, cache_dir: Path, quantised: bool) -> Path:
    """Where the exported model lives: ``<cache>/<model>-<fingerprint>/model[-int8].onnx``."""
    digest = hashlib.sha256()
    for name in ("config.json", "model.safetensors", "pytorch_model.bin"):
        path = model_dir / name
        if path.is_file():
            digest.update(f"{name}:{path.stat().st_size}".encode())
            with path.open("rb") as handle:
                digest.update(handle.read(FINGERPRINT_BYTES))
    folder = cache_dir.expanduser() / f"{model_name(model_dir)}-{digest.hexdigest()[:12]}"
    return folder / ("model-int8.onnx" if quantised else "model.onnx")


def _check_mean_pooling(model_dir: Path) -> None:
    """This runner implements mean pooling over BERT-style encoders only (MiniLM and e5 are such)."""
    config = model_dir / "1_Pooling" / "config.json"
    if config.is_file():
        pooling = json.loads(config.read_text())
        if not pooling.get("pooling_mode_mean_tokens", False):
            raise EmbeddingModelError(
                f"{model_dir}: the ONNX backends support mean pooling only; use ZONEQA_EMBEDDING__BACKEND=torch"
            )


def export_onnx(model_dir: Path, target: Path) -> Path:
    """Export the model's encoder to ``target`` (and quantise it if the name ends in ``-int8.onnx``).

    Written to a temporary file first and renamed, so a crash never leaves a half-written model.
    """
    import torch
    from sentence_transformers import SentenceTransformer

    _check_mean_pooling(model_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    transformer: Any = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)[0]
    encoder = transformer.auto_model.eval()

    class _LastHiddenState(torch.nn.Module):
        # transformers 5 models take keyword arguments; the exporter passes positional ones.
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            kwargs = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
            return self.model(**kwargs).last_hidden_state

    # A padded example: traced with an all-ones mask, the graph could bake in "no padding".
    example = torch.ones((2, 8), dtype=torch.long)
    mask = example.clone()
    mask[1, 4:] = 0
    axes = {name: {0: "batch", 1: "tokens"} for name in (*ENCODER_INPUTS, "last_hidden_state")}
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch, warnings.catch_warnings():
        # The tracer warns about every data-dependent branch and index it cannot see through; the
        # exported graph is checked against torch's vectors instead (tests/integration/test_onnx_embedder.py).
        warnings.simplefilter("ignore")
        fp32 = Path(scratch) / "model.onnx"
        torch.onnx.export(
            _LastHiddenState(encoder),
            (example, mask, torch.zeros_like(example)),
            str(fp32),
            input_names=list(ENCODER_INPUTS),
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=ONNX_OPSET,
            dynamo=False,  # the TorchScript exporter needs no onnxscript
        )
        result = fp32
        if target.name.endswith("-int8.onnx"):
            from onnxruntime.quantization import QuantType, quantize_dynamic

            result = Path(scratch) / "model-int8.onnx"
            # The quantiser calls logging.warning() on the root logger, which would install a root
            # handler for the whole process (and surface every library's debug lines); a
            # temporary NullHandler keeps that from happening.
            quiet = logging.NullHandler()
            logging.getLogger().addHandler(quiet)
            try:
                # Per-channel int8 weights on the matrix multiplies only: quantising the embedding
                # tables too, or per-tensor scales, moved vectors 3-6% (cosine) from torch's.
                quantize_dynamic(
                    str(fp32),
                    str(result),
                    weight_type=QuantType.QInt8,
                    per_channel=True,
                    op_types_to_quantize=["MatMul"],
                )
            finally:
                logging.getLogger().removeHandler(quiet)
        os.replace(result, target)
    return target


class OnnxEmbedder(QueryCachingEmbedder):
    """Mean-pooled, L2-normalized sentence vectors from an ONNX encoder; batches sorted by length."""

    def __init__(
        self,
        model_dir: Path,
        onnx_path: Path,
        batch_size: int = EMBED_BATCH_SIZE,
        max_seq_tokens: int = EMBED_MAX_SEQ_TOKENS,
    ) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        if not onnx_path.is_file():
            raise EmbeddingModelError(f"No ONNX model at {onnx_path}")
        super().__init__()
        self.model_dir = model_dir
        self.onnx_path = onnx_path
        self.batch_size = batch_size
        self.name = model_name(model_dir)
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_seq_tokens)
        self._tokenizer.enable_padding()
        options = onnxruntime.SessionOptions()
        # No busy-waiting between calls: the API process shares its cores with llama.cpp.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self._lock = threading.Lock()
        self.dimension = int(self._encode(["dimension probe"]).shape[1])

    @classmethod
    def from_settings(cls, settings: EmbeddingSettings) -> OnnxEmbedder:
        """Load the cached export for ``settings.backend``, exporting it first if it is missing."""
        model_dir = resolve_model_dir(settings.model)
        path = onnx_file(model_dir, settings.onnx_cache_dir, quantised=settings.backend == "onnx-int8")
        if not path.is_file():
            try:
                export_onnx(model_dir, path)
            except EmbeddingModelError:
                raise
            except Exception as exc:  # noqa: BLE001 - any export failure becomes one clear message
                raise EmbeddingModelError(f"Could not export {model_dir} to ONNX at {path}: {exc}") from exc
        return cls(model_dir, path, settings.batch_size, settings.max_seq_tokens)

    def _encode(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.asarray([encoding.ids for encoding in encodings], dtype=np.int64)
        mask = np.asarray([encoding.attention_mask for encoding in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        with self._lock:
            hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return (pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)).astype(np.float32)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # Sorted by length so each batch pads to similar lengths (as sentence-transformers does).
        order = np.argsort([len(text) for text in texts], kind="stable")
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            rows = order[start : start + self.batch_size]
            vectors[rows] = self._encode([texts[row] for row in rows])
        return vectors
