"""Document-level metrics of a ranking: Recall@k, MRR@10, nDCG@10, paired counts, latency."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from .corpora import Collection, Query

METRICS = ("recall@1", "recall@5", "mrr@10", "ndcg@10")


def first_rank(ranking: Sequence[str], relevant: Sequence[str]) -> int:
    """Return the 1-based rank of the first relevant document, 0 when none is ranked."""
    return next((n for n, doc in enumerate(ranking, start=1) if doc in relevant), 0)


def ndcg(ranking: Sequence[str], relevant: Sequence[str], k: int = 10) -> float:
    """Return nDCG@k with binary relevance."""
    gain = sum(1 / math.log2(n + 1) for n, d in enumerate(ranking[:k], start=1) if d in relevant)
    ideal = sum(1 / math.log2(n + 1) for n in range(1, min(len(relevant), k) + 1))
    return gain / ideal if ideal else 0.0


def score(
    rankings: Sequence[Sequence[str]], latency_ms: Sequence[float], queries: Sequence[Query]
) -> dict[str, Any]:
    """Return the metrics of one retriever's document rankings over all queries.

    Recall@k counts a query as found when one of its relevant documents is among the first k
    distinct documents (most queries have exactly one).
    """
    ranks = [first_rank(r, q.relevant) for r, q in zip(rankings, queries, strict=True)]
    n = len(queries)
    return {
        "recall@1": sum(r == 1 for r in ranks) / n,
        "recall@5": sum(0 < r <= 5 for r in ranks) / n,
        "mrr@10": sum(1 / r for r in ranks if 0 < r <= 10) / n,
        "ndcg@10": sum(ndcg(r, q.relevant) for r, q in zip(rankings, queries, strict=True)) / n,
        "latency_p50_ms": statistics.median(latency_ms),
        "latency_p95_ms": statistics.quantiles(latency_ms, n=20)[18],
        "ranks": ranks,
    }


def compare_to_floor(rows: dict[str, dict[str, Any]], floor: str) -> None:
    """Count, per retriever, the queries it ranks better / worse than the floor (paired)."""
    base = [1 / r if r else 0.0 for r in rows[floor]["ranks"]]
    for metrics in rows.values():
        mine = [1 / r if r else 0.0 for r in metrics["ranks"]]
        metrics["better_than_floor"] = sum(a > b for a, b in zip(mine, base, strict=True))
        metrics["worse_than_floor"] = sum(a < b for a, b in zip(mine, base, strict=True))


def average(tables: dict[str, dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Average each retriever's metrics over the collections that all have it."""
    names = [n for n in next(iter(tables.values())) if all(n in t for t in tables.values())]
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        rows = [t[name] for t in tables.values()]
        row: dict[str, Any] = {
            m: statistics.mean(r[m] for r in rows)
            for m in (*METRICS, "latency_p50_ms", "latency_p95_ms")
        }
        row["better_than_floor"] = sum(r["better_than_floor"] for r in rows)
        row["worse_than_floor"] = sum(r["worse_than_floor"] for r in rows)
        out[name] = row
    return out


def evaluate(search: Callable[[str], list[str]], collection: Collection) -> dict[str, Any]:
    """Run one of this script's retrievers over a collection's queries and score it."""
    rankings, latency = [], []
    for query in collection.queries:
        start = time.perf_counter()
        rankings.append(search(query.text))
        latency.append((time.perf_counter() - start) * 1000)
    return score(rankings, latency, collection.queries)
