"""The embedded index: one SQLite file with documents, chunks, float32 embeddings and FTS5.

Lexical search is SQLite's own BM25 (`bm25()` over FTS5 tables, Porter stemming): one table
of chunks and one of whole documents (hybrid retrieval fuses both with the dense ranking). The
FTS tables hold the text with the parts of its identifiers appended (`store.index_text`; not
the titles: a title is repeated on every chunk of its section, and short, so its parts would
weigh too much). Dense
search multiplies a numpy matrix of all embeddings, loaded once and reloaded only when the
index changes (a generation counter in the `meta` table), by the query vector. A 10,000-chunk
index is a 10 MB matrix and a sub-millisecond product; past a few hundred thousand chunks,
move to pgvector (`RAG_STORE_URL=postgresql://…`).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout
from tenacity import retry, retry_if_exception, stop_after_delay, wait_fixed

from .chunking import Chunk
from .embeddings import Vectors
from .store import (
    DocumentHit,
    DocumentInfo,
    Hit,
    IndexCorruptError,
    IndexMissingError,
    IngestLockedError,
    document_text,
    index_text,
    iter_batches,
    lexical_terms,
)

SCHEMA_VERSION = "2"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    rowid INTEGER PRIMARY KEY, source TEXT UNIQUE NOT NULL, title TEXT NOT NULL,
    fingerprint TEXT NOT NULL, chunks INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL,
    source TEXT NOT NULL REFERENCES documents(source) ON DELETE CASCADE,
    position INTEGER NOT NULL, title TEXT NOT NULL, text TEXT NOT NULL, embedding BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_source ON chunks(source);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(title, text, tokenize='porter unicode61');
CREATE VIRTUAL TABLE IF NOT EXISTS documents_fts
    USING fts5(title, text, tokenize='porter unicode61');
INSERT OR IGNORE INTO meta VALUES ('schema_version', '2'), ('generation', '0');
"""

BUSY_TIMEOUT_S = 30.0


def _is_locked(exc: BaseException) -> bool:
    """Tell whether `exc` is SQLite's "database is locked"."""
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)


@retry(
    retry=retry_if_exception(_is_locked),
    stop=stop_after_delay(BUSY_TIMEOUT_S),
    wait=wait_fixed(0.01),
    reraise=True,
)
def _enable_wal(conn: sqlite3.Connection) -> None:
    """Switch the index to WAL mode, so that readers never block the writer.

    SQLite's busy timeout does not cover this pragma: when two ingests create the same new
    index at once, one gets "database is locked" straight away. It is retried instead.
    """
    conn.execute("PRAGMA journal_mode = WAL")


