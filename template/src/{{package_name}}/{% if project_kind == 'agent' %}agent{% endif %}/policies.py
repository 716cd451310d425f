"""`search_policies`: Northwind Cloud's documents, searched with the shared retrieval package.

The index holds the documents of AGENT_POLICIES_DIR (default `data/corpus`, the sample
company's policies, pricing and FAQ) and lives at AGENT_POLICIES_URL (default
`sqlite:///.agent/policies.sqlite`; `postgresql://…` uses pgvector). It is brought up to date
the first time a process searches: built when missing (a few seconds for the sample corpus
with the default `accurate` embeddings, about 0.3 s with `fast`), else only checked (about
30 ms) and changed files re-embedded. `<project> policies index` does the same on demand.
Retrieval is the rag-app's: BM25 and embeddings (the `RAG_EMBEDDINGS` tier) fused by reciprocal
rank, with relevance floors on the best evidence, so a query the documents do not cover finds
nothing rather than the least bad passage. The chunking, embedding and retrieval knobs are the
shared `RAG_*` settings.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Annotated, Any

from pydantic import Field

from ..retrieval.embeddings import Embedder, get_embedder
from ..retrieval.ingest import IngestSummary, ingest_folder
from ..retrieval.retriever import Retriever
from ..retrieval.settings import RagSettings
from ..retrieval.store import Store, open_store
from .settings import AgentSettings
from .tools import Tool, make_tool

MAX_PASSAGES = 8


@dataclass(frozen=True)
class Passage:
    """One passage the search found: where it comes from, its text, and its score."""

    source: str
    title: str
    text: str
    score: float


class PolicySearch:
    """The policy documents' index: built on first use, searched by meaning and by words."""

    def __init__(self, settings: AgentSettings, *, embedder: Embedder | None = None) -> None:
        self.settings = settings
        values: dict[str, Any] = {
            "store_url": settings.policies_url,
            "corpus_dir": settings.policies_dir,
        }
        self.rag = RagSettings(**values)
        """The retrieval settings: the shared `RAG_*` knobs, with this index and folder."""
        self._embedder = embedder
        self._store: Store | None = None
        self._lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        """Return the embedder (the configured tier's unless another was given)."""
        if self._embedder is None:
            self._embedder = get_embedder(self.rag)
        return self._embedder

    def index(self, *, rebuild: bool = False) -> IngestSummary:
        """Bring the index up to date with the documents folder (all of it when `rebuild`).

        Raises:
            IngestError: The folder is missing or holds no usable document.
            StoreError: The index cannot be opened or is being written by another process.

        """
        with self._lock:
            return self._index(rebuild=rebuild)

    def _index(self, *, rebuild: bool) -> IngestSummary:
        rag = self.rag
        summary = ingest_folder(rag.corpus_dir, rag, embedder=self.embedder, rebuild=rebuild)
        if self._store is None:
            self._store = open_store(rag)
        return summary

    def search(self, query: str, k: int = 3) -> list[Passage]:
        """Return up to `k` passages relevant to `query`, best first (none when none is).

        Raises:
            IngestError: The index had to be built and the folder holds no document.
            StoreError: The index cannot be read.

        """
        with self._lock:
            if self._store is None:
                self._index(rebuild=False)
            store = self._store
        if store is None:  # pragma: no cover - _index opened it
            raise RuntimeError("the policy index is not open")
        retriever = Retriever(store, self.embedder, self.rag)
        return [
            Passage(s.chunk.source, s.chunk.title, s.chunk.text, round(s.score, 4))
            for s in retriever.retrieve(query, top_k=k)
        ]

    def tool(self) -> Tool:
        """Return `search_policies`, the tool the model calls."""

        def search_policies(
            query: Annotated[str, Field(min_length=2, max_length=500)],
            k: Annotated[int, Field(ge=1, le=MAX_PASSAGES)] = 3,
        ) -> list[dict[str, Any]]:
            """Search Northwind Cloud's policy documents (billing, refunds, plans, SLA, support).

            Returns the most relevant passages with their source file, title and score; an
            empty list when no document covers the query.

            Args:
                query: What to look for, such as "refund for a duplicate charge".
                k: How many passages to return, at most.
            """
            return [asdict(passage) for passage in self.search(query, k)]

        return make_tool(search_policies)

    def close(self) -> None:
        """Close the index."""
        with self._lock:
            store, self._store = self._store, None
        if store is not None:
            store.close()
