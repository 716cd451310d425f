"""Feedback: `POST /feedback` rates an answered request, by the request id its response carried.

How the server knows the rated exchange: each process keeps its most recent exchanges (the
request's input and the app's output) in a bounded in-memory map, `ExchangeMemory`, keyed by
request id: at most FEEDBACK_MEMORY of them, each for at most an hour. Nothing of an exchange is
written to disk unless someone rates it; then the rating, the comment, the time and the
exchange go into the `feedback` table of the embedded SQLite file FEEDBACK_DB, where
`feedback export` turns them into eval cases for review. A request id this process never
served, or has forgotten (evicted, expired, or served before a restart), gets 404.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections import OrderedDict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from .observability import METRICS, get_logger
from .signals import Exchange, RatedExchange

logger = get_logger(__name__)

Rating = Literal["up", "down"]
RATINGS: tuple[Rating, ...] = ("up", "down")
EXCHANGE_TTL_S = 3600.0
MAX_COMMENT_CHARS = 2000

FEEDBACK_RATINGS = METRICS.counter(
    "feedback_ratings", "Ratings received on POST /feedback, by rating.", ["rating"]
)
for _rating in RATINGS:
    FEEDBACK_RATINGS.labels(rating=_rating)

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment TEXT,
    created_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    input TEXT NOT NULL,
    output TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_request ON feedback (request_id);
"""


class ExchangeMemory:
    """The most recent exchanges of this process, by request id: bounded in size and age."""

    def __init__(self, size: int, ttl_s: float = EXCHANGE_TTL_S) -> None:
        self.size = size
        self.ttl_s = ttl_s
        self._items: OrderedDict[str, tuple[float, Exchange]] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, request_id: str, exchange: Exchange) -> None:
        """Keep `exchange` under `request_id`, forgetting the oldest beyond the size."""
        if self.size <= 0:
            return
        with self._lock:
            self._items[request_id] = (time.monotonic(), exchange)
            self._items.move_to_end(request_id)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def recall(self, request_id: str) -> Exchange | None:
        """Return the exchange served under `request_id`, or None if unknown or expired."""
        with self._lock:
            found = self._items.get(request_id)
            if found is None:
                return None
            if time.monotonic() - found[0] > self.ttl_s:
                del self._items[request_id]
                return None
            return found[1]


class FeedbackStore:
    """The `feedback` table in an embedded SQLite file, created on first use."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def add(
        self, request_id: str, rating: Rating, comment: str | None, kind: str, exchange: Exchange
    ) -> int:
        """Store one rating with its exchange; return its id."""
        created = datetime.now(UTC).isoformat(timespec="seconds")
        with self._connect(create=True) as conn:
            cursor = conn.execute(
                "INSERT INTO feedback (request_id, rating, comment, created_at, kind, input, "
                "output) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    request_id,
                    rating,
                    comment,
                    created,
                    kind,
                    json.dumps(dict(exchange.input)),
                    json.dumps(dict(exchange.output)),
                ),
            )
            return int(cursor.lastrowid or 0)

    def rated(self, rating: str | None = None) -> list[RatedExchange]:
        """Return the latest rating of each rated request (only `rating` if given), oldest first."""
        if not self.path.is_file():
            return []
        with self._connect(create=False) as conn:
            rows = conn.execute(
                "SELECT id, request_id, rating, comment, created_at, kind, input, output "
                "FROM feedback WHERE id IN (SELECT max(id) FROM feedback GROUP BY request_id) "
                "ORDER BY id"
            ).fetchall()
        found = [
            RatedExchange(row[0], row[1], row[2], row[3], row[4], row[5], *map(json.loads, row[6:]))
            for row in rows
        ]
        return [r for r in found if rating is None or r.rating == rating]

    def _connect(self, *, create: bool) -> _Connection:
        """Open the file (creating the folder, the file and the table when `create`)."""
        if create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=10)
        conn.executescript(SCHEMA)
        return _Connection(conn)


class _Connection:
    """A connection that commits and closes when its `with` block ends."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        return self.conn

    def __exit__(self, *exc: object) -> None:
        try:
            if exc[0] is None:
                self.conn.commit()
        finally:
            self.conn.close()


class FeedbackIn(BaseModel):
    """A rating of one answered request."""

    model_config = ConfigDict(extra="forbid")

    request_id: str = Field(
        pattern=r"^[A-Za-z0-9._:-]{1,128}$",
        description="The X-Request-ID header of the response being rated.",
    )
    rating: Rating
    comment: str | None = Field(default=None, max_length=MAX_COMMENT_CHARS)


class FeedbackOut(BaseModel):
    """The stored rating."""

    id: int
    request_id: str
    rating: Rating


router = APIRouter(tags=["feedback"])


def _state(request: Request) -> Any:
    """Return the app state holding the exchange memory and the feedback store."""
    return request.app.state


State = Annotated[Any, Depends(_state)]


@router.post("/feedback", status_code=201, response_model=FeedbackOut)
def feedback(body: FeedbackIn, state: State) -> dict[str, Any]:
    """Rate an answered request by its `X-Request-ID`; 404 when this server does not know it."""
    memory: ExchangeMemory = state.exchanges
    exchange = memory.recall(body.request_id)
    if exchange is None:
        raise HTTPException(
            404,
            f"Unknown request id {body.request_id!r}: this server keeps the last "
            f"{memory.size} answers for {memory.ttl_s / 60:.0f} minutes; rate an answer soon "
            "after it is served, with the X-Request-ID header of its response",
        )
    store: FeedbackStore = state.feedback_store
    try:
        new_id = store.add(body.request_id, body.rating, body.comment, state.kind, exchange)
    except (OSError, sqlite3.Error) as exc:
        logger.error("could not store feedback in %s: %s", store.path, exc)
        raise HTTPException(
            503, "Feedback cannot be stored right now; see the server logs"
        ) from exc
    FEEDBACK_RATINGS.labels(rating=body.rating).inc()
    return {"id": new_id, "request_id": body.request_id, "rating": body.rating}
