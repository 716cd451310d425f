"""What every collection shares: Debian package download, caching, sampling, plain text."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

CACHE = Path(__file__).resolve().parents[2] / ".cache"
CORPUS_FORMAT = 3  # bump when a conversion changes, so cached corpora are rebuilt


@dataclass(frozen=True)
class Query:
    """A query and the documents that answer it."""

    text: str
    relevant: tuple[str, ...]


@dataclass
class Collection:
    """A converted collection: its document folder, its queries and what it is."""

    name: str
    docs: Path
    queries: list[Query]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def queries_file(self) -> Path:
        """Return the JSON-lines file the queries are stored in."""
        return self.docs.parent / "queries.jsonl"


#: A converter writes documents under `docs` from an unpacked package; it returns, for every
#: query text, the documents it is relevant to, and notes about the conversion for the report.
Converter = Callable[[Path, Path], tuple[dict[str, list[str]], dict[str, Any]]]


def fetch_deb(package: str) -> tuple[Path, str]:
    """Download and unpack a Debian package into the cache; return its root and version."""
    debs = CACHE / "deb"
    debs.mkdir(parents=True, exist_ok=True)
    if not list(debs.glob(f"{package}_*.deb")):
        download = ["apt-get", "download", package]
        if subprocess.run(download, cwd=debs, capture_output=True).returncode != 0:
            if os.geteuid() != 0:
                sys.exit(f"apt-get download {package} failed; run `apt-get update` (as root).")
            subprocess.run(["apt-get", "update", "-qq"], check=True)
            subprocess.run(download, cwd=debs, check=True, capture_output=True)
    deb = sorted(debs.glob(f"{package}_*.deb"))[-1]
    version = subprocess.run(
        ["dpkg-deb", "-f", str(deb), "Version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    root = CACHE / "pkg" / f"{package}-{safe(version)}"
    if not (root / "usr").is_dir():
        root.mkdir(parents=True, exist_ok=True)
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    return root, version


def safe(version: str) -> str:
    """Return a version string usable in a file name."""
    return re.sub(r"[^\w.+-]", "_", version)


def sample(names: list[str], cap: int) -> list[str]:
    """Return at most `cap` names, chosen by a hash of each name (deterministic), sorted."""
    if len(names) <= cap:
        return sorted(names)
    chosen = sorted(names, key=lambda n: hashlib.sha1(n.encode()).hexdigest())[:cap]
    return sorted(chosen)


class _TextParser(HTMLParser):
    """Collect the text of an HTML page, a newline after each block element."""

    BLOCKS = frozenset({"p", "div", "li", "tr", "pre", "h1", "h2", "h3", "h4", "h5", "dt", "dd"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.skip += tag in ("script", "style", "head")

    def handle_endtag(self, tag: str) -> None:
        self.skip -= tag in ("script", "style", "head") and self.skip > 0
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def html_text(html: str) -> str:
    """Return the visible text of an HTML page."""
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def document_text(path: Path) -> str:
    """Return a document's text as a reader sees it (HTML without its markup)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    return html_text(text) if path.suffix == ".html" else text


def document_names(docs: Path) -> list[str]:
    """Return the collection's document paths, relative to its folder, sorted."""
    return sorted(p.relative_to(docs).as_posix() for p in docs.rglob("*") if p.is_file())


def build(name: str, package: str, convert: Converter, describe: dict[str, str]) -> Collection:
    """Convert a package into a collection (or reuse the cached one) and describe it."""
    root, version = fetch_deb(package)
    target = CACHE / f"corpus-v{CORPUS_FORMAT}-{name}-{safe(version)}"
    docs, queries_file, notes_file = (
        target / "docs",
        target / "queries.jsonl",
        target / "notes.json",
    )
    if not queries_file.is_file():
        docs.mkdir(parents=True, exist_ok=True)
        rows, notes = convert(root, docs)
        notes_file.write_text(json.dumps(notes, indent=2) + "\n")
        lines = (json.dumps({"text": q, "relevant": sorted(r)}) + "\n" for q, r in rows.items())
        queries_file.write_text("".join(lines), encoding="utf-8")
    queries = [
        Query(row["text"], tuple(row["relevant"]))
        for row in map(json.loads, queries_file.read_text().splitlines())
    ]
    meta: dict[str, Any] = {"package": f"{package} {version} (Debian)", **describe}
    meta.update(json.loads(notes_file.read_text()))
    meta.update(leakage(docs, queries))
    return Collection(name, docs, queries, meta)


def leakage(docs: Path, queries: list[Query]) -> dict[str, int]:
    """Count the documents and the queries found verbatim in their own / another document."""
    texts = {n: " ".join(document_text(docs / n).lower().split()) for n in document_names(docs)}
    own = sum(any(q.text.lower() in texts[n] for n in q.relevant) for q in queries)
    other = sum(
        any(q.text.lower() in t for n, t in texts.items() if n not in q.relevant) for q in queries
    )
    return {
        "documents": len(texts),
        "queries": len(queries),
        "queries_verbatim_in_own_document": own,
        "queries_verbatim_in_another_document": other,
    }
