"""What the index holds, asked one way by everyone: the API's routes, ``zoneqa stats`` and the checks on ``sources``.

Usage::

    catalog = IndexCatalog(store)
    catalog.documents()          # [DocumentRecord(source="a.pdf", title=..., chunks=12, pages=22), ...]
    catalog.known_sources()      # ["a.pdf", "b.txt"]
    catalog.unknown(["a.pdf", "typo.pdf"])   # ["typo.pdf"]
    catalog.heartbeat()          # raises IndexUnavailableError when Chroma stops answering
"""

from __future__ import annotations

from collections.abc import Sequence

from index.store import ChromaStore, DocumentRecord


class IndexCatalog:
    """Read-only facts about the indexed documents, from their document records in the store."""

    def __init__(self, store: ChromaStore) -> None:
        self.store = store

    def documents(self) -> list[DocumentRecord]:
        """Every indexed document, by file name."""
        return sorted(self.store.documents(), key=lambda record: record.source)

    def document(self, source: str) -> DocumentRecord | None:
        return self.store.document(source)

    def known_sources(self) -> list[str]:
        return [record.source for record in self.documents()]

    def unknown(self, sources: Sequence[str]) -> list[str]:
        """The names in ``sources`` that are not indexed documents (in the order given)."""
        known = set(self.known_sources())
        return [source for source in sources if source not in known]

    def chunk_count(self) -> int:
        return self.store.count()

    def heartbeat(self) -> None:
        """Raise :class:`core.errors.IndexUnavailableError` if Chroma does not answer."""
        self.store.heartbeat()
