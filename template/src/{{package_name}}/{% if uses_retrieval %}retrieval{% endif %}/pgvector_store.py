"""The server index: PostgreSQL with pgvector (dense) and a tsvector column (lexical).

Chosen with `RAG_STORE_URL=postgresql://user:pass@host:5432/db` (needs the `pgvector` extra
unless the project was generated for pgvector). Dense search uses an HNSW index with cosine
distance; lexical search ranks a `tsvector` column of each chunk's title and text, with the
parts of its identifiers appended (`store.index_text`), by `ts_rank` (its scores are on another
scale than SQLite's BM25, so tune `RAG_MIN_BM25` per backend), and whole documents by a
`tsvector` of their text on `rag_documents` (`ts_rank` normalised by document length, for
hybrid retrieval). Two ingests at once are serialised by a PostgreSQL advisory lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from .chunking import Chunk
from .embeddings import Vectors
from .store import (
    DocumentHit,
    DocumentInfo,
    Hit,
    IndexMissingError,
    IngestLockedError,
    StoreError,
    document_text,
    index_text,
    lexical_terms,
)

LOCK_KEY = 7_412_903  # the advisory-lock id that ingests share

SCHEMA = """
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE IF NOT EXISTS rag_documents (
    source TEXT PRIMARY KEY, title TEXT NOT NULL, fingerprint TEXT NOT NULL,
    chunks INTEGER NOT NULL, tsv tsvector);
ALTER TABLE rag_documents ADD COLUMN IF NOT EXISTS tsv tsvector;
CREATE INDEX IF NOT EXISTS rag_documents_tsv ON rag_documents USING gin (tsv);
CREATE TABLE IF NOT EXISTS rag_chunks (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL REFERENCES rag_documents(source) ON DELETE CASCADE,
    position INTEGER NOT NULL, title TEXT NOT NULL, text TEXT NOT NULL,
    embedding vector({dim}) NOT NULL,
    tsv tsvector);
ALTER TABLE rag_chunks ALTER COLUMN tsv DROP EXPRESSION IF EXISTS;
CREATE INDEX IF NOT EXISTS rag_chunks_source ON rag_chunks (source);
CREATE INDEX IF NOT EXISTS rag_chunks_tsv ON rag_chunks USING gin (tsv);
CREATE INDEX IF NOT EXISTS rag_chunks_embedding ON rag_chunks
    USING hnsw (embedding vector_cosine_ops);
