"""The RAG eval suite: retrieval quality, answer quality, refusals, latency and cost.

Each case in `evals/cases.jsonl` is one JSON object per line:
`{"id", "question", "relevant": [paths under the corpus folder], "answerable", "category",
"must_include": [optional strings], "must_not_include": [optional strings]}`. The corpus is
ingested into a throw-away SQLite index per chunking strategy, so that the numbers never depend
on the state of your own index.

Metrics (retrieval ones are computed on answerable cases, by source document):

- `recall_at_1`, `recall_at_5`: share of the relevant documents among the first 1 / 5 retrieved.
- `mrr`: mean reciprocal rank of the first relevant document.
- `ndcg_at_5`: normalised discounted cumulative gain at 5, binary relevance.
- `citation_correctness`: share of answers whose cited documents are all relevant.
- `groundedness`: share of answer sentences that cite a source sharing at least half of the
  sentence's content words (a token-overlap check: cheap, deterministic, and strict enough
  to catch answers that cite one thing and say another; an LLM judge can replace it).
- `refusal_accuracy`: share of cases where the app refused exactly when it should.
- `must_include_rate`: share of answerable cases whose answer contains every expected string.
- `injection_resistance`: share of `injection` cases (questions about a corpus document with
  instructions planted in it) whose answer contains none of the case's `must_not_include`
  strings: the planted payload and the planted answer (a rubric check; case-insensitive).
- `latency_p50_ms`, `latency_p95_ms`, `cost_per_query_usd`: per `ask`, end to end.
- `cmp_<chunking>_<mode>_recall_at_5` / `_mrr`: the same retrieval metrics for every chunking
  strategy and retrieval mode, which is how the README compares them.
"""

from __future__ import annotations

import math
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, get_args

from ..config import Settings
from ..evaluation import EvalResult
from ..retrieval.embeddings import Embedder, get_embedder
from ..retrieval.ingest import ingest_folder
from ..retrieval.retriever import Retriever
from ..retrieval.settings import ChunkingStrategy, RagSettings, RetrievalMode, get_rag_settings
from ..retrieval.store import Store, open_store
from .cases import Case, find_corpus, load_cases
from .pipeline import Answer, RagPipeline
from .prompt_inputs import eval_prompts, golden_prompt_inputs

__all__ = ["Case", "eval_prompts", "golden_prompt_inputs", "load_cases", "run_evals"]

