"""Print the tables and the headline; write the JSON report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .metrics import METRICS

FLOOR = "floor: BM25 whole documents (bm25s)"


def default_row(rows: dict[str, Any]) -> str:
    """Return the name of the default configuration's row."""
    return next(name for name in rows if name.endswith("(default)"))


def print_table(title: str, rows: dict[str, dict[str, Any]]) -> None:
    """Print one collection's (or the average's) figures as a Markdown table."""
    print(f"\n### {title}\n")
    print("| retriever | R@1 | R@5 | MRR@10 | nDCG@10 | +/- vs floor | p50 ms | p95 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, m in rows.items():
        figures = " | ".join(f"{m[k]:.3f}" for k in METRICS)
        paired = "" if name == FLOOR else f"+{m['better_than_floor']}/-{m['worse_than_floor']}"
        print(
            f"| {name} | {figures} | {paired} "
            f"| {m['latency_p50_ms']:.1f} | {m['latency_p95_ms']:.1f} |"
        )


def headline(average: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Return the headline: the default's Recall@5 minus the floor's, averaged."""
    name = default_row(average)
    margin = average[name]["recall@5"] - average[FLOOR]["recall@5"]
    return {
        "default": name,
        "default_recall@5": average[name]["recall@5"],
        "floor_recall@5": average[FLOOR]["recall@5"],
        "margin_recall@5": margin,
        "target_margin": 0.05,
        "met": margin >= 0.05,
    }


def describe(name: str, meta: dict[str, Any]) -> str:
    """Return a collection's one-line description for its table's title."""
    chunks = meta.get("chunks", "?")
    return (
        f"{name}: {meta['package']}, {meta['documents']} documents, {chunks} chunks, "
        f"{meta['queries']} queries"
    )


def print_ingest(ingest: dict[str, dict[str, Any]]) -> None:
    """Print the project's ingest figures per tier."""
    for tier, m in ingest.items():
        print(
            f"ingest, {tier} ({m['embedder']}, {m['source']}'s code): {m['chunks']} chunks "
            f"in {m['ingest_s']:.1f} s ({m['chunks_per_s']:.0f} chunks/s)"
        )


def write(path: Path, report: dict[str, Any]) -> None:
    """Write the report as JSON (per-query ranks left out)."""
    for collection in report["collections"].values():
        for row in collection["results"].values():
            row.pop("ranks", None)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
