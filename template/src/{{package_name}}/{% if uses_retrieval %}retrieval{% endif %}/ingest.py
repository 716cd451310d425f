"""Ingest a folder into the index: parse, chunk, embed and store, re-embedding only what changed.

A document is re-embedded only when its fingerprint changes: the hash of its bytes plus the
chunking settings, the embedder name and the index format. The chunks of many documents are
embedded together (`EMBED_BATCH`), so that a transformer embedder runs full batches. Files that
disappeared (or became unusable) since the last run are removed from the index. The store's
writer lock keeps two ingests apart.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .chunking import Chunk, chunk_document
from .documents import IngestError, ParsedDocument, SkipFileError, iter_files, parse_file
from .embeddings import Embedder, get_embedder, tier_of
from .settings import INGEST_COMMAND, RagSettings
from .store import DocumentInfo, IndexCorruptError, Store, StoreError, open_store

logger = logging.getLogger(__name__)

#: Bumped when the stores index a document differently, so that every document is re-indexed.
INDEX_FORMAT = "3"  # 2: whole-document lexical index; 3: identifier parts, plain-text headings
EMBED_BATCH = 256  # chunks per embedding call; the embedder sorts them by length and batches


@dataclass
class IngestSummary:
    """What one ingest run did."""

    folder: str
    files_seen: int = 0
    files_ingested: int = 0
    files_unchanged: int = 0
    files_skipped: dict[str, int] = field(default_factory=dict)
    files_removed: int = 0
    decoded_with_replacement: int = 0
    chunks_added: int = 0
    chunks_removed: int = 0
    chunks_total: int = 0
    seconds: float = 0.0

    @property
    def chunks_per_s(self) -> float:
        """Return the rate at which new chunks were embedded and stored."""
        return self.chunks_added / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Return the summary as JSON-ready data."""
        return {**asdict(self), "chunks_per_s": round(self.chunks_per_s, 1)}

    def describe(self) -> str:
        """Return a short human-readable report."""
        skipped = sum(self.files_skipped.values())
        reasons = ", ".join(f"{n} {why}" for why, n in sorted(self.files_skipped.items()))
        skips = f"{skipped} skipped" + (f" ({reasons})" if reasons else "")
        return (
            f"Ingested {self.folder}: {self.files_seen} files seen, "
            f"{self.files_ingested} ingested, {self.files_unchanged} unchanged, {skips}, "
            f"{self.files_removed} removed\n"
            f"Chunks: +{self.chunks_added} -{self.chunks_removed} ({self.chunks_total} in index) "
            f"in {self.seconds:.2f} s ({self.chunks_per_s:.0f} chunks/s)"
        )


def fingerprint(document: ParsedDocument, settings: RagSettings, embedder: Embedder) -> str:
    """Return what decides whether a document must be re-embedded: `<embedder>:<hash>`.

    The embedder's name stays readable so that a query can check which embedder built the index.
    """
    parts = [document.content_hash, settings.chunking, str(settings.chunk_size)]
    parts += [str(settings.chunk_overlap), embedder.name, INDEX_FORMAT]
    digest = hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]
    return f"{embedder.name}:{digest}"


class EmbedderMismatchError(StoreError):
    """The index was built with other embeddings than the ones this process queries with."""

    def __init__(self, where: str, built_with: Sequence[str], querying_with: str) -> None:
        built = " and ".join(_describe_embedder(name) for name in built_with)
        super().__init__(
            f"The index at {where} was built with {built}, but this process embeds with "
            f"{_describe_embedder(querying_with)}: their vectors cannot be compared. Re-embed "
            f"the documents with `{INGEST_COMMAND} --rebuild`, or set RAG_EMBEDDINGS to the "
            "tier the index was built with."
        )


def _describe_embedder(name: str) -> str:
    """Return an embedder's name with its tier, for error messages."""
    tier = tier_of(name)
    return f"`{name}` (RAG_EMBEDDINGS={tier})" if tier else f"`{name}`"


def check_embedder(store: Store, embedder: Embedder) -> None:
    """Raise `EmbedderMismatchError` unless every indexed document was embedded by `embedder`."""
    built_with = {
        fp.partition(":")[0] if ":" in fp else "an older version of this project"
        for fp in store.fingerprints().values()
    }
    if built_with - {embedder.name}:
        raise EmbedderMismatchError(store.where, sorted(built_with), embedder.name)


def ingest_folder(
    folder: Path,
    settings: RagSettings,
    *,
    embedder: Embedder | None = None,
    store: Store | None = None,
    rebuild: bool = False,
    progress: bool = False,
) -> IngestSummary:
    """Bring the index up to date with `folder`.

    Args:
        folder: the documents to index.
        settings: RAG settings (chunking, index URL, embedding tier).
        embedder: overrides the tier's embedder (`RAG_EMBEDDINGS`).
        store: an open index to write to (default: open `RAG_STORE_URL`).
        rebuild: empty the index first.
        progress: show files and chunks embedded, rate and ETA on stderr if it is a terminal.

    Raises:
        IngestError: the folder is missing or holds no usable document.
        StoreError: the index cannot be opened, or another ingest holds the lock.

    """
    started = time.perf_counter()
    embedder = embedder or get_embedder(settings)
    documents, summary = _parse_folder(folder, settings)
    own_store = store is None
    store = store or _open_for_writing(settings, rebuild=rebuild)
    try:
        with store.ingest_lock(settings.lock_timeout_s):
            if rebuild:
                store.clear()
            known = store.fingerprints()
            todo = _changed(documents, settings, embedder, known, summary)
            _embed_and_store(todo, embedder, store, summary, progress=progress)
            gone = sorted(set(known) - {d.source for d in documents})
            if gone:
                summary.chunks_removed += store.delete_documents(gone)
                summary.files_removed = len(gone)
            summary.chunks_total = store.count_chunks()
    finally:
        if own_store:
            store.close()
    summary.seconds = time.perf_counter() - started
    return summary


