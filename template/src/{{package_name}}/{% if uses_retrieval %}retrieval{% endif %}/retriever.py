"""Find the chunks that answer a question: BM25, dense embeddings, or both fused by documents.

Relevance floors decide refusals, not candidates: when the best lexical hit scores below
`RAG_MIN_BM25` (or there is none) and the best dense hit is below `RAG_MIN_SIMILARITY`, the
question is not covered and nothing is retrieved, so the pipeline refuses without calling the
model. Otherwise every candidate takes part in the ranking: a floor that pruned candidates
dropped right answers whose similarity was modest.

BM25 mode fuses the two lexical signals (chunks and whole documents) the same way as hybrid
mode, which fuses three signals at document level, one list per signal: the documents of the
BM25 chunk hits and of the dense chunk hits (each in the order of its best chunk) and BM25 over
whole documents. A document scores the reciprocal-rank-fusion sum 1 / (k + rank) over the lists
that rank it (k = `RAG_RRF_K`). With `distinct_documents` (sources, the benchmark), documents
come in that order, each with its best chunk.

Answers (the default, `distinct_documents=False`) get passages instead: the chunks that reach
their own floor, scored by RRF over the two chunk lists plus 1 / (k + rank) of their document
in the whole-document BM25 list. On the sample corpus's golden set this keeps the answers'
refusal accuracy and must-include rate, which document-ordered chunks lowered (see the ADR).

Fusing documents, not chunks, gives each signal one vote per document: fusing two chunk lists
and counting the whole-document rank once per chunk let the lexical side vote twice and let
documents with many mediocre chunks crowd out one that a single signal ranks first. The designs
compared on Git's manual are in the project's retrieval ADR.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .chunking import Chunk
from .embeddings import Embedder
from .ingest import check_embedder
from .settings import RagSettings, RetrievalMode
from .store import Hit, Store

CANDIDATES_PER_LIST = 4  # each list contributes top_k * this many candidates to the fusion


@dataclass(frozen=True)
class ScoredChunk:
    """A retrieved chunk and its score in the mode that found it (higher is better)."""

    chunk: Chunk
    score: float


def rrf_fuse(
    rankings: Sequence[Sequence[str]], k: int = 10, weights: Sequence[float] = ()
) -> list[tuple[str, float]]:
    """Fuse ranked id lists by reciprocal rank fusion; ties keep first-seen order.

    An item scores the sum of weight / (k + rank) over the lists that rank it (weight 1 for
    each list when `weights` is empty).
    """
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings), strict=True):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda pair: pair[1], reverse=True)


def documents_of(hits: Iterable[Hit]) -> list[str]:
    """Return the distinct sources of ranked chunk hits, in the order of their best chunk."""
    return list(dict.fromkeys(hit.source for hit in hits))


def one_per_document(hits: Iterable[Hit]) -> list[Hit]:
    """Keep the best-ranked hit of each document, in order."""
    seen: set[str] = set()
    kept = []
    for hit in hits:
        if hit.source not in seen:
            seen.add(hit.source)
            kept.append(hit)
    return kept


class Retriever:
    """Search a store in the configured mode."""

    def __init__(self, store: Store, embedder: Embedder, settings: RagSettings) -> None:
        check_embedder(store, embedder)  # an index built with other embeddings is an error
        self.store = store
        self.embedder = embedder
        self.settings = settings

    def retrieve(
        self,
        question: str,
        *,
        top_k: int | None = None,
        mode: RetrievalMode | None = None,
        distinct_documents: bool = False,
    ) -> list[ScoredChunk]:
        """Return up to `top_k` relevant chunks, best first (empty when nothing is relevant).

        Args:
            question: the user's question.
            top_k: how many chunks (default `RAG_TOP_K`).
            mode: `bm25`, `dense` or `hybrid` (default `RAG_RETRIEVAL`).
            distinct_documents: return at most one chunk per document (the best), so that
                `top_k` chunks name `top_k` sources when the index has them.

        """
        k = top_k or self.settings.top_k
        mode = mode or self.settings.retrieval
        pool = k * CANDIDATES_PER_LIST
        lexical = self.store.search_lexical(question, pool) if mode != "dense" else []
        dense = self._dense(question, pool) if mode != "bm25" else []
        if not self.is_relevant(lexical, dense):
            return []
        if mode != "dense":  # bm25 fuses its two lexical lists, hybrid all three
            hits = self._fuse(question, lexical, dense, pool, distinct=distinct_documents)
        else:
            hits = dense
        if distinct_documents:
            hits = one_per_document(hits)
        hits = hits[:k]
        chunks = self.store.get_chunks([h.chunk_id for h in hits])
        by_id = {h.chunk_id: h.score for h in hits}
        return [ScoredChunk(chunk, by_id[chunk.id]) for chunk in chunks]

    def is_relevant(self, lexical: Sequence[Hit], dense: Sequence[Hit]) -> bool:
        """Tell whether the best evidence of either signal reaches its floor."""
        best_lexical = max((h.score for h in lexical), default=None)
        best_dense = max((h.score for h in dense), default=None)
        return (best_lexical is not None and best_lexical >= self.settings.min_bm25) or (
            best_dense is not None and best_dense >= self.settings.min_similarity
        )

    def _fuse(
        self, question: str, lexical: list[Hit], dense: list[Hit], pool: int, *, distinct: bool
    ) -> list[Hit]:
        """Rank documents (`distinct`) or passages (answers) by fusing the signals, best first."""
        rrf_k = self.settings.rrf_k
        whole = [hit.source for hit in self.store.search_documents(question, pool)]
        sources = {h.chunk_id: h.source for h in (*lexical, *dense)}
        if distinct:
            return self._rank_documents(lexical, dense, whole, sources)
        lexical = [h for h in lexical if h.score >= self.settings.min_bm25]
        dense = [h for h in dense if h.score >= self.settings.min_similarity]
        score = dict(rrf_fuse([[h.chunk_id for h in lexical], [h.chunk_id for h in dense]], rrf_k))
        rank = {source: n for n, source in enumerate(whole, start=1)}
        for chunk_id in score:
            if sources[chunk_id] in rank:
                score[chunk_id] += 1.0 / (rrf_k + rank[sources[chunk_id]])
        ranked = sorted(score.items(), key=lambda pair: pair[1], reverse=True)
        return [Hit(chunk_id, value, sources[chunk_id]) for chunk_id, value in ranked]

    def _rank_documents(
        self, lexical: list[Hit], dense: list[Hit], whole: list[str], sources: dict[str, str]
    ) -> list[Hit]:
        """Rank documents by RRF of one list per signal; each comes with its best chunk."""
        rrf_k = self.settings.rrf_k
        weights = (1.0, getattr(self.embedder, "fusion_weight", 1.0), 1.0)
        fused = dict(rrf_fuse([documents_of(lexical), documents_of(dense), whole], rrf_k, weights))
        own = dict(rrf_fuse([[h.chunk_id for h in lexical], [h.chunk_id for h in dense]], rrf_k))
        best = sorted(sources, key=lambda c: (fused[sources[c]], own[c]), reverse=True)
        return one_per_document(Hit(c, fused[sources[c]], sources[c]) for c in best)

    def _dense(self, question: str, k: int) -> list[Hit]:
        """Embed the question and return the nearest chunks."""
        vector = self.embedder.embed([question])[0]
        return self.store.search_dense(vector, k)
