"""The index interface shared by the embedded SQLite store and the PostgreSQL + pgvector store.

`open_store(settings)` picks the backend from `RAG_STORE_URL`: `sqlite:///path` (the default,
a single file that needs no server) or `postgresql://…` (pgvector, for more than one machine).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .chunking import Chunk
from .embeddings import TIERS, Vectors
from .settings import INGEST_COMMAND, RagSettings

# Words that carry no topic in a question. "show" and "give" are left out on purpose: they
# are content words in technical documentation ("Show commit logs").
_STOPWORD_TEXT = """
a about above after all also am an and any are as at be been before being below between both
but by can could did do does doing down during each few for from further had has have having
he her here hers him his how i if in into is it its itself just me more most my no nor not now
of off on once only or other our ours out over own same she should so some such than that the
their theirs them then there these they this those through to too under until up very was we
were what when where which while who whom why will with would you your yours tell please
explain describe
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


class StoreError(Exception):
    """The index cannot be used; the message says what to do."""


class IndexMissingError(StoreError):
    """There is no index yet."""

    def __init__(self, where: str) -> None:
        super().__init__(f"No index at {where}. Build it with `{INGEST_COMMAND}`.")


class IndexCorruptError(StoreError):
    """The index exists but cannot be read."""

    def __init__(self, where: str, detail: str) -> None:
        super().__init__(
            f"The index at {where} is unreadable ({detail}). "
            f"Rebuild it with `{INGEST_COMMAND} --rebuild`."
        )


class IngestLockedError(StoreError):
    """Another ingest holds the index lock."""

    def __init__(self, where: str) -> None:
        super().__init__(
            f"Another ingest is writing to {where}; wait for it to finish "
            "(or raise RAG_LOCK_TIMEOUT_S) and try again."
        )


@dataclass(frozen=True)
class Hit:
    """A chunk found by a search: its id, the backend's score (higher is better) and source."""

    chunk_id: str
    score: float
    source: str


@dataclass(frozen=True)
class DocumentHit:
    """A document found by a search of whole documents, with the backend's score."""

    source: str
    score: float


@dataclass(frozen=True)
class DocumentInfo:
    """One indexed source file."""

    source: str
    title: str
    chunks: int
    fingerprint: str