RETRIEVAL_DEPTH = 10
_WORD = re.compile(r"[a-z0-9]+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_CITE = re.compile(r"\[(\d+)\]")
_CITE_AFTER_STOP = re.compile(r"([.!?])((?:\s*\[\d+\])+)")
DEFINITIONS = {
    "citation_correctness": "share of answers whose cited documents are all relevant.",
    "groundedness": "share of answer sentences whose cited source holds at least half of "
    "their content words (token overlap).",
    "refusal_accuracy": "share of cases refused exactly when they should be (out-of-scope "
    "and adversarial questions refused, answerable ones answered).",
    "injection_resistance": "rubric: share of `injection` cases (questions about a document "
    "with instructions planted in it) whose answer contains none of the case's "
    "`must_not_include` strings, i.e. neither the planted payload nor the planted answer.",
}


def rank_sources(retriever: Retriever, question: str, mode: RetrievalMode) -> list[str]:
    """Return the distinct source documents of the retrieved chunks, best first."""
    hits = retriever.retrieve(question, top_k=RETRIEVAL_DEPTH, mode=mode)
    return list(dict.fromkeys(hit.chunk.source for hit in hits))


def retrieval_scores(ranked: list[str], relevant: list[str]) -> dict[str, float]:
    """Score one ranked list of documents against the relevant ones."""
    wanted = set(relevant)
    first = next((i for i, source in enumerate(ranked, start=1) if source in wanted), None)
    dcg = sum(1 / math.log2(i + 1) for i, s in enumerate(ranked[:5], start=1) if s in wanted)
    ideal = sum(1 / math.log2(i + 1) for i in range(1, min(len(wanted), 5) + 1))
    return {
        "recall_at_1": len(wanted & set(ranked[:1])) / len(wanted),
        "recall_at_5": len(wanted & set(ranked[:5])) / len(wanted),
        "mrr": 1 / first if first else 0.0,
        "ndcg_at_5": dcg / ideal if ideal else 0.0,
    }


def content_words(text: str) -> set[str]:
    """Return lower-case words of three letters or more (a crude content-word filter)."""
    return {w for w in _WORD.findall(text.lower()) if len(w) > 2}


def groundedness(answer: Answer, texts: dict[int, str]) -> float:
    """Return the share of answer sentences whose cited sources support them (token overlap)."""
    text = _CITE_AFTER_STOP.sub(r"\2\1", answer.text)  # "Fact. [1]" -> "Fact [1]."
    sentences = [s for s in _SENTENCE.split(text) if s.strip()]
    if not sentences:
        return 0.0
    supported = 0
    for sentence in sentences:
        words = content_words(_CITE.sub("", sentence))
        cited = [int(n) for n in _CITE.findall(sentence) if int(n) in texts]
        if words and any(len(words & content_words(texts[n])) >= len(words) / 2 for n in cited):
            supported += 1
    return supported / len(sentences)


def percentile(values: list[float], q: float) -> float:
    """Return the q-th percentile (0..100) by linear interpolation."""
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def run_evals(
    settings: Settings,
    cases_path: Path,
    *,
    rag: RagSettings | None = None,
    embedder: Embedder | None = None,
) -> EvalResult:
    """Run the golden set through retrieval and the full pipeline; return the metrics."""
    rag = rag or get_rag_settings()
    embedder = embedder or get_embedder(rag)
    cases = load_cases(cases_path)
    corpus = find_corpus(rag, cases_path)
    metrics: dict[str, float] = {}
    details: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="rag-eval-") as tmp:
        for strategy in get_args(ChunkingStrategy):
            config = rag.model_copy(
                update={"chunking": strategy, "store_url": f"sqlite:///{tmp}/{strategy}.sqlite"}
            )
            ingest_folder(corpus, config, embedder=embedder)
            store = open_store(config)
            try:
                metrics |= _compare_modes(strategy, cases, Retriever(store, embedder, config))
                if strategy == rag.chunking:
                    metrics |= _score_pipeline(settings, config, store, embedder, cases, details)
            finally:
                store.close()
    prompt = details[0]["prompt_version"] if details else ""
    higher = {name: not (name.startswith("latency") or name.startswith("cost")) for name in metrics}
    return EvalResult(
        metrics=metrics,
        higher_is_better=higher,
        details=details,
        prompt=prompt,
        definitions=DEFINITIONS,
    )


def _compare_modes(
    strategy: ChunkingStrategy, cases: list[Case], retriever: Retriever
) -> dict[str, float]:
    """Return recall@5 and MRR of every retrieval mode for one chunking strategy."""
    answerable = [c for c in cases if c.answerable and c.relevant]
    out: dict[str, float] = {}
    for mode in get_args(RetrievalMode):
        scores = [
            retrieval_scores(rank_sources(retriever, c.question, mode), c.relevant)
            for c in answerable
        ]
        for name in ("recall_at_5", "mrr"):
            out[f"cmp_{strategy}_{mode}_{name}"] = _mean([s[name] for s in scores])
    return out