class SQLiteStore:
    """The `Store` protocol over a single SQLite file."""

    def __init__(self, path: Path, *, create: bool = False) -> None:
        self.path = path
        self.where = str(path)
        if not path.exists():
            if not create:
                raise IndexMissingError(self.where)
            path.parent.mkdir(parents=True, exist_ok=True)
        self._mutex = threading.RLock()
        self._matrix: tuple[int, list[str], list[str], Vectors] | None = None
        try:
            self._conn = sqlite3.connect(path, check_same_thread=False, timeout=BUSY_TIMEOUT_S)
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._conn.execute("PRAGMA synchronous = NORMAL")  # safe with WAL, fewer fsyncs
            if create:
                _enable_wal(self._conn)
                self._conn.executescript(SCHEMA)
            version = self._conn.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).fetchone()
        except sqlite3.DatabaseError as exc:
            if "no such table" in str(exc):  # an empty file: nothing was ever ingested
                raise IndexMissingError(self.where) from exc
            raise IndexCorruptError(self.where, str(exc)) from exc
        if version is None or version[0] != SCHEMA_VERSION:
            raise IndexCorruptError(self.where, f"unknown schema version {version}")

    @contextmanager
    def ingest_lock(self, timeout_s: float) -> Iterator[None]:
        """Hold `<index>.lock` so that two ingests never write at once."""
        lock = FileLock(f"{self.path}.lock")
        try:
            lock.acquire(timeout=timeout_s)
        except Timeout as exc:
            raise IngestLockedError(self.where) from exc
        try:
            yield
        finally:
            lock.release()

    def fingerprints(self) -> dict[str, str]:
        """Return the fingerprint of every indexed source."""
        with self._mutex:
            rows = self._conn.execute("SELECT source, fingerprint FROM documents").fetchall()
        return dict(rows)

    def replace_document(
        self, info: DocumentInfo, chunks: Sequence[Chunk], vectors: Vectors
    ) -> int:
        """Store a document's chunks in place of its old ones, in one transaction."""
        with self._mutex, self._conn:
            removed = self._delete([info.source])
            cursor = self._conn.execute(
                "INSERT INTO documents (source, title, fingerprint, chunks) VALUES (?, ?, ?, ?)",
                (info.source, info.title, info.fingerprint, len(chunks)),
            )
            self._conn.execute(
                "INSERT INTO documents_fts (rowid, title, text) VALUES (?, ?, ?)",
                (cursor.lastrowid, info.title, index_text(document_text(chunks))),
            )
            for chunk, vector in zip(chunks, vectors, strict=True):
                cursor = self._conn.execute(
                    "INSERT INTO chunks (id, source, position, title, text, embedding) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        chunk.id,
                        chunk.source,
                        chunk.position,
                        chunk.title,
                        chunk.text,
                        np.asarray(vector, dtype=np.float32).tobytes(),
                    ),
                )
                self._conn.execute(
                    "INSERT INTO chunks_fts (rowid, title, text) VALUES (?, ?, ?)",
                    (cursor.lastrowid, chunk.title, index_text(chunk.text)),
                )
            self._bump()
        return removed

    def delete_documents(self, sources: Sequence[str]) -> int:
        """Remove documents and their chunks; return how many chunks were removed."""
        with self._mutex, self._conn:
            removed = self._delete(sources)
            self._bump()
        return removed

    def clear(self) -> None:
        """Remove everything from the index."""
        with self._mutex, self._conn:
            self._conn.execute("DELETE FROM chunks_fts")
            self._conn.execute("DELETE FROM documents_fts")
            self._conn.execute("DELETE FROM chunks")
            self._conn.execute("DELETE FROM documents")
            self._bump()

    def search_lexical(self, query: str, k: int) -> list[Hit]:
        """Return up to `k` chunks ranked by SQLite's FTS5 `bm25()`."""
        rows = self._bm25("chunks", "c.id, c.source", query, k)
        return [Hit(chunk_id, float(score), source) for chunk_id, source, score in rows]

    def search_documents(self, query: str, k: int) -> list[DocumentHit]:
        """Return up to `k` whole documents ranked by SQLite's FTS5 `bm25()`."""
        rows = self._bm25("documents", "c.source", query, k)
        return [DocumentHit(source, float(score)) for source, score in rows]

    def search_dense(self, vector: Vectors, k: int) -> list[Hit]:
        """Return up to `k` chunks by cosine similarity (vectors are normalised)."""
        ids, sources, matrix = self._load_matrix()
        if not ids:
            return []
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        # einsum runs in numpy's own single-threaded loop: for one matrix-vector product it
        # is as fast as BLAS on an idle machine and ~10x steadier when the cores are busy.
        scores = np.einsum("ij,j->i", matrix, query)
        k = min(k, len(ids))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [Hit(ids[i], float(scores[i]), sources[i]) for i in top]

    def get_chunks(self, ids: Sequence[str]) -> list[Chunk]:
        """Return the chunks with these ids, in the same order."""
        found: dict[str, Chunk] = {}
        with self._mutex:
            for batch in iter_batches(ids):
                marks = ",".join("?" * len(batch))
                for row in self._conn.execute(
                    f"SELECT id, source, position, title, text FROM chunks WHERE id IN ({marks})",  # noqa: S608
                    list(batch),
                ):
                    found[row[0]] = Chunk(*row)
        return [found[i] for i in ids if i in found]

    def documents(self) -> list[DocumentInfo]:
        """List the indexed documents, by source."""
        with self._mutex:
            rows = self._conn.execute(
                "SELECT source, title, chunks, fingerprint FROM documents ORDER BY source"
            ).fetchall()
        return [DocumentInfo(*row) for row in rows]

    def count_chunks(self) -> int:
        """Return how many chunks the index holds."""
        with self._mutex:
            return int(self._conn.execute("SELECT count(*) FROM chunks").fetchone()[0])

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def _delete(self, sources: Sequence[str]) -> int:
        """Delete the chunks (and FTS rows) of these sources; the caller holds a transaction."""
        removed = 0
        for batch in iter_batches(sources):
            marks = ",".join("?" * len(batch))
            where = f"SELECT rowid FROM chunks WHERE source IN ({marks})"  # noqa: S608
            self._conn.execute(f"DELETE FROM chunks_fts WHERE rowid IN ({where})", list(batch))  # noqa: S608
            documents = f"SELECT rowid FROM documents WHERE source IN ({marks})"  # noqa: S608
            self._conn.execute(
                f"DELETE FROM documents_fts WHERE rowid IN ({documents})",  # noqa: S608
                list(batch),
            )
            removed += self._conn.execute(
                f"DELETE FROM chunks WHERE source IN ({marks})",  # noqa: S608
                list(batch),
            ).rowcount
            self._conn.execute(f"DELETE FROM documents WHERE source IN ({marks})", list(batch))  # noqa: S608
        return removed

    def _bm25(self, table: str, columns: str, query: str, k: int) -> list[tuple[str, ...]]:
        """Return (columns..., score) of the `k` best rows of `<table>_fts` for the query."""
        terms = lexical_terms(query)
        if not terms:
            return []
        match = " OR ".join(f'"{term}"' for term in terms)
        with self._mutex:
            rows = self._conn.execute(
                f"SELECT {columns}, -bm25({table}_fts) AS score FROM {table}_fts "  # noqa: S608
                f"JOIN {table} c ON c.rowid = {table}_fts.rowid "
                f"WHERE {table}_fts MATCH ? ORDER BY score DESC LIMIT ?",
                (match, k),
            ).fetchall()
        return rows

    def _bump(self) -> None:
        """Advance the generation counter so every reader reloads its matrix."""
        self._conn.execute(
            "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'"
        )

    def _load_matrix(self) -> tuple[list[str], list[str], Vectors]:
        """Return (ids, sources, matrix) of all embeddings, reloaded only on a change."""
        with self._mutex:
            generation = int(
                self._conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0]
            )
            if self._matrix is None or self._matrix[0] != generation:
                rows = self._conn.execute(
                    "SELECT id, source, embedding FROM chunks ORDER BY rowid"
                ).fetchall()
                ids = [row[0] for row in rows]
                blob = b"".join(row[2] for row in rows)
                matrix = (
                    # copy: a matrix over the bytes buffer is read-only and unaligned, ~10x slower
                    np.frombuffer(blob, dtype=np.float32).reshape(len(ids), -1).copy()
                    if ids
                    else (np.zeros((0, 1), dtype=np.float32))
                )
                self._matrix = (generation, ids, [row[1] for row in rows], matrix)
            return self._matrix[1], self._matrix[2], self._matrix[3]