def _parse_folder(
    folder: Path, settings: RagSettings
) -> tuple[list[ParsedDocument], IngestSummary]:
    """Parse every usable file of `folder`, counting the skipped ones by reason."""
    summary = IngestSummary(folder=str(folder))
    skipped: Counter[str] = Counter()
    documents: list[ParsedDocument] = []
    for path in iter_files(folder):
        summary.files_seen += 1
        try:
            document = parse_file(path, folder, max_bytes=settings.max_file_bytes)
        except SkipFileError as exc:
            skipped[exc.reason] += 1
            logger.warning("skipped %s: %s", path, exc)
            continue
        if document.decode_replaced:
            summary.decoded_with_replacement += 1
            logger.warning("%s is not valid UTF-8; undecodable bytes were replaced", path)
        documents.append(document)
    summary.files_skipped = dict(skipped)
    if not documents:
        found = f"{summary.files_seen} files, none usable" if summary.files_seen else "no files"
        raise IngestError(
            f"No documents to ingest in {folder} ({found}). "
            "Add .md, .txt or .html files (or .pdf with the `pdf` extra)."
        )
    return documents, summary


def _open_for_writing(settings: RagSettings, *, rebuild: bool) -> Store:
    """Open (or create) the index; `rebuild` also replaces an unreadable SQLite file."""
    try:
        return open_store(settings, create=True)
    except IndexCorruptError:
        if not rebuild or not settings.store_url.startswith("sqlite:///"):
            raise
        Path(settings.store_url.removeprefix("sqlite:///")).unlink()
        return open_store(settings, create=True)


def _changed(
    documents: Sequence[ParsedDocument],
    settings: RagSettings,
    embedder: Embedder,
    known: dict[str, str],
    summary: IngestSummary,
) -> list[tuple[DocumentInfo, list[Chunk]]]:
    """Chunk the documents whose fingerprint changed; count the unchanged ones."""
    todo: list[tuple[DocumentInfo, list[Chunk]]] = []
    for document in documents:
        current = fingerprint(document, settings, embedder)
        if known.get(document.source) == current:
            summary.files_unchanged += 1
            continue
        chunks = chunk_document(
            document, settings.chunking, size=settings.chunk_size, overlap=settings.chunk_overlap
        )
        todo.append((DocumentInfo(document.source, document.title, len(chunks), current), chunks))
    return todo


def _embed_and_store(
    todo: Sequence[tuple[DocumentInfo, list[Chunk]]],
    embedder: Embedder,
    store: Store,
    summary: IngestSummary,
    *,
    progress: bool,
) -> None:
    """Embed the chunks of many documents per call (`EMBED_BATCH`), then store each document."""
    total = sum(len(chunks) for _, chunks in todo)
    reporter = TerminalProgress(len(todo), total) if progress and sys.stderr.isatty() else None
    for group in _groups(todo, EMBED_BATCH):
        vectors = embedder.embed([c.indexed_text for _, chunks in group for c in chunks])
        offset = 0
        for info, chunks in group:
            block = vectors[offset : offset + len(chunks)]
            summary.chunks_removed += store.replace_document(info, chunks, block)
            offset += len(chunks)
            summary.chunks_added += len(chunks)
            summary.files_ingested += 1
        if reporter:
            reporter.update(summary.files_ingested, summary.chunks_added)
    if reporter:
        reporter.close()


def _groups(
    todo: Sequence[tuple[DocumentInfo, list[Chunk]]], size: int
) -> Iterator[list[tuple[DocumentInfo, list[Chunk]]]]:
    """Yield runs of whole documents holding about `size` chunks each (at least one document)."""
    group: list[tuple[DocumentInfo, list[Chunk]]] = []
    count = 0
    for item in todo:
        group.append(item)
        count += len(item[1])
        if count >= size:
            yield group
            group, count = [], 0
    if group:
        yield group


class TerminalProgress:
    """One self-rewriting line on stderr: files and chunks embedded, rate and time left."""

    def __init__(self, files: int, chunks: int) -> None:
        self.files, self.chunks = files, chunks
        self.started = time.perf_counter()

    def update(self, files_done: int, chunks_done: int) -> None:
        """Redraw the line."""
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        rate = chunks_done / elapsed
        left = (self.chunks - chunks_done) / rate if rate > 0 else 0.0
        sys.stderr.write(
            f"\rEmbedding: {files_done}/{self.files} files, {chunks_done}/{self.chunks} chunks,"
            f" {rate:.0f} chunks/s, ETA {int(left) // 60}:{int(left) % 60:02d} "
        )
        sys.stderr.flush()

    def close(self) -> None:
        """End the line."""
        sys.stderr.write("\n")
        sys.stderr.flush()