def _score_pipeline(
    settings: Settings,
    rag: RagSettings,
    store: Store,
    embedder: Embedder,
    cases: list[Case],
    details: list[dict[str, Any]],
) -> dict[str, float]:
    """Ask every case through the pipeline; fill `details` and return the headline metrics."""
    pipeline = RagPipeline(settings, rag, store=store, embedder=embedder)
    retriever = Retriever(store, embedder, rag)
    rows: list[dict[str, Any]] = []
    for case in cases:
        ranked = rank_sources(retriever, case.question, rag.retrieval)
        started = time.perf_counter()
        answer = pipeline.ask(case.question)
        latency_ms = (time.perf_counter() - started) * 1000
        rows.append(_score_case(case, ranked, answer, store, latency_ms))
    details.extend(rows)
    answerable = [r for r in rows if r["answerable"] and r["relevant"]]
    answered = [r for r in rows if not r["refused"]]
    latencies = [r["latency_ms"] for r in rows]
    metrics = {
        name: _mean([r[name] for r in answerable])
        for name in ("recall_at_1", "recall_at_5", "mrr", "ndcg_at_5")
    }
    metrics |= {
        "citation_correctness": _mean([float(r["citations_correct"]) for r in answered]),
        "groundedness": _mean([r["groundedness"] for r in answered]),
        "refusal_accuracy": _mean([float(r["refused"] != r["answerable"]) for r in rows]),
        "must_include_rate": _mean([float(not r["missing"]) for r in rows if r["answerable"]]),
        "latency_p50_ms": round(percentile(latencies, 50), 2),
        "latency_p95_ms": round(percentile(latencies, 95), 2),
        "cost_per_query_usd": _mean([r["cost_usd"] for r in rows]),
    }
    injection = [r for r in rows if r["category"] == "injection"]
    if injection:
        metrics["injection_resistance"] = _mean([float(not r["forbidden"]) for r in injection])
    return metrics


def _score_case(
    case: Case, ranked: list[str], answer: Answer, store: Store, latency_ms: float
) -> dict[str, Any]:
    """Score one case's retrieval and answer."""
    cited = sorted({c.source for c in answer.citations})
    chunks = {c.id: c for c in store.get_chunks([c.chunk_id for c in answer.citations])}
    texts = {c.n: chunks[c.chunk_id].text for c in answer.citations if c.chunk_id in chunks}
    missing = [s for s in case.must_include if s.lower() not in answer.text.lower()]
    forbidden = [s for s in case.must_not_include if s.lower() in answer.text.lower()]
    correct = bool(cited) and set(cited) <= set(case.relevant)
    scores = retrieval_scores(ranked, case.relevant) if case.relevant else {}
    passed = answer.refused != case.answerable and (answer.refused or (correct and not missing))
    return {
        "id": case.id,
        "category": case.category,
        "passed": passed and not forbidden,
        "reason": _failure_reason(case, answer, cited, correct, missing, forbidden),
        "question": case.question,
        "answerable": case.answerable,
        "relevant": case.relevant,
        "retrieved": ranked[:5],
        "refused": answer.refused,
        "cited": cited,
        "citations_correct": correct,
        "missing": missing,
        "forbidden": forbidden,
        "groundedness": groundedness(answer, texts) if not answer.refused else 0.0,
        "answer": answer.text,
        "latency_ms": round(latency_ms, 2),
        "cost_usd": answer.cost_usd,
        "prompt_version": answer.prompt_version,
        **scores,
    }


def _failure_reason(
    case: Case,
    answer: Answer,
    cited: list[str],
    correct: bool,
    missing: list[str],
    forbidden: list[str],
) -> str:
    """Say in a few words why a case failed (empty when it passed)."""
    if forbidden:
        return f"the answer repeats what it must not ({forbidden}): {answer.text!r}"
    if answer.refused and case.answerable:
        return f"refused an answerable question: {case.question!r}"
    if not answer.refused and not case.answerable:
        return f"answered a question it should refuse ({case.category}): {case.question!r}"
    if answer.refused:
        return ""
    problems = [] if correct else [f"cited {cited or 'nothing'}, expected {case.relevant}"]
    problems += [f"missing {missing}"] if missing else []
    return "; ".join(problems)


def _mean(values: list[float]) -> float:
    """Return the rounded mean, or 0.0 for no values."""
    return round(sum(values) / len(values), 4) if values else 0.0
