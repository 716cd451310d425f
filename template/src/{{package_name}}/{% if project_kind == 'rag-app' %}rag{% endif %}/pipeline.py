"""Answer a question from the index: retrieve, prompt, generate, check the citations.

When retrieval finds nothing relevant the pipeline refuses without calling the model, so an
out-of-scope question costs nothing. Citation numbers the model invents (`[7]` with three
sources) are removed from the answer; the remaining ones map back to chunks and files.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any, get_args

from opentelemetry import trace

from ..config import Settings
from ..llm import LLMClient, build_llm
from ..llm.offline import REFUSAL
from ..llm.types import Completion, Usage
from ..observability import METRICS, record_llm_call
from ..prompts import load_prompt
from ..retrieval.embeddings import Embedder, get_embedder
from ..retrieval.retriever import Retriever, ScoredChunk
from ..retrieval.settings import RagSettings, RetrievalMode
from ..retrieval.store import Store, open_store

PROMPT_NAME = "rag_answer"
_CITATION = re.compile(r"\[(\d+)\]")

tracer = trace.get_tracer(__name__)
EMPTY_RETRIEVALS = METRICS.counter(
    "rag_empty_retrievals", "Questions for which retrieval found no relevant chunk."
)
REFUSALS = METRICS.counter("rag_refusals", "Questions answered with a refusal.")
# Each mode scores on its own scale; on the sample corpus: hybrid (reciprocal-rank fusion) 0.03
# to 0.05, dense (cosine) 0.35 to 0.75, bm25 (unbounded) 4 to 32.
_TOP_SCORE_BUCKETS = (0.03, 0.035, 0.04, 0.045, 0.05, 0.4, 0.5, 0.6, 0.7, 0.8, 1, 5, 10, 15, 20, 30)
TOP_SCORE = METRICS.histogram(
    "rag_top_score",
    "Best retrieval score of each question that retrieved a relevant chunk, by retrieval mode.",
    ["mode"],
    buckets=_TOP_SCORE_BUCKETS,
)
for _mode in get_args(RetrievalMode):
    TOP_SCORE.labels(mode=_mode)


@dataclass(frozen=True)
class Citation:
    """A source the answer cites as `[n]`, with the passage (the chunk's text) it cites."""

    n: int
    chunk_id: str
    source: str
    title: str
    score: float
    text: str = ""

    @classmethod
    def of(cls, n: int, hit: ScoredChunk) -> Citation:
        """Return the citation `[n]` of a retrieved chunk."""
        chunk = hit.chunk
        return cls(n, chunk.id, chunk.source, chunk.title, hit.score, chunk.text)


@dataclass(frozen=True)
class Answer:
    """The pipeline's answer, with what it cost and how long each step took."""

    text: str
    citations: list[Citation]
    refused: bool
    retrieval_ms: float
    generation_ms: float
    usage: Usage | None = None
    cost_usd: float = 0.0
    prompt_version: str = ""
    retrieved: list[Citation] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return the answer as JSON-ready data."""
        return {
            "answer": self.text,
            "citations": [c.__dict__ for c in self.citations],
            "refused": self.refused,
            "retrieval_ms": round(self.retrieval_ms, 2),
            "generation_ms": round(self.generation_ms, 2),
            "usage": self.usage.__dict__ if self.usage else None,
            "cost_usd": self.cost_usd,
            "prompt_version": self.prompt_version,
        }


def check_citations(text: str, sources: list[ScoredChunk]) -> tuple[str, list[Citation]]:
    """Drop citation numbers that name no source; return the text and the cited sources."""
    cited: dict[int, Citation] = {}

    def keep(match: re.Match[str]) -> str:
        n = int(match.group(1))
        if not 1 <= n <= len(sources):
            return ""
        hit = sources[n - 1]
        cited.setdefault(n, Citation.of(n, hit))
        return match.group(0)

    cleaned = _CITATION.sub(keep, text)
    cleaned = re.sub(r" +([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", cleaned)).strip()
    return cleaned, sorted(cited.values(), key=lambda c: c.n)


class RagPipeline:
    """Retrieval-augmented answering over one index."""

    def __init__(
        self,
        settings: Settings,
        rag: RagSettings,
        *,
        store: Store | None = None,
        embedder: Embedder | None = None,
        llm: LLMClient | None = None,
    ) -> None:
        self.settings = settings
        self.rag = rag
        self._store = store
        self.embedder = embedder or get_embedder(rag)
        self.llm = llm or build_llm(settings, on_call=record_llm_call)
        self.prompt = load_prompt(PROMPT_NAME, rag.prompt_version or None)

    @property
    def store(self) -> Store:
        """Open the index on first use (a missing index is an `IndexMissingError`)."""
        if self._store is None:
            self._store = open_store(self.rag)
        return self._store

    def ask(self, question: str, *, top_k: int | None = None) -> Answer:
        """Answer `question` from the index, citing sources, or refuse."""
        version = f"{self.prompt.name}@{self.prompt.version}"
        with tracer.start_as_current_span("rag.retrieve") as span:
            started = time.perf_counter()
            retriever = Retriever(self.store, self.embedder, self.rag)
            hits = retriever.retrieve(question, top_k=top_k)
            retrieval_ms = (time.perf_counter() - started) * 1000
            span.set_attribute("rag.retrieval.mode", self.rag.retrieval)
            span.set_attribute("rag.retrieval.hits", len(hits))
        if not hits:
            EMPTY_RETRIEVALS.inc()
            REFUSALS.inc()
            return Answer(
                REFUSAL,
                [],
                True,
                retrieval_ms,
                0.0,
                prompt_version=version,
            )
        TOP_SCORE.labels(mode=self.rag.retrieval).observe(max(hit.score for hit in hits))
        started = time.perf_counter()
        completion = self._generate(question, hits)
        generation_ms = (time.perf_counter() - started) * 1000
        text, citations = check_citations(completion.text, hits)
        refused = text.strip() == REFUSAL
        if refused:
            REFUSALS.inc()
        return Answer(
            text=text,
            citations=[] if refused else citations,
            refused=refused,
            retrieval_ms=retrieval_ms,
            generation_ms=generation_ms,
            usage=completion.usage,
            cost_usd=completion.cost_usd,
            prompt_version=version,
            retrieved=[Citation.of(n, h) for n, h in enumerate(hits, start=1)],
        )

    def _generate(self, question: str, hits: list[ScoredChunk]) -> Completion:
        """Render the grounded prompt with numbered sources and call the model."""
        with tracer.start_as_current_span("rag.generate") as span:
            span.set_attribute("gen_ai.prompt.name", self.prompt.name)
            span.set_attribute("gen_ai.prompt.version", self.prompt.version)
            messages = self.prompt.render(
                question=question,
                sources=[
                    {"n": n, "title": h.chunk.title, "text": h.chunk.text}
                    for n, h in enumerate(hits, start=1)
                ],
            )
            return self.llm.complete(messages, prompt=self.prompt.ref)

    def close(self) -> None:
        """Close the index connection."""
        if self._store is not None:
            self._store.close()
            self._store = None
