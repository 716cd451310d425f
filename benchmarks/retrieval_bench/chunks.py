"""This script's copy of the rag-app's heading chunker (for `--variants` only).

Markdown headings start sections; other formats are read as their plain text (no headings), so
the copy is exact for git-doc and an approximation elsewhere. The headline figures never use it:
they come from the generated project's own chunker.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import TypeVar

from .corpora.common import document_names, document_text

T = TypeVar("T")
RRF_K = 60
CHUNK_SIZE = 180
TITLE_SEPARATOR = " \u203a "  # the rag-app's chunking.TITLE_SEPARATOR
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


@dataclass(frozen=True)
class Chunk:
    """One chunk: its document, title (heading path) and text."""

    doc: str
    title: str
    text: str

    @property
    def indexed_text(self) -> str:
        """Return the text that is searched and embedded."""
        return f"{self.title}\n{self.text}"


def parse_blocks(text: str) -> list[tuple[tuple[str, ...], str]]:
    """Split Markdown into (heading path, paragraph) blocks, ignoring headings in code fences."""
    blocks: list[tuple[tuple[str, ...], str]] = []
    headings: list[str] = []
    paragraph: list[str] = []
    in_fence = False

    def flush() -> None:
        if "\n".join(paragraph).strip():
            blocks.append((tuple(h for h in headings if h), "\n".join(paragraph).strip()))
        paragraph.clear()

    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(line)
        if match:
            flush()
            level = len(match.group(1))
            del headings[level - 1 :]
            headings.extend([""] * (level - 1 - len(headings)))
            headings.append(match.group(2))
        elif not line.strip() and not in_fence:
            flush()
        else:
            paragraph.append(line)
    flush()
    return blocks


def chunk_heading(name: str, text: str, size: int = CHUNK_SIZE) -> list[Chunk]:
    """Group paragraphs under their heading path, up to `size` words, never across sections."""
    blocks = parse_blocks(text)
    doc_title = next((h[0] for h, _ in blocks if h), Path(name).stem)
    chunks: list[Chunk] = []
    for headings, section in groupby(blocks, key=lambda b: b[0]):
        title = TITLE_SEPARATOR.join([doc_title, *(h for h in headings if h != doc_title)])
        current: list[str] = []
        for _, body in section:
            words = body.split()
            for piece in (" ".join(words[s : s + size]) for s in range(0, len(words), size)):
                if current and len(" ".join(current).split()) + len(piece.split()) > size:
                    chunks.append(Chunk(name, title, "\n\n".join(current)))
                    current = []
                current.append(piece)
        if current:
            chunks.append(Chunk(name, title, "\n\n".join(current)))
    return chunks


def load_chunks(docs: Path, size: int = CHUNK_SIZE) -> list[Chunk]:
    """Chunk every document of a collection."""
    return [
        c for n in document_names(docs) for c in chunk_heading(n, document_text(docs / n), size)
    ]


def to_documents(ranked_chunks: Iterable[int], chunks: Sequence[Chunk]) -> list[str]:
    """Turn a chunk ranking into a document ranking (each document at its best chunk)."""
    return list(dict.fromkeys(chunks[i].doc for i in ranked_chunks))


def rrf(*rankings: Sequence[T], k: int = RRF_K) -> dict[T, float]:
    """Return each item's reciprocal-rank-fusion score, in first-seen order."""
    scores: dict[T, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return scores