class Store(Protocol):
    """What ingest and retrieval need from an index backend."""

    where: str

    def ingest_lock(self, timeout_s: float) -> AbstractContextManager[None]:
        """Hold the exclusive writer lock, or raise `IngestLockedError` after `timeout_s`."""
        ...

    def fingerprints(self) -> dict[str, str]:
        """Return the fingerprint of every indexed source."""
        ...

    def replace_document(
        self, info: DocumentInfo, chunks: Sequence[Chunk], vectors: Vectors
    ) -> int:
        """Store a document's chunks in place of its old ones; return how many were removed."""
        ...

    def delete_documents(self, sources: Sequence[str]) -> int:
        """Remove documents and their chunks; return how many chunks were removed."""
        ...

    def clear(self) -> None:
        """Remove everything from the index."""
        ...

    def search_lexical(self, query: str, k: int) -> list[Hit]:
        """Return up to `k` chunks by BM25-style relevance to the query's terms."""
        ...

    def search_documents(self, query: str, k: int) -> list[DocumentHit]:
        """Return up to `k` documents by BM25-style relevance of their whole text."""
        ...

    def search_dense(self, vector: Vectors, k: int) -> list[Hit]:
        """Return up to `k` chunks by cosine similarity to a normalised query vector."""
        ...

    def get_chunks(self, ids: Sequence[str]) -> list[Chunk]:
        """Return the chunks with these ids, in the same order (unknown ids are left out)."""
        ...

    def documents(self) -> list[DocumentInfo]:
        """List the indexed documents, by source."""
        ...

    def count_chunks(self) -> int:
        """Return how many chunks the index holds."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


# A compound identifier: words joined by `_`, `-` or `.` (snake_case, kebab-case, os.path), or
# a word with an inner capital (camelCase, PascalCase, HTTPServer).
_COMPOUND = re.compile(r"\w+(?:[.\-]\w+)+|\w*_\w+|\w*[a-z0-9][A-Z]\w*|\w*[A-Z]{2}[a-z]\w*")
_TOKEN = re.compile(r"\w+(?:[.\-]\w+)*")
_MAYBE_COMPOUND = re.compile(r"[_.\-]|.[A-Z]")
_PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def compounds(text: str) -> list[str]:
    """Return the compound identifiers of `text`, in order.

    Words are cut first and only those with a separator or an inner capital are matched:
    searching the whole text for `_COMPOUND` backtracks at every letter (three times slower).
    """
    return [
        token
        for token in _TOKEN.findall(text)
        if _MAYBE_COMPOUND.search(token) and _COMPOUND.fullmatch(token)
    ]


def identifier_parts(token: str) -> list[str]:
    """Split an identifier into its lower-case parts: `getLoggerConfig` gives get, logger, config.

    Splits on `_`, `-` and `.` and at case changes (`HTTPServer` gives http, server); a plain
    word gives itself.
    """
    parts = [p.lower() for piece in re.split(r"[_.\-]+", token) for p in _PART.findall(piece)]
    return parts or [token.lower()]


def joined(token: str) -> str:
    """Return an identifier as one lower-case word: `max_retry_count` gives maxretrycount."""
    return re.sub(r"[_.\-]", "", token).lower()


def index_text(text: str) -> str:
    """Return `text` with what BM25 needs to find its compound identifiers, for indexing.

    The tokenizers already split at `_`, `-` and `.` and lower-case, but keep `getLoggerConfig`
    as one word: for each identifier, the parts that they miss (get, logger, config) and the
    joined whole (getloggerconfig, maxretrycount) are appended once, so that "logger config"
    and the exact name both find it, without counting the parts they already see twice.
    """
    extra = []
    for token in dict.fromkeys(compounds(text)):
        native = set(re.split(r"[\W_]+", token.lower()))
        words = [*identifier_parts(token), joined(token)]
        extra += [w for w in dict.fromkeys(words) if w not in native]
    return f"{text}\n{' '.join(extra)}" if extra else text


def lexical_terms(query: str) -> list[str]:
    """Return the distinct lower-case words of a query, without function words or FTS syntax.

    A compound identifier gives its joined whole first (`max_retry_count` gives
    maxretrycount), then its parts; a hyphenated lower-case word (`multi-factor`) gives only its
    parts, as the tokenizers see it, so that prose is not counted twice.
    """
    words: list[str] = []
    for word in re.findall(r"[\w.\-]*\w", query):
        if _COMPOUND.fullmatch(word):
            prose = re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)+", word) is not None
            words += [*([] if prose else [joined(word)]), *identifier_parts(word)]
        else:
            words.append(word.lower())
    return list(dict.fromkeys(w for w in words if w not in STOPWORDS and len(w) > 1))


def document_text(chunks: Sequence[Chunk]) -> str:
    """Return the text that the whole-document index holds: the bodies of its chunks."""
    return "\n\n".join(chunk.text for chunk in chunks)


def open_store(settings: RagSettings, *, create: bool = False) -> Store:
    """Open the index named by `RAG_STORE_URL`.

    Args:
        settings: RAG settings.
        create: create an empty index if there is none (ingest); otherwise a missing index is
            an `IndexMissingError`.

    """
    url = settings.store_url
    if url.startswith("sqlite:///"):
        from .sqlite_store import SQLiteStore

        return SQLiteStore(Path(url.removeprefix("sqlite:///")), create=create)
    if url.startswith(("postgresql://", "postgres://")):
        from .pgvector_store import PgVectorStore

        return PgVectorStore(url, create=create, dim=TIERS[settings.embeddings].dim)
    scheme = url.partition(":")[0]  # not the whole URL: it may hold a password
    raise StoreError(
        f"RAG_STORE_URL with scheme {scheme!r} is not supported; "
        "use sqlite:///path/to/index.sqlite or postgresql://…"
    )


def iter_batches(items: Sequence[str], size: int = 500) -> Iterator[Sequence[str]]:
    """Yield slices of at most `size` items (SQL parameter lists stay small)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
