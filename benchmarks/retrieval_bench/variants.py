"""This script's own copies of the rag-app's retrievers (`--variants`), and fusion variants.

They index the script's chunks (`chunks.py`) with SQLite FTS5 and exact cosine search and fuse
them as the template did when the copy was written: RRF of chunk BM25 and chunk dense, plus a
whole-document BM25 list whose rank of a document counts for each of its candidate chunks.
The "documents fused" variant ranks documents by an RRF of the floor, the chunk BM25 documents
and the dense documents (one list per signal, fused at document level).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .chunks import RRF_K, TITLE_SEPARATOR, Chunk, load_chunks, rrf, to_documents
from .corpora import Collection
from .embedders import Embed, minilm_embedder, wordllama_embedder
from .floor import bm25_documents
from .metrics import evaluate

DEPTH = 100
_STOPWORD_TEXT = """
    a about above after all also am an and any are as at be been before being below between
    both but by can could did do does doing down during each few for from further had has have
    having he her here hers him his how i if in into is it its itself just me more most my no
    nor not now of off on once only or other our ours out over own same she should so some such
    than that the their theirs them then there these they this those through to too under until
    up very was we were what when where which while who whom why will with would you your yours
    tell please explain describe"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())  # the template's list (minus "show", "give")
EMBEDDERS: dict[str, Callable[[], Embed]] = {
    "fast": wordllama_embedder,
    "accurate": minilm_embedder,
}


class Fts5:
    """SQLite FTS5 BM25 over (title, text) rows, the distinct content words OR-ed."""

    def __init__(self, rows: Sequence[tuple[str, str]]) -> None:
        self.db = sqlite3.connect(":memory:")
        self.db.execute(
            "CREATE VIRTUAL TABLE fts USING fts5(title, text, tokenize='porter unicode61')"
        )
        numbered = ((i, title, text) for i, (title, text) in enumerate(rows))
        self.db.executemany("INSERT INTO fts(rowid, title, text) VALUES (?, ?, ?)", numbered)

    def search(self, query: str, depth: int = DEPTH) -> list[int]:
        """Return row numbers, best first."""
        words = re.findall(r"\w+", query.lower())
        terms = [w for w in dict.fromkeys(words) if w not in STOPWORDS and len(w) > 1]
        if not terms:
            return []
        match = " OR ".join(f'"{t}"' for t in terms)
        sql = "SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY bm25(fts) LIMIT ?"
        return [row[0] for row in self.db.execute(sql, (match, depth))]


def document_rows(chunks: Sequence[Chunk]) -> tuple[list[str], list[tuple[str, str]]]:
    """Return the document names and one (title, whole text) row per document."""
    names = list(dict.fromkeys(c.doc for c in chunks))
    bodies: dict[str, list[str]] = {n: [] for n in names}
    titles: dict[str, str] = {}
    for chunk in chunks:
        bodies[chunk.doc].append(chunk.text)
        titles.setdefault(chunk.doc, chunk.title.split(TITLE_SEPARATOR)[0])
    return names, [(titles[n], "\n\n".join(bodies[n])) for n in names]


class Dense:
    """Exact cosine search over L2-normalised chunk vectors."""

    def __init__(self, embed: Embed, texts: Sequence[str]) -> None:
        self.embed = embed
        self.matrix = embed(list(texts))

    def search(self, query: str, depth: int = DEPTH) -> list[int]:
        """Return chunk indexes by cosine similarity, best first."""
        scores = self.matrix @ self.embed([query])[0]
        top = np.argpartition(-scores, min(depth, len(scores) - 1))[:depth]
        return [int(i) for i in top[np.argsort(-scores[top])]]


def retrievers(collection: Collection, tier: str) -> dict[str, Callable[[str], list[str]]]:
    """Return the script's retrievers for one embedding tier, keyed by the name printed."""
    chunks = load_chunks(collection.docs)
    fts = Fts5([(c.title, c.text) for c in chunks])
    names, rows = document_rows(chunks)
    documents = Fts5(rows)
    dense = Dense(EMBEDDERS[tier](), [c.indexed_text for c in chunks])
    floor = bm25_documents(collection.docs)

    def hybrid(query: str) -> list[str]:
        scores = rrf(fts.search(query), dense.search(query))
        rank = {names[n]: r for r, n in enumerate(documents.search(query), start=1)}
        for i in scores:
            if chunks[i].doc in rank:
                scores[i] += 1.0 / (RRF_K + rank[chunks[i].doc])
        return to_documents(sorted(scores, key=lambda i: -scores[i]), chunks)

    def documents_fused(query: str) -> list[str]:
        lexical = to_documents(fts.search(query), chunks)
        vectors = to_documents(dense.search(query), chunks)
        scores = rrf(floor(query), lexical, vectors)
        return sorted(scores, key=lambda d: -scores[d])

    return {
        "(v) script: FTS5 chunks": lambda q: to_documents(fts.search(q), chunks),
        f"(v) script: dense chunks, {tier}": lambda q: to_documents(dense.search(q), chunks),
        f"(v) script: RRF chunks + document list, {tier}": hybrid,
        f"(v) script: RRF of documents (floor, FTS5, dense), {tier}": documents_fused,
    }


def variant_rows(collection: Collection, tiers: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Score the script's retrievers on a collection, for every tier asked."""
    rows: dict[str, dict[str, Any]] = {}
    for tier in tiers:
        for name, search in retrievers(collection, tier).items():
            rows[name] = evaluate(search, collection)
    return rows
