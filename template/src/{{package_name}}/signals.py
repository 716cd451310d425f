"""What a kind records per answered request for the drift check, and the recorder that stores it.

The contract: a kind's `<kind>/signals.py` exposes `CONTRACT`, a `SignalContract` naming its
signals (each continuous, boolean or categorical), the embedding it records, and how a rated
exchange becomes one of its eval cases. Its routes call `operations.track` after answering.

`SignalRecorder` keeps the writing off the request path: `record` only puts an item on a
bounded queue, and a background thread wakes at most twice a second to write what has
accumulated, in one transaction per batch (rarely waking keeps it from competing with the
request threads for the interpreter lock). Nothing in it can fail a request: a full queue or a
failed write is logged and counted in `drift_recorder_errors_total{reason}`, and the
observation is dropped.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from .observability import METRICS, get_logger
from .signal_store import EMBEDDING_DTYPE, connect

logger = get_logger(__name__)

SignalType = Literal["continuous", "boolean", "categorical"]
Value = float | int | bool | str | None

RECORDED = METRICS.counter("drift_signals_recorded", "Request signals written to the signals file.")
RECORDER_ERRORS = METRICS.counter(
    "drift_recorder_errors", "Request signals dropped instead of recorded, by reason.", ["reason"]
)
ERROR_REASONS = ("queue_full", "write_failed", "build_failed")
for _reason in ERROR_REASONS:
    RECORDER_ERRORS.labels(reason=_reason)

_PRUNE_EVERY_S = 3600.0


@dataclass(frozen=True)
class Signal:
    """One signal a kind records per request, and the test the drift check gives it."""

    name: str
    type: SignalType
    description: str


@dataclass(frozen=True)
class Observation:
    """What one answered request contributes to the signals file."""

    values: Mapping[str, Value]
    embedding: npt.NDArray[np.float32] | None = None
    text: str | None = None


@dataclass(frozen=True)
class Exchange:
    """A request's input and output, remembered in memory so that it can be rated."""

    input: Mapping[str, Any]
    output: Mapping[str, Any]


@dataclass(frozen=True)
class Tracked:
    """What a kind's route hands to `operations.track` about one answered request."""

    observation: Observation
    exchange: Exchange


@dataclass(frozen=True)
class RatedExchange:
    """A stored rating with the exchange it rates (what `feedback export` converts)."""

    id: int
    request_id: str
    rating: str
    comment: str | None
    created_at: str
    kind: str
    input: Mapping[str, Any]
    output: Mapping[str, Any]


@dataclass(frozen=True)
class SignalContract:
    """What a kind tells the shared drift check and feedback export about itself."""

    kind: str
    signals: tuple[Signal, ...]
    embedding: str
    embedding_description: str
    to_eval_case: Callable[[RatedExchange], dict[str, Any]]

    def signal_names(self) -> list[str]:
        """Return every signal the drift check tests, the embedding last."""
        return [signal.name for signal in self.signals] + [self.embedding]


@dataclass(frozen=True)
class _Item:
    ts: float
    request_id: str | None
    observation: Observation