"""


class PgVectorStore:
    """The `Store` protocol over PostgreSQL + pgvector."""

    def __init__(self, url: str, *, create: bool = False, dim: int = 256) -> None:
        try:
            import psycopg
            from pgvector.psycopg import register_vector
        except ImportError as exc:
            raise StoreError(
                "PostgreSQL needs the `pgvector` extra: uv sync --extra pgvector"
            ) from exc
        self.where = url.split("@")[-1]  # never print the password
        self._mutex = threading.RLock()
        try:
            self._conn: Any = psycopg.connect(url, autocommit=True)
        except psycopg.OperationalError as exc:
            raise StoreError(f"Cannot connect to PostgreSQL at {self.where}: {exc}") from exc
        if create:
            self._conn.execute(SCHEMA.format(dim=int(dim)))
        else:
            row = self._conn.execute("SELECT to_regclass('rag_chunks')").fetchone()
            if row is None or row[0] is None:
                raise IndexMissingError(self.where)
        register_vector(self._conn)

    @contextmanager
    def ingest_lock(self, timeout_s: float) -> Iterator[None]:
        """Hold a session advisory lock so that two ingests never write at once."""
        deadline = time.monotonic() + timeout_s
        while not self._conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()[0]:
            if time.monotonic() >= deadline:
                raise IngestLockedError(self.where)
            time.sleep(0.1)
        try:
            yield
        finally:
            self._conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))

    def fingerprints(self) -> dict[str, str]:
        """Return the fingerprint of every indexed source."""
        with self._mutex:
            rows = self._conn.execute("SELECT source, fingerprint FROM rag_documents").fetchall()
        return {source: fingerprint for source, fingerprint in rows}

    def replace_document(
        self, info: DocumentInfo, chunks: Sequence[Chunk], vectors: Vectors
    ) -> int:
        """Store a document's chunks in place of its old ones, in one transaction."""
        with self._mutex, self._conn.transaction():
            removed = self._delete([info.source])
            self._conn.execute(
                "INSERT INTO rag_documents (source, title, fingerprint, chunks, tsv) "
                "VALUES (%s, %s, %s, %s, to_tsvector('english', %s))",
                (
                    info.source,
                    info.title,
                    info.fingerprint,
                    len(chunks),
                    f"{info.title}\n{index_text(document_text(chunks))}",
                ),
            )
            with self._conn.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO rag_chunks (id, source, position, title, text, embedding, tsv) "
                    "VALUES (%s, %s, %s, %s, %s, %s, to_tsvector('english', %s))",
                    [
                        (
                            *(c.id, c.source, c.position, c.title, c.text),
                            np.asarray(v, np.float32),
                            f"{c.title} {index_text(c.text)}",
                        )
                        for c, v in zip(chunks, vectors, strict=True)
                    ],
                )
        return removed

    def delete_documents(self, sources: Sequence[str]) -> int:
        """Remove documents and their chunks; return how many chunks were removed."""
        with self._mutex, self._conn.transaction():
            return self._delete(sources)

    def clear(self) -> None:
        """Remove everything from the index."""
        with self._mutex, self._conn.transaction():
            self._conn.execute("TRUNCATE rag_chunks, rag_documents")

    def search_lexical(self, query: str, k: int) -> list[Hit]:
        """Return up to `k` chunks ranked by `ts_rank` over the English tsvector."""
        terms = lexical_terms(query)
        if not terms:
            return []
        with self._mutex:
            rows = self._conn.execute(
                "SELECT id, ts_rank(tsv, q) AS score, source "
                "FROM rag_chunks, websearch_to_tsquery('english', %s) AS q "
                "WHERE tsv @@ q ORDER BY score DESC, id LIMIT %s",
                (" or ".join(terms), k),
            ).fetchall()
        return [Hit(chunk_id, float(score), source) for chunk_id, score, source in rows]

    def search_documents(self, query: str, k: int) -> list[DocumentHit]:
        """Return up to `k` documents ranked by `ts_rank` over their whole text."""
        terms = lexical_terms(query)
        if not terms:
            return []
        with self._mutex:
            rows = self._conn.execute(
                "SELECT source, ts_rank(tsv, q, 1) AS score "  # 1: divide by 1 + log(length)
                "FROM rag_documents, websearch_to_tsquery('english', %s) AS q "
                "WHERE tsv @@ q ORDER BY score DESC, source LIMIT %s",
                (" or ".join(terms), k),
            ).fetchall()
        return [DocumentHit(source, float(score)) for source, score in rows]

    def search_dense(self, vector: Vectors, k: int) -> list[Hit]:
        """Return up to `k` chunks by cosine similarity (HNSW index)."""
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        with self._mutex:
            rows = self._conn.execute(
                "SELECT id, 1 - (embedding <=> %s) AS score, source FROM rag_chunks "
                "ORDER BY embedding <=> %s LIMIT %s",
                (query, query, k),
            ).fetchall()
        return [Hit(chunk_id, float(score), source) for chunk_id, score, source in rows]

    def get_chunks(self, ids: Sequence[str]) -> list[Chunk]:
        """Return the chunks with these ids, in the same order."""
        with self._mutex:
            rows = self._conn.execute(
                "SELECT id, source, position, title, text FROM rag_chunks WHERE id = ANY(%s)",
                (list(ids),),
            ).fetchall()
        found = {row[0]: Chunk(*row) for row in rows}
        return [found[i] for i in ids if i in found]

    def documents(self) -> list[DocumentInfo]:
        """List the indexed documents, by source."""
        with self._mutex:
            rows = self._conn.execute(
                "SELECT source, title, chunks, fingerprint FROM rag_documents ORDER BY source"
            ).fetchall()
        return [DocumentInfo(*row) for row in rows]

    def count_chunks(self) -> int:
        """Return how many chunks the index holds."""
        with self._mutex:
            return int(self._conn.execute("SELECT count(*) FROM rag_chunks").fetchone()[0])

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def _delete(self, sources: Sequence[str]) -> int:
        """Delete documents (their chunks cascade); return how many chunks went."""
        removed = self._conn.execute(
            "DELETE FROM rag_chunks WHERE source = ANY(%s)", (list(sources),)
        ).rowcount
        self._conn.execute("DELETE FROM rag_documents WHERE source = ANY(%s)", (list(sources),))
        return int(removed)
