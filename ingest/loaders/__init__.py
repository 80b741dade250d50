"""File loaders: PDF, plain text, Markdown and HTML → :class:`LoadedDocument`.

Every loader produces one clean, readable text (it is what citations quote) plus
:class:`Block` spans over it: paragraphs, headings and tables, joined by a blank line, each
with the heading it falls under as ``section``. PDFs also get ``page_starts`` so any character
maps back to its page. Anything that cannot be ingested raises :class:`LoaderError` with a
reason a maintainer can act on; no other exception escapes for a bad file.

Usage::

    from pathlib import Path
    from ingest.loaders import load_file
    from ingest.manifest import load_manifest
    from core.config import get_settings

    folder = Path("corpus")
    doc = load_file(folder / "ftz-tenth-anniversary-pei-2024.pdf",
                    limits=get_settings().limits, manifest=load_manifest(folder))
    doc.page_at(doc.text.index("Table 2"))  # -> 10
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path

from core.config import IngestLimits
from core.documents import LoadedDocument
from core.errors import LoaderError
from ingest.loaders.assembly import (
    BLOCK_SEPARATOR,
    CELL_SEPARATOR,
    ROW_SEPARATOR,
    _assemble,
    _first_heading,
    _page_starts,
    _Parsed,
    _prettify_stem,
)
from ingest.loaders.html import _load_html
from ingest.loaders.markdown import _load_markdown
from ingest.loaders.pdf import _load_pdf
from ingest.loaders.text import _load_txt
from ingest.manifest import ManifestEntry, is_manifest

__all__ = ["BLOCK_SEPARATOR", "CELL_SEPARATOR", "ROW_SEPARATOR", "SUPPORTED_SUFFIXES", "load_file"]

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".pdf", ".txt", ".md", ".markdown", ".html", ".htm"})

# One loader per suffix: bytes and limits in, pieces (plus title, page count, warnings) out.
_LOADERS: dict[str, Callable[[bytes, IngestLimits], _Parsed]] = {
    ".pdf": _load_pdf,
    ".txt": _load_txt,
    ".md": _load_markdown,
    ".markdown": _load_markdown,
    ".html": _load_html,
    ".htm": _load_html,
}


def load_file(path: Path, *, limits: IngestLimits, manifest: dict[str, ManifestEntry] | None = None) -> LoadedDocument:
    """Load one file into a cleaned :class:`LoadedDocument`, or raise :class:`LoaderError`.

    Limits are checked as early as possible: file bytes before reading, PDF pages before
    extracting, characters after extracting. Title, publisher and date come from ``manifest``
    (keyed by file name) when it has an entry, else the title is derived from the file.
    """
    suffix = path.suffix.lower()
    if is_manifest(path):
        raise LoaderError(f"{path.name}: this is the folder's metadata manifest, not a document")
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise LoaderError(f"{path.name}: unsupported file type {suffix or '(none)'!r}; supported: {supported}")
    try:
        size = path.stat().st_size
    except OSError as error:
        raise LoaderError(f"{path.name}: cannot read the file: {error.strerror or error}") from error
    if size > limits.max_file_bytes:
        raise LoaderError(
            f"{path.name}: file is {size:,} bytes, over the limit of {limits.max_file_bytes:,} bytes "
            "(ZONEQA_LIMITS__MAX_FILE_BYTES)"
        )
    if size == 0:
        raise LoaderError(f"{path.name}: the file is empty")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise LoaderError(f"{path.name}: cannot read the file: {error.strerror or error}") from error

    loader = _LOADERS[suffix]
    try:
        parsed = loader(data, limits)
    except LoaderError as error:
        raise LoaderError(f"{path.name}: {error}") from error
    except Exception as error:  # noqa: BLE001 - a broken file must never crash ingestion
        raise LoaderError(
            f"{path.name}: could not be parsed as {suffix[1:].upper()} ({type(error).__name__}: {error})"
        ) from error

    text, blocks, first_offset = _assemble(parsed.pieces)
    if not text.strip():
        raise LoaderError(f"{path.name}: {parsed.empty_reason}")
    if len(text) > limits.max_chars:
        raise LoaderError(
            f"{path.name}: extracted text has {len(text):,} characters, over the limit of "
            f"{limits.max_chars:,} (ZONEQA_LIMITS__MAX_CHARS)"
        )

    page_starts = _page_starts(first_offset, parsed.page_count, len(text)) if parsed.page_count else None
    entry = (manifest or {}).get(path.name)
    title = entry.title if entry else (parsed.title or _first_heading(text, blocks) or _prettify_stem(path))
    return LoadedDocument(
        source=path.name,
        title=title,
        text=text,
        blocks=blocks,
        page_starts=page_starts,
        publisher=entry.publisher if entry else None,
        date=entry.date if entry else None,
        sha256=hashlib.sha256(data).hexdigest(),
        warnings=parsed.warnings,
    )
