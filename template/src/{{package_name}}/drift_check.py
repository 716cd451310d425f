"""One run of the drift check: read the two windows, test every signal, build the report.

The current window is the `--window` (default 1 day) ending at `--until` (default now). The
reference is either the `--reference-window` (default 7 days) just before it, from the same
signals file ("previous", the default: it follows slow seasonal change and catches what moved
since last week), or every row of a file saved by `drift-reference` (a fixed, known-good
period: it also catches drift that creeps in slowly).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from .drift import Thresholds, Vectors, compare, decide, embedding_test
from .drift_report import DriftReport, WindowInfo
from .signal_store import (
    SignalStoreError,
    SignalWindow,
    open_readonly,
    read_embeddings,
    read_window,
)
from .signals import SignalContract


def _day(timestamp: float) -> str:
    """Format a Unix time to the minute, UTC."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _span(seconds: float) -> str:
    """Say a duration in the largest whole unit: `7d`, `24h`, `90m`."""
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def _info(window: SignalWindow, source: Path, label: str) -> WindowInfo:
    """Describe a window for the report."""
    description = (
        f"{label}: {_day(window.start)} to {_day(window.end)}, {len(window)} requests ({source})"
    )
    return WindowInfo(str(source), window.start, window.end, len(window), description)


def _sample(
    conn: sqlite3.Connection, window: SignalWindow, size: int, rng: np.random.Generator
) -> Vectors:
    """Load the embeddings of `size` rows of the window, chosen at random."""
    ids = window.ids[window.has_embedding]
    chosen = np.sort(rng.choice(ids, size=min(size, len(ids)), replace=False))
    return read_embeddings(conn, chosen.tolist())


def run_check(
    contract: SignalContract,
    db: Path,
    *,
    current_window: float,
    until: float,
    reference: str,
    reference_window: float,
    thresholds: Thresholds,
    seed: int,
    too_little: type[Exception],
) -> DriftReport:
    """Compare the current window of `db` with the reference; return the report.

    Raises:
        too_little: A file is missing or unreadable, or a window holds fewer than
            `thresholds.min_samples` requests.

    """
    names = [signal.name for signal in contract.signals]
    start = until - current_window
    try:
        conn = open_readonly(db)
        ref_source = db if reference == "previous" else Path(reference)
        ref_conn = conn if reference == "previous" else open_readonly(ref_source)
    except SignalStoreError as exc:
        raise too_little(str(exc)) from None
    try:
        current = read_window(conn, names, start, until)
        if reference == "previous":
            ref = read_window(conn, names, start - reference_window, start)
            ref_label = f"the previous {_span(reference_window)}"
        else:
            ref = read_window(ref_conn, names, None, None)
            ref_label = "the saved reference"
        cur_info = _info(current, db, f"the last {_span(current_window)}")
        ref_info = _info(ref, ref_source, ref_label)
        for info in (cur_info, ref_info):
            if info.count < thresholds.min_samples:
                raise too_little(
                    f"Too little data to test: {info.description}; the check needs at least "
                    f"{thresholds.min_samples} requests per window (--min-samples). Widen "
                    "--window / --reference-window, or wait for more traffic."
                )
        results = compare(contract.signals, ref.values, current.values, thresholds)
        rng = np.random.default_rng(seed)
        size = min(
            int(ref.has_embedding.sum()),
            int(current.has_embedding.sum()),
            thresholds.embedding_samples,
        )
        vectors = (_sample(ref_conn, ref, size, rng), _sample(conn, current, size, rng))
        results.append(embedding_test(contract.embedding, *vectors, thresholds, seed))
    finally:
        conn.close()
        if ref_conn is not conn:
            ref_conn.close()
    return DriftReport(contract.kind, cur_info, ref_info, thresholds, decide(results, thresholds))
