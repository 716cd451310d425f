"""The signals file: one SQLite table of recorded request signals, and how to read a window of it.

One row per answered request: when (`ts`, Unix seconds), which request (`request_id`), which
kind recorded it, the kind's signal values as a JSON object (`data`), the question's embedding
as float16 bytes (`embedding`, half the space of float32 and plenty for a drift test), and the
raw text only when `DRIFT_RECORD_TEXT=true` (`text`, else NULL).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

SCHEMA = """
CREATE TABLE IF NOT EXISTS signals (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    request_id TEXT,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    embedding BLOB,
    text TEXT
);
CREATE INDEX IF NOT EXISTS signals_ts ON signals (ts);
"""
COLUMNS = "ts, request_id, kind, data, embedding, text"
EMBEDDING_DTYPE = np.float16
_ID_BATCH = 500  # ids per `IN (...)` query, far below SQLite's variable limit


class SignalStoreError(Exception):
    """The signals file is missing or unreadable; the message says what to do."""


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) the signals file for writing, in WAL mode with the schema."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=10)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(SCHEMA)
    return conn


def open_readonly(path: Path) -> sqlite3.Connection:
    """Open an existing signals file read-only.

    Raises:
        SignalStoreError: There is no such file, or it is not a signals file.

    """
    if not path.is_file():
        raise SignalStoreError(
            f"No signals at {path}: the app records them while it serves requests "
            "(DRIFT_RECORD=true, DRIFT_DB); pass --db to read another file"
        )
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        conn.execute("SELECT 1 FROM signals LIMIT 1")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise SignalStoreError(f"{path} is not a signals file ({exc})") from None
    return conn


@dataclass
class SignalWindow:
    """The signals recorded between two times: one column of values per signal.

    Attributes:
        ids: Row ids, in recording order.
        values: Signal name to one value per row (None where a row lacks the signal).
        has_embedding: Whether each row holds an embedding.
        start: Start of the window (Unix seconds), or of the data when the window is a file.
        end: End of the window (Unix seconds), or of the data.

    """

    ids: npt.NDArray[np.int64]
    values: dict[str, list[Any]] = field(default_factory=dict)
    has_embedding: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, bool))
    start: float = 0.0
    end: float = 0.0

    def __len__(self) -> int:
        """Return the number of recorded requests in the window."""
        return len(self.ids)


def read_window(
    conn: sqlite3.Connection, names: Sequence[str], start: float | None, end: float | None
) -> SignalWindow:
    """Read the rows with `start <= ts < end` (either bound may be None: unbounded)."""
    query = "SELECT id, ts, data, embedding IS NOT NULL FROM signals WHERE ts >= ? AND ts < ?"
    rows = conn.execute(
        query + " ORDER BY id",
        (float("-inf") if start is None else start, float("inf") if end is None else end),
    ).fetchall()
    columns: dict[str, list[Any]] = {name: [] for name in names}
    for _, _, data, _ in rows:
        values = json.loads(data)
        for name in names:
            columns[name].append(values.get(name))
    stamps = [row[1] for row in rows]
    return SignalWindow(
        ids=np.array([row[0] for row in rows], dtype=np.int64),
        values=columns,
        has_embedding=np.array([bool(row[3]) for row in rows], dtype=bool),
        start=start if start is not None else min(stamps, default=0.0),
        end=end if end is not None else max(stamps, default=0.0),
    )


def read_embeddings(conn: sqlite3.Connection, ids: Sequence[int]) -> npt.NDArray[np.float32]:
    """Return the embeddings of the rows `ids`, in that order, as float32 rows."""
    found: dict[int, bytes] = {}
    wanted = [int(i) for i in ids]
    for begin in range(0, len(wanted), _ID_BATCH):
        batch = wanted[begin : begin + _ID_BATCH]
        marks = ",".join("?" * len(batch))
        query = f"SELECT id, embedding FROM signals WHERE id IN ({marks})"  # noqa: S608 - only ?s
        found.update(conn.execute(query, batch).fetchall())
    rows = [np.frombuffer(found[i], dtype=EMBEDDING_DTYPE) for i in wanted]
    return np.vstack(rows).astype(np.float32) if rows else np.zeros((0, 0), np.float32)


def copy_window(source: Path, target: Path, start: float | None, end: float | None) -> int:
    """Copy the rows of `source` with `start <= ts < end` into a new signals file `target`.

    Returns:
        The number of rows copied.

    """
    open_readonly(source).close()
    conn = connect(target)
    try:
        conn.execute("ATTACH DATABASE ? AS src", (str(source),))
        cursor = conn.execute(
            f"INSERT INTO signals ({COLUMNS}) SELECT {COLUMNS} FROM src.signals "  # noqa: S608
            "WHERE ts >= ? AND ts < ? ORDER BY id",
            (float("-inf") if start is None else start, float("inf") if end is None else end),
        )
        conn.commit()
        return cursor.rowcount
    finally:
        conn.close()
