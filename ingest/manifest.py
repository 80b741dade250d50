"""Per-folder document metadata: ``<folder>/manifest.yaml``.

A manifest maps file names to the title, publisher and date that citations should show, as
the documents themselves state them. Files without an entry get a title derived by the loader.

Usage::

    from pathlib import Path
    from ingest.manifest import load_manifest
    manifest = load_manifest(Path("corpus"))
    manifest["free-zone-congress-2025.txt"].title

File format::

    some-file.pdf:
      title: "The Title As Printed"
      publisher: "Journal or outlet"
      date: "2024-05"
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.errors import ManifestError

MANIFEST_FILENAME = "manifest.yaml"


class ManifestEntry(BaseModel):
    """Metadata of one document, as the document states it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1, description="Title shown in citations.")
    publisher: str | None = Field(None, description="Journal, outlet or organisation that published it.")
    date: str | None = Field(None, description="Publication date, ISO-like: 2024, 2024-05 or 2024-05-01.")

    @field_validator("date", mode="before")
    @classmethod
    def _date_as_text(cls, value: object) -> object:
        # YAML turns an unquoted 2020-09-08 into a date object and 2024 into an int.
        return None if value is None else str(value)

    @field_validator("title", "publisher")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        return value.strip() if isinstance(value, str) else value


def is_manifest(path: Path) -> bool:
    """True for the manifest file itself, which is metadata and never a document."""
    return path.name == MANIFEST_FILENAME


def load_manifest(folder: Path) -> dict[str, ManifestEntry]:
    """Read ``folder/manifest.yaml``; a missing file means no entries.

    Raises :class:`ManifestError` (naming the file) when the file is not valid YAML or an entry
    lacks a title / has unknown fields.
    """
    path = folder / MANIFEST_FILENAME
    if not path.is_file():
        return {}
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise ManifestError(f"{path}: cannot read the manifest: {error}") from error
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ManifestError(f"{path}: expected a mapping of file name to {{title, publisher, date}}")
    entries: dict[str, ManifestEntry] = {}
    for name, fields in raw.items():
        if not isinstance(fields, dict):
            raise ManifestError(f"{path}: entry {name!r} must be a mapping with at least a title")
        try:
            entries[str(name)] = ManifestEntry(**fields)
        except ValidationError as error:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
            raise ManifestError(f"{path}: entry {name!r} is invalid: {problems}") from error
    return entries
