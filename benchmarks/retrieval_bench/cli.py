"""Run the benchmark: every collection, the floor, the generated project in every mode and tier."""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import project as project_mod
from .corpora import LOADERS, Collection
from .floor import bm25_documents
from .metrics import average, compare_to_floor, evaluate
from .report import FLOOR, describe, headline, print_ingest, print_table, write

RESULTS = Path(__file__).resolve().parents[1] / "results" / "retrieval_quality.json"
DEFAULT_PROJECT = Path(tempfile.gettempdir()) / "aieng-bench-rag"


def run_collection(
    collection: Collection, project: project_mod.Project, args: argparse.Namespace
) -> dict[str, Any]:
    """Measure the floor and the project (and the variants, if asked) on one collection."""
    rows = {FLOOR: evaluate(bm25_documents(collection.docs), collection)}
    measured = project_mod.measure(project, collection, tuple(args.tiers), reuse=args.reuse)
    rows.update(measured["rows"])
    collection.meta["chunks"] = next(iter(measured["ingest"].values()))["chunks"]
    if args.variants:
        from .variants import variant_rows

        rows.update(variant_rows(collection, args.tiers))
    compare_to_floor(rows, FLOOR)
    print_table(describe(collection.name, collection.meta), rows)
    print_ingest(measured["ingest"])
    return {"corpus": collection.meta, "project_ingest": measured["ingest"], "results": rows}


def template_state() -> dict[str, str]:
    """Return the checkout's commit and whether the template has uncommitted edits."""
    git = ["git", "-C", str(project_mod.REPO)]
    commit = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run([*git, "status", "--porcelain", "template"], capture_output=True)
    return {"commit": commit.stdout.strip(), "template_edited": str(bool(dirty.stdout))}


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description="Measure the rag-app's retrieval.")
    parser.add_argument("--collections", nargs="+", choices=list(LOADERS), default=list(LOADERS))
    parser.add_argument(
        "--tiers", nargs="+", choices=project_mod.TIERS, default=["fast", "accurate"]
    )
    parser.add_argument("--no-minilm", action="store_true", help="the fast tier only")
    parser.add_argument("--variants", action="store_true", help="add this script's variants")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="read back the project's results cached by an earlier run (same project) "
        "instead of ingesting again",
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument(
        "--project",
        type=Path,
        default=DEFAULT_PROJECT,
        help="the generated rag-app to measure (rendered from this checkout and synced if "
        f"missing; delete it after a template change). Default: {DEFAULT_PROJECT}",
    )
    args = parser.parse_args(argv)
    if args.no_minilm:
        args.tiers = ["fast"]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run every collection, print the tables and the headline, write the JSON report."""
    args = parse(argv)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    started = time.perf_counter()
    project = project_mod.prepare(args.project, tuple(args.tiers))
    collections = [LOADERS[name]() for name in args.collections]
    tables = {c.name: run_collection(c, project, args) for c in collections}
    mean = average({name: t["results"] for name, t in tables.items()})
    print_table(f"average over {len(tables)} collections", mean)
    top = headline(mean)
    print(
        f"\nheadline: {top['default']} R@5 {top['default_recall@5']:.3f} - floor "
        f"{top['floor_recall@5']:.3f} = {top['margin_recall@5']:+.3f} (target +0.05: "
        f"{'met' if top['met'] else 'not met'})"
    )
    seconds = time.perf_counter() - started
    print(f"run time: {seconds:.0f} s")
    report = {
        "headline": top,
        "project": {
            "path": str(project.path),
            "default_tier": project.default_tier,
            "own_tiers": project.own_tiers,
            **template_state(),
        },
        "run_seconds": seconds,
        "average": mean,
        "collections": tables,
    }
    write(args.output, report)
    return 0
