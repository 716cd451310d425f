"""Find the chunks that answer a question: BM25, dense embeddings, or both fused by RRF.

Each list is cut at a relevance threshold first (`RAG_MIN_BM25` on the lexical score,
`RAG_MIN_SIMILARITY` on the cosine similarity), so that a question the documents do not
cover retrieves nothing and the pipeline can refuse without calling the model. Hybrid mode
fuses the two surviving lists with reciprocal rank fusion: score(d) = sum over lists of
1 / (k + rank(d)), with k = 60 as in Cormack et al. (2009).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .chunking import Chunk
from .embeddings import Embedder
from .settings import RagSettings, RetrievalMode
from .store import Hit, Store

CANDIDATES_PER_LIST = 4  # each list contributes top_k * this many candidates to the fusion


@dataclass(frozen=True)
class ScoredChunk:
    """A retrieved chunk and its score in the mode that found it (higher is better)."""

    chunk: Chunk
    score: float


def rrf_fuse(rankings: Sequence[Sequence[str]], k: int = 60) -> list[tuple[str, float]]:
    """Fuse ranked id lists by reciprocal rank fusion; ties keep first-seen order."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda pair: pair[1], reverse=True)


class Retriever:
    """Search a store in the configured mode."""

    def __init__(self, store: Store, embedder: Embedder, settings: RagSettings) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings

    def retrieve(
        self, question: str, *, top_k: int | None = None, mode: RetrievalMode | None = None
    ) -> list[ScoredChunk]:
        """Return up to `top_k` relevant chunks, best first (empty when nothing is relevant)."""
        k = top_k or self.settings.top_k
        mode = mode or self.settings.retrieval
        pool = k * CANDIDATES_PER_LIST if mode == "hybrid" else k
        lexical = self._lexical(question, pool) if mode in ("bm25", "hybrid") else []
        dense = self._dense(question, pool) if mode in ("dense", "hybrid") else []
        if mode == "hybrid":
            fused = rrf_fuse(
                [[h.chunk_id for h in lexical], [h.chunk_id for h in dense]], self.settings.rrf_k
            )
            hits = [Hit(chunk_id, score) for chunk_id, score in fused[:k]]
        else:
            hits = (lexical or dense)[:k]
        chunks = self.store.get_chunks([h.chunk_id for h in hits])
        by_id = {h.chunk_id: h.score for h in hits}
        return [ScoredChunk(chunk, by_id[chunk.id]) for chunk in chunks]

    def _lexical(self, question: str, k: int) -> list[Hit]:
        """Return BM25 hits above the lexical threshold."""
        hits = self.store.search_lexical(question, k)
        return [h for h in hits if h.score >= self.settings.min_bm25]

    def _dense(self, question: str, k: int) -> list[Hit]:
        """Return dense hits above the similarity threshold."""
        vector = self.embedder.embed([question])[0]
        hits = self.store.search_dense(vector, k)
        return [h for h in hits if h.score >= self.settings.min_similarity]