class SignalRecorder:
    """Write observations into the signals file from a background thread, in batches."""

    def __init__(
        self,
        path: Path,
        *,
        kind: str,
        record_text: bool = False,
        retention_days: float | None = None,
        queue_size: int = 10_000,
        batch_size: int = 500,
        flush_interval_s: float = 0.5,
    ) -> None:
        self.path = path
        self.kind = kind
        self.record_text = record_text
        self.retention_s = retention_days * 86_400 if retention_days else None
        self.batch_size = batch_size
        self.flush_interval_s = flush_interval_s
        self._wake = threading.Event()  # cuts the wait short: `flush` and `close` set it
        self._queue: queue.Queue[_Item | None] = queue.Queue(maxsize=queue_size)
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._last_prune = 0.0
        self._last_full_warning = 0.0

    def record(self, observation: Observation, request_id: str | None = None) -> None:
        """Queue one observation for writing; never raises and never blocks."""
        if self._thread is None:
            self._start()
        try:
            self._queue.put_nowait(_Item(time.time(), request_id, observation))
        except queue.Full:
            RECORDER_ERRORS.labels(reason="queue_full").inc()
            now = time.monotonic()
            if now - self._last_full_warning > 60:
                self._last_full_warning = now
                logger.warning("drift recorder queue is full; dropping request signals")

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until everything queued so far is written (or dropped); False on timeout."""
        deadline = time.monotonic() + timeout_s
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._wake.set()
                self._queue.all_tasks_done.wait(min(remaining, 0.05))
        return True

    def close(self, timeout_s: float = 10.0) -> None:
        """Write what is queued, then stop the writer thread (the app's shutdown calls this)."""
        with self._start_lock:
            thread, self._thread = self._thread, None
            if thread is None:
                return
            self._wake.set()  # write now, so that a full queue makes room for the stop marker
            try:
                self._queue.put(None, timeout=timeout_s)
                self._wake.set()
            except queue.Full:
                logger.warning("drift recorder did not drain before shutdown")
                return
        thread.join(timeout_s)

    def _start(self) -> None:
        """Start the writer thread once."""
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="drift-recorder", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        """Take batches off the queue and write them until `close` sends the stop marker."""
        conn = None
        stop = False
        wait = True
        while not stop:
            batch = [self._queue.get()]
            if wait and batch[0] is not None:  # let a batch build up, unless woken
                self._wake.wait(self.flush_interval_s)
            self._wake.clear()
            while len(batch) < self.batch_size:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = None in batch
            wait = len(batch) < self.batch_size  # after a full batch, write the rest at once
            items = [item for item in batch if item is not None]
            try:
                conn = conn or connect(self.path)
                self._write(conn, items)
            except Exception as exc:
                RECORDER_ERRORS.labels(reason="write_failed").inc(len(items))
                logger.error("drift recorder could not write to %s: %s", self.path, exc)
                if conn is not None:
                    conn.close()
                conn = None
            finally:
                for _ in batch:
                    self._queue.task_done()
        if conn is not None:
            conn.close()

    def _write(self, conn: Any, items: list[_Item]) -> None:
        """Insert one batch in one transaction, and prune old rows once an hour."""
        if items:
            conn.executemany(INSERT, [self._row(item) for item in items])
        now = time.time()
        if self.retention_s and now - self._last_prune > _PRUNE_EVERY_S:
            conn.execute("DELETE FROM signals WHERE ts < ?", (now - self.retention_s,))
            self._last_prune = now
        conn.commit()
        RECORDED.inc(len(items))

    def _row(self, item: _Item) -> tuple[Any, ...]:
        """Return the table row of one queued observation."""
        return table_row(item.ts, item.request_id, self.kind, item.observation, self.record_text)


def table_row(
    ts: float, request_id: str | None, kind: str, observation: Observation, record_text: bool
) -> tuple[Any, ...]:
    """Return the `signals` row of one observation (its text only when `record_text`)."""
    embedding = None
    if observation.embedding is not None:
        embedding = np.asarray(observation.embedding, dtype=EMBEDDING_DTYPE).tobytes()
    return (
        ts,
        request_id,
        kind,
        json.dumps(dict(observation.values), separators=(",", ":")),
        embedding,
        observation.text if record_text else None,
    )


INSERT = (
    "INSERT INTO signals (ts, request_id, kind, data, embedding, text) VALUES (?, ?, ?, ?, ?, ?)"
)


def write_traffic(
    path: Path, observations: Sequence[Observation], start: float, end: float, *, kind: str
) -> None:
    """Append observations of `kind` to a signals file, spread evenly over [start, end).

    Each lands in the middle of its slot. The drift benchmarks and tests write the kind's
    synthetic traffic (`<kind>/synthetic.py`) with it.
    """
    step = (end - start) / max(len(observations), 1)
    conn = connect(path)
    try:
        conn.executemany(
            INSERT,
            (
                table_row(start + (i + 0.5) * step, f"synthetic-{i}", kind, observation, False)
                for i, observation in enumerate(observations)
            ),
        )
        conn.commit()
    finally:
        conn.close()
