"""Structure-aware chunking under a token budget.

Blocks (paragraphs, headings, tables) are packed whole into chunks of at most
``chunk_tokens`` tokens of the embedding model's tokenizer and at most ``max_chars`` characters.
A block that is too big on its own is cut at sentence ends (paragraphs) or between rows
(tables; the caption stays with the first rows, and every later chunk of the table carries them
as ``Chunk.context``); a heading always travels with the text after it. A new chunk repeats the last sentences
of the previous one, up to ``overlap_tokens``. Every chunk is a contiguous character span of the
document text, so offsets, pages and quotes stay exact.

Usage::

    chunker = StructuredChunker(token_counter=TokenCounter.from_model_dir(model_dir),
                                chunk_tokens=250, overlap_tokens=40)
    chunks = chunker.split(loaded_document)
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from core.documents import Block, Chunk, LoadedDocument, make_chunk_id
from core.text.sentences import sentence_spans

OffsetTokenizer = Callable[[str], Sequence[tuple[int, int]]]
#: Character cap per chunk (``ChunkingSettings.max_chars``), beside the token budget.
DEFAULT_MAX_CHARS = 2000


class TokenCounter:
    """Counts tokens of any span of a text after tokenizing the whole text once.

    Usage::

        counter = TokenCounter.from_model_dir(model_dir)
        view = counter.view("Some long text ...")
        view.count(0, 9)  # tokens in text[0:9]
    """

    def __init__(self, token_offsets: OffsetTokenizer) -> None:
        self._token_offsets = token_offsets

    @classmethod
    def from_model_dir(cls, model_dir: Path) -> TokenCounter:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(model_dir), use_fast=True)

        def offsets(text: str) -> list[tuple[int, int]]:
            encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
            return [tuple(pair) for pair in encoded["offset_mapping"]]  # type: ignore[misc]

        return cls(offsets)

    @classmethod
    def whitespace(cls) -> TokenCounter:
        """A model-free counter (one token per word or punctuation mark), for tests and fallbacks."""
        import re

        pattern = re.compile(r"\w+|[^\w\s]")
        return cls(lambda text: [(m.start(), m.end()) for m in pattern.finditer(text)])

    def view(self, text: str) -> TokenView:
        return TokenView(self._token_offsets(text))

    def count(self, text: str) -> int:
        return len(self._token_offsets(text))


@dataclass
class TokenView:
    """Token positions of one text; counts the tokens inside any character span in O(log n)."""

    offsets: Sequence[tuple[int, int]]

    def __post_init__(self) -> None:
        self._starts = [start for start, _ in self.offsets]

    def count(self, start: int, end: int) -> int:
        return bisect.bisect_left(self._starts, end) - bisect.bisect_left(self._starts, start)


@dataclass(frozen=True)
class _Piece:
    """A span that is never split (a sentence, a table row, a whole block)."""

    start: int
    end: int
    block_index: int
    sticky: bool = False  # a heading or caption: must not end a chunk
    repeatable: bool = False  # a sentence of a split paragraph: may be repeated as overlap


class StructuredChunker:
    """Packs a document's blocks into chunks; see the module docstring."""

    def __init__(
        self,
        token_counter: TokenCounter,
        chunk_tokens: int = 250,
        overlap_tokens: int = 40,
        max_chars: int = DEFAULT_MAX_CHARS,
    ) -> None:
        if chunk_tokens < 16:
            raise ValueError("chunk_tokens must be at least 16")
        if not 0 <= overlap_tokens < chunk_tokens:
            raise ValueError("overlap_tokens must be >= 0 and smaller than chunk_tokens")
        if max_chars < 16:
            raise ValueError("max_chars must be at least 16")
        self.token_counter = token_counter
        self.chunk_tokens = chunk_tokens
        self.overlap_tokens = overlap_tokens
        self.max_chars = max_chars

    def _fits(self, start: int, end: int, tokens: TokenView) -> bool:
        """Within both budgets. Characters count too: a tokenizer may see a 1 MB run without
        spaces as one unknown token, and that must not become one 1 MB chunk."""
        return end - start <= self.max_chars and tokens.count(start, end) <= self.chunk_tokens

    def split(self, doc: LoadedDocument) -> list[Chunk]:
        tokens = self.token_counter.view(doc.text)
        pieces = self._pieces(doc, tokens)
        spans = self._pack(doc.text, pieces, tokens)
        chunks: list[Chunk] = []
        for start, end, block_index in spans:
            text = doc.text[start:end]
            if not text.strip():
                continue
            block = doc.blocks[block_index]
            chunks.append(
                Chunk(
                    chunk_id=make_chunk_id(doc.source, text),
                    source=doc.source,
                    title=doc.title,
                    text=text,
                    chunk_index=len(chunks),
                    char_start=start,
                    char_end=end,
                    sha256=doc.sha256,
                    page=doc.page_at(start),
                    page_end=doc.page_at(end - 1),
                    section=block.section,
                    page_spans=doc.page_spans(start, end),
                    context=_table_context(doc, block, start),
                )
            )
        return _dedupe_ids(chunks)

    def _pieces(self, doc: LoadedDocument, tokens: TokenView) -> list[_Piece]:
        pieces: list[_Piece] = []
        for index, block in enumerate(doc.blocks):
            if block.end <= block.start or not doc.text[block.start : block.end].strip():
                continue
            if block.kind == "heading" and self._fits(block.start, block.end, tokens):
                pieces.append(_Piece(block.start, block.end, index, sticky=True))
            elif self._fits(block.start, block.end, tokens):
                pieces.append(_Piece(block.start, block.end, index))
            elif block.kind == "table":
                for piece in self._table_pieces(block, index):  # a row over budget is cut like a sentence
                    fitted = self._fit(piece.start, piece.end, index, tokens, doc.text)
                    pieces.extend(fitted if len(fitted) > 1 else [piece])
            else:
                for a, b in sentence_spans(doc.text, block.start, block.end):
                    pieces.extend(
                        replace(piece, repeatable=block.kind == "paragraph")
                        for piece in self._fit(a, b, index, tokens, doc.text)
                    )
        return pieces

    def _table_pieces(self, block: Block, index: int) -> list[_Piece]:
        rows = list(block.rows) or [(block.start, block.end)]
        pieces = []
        if rows[0][0] > block.start:  # the caption: glued to the first row
            pieces.append(_Piece(block.start, rows[0][0], index, sticky=True))
        pieces.extend(_Piece(a, b, index) for a, b in rows)
        return pieces

    def _fit(self, start: int, end: int, index: int, tokens: TokenView, text: str) -> list[_Piece]:
        """A sentence longer than the budget is cut at word boundaries (rare: run-on text)."""
        if self._fits(start, end, tokens):
            return [_Piece(start, end, index)]
        pieces, cursor = [], start
        while cursor < end:
            cut = cursor
            for position in range(cursor + 1, end + 1):
                if not self._fits(cursor, position, tokens):
                    break
                if position == end or text[position].isspace():
                    cut = position
            if cut == cursor:  # a single "word" over budget: hard cut
                cut = min(end, cursor + min(self.chunk_tokens, self.max_chars))
            pieces.append(_Piece(cursor, cut, index))
            cursor = cut
            while cursor < end and text[cursor].isspace():
                cursor += 1
        return pieces

    def _pack(self, text: str, pieces: list[_Piece], tokens: TokenView) -> list[tuple[int, int, int]]:
        """Greedy packing; returns ``(start, end, block_index of the first content piece)``."""
        chunks: list[tuple[int, int, int]] = []
        current: list[_Piece] = []

        def flush() -> list[_Piece]:
            if not current:
                return []
            content = [p for p in current if not p.sticky] or current
            chunks.append((current[0].start, current[-1].end, content[0].block_index))
            return self._overlap(current, tokens)

        for piece in pieces:
            candidate = current + [piece]
            if current and not self._fits(candidate[0].start, piece.end, tokens):
                # Keep sticky pieces (headings, captions) with what follows them.
                trailing: list[_Piece] = []
                while current and current[-1].sticky:
                    trailing.insert(0, current.pop())
                carry = flush() if current else []
                if any(p.block_index != piece.block_index for p in carry):
                    carry = []  # overlap only within a block: never drag a previous paragraph along
                current = carry + trailing
                while current and not self._fits(current[0].start, piece.end, tokens):
                    current.pop(0)
            current.append(piece)
        flush()
        return chunks

    def _overlap(self, chunk_pieces: list[_Piece], tokens: TokenView) -> list[_Piece]:
        if self.overlap_tokens == 0:
            return []
        carried: list[_Piece] = []
        for piece in reversed(chunk_pieces):
            span_end = (carried[-1] if carried else piece).end
            if not piece.repeatable or tokens.count(piece.start, span_end) > self.overlap_tokens:
                break
            carried.insert(0, piece)
            if len(carried) == len(chunk_pieces) - 1:
                break
        return carried


def _table_context(doc: LoadedDocument, block: Block, chunk_start: int) -> str:
    """Caption and header row of the table a chunk continues (it starts after the header), else ""."""
    if block.kind != "table" or not block.rows or chunk_start < block.rows[0][1]:
        return ""
    return doc.text[block.start : block.rows[0][1]].strip()


def _dedupe_ids(chunks: list[Chunk]) -> list[Chunk]:
    """A document may repeat a passage verbatim; keep ids unique by salting repeats with their index."""
    seen: set[str] = set()
    for chunk in chunks:
        if chunk.chunk_id in seen:
            chunk.chunk_id = make_chunk_id(chunk.source, f"{chunk.chunk_index}:{chunk.text}")
        seen.add(chunk.chunk_id)
    return chunks
