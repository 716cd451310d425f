"""The floor: BM25 over whole documents with `bm25s` (Lucene scoring, Snowball stemmer)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from .corpora.common import document_names, document_text

DEPTH = 100

Search = Callable[[str], list[str]]


def bm25_documents(docs: Path) -> Search:
    """Index every document of `docs` whole; return a search that ranks document names."""
    import bm25s
    import Stemmer

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    names = document_names(docs)
    stemmer = Stemmer.Stemmer("english")
    tokens = bm25s.tokenize(
        [document_text(docs / n) for n in names],
        stopwords="en",
        stemmer=stemmer,
        show_progress=False,
    )
    index = bm25s.BM25(method="lucene")
    index.index(tokens, show_progress=False)

    def search(query: str) -> list[str]:
        q = bm25s.tokenize([query], stopwords="en", stemmer=stemmer, show_progress=False)
        ids, scores = index.retrieve(q, k=min(DEPTH, len(names)), show_progress=False)
        return [names[i] for i, s in zip(ids[0], scores[0], strict=True) if s > 0]

    return search
