"""Ingest a folder into the index: parse, chunk, embed and store, re-embedding only what changed.

A document is re-embedded only when its fingerprint changes: the hash of its bytes plus the
chunking settings, the embedder name and the index format. Files that disappeared (or became
unusable) since the last run are removed from the index. The store's writer lock keeps two
ingests apart.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .chunking import chunk_document
from .documents import IngestError, ParsedDocument, SkipFileError, iter_files, parse_file
from .embeddings import Embedder, get_embedder
from .settings import RagSettings
from .store import DocumentInfo, IndexCorruptError, Store, open_store

logger = logging.getLogger(__name__)

#: Bumped when the stores index a document differently, so that every document is re-indexed.
INDEX_FORMAT = "2"  # 2: whole-document lexical index


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
    """Return what decides whether a document must be re-embedded."""
    parts = [document.content_hash, settings.chunking, str(settings.chunk_size)]
    parts += [str(settings.chunk_overlap), embedder.name, INDEX_FORMAT]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def ingest_folder(
    folder: Path,
    settings: RagSettings,
    *,
    embedder: Embedder | None = None,
    store: Store | None = None,
    rebuild: bool = False,
) -> IngestSummary:
    """Bring the index up to date with `folder`.

    Raises:
        IngestError: the folder is missing or holds no usable document.
        StoreError: the index cannot be opened, or another ingest holds the lock.

    """
    started = time.perf_counter()
    embedder = embedder or get_embedder()
    documents, summary = _parse_folder(folder, settings)
    own_store = store is None
    store = store or _open_for_writing(settings, rebuild=rebuild)
    try:
        with store.ingest_lock(settings.lock_timeout_s):
            if rebuild:
                store.clear()
            known = store.fingerprints()
            for document in documents:
                _ingest_one(document, settings, embedder, store, known, summary)
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


def _ingest_one(
    document: ParsedDocument,
    settings: RagSettings,
    embedder: Embedder,
    store: Store,
    known: dict[str, str],
    summary: IngestSummary,
) -> None:
    """Chunk, embed and store one document unless its fingerprint is unchanged."""
    current = fingerprint(document, settings, embedder)
    if known.get(document.source) == current:
        summary.files_unchanged += 1
        return
    chunks = chunk_document(
        document, settings.chunking, size=settings.chunk_size, overlap=settings.chunk_overlap
    )
    vectors = embedder.embed([chunk.indexed_text for chunk in chunks])
    info = DocumentInfo(document.source, document.title, len(chunks), current)
    summary.chunks_removed += store.replace_document(info, chunks, vectors)
    summary.chunks_added += len(chunks)
    summary.files_ingested += 1
