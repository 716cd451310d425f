"""Split parsed documents into chunks with stable ids, by heading structure or by fixed size.

- `heading`: paragraphs are grouped under their heading path (for example
  `Pricing > Team plan`) up to `chunk_size` words; a chunk never spans two sections, and its
  title carries the heading path, so that each chunk reads on its own.
- `fixed`: the document's words are cut into windows of `chunk_size` words that overlap by
  `chunk_overlap` words, ignoring structure (the classic baseline).

A chunk id is a hash of the source path, the chunk's position and its text: re-chunking the same
file gives the same ids, and any edit gives new ones.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby

from .documents import Block, ParsedDocument
from .settings import ChunkingStrategy

TITLE_SEPARATOR = " > "


@dataclass(frozen=True)
class Chunk:
    """A piece of a document: what is embedded, indexed and cited."""

    id: str
    source: str
    position: int
    title: str
    text: str

    @property
    def indexed_text(self) -> str:
        """Return the text that is embedded and searched: the title (context) and the body."""
        return f"{self.title}\n{self.text}"


def chunk_id(source: str, position: int, text: str) -> str:
    """Return a stable id for a chunk: a hash of its source, position and text."""
    digest = hashlib.sha256(f"{source}\x00{position}\x00{text}".encode())
    return digest.hexdigest()[:24]


def chunk_document(
    document: ParsedDocument, strategy: ChunkingStrategy, *, size: int, overlap: int
) -> list[Chunk]:
    """Split one document into chunks with the given strategy."""
    if strategy == "heading":
        pieces = list(_by_heading(document, size))
    else:
        pieces = list(_fixed(document, size, overlap))
    return [
        Chunk(chunk_id(document.source, n, text), document.source, n, title, text)
        for n, (title, text) in enumerate(pieces)
    ]


def _section_title(document: ParsedDocument, headings: tuple[str, ...]) -> str:
    """Join the document title and heading path, without repeating the title."""
    path = [document.title, *(h for h in headings if h != document.title)]
    return TITLE_SEPARATOR.join(path)


def _by_heading(document: ParsedDocument, size: int) -> Iterator[tuple[str, str]]:
    """Yield (title, text) per section, packing whole paragraphs up to `size` words."""
    for headings, section in groupby(document.blocks, key=lambda b: b.headings):
        title = _section_title(document, headings)
        current: list[str] = []
        count = 0
        for paragraph in _split_long(list(section), size):
            words = len(paragraph.split())
            if current and count + words > size:
                yield title, "\n\n".join(current)
                current, count = [], 0
            current.append(paragraph)
            count += words
        if current:
            yield title, "\n\n".join(current)


def _split_long(blocks: list[Block], size: int) -> Iterator[str]:
    """Yield paragraphs, cutting any paragraph longer than `size` words on word boundaries."""
    for block in blocks:
        words = block.text.split()
        if len(words) <= size:
            yield block.text
            continue
        for start in range(0, len(words), size):
            yield " ".join(words[start : start + size])


def _fixed(document: ParsedDocument, size: int, overlap: int) -> Iterator[tuple[str, str]]:
    """Yield windows of `size` words that overlap by `overlap` words."""
    words: list[str] = []
    previous: tuple[str, ...] = ()
    for block in document.blocks:
        if block.headings and block.headings != previous:
            words.extend(block.headings[-1].split())  # headings stay in the text, as plain words
        previous = block.headings
        words.extend(block.text.split())
    step = max(1, size - min(overlap, size - 1))
    for part, start in enumerate(range(0, len(words), step), start=1):
        yield f"{document.title} (part {part})", " ".join(words[start : start + size])
        if start + size >= len(words):
            break
