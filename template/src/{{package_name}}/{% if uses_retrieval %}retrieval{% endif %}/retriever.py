"""Find the chunks that answer a question: BM25, dense embeddings, or both fused by RRF.

Each list is cut at a relevance threshold first (`RAG_MIN_BM25` on the lexical score,
`RAG_MIN_SIMILARITY` on the cosine similarity), so that a question the documents do not
cover retrieves nothing and the pipeline can refuse without calling the model. Hybrid mode
fuses the two surviving lists with reciprocal rank fusion: score(d) = sum over lists of
1 / (k + rank(d)), with k = 60 as in Cormack et al. (2009), plus a third list, BM25 over whole
documents, whose rank of a document counts for each of that document's candidate chunks. The
third list only reorders chunks that the first two found (it never adds one), so a question
the documents do not cover still retrieves nothing.

Why the third list: a chunk sees only its own section, while the evidence for a document is
often spread over it. On Git's manual (`benchmarks/retrieval_quality.py` in the scaffolder),
BM25 over whole documents scores Recall@1 0.479, Recall@5 0.784, MRR 0.614; the two chunk
lists fused did not beat it (0.485, 0.768, 0.611), the three lists do (0.536, 0.794, 0.651).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .chunking import Chunk
from .embeddings import Embedder, Vectors
from .ingest import check_embedder
from .settings import RagSettings, RetrievalMode
from .store import Hit, Store

CANDIDATES_PER_LIST = 4  # each list contributes top_k * this many candidates to the fusion
DOCUMENT_WEIGHT = 1.0  # weight of the whole-document BM25 list in hybrid fusion


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
        check_embedder(store, embedder)  # an index built with other embeddings is an error
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self.query_vector: Vectors | None = None  # the question's embedding, once computed

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
            hits = self._fuse(question, lexical, dense, pool)[:k]
        else:
            hits = (lexical or dense)[:k]
        chunks = self.store.get_chunks([h.chunk_id for h in hits])
        by_id = {h.chunk_id: h.score for h in hits}
        return [ScoredChunk(chunk, by_id[chunk.id]) for chunk in chunks]

    def _fuse(self, question: str, lexical: list[Hit], dense: list[Hit], pool: int) -> list[Hit]:
        """Fuse the chunk lists and the whole-document BM25 list by RRF, best first."""
        rrf_k = self.settings.rrf_k
        scores = dict(rrf_fuse([[h.chunk_id for h in lexical], [h.chunk_id for h in dense]], rrf_k))
        if not scores:
            return []
        sources = {h.chunk_id: h.source for h in (*lexical, *dense)}
        documents = self.store.search_documents(question, pool)
        rank = {hit.source: n for n, hit in enumerate(documents, start=1)}
        for chunk_id in scores:
            if sources[chunk_id] in rank:
                scores[chunk_id] += DOCUMENT_WEIGHT / (rrf_k + rank[sources[chunk_id]])
        ranked = sorted(scores.items(), key=lambda pair: pair[1], reverse=True)
        return [Hit(chunk_id, score, sources[chunk_id]) for chunk_id, score in ranked]

    def _lexical(self, question: str, k: int) -> list[Hit]:
        """Return BM25 hits above the lexical threshold."""
        hits = self.store.search_lexical(question, k)
        return [h for h in hits if h.score >= self.settings.min_bm25]

    def _dense(self, question: str, k: int) -> list[Hit]:
        """Return dense hits above the similarity threshold."""
        vector = self.query_vector = self.embedder.embed([question])[0]
        hits = self.store.search_dense(vector, k)
        return [h for h in hits if h.score >= self.settings.min_similarity]
