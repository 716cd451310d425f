"""Ingest a collection and rank its queries with a generated project's own code.

Run with the project's Python: `python driver.py PACKAGE DOCS QUERIES STORE TIER MODES OUT`.
It imports `PACKAGE.retrieval.{settings,ingest,retriever,store,embeddings}`, ingests DOCS into
a fresh SQLite index at STORE with the TIER's embedder, then runs `Retriever.retrieve(question,
top_k=25, mode=...)` for each mode in MODES (comma-separated) and ranks documents by first
appearance (`chunk.source`), asking for distinct documents (`distinct_documents=True`, the
sources path) when the project's retriever offers it. When the project has no
`RagSettings.embeddings` field, `fast` is its default embedder and `accurate` this benchmark's
own MiniLM (`embedders.MiniLM`).
"""

from __future__ import annotations

import importlib
import inspect
import json
import sys
import time
from pathlib import Path
from typing import Any

TOP_K = 25


def embedder_for(package: str, tier: str, store: Path) -> tuple[Any, Any, dict[str, Any]]:
    """Return the settings, the tier's embedder and a note on where it comes from."""
    settings_mod = importlib.import_module(f"{package}.retrieval.settings")
    embeddings = importlib.import_module(f"{package}.retrieval.embeddings")
    fields = settings_mod.RagSettings.model_fields
    base = {"store_url": f"sqlite:///{store}", "chunking": "heading"}
    if "embeddings" in fields:
        settings = settings_mod.RagSettings(**base, embeddings=tier)
        embedder = embeddings.get_embedder(settings)
        note = {"source": "project", "default_tier": fields["embeddings"].default}
    else:
        settings = settings_mod.RagSettings(**base)
        if tier == "fast":
            embedder = embeddings.get_embedder()
        else:
            sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
            embedder = importlib.import_module("retrieval_bench.embedders").MiniLM()
        note = {"source": "project" if tier == "fast" else "benchmark", "default_tier": "fast"}
    note["embedder"] = embedder.name
    return settings, embedder, note


def run(
    package: str, docs: Path, queries: list[str], store: Path, tier: str, modes: list[str]
) -> dict[str, Any]:
    """Ingest, query in every mode and return the rankings, latencies and ingest figures."""
    ingest = importlib.import_module(f"{package}.retrieval.ingest")
    retriever_mod = importlib.import_module(f"{package}.retrieval.retriever")
    store_mod = importlib.import_module(f"{package}.retrieval.store")
    for leftover in store.parent.glob(store.name + "*"):
        leftover.unlink()
    settings, embedder, note = embedder_for(package, tier, store)
    started = time.perf_counter()
    summary = ingest.ingest_folder(docs, settings, embedder=embedder)
    seconds = time.perf_counter() - started
    result: dict[str, Any] = {**note, "ingest_s": seconds, "chunks": summary.chunks_total}
    result["chunks_per_s"] = summary.chunks_total / seconds
    retriever = retriever_mod.Retriever(store_mod.open_store(settings), embedder, settings)
    result["runs"] = {}
    options: dict[str, Any] = {}
    if "distinct_documents" in inspect.signature(retriever.retrieve).parameters:
        options["distinct_documents"] = True
    result["distinct_documents"] = bool(options)
    for mode in modes:
        rankings: list[list[str]] = []
        latency: list[float] = []
        for query in queries:
            start = time.perf_counter()
            hits = retriever.retrieve(query, top_k=TOP_K, mode=mode, **options)
            latency.append((time.perf_counter() - start) * 1000)
            rankings.append(list(dict.fromkeys(h.chunk.source for h in hits)))
        result["runs"][mode] = {"rankings": rankings, "latency_ms": latency}
    return result


def main(argv: list[str]) -> None:
    """Parse the arguments, run, write the JSON result."""
    package, docs, queries_file, store, tier, modes, out = argv
    queries = [json.loads(line)["text"] for line in Path(queries_file).read_text().splitlines()]
    result = run(package, Path(docs), queries, Path(store), tier, modes.split(","))
    Path(out).write_text(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
