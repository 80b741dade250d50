"""ZoneQA's one error family: every error the product raises on purpose derives from :class:`ZoneQAError`.

The messages are written for the person who has to act on them (a maintainer, an integrator); no
class here knows about HTTP. ``api/errors.py`` maps each class (and an upload's
:class:`RejectionReason`) to a status code and the API's one JSON error shape.

Usage::

    try:
        pipeline = build(settings).pipeline
    except ZoneQAError as error:          # configuration, model, index, generator, ...
        print(f"Error: {error}")

    raise UploadRejectedError(RejectionReason.UNSUPPORTED_TYPE, "Unsupported file type '.exe'.")
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path


class ZoneQAError(Exception):
    """Root of every error ZoneQA raises on purpose; ``str(error)`` says what happened and what to do."""


# ---- configuration --------------------------------------------------------------------------------
class ConfigurationError(ZoneQAError, ValueError):
    """A setting, or a combination of settings, that cannot work (e.g. an unknown generator name)."""


# ---- ingestion --------------------------------------------------------------------------------------
class IngestError(ZoneQAError):
    """Something in the documents or their metadata cannot be ingested."""


class LoaderError(IngestError):
    """A file that cannot be ingested; the message says why, in words a maintainer can act on."""


class ManifestError(IngestError, ValueError):
    """A manifest that exists but cannot be read; the message names the file."""


# ---- models -------------------------------------------------------------------------------------------
class ModelError(ZoneQAError):
    """A model file (embedding model or LLM) that cannot be found, fetched or trusted."""


class EmbeddingModelError(ModelError):
    """The embedding model cannot be found or loaded; the message says how to fix it."""


class ModelIntegrityError(ModelError):
    """A model file does not have the expected sha256."""

    def __init__(self, path: Path, expected: str, actual: str) -> None:
        super().__init__(f"{path}: sha256 mismatch (expected {expected}, got {actual}); the file was not kept.")
        self.path = path
        self.expected = expected
        self.actual = actual


class ModelDownloadError(ModelError):
    """pip could not download a model part (network, index or version problem)."""


# ---- the index ------------------------------------------------------------------------------------------
class IndexUnavailableError(ZoneQAError):
    """The index (Chroma) cannot be reached or opened; the message says where it was looked for."""


# ---- the answer generator -----------------------------------------------------------------------------
class GeneratorError(ZoneQAError):
    """The answer generator failed while running (a server went away, a stream broke)."""


class GeneratorUnavailableError(GeneratorError):
    """The answer generator cannot be built (missing model, failed sha256, unknown name)."""


class GeneratorBusyError(GeneratorError):
    """The LLM queue is full or the wait for it ran out; trying again later will work."""


# ---- document uploads -------------------------------------------------------------------------------------
class RejectionReason(StrEnum):
    """Why a document change was refused (``api/errors.py`` maps each to an HTTP status)."""

    INVALID_NAME = "invalid_name"
    UNSUPPORTED_TYPE = "unsupported_type"
    TOO_LARGE = "too_large"
    ALREADY_EXISTS = "already_exists"
    EMPTY = "empty"
    UNREADABLE = "unreadable"


class UploadRejectedError(ZoneQAError, ValueError):
    """A document the library refuses; ``reason`` says which rule, ``detail`` says it in words."""

    def __init__(self, reason: RejectionReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
