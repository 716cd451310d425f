"""What the RAG app records per answered question for the drift check (the kind's contract).

No raw text leaves the request unless DRIFT_RECORD_TEXT=true: the signals are numbers, a flag,
the prompt version and the question's embedding by the static signal embedder (about 30
microseconds, whichever tier retrieval uses: `retrieval/embeddings.py`, `signal_embedder`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..signals import Exchange, Observation, Signal, SignalContract, Tracked
from .feedback import to_eval_case

if TYPE_CHECKING:
    from ..retrieval.embeddings import Embedder
    from .pipeline import Answer

SIGNALS = (
    Signal("question_chars", "continuous", "length of the question, in characters"),
    Signal(
        "top_score",
        "continuous",
        "score of the best retrieved chunk, in the retrieval mode's units (RRF in hybrid mode, "
        "cosine similarity in dense mode, BM25 in bm25 mode); absent when nothing was retrieved",
    ),
    Signal("empty_retrieval", "boolean", "retrieval found nothing relevant"),
    Signal("refused", "boolean", "the answer is a refusal"),
    Signal("latency_ms", "continuous", "time to answer (retrieval and generation), in ms"),
    Signal("input_tokens", "continuous", "tokens sent to the model (0 when it was not called)"),
    Signal("output_tokens", "continuous", "tokens the model returned"),
    Signal("cost_usd", "continuous", "cost of the model call, in US dollars"),
    Signal("prompt_version", "categorical", "the prompt that answered, as name@version"),
)

CONTRACT = SignalContract(
    kind="rag",
    signals=SIGNALS,
    embedding="question_embedding",
    embedding_description="the question's 256-d WordLlama embedding (what it is about)",
    to_eval_case=to_eval_case,
)


def track_answer(
    question: str, top_k: int | None, answer: Answer, latency_ms: float, embedder: Embedder
) -> Tracked:
    """Return the signals and the exchange of one answered question."""
    vector = embedder.embed([question])[0]
    scores = [c.score for c in answer.retrieved]
    usage = answer.usage
    observation = Observation(
        values={
            "question_chars": len(question),
            "top_score": max(scores) if scores else None,
            "empty_retrieval": not scores,
            "refused": answer.refused,
            "latency_ms": round(latency_ms, 3),
            "input_tokens": usage.input_tokens if usage else 0,
            "output_tokens": usage.output_tokens if usage else 0,
            "cost_usd": answer.cost_usd,
            "prompt_version": answer.prompt_version,
        },
        embedding=vector,
        text=question,
    )
    exchange = Exchange(
        input={"question": question, "top_k": top_k},
        output={
            "answer": answer.text,
            "refused": answer.refused,
            "citations": [c.__dict__ for c in answer.citations],
            "prompt_version": answer.prompt_version,
        },
    )
    return Tracked(observation, exchange)
