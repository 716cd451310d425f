"""An optional on-disk response cache (SQLite, values stored as JSON).

The key is a hash of provider, model, messages and parameters, so that any change to the
prompt or settings misses. Values are JSON rather than pickles: a cache file can be shared or
inspected without the risk of loading code.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sqlite3
import time
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

from .types import Completion, Message, ToolCall, ToolSpec, Usage


def cache_key(
    provider: str,
    model: str,
    messages: Sequence[Message],
    *,
    max_tokens: int,
    temperature: float,
    tools: Sequence[ToolSpec] = (),
) -> str:
    """Return a stable hash of everything that determines a model's answer."""
    payload: dict[str, object] = {
        "provider": provider,
        "model": model,
        "messages": [[m.role, m.content] for m in messages],
        "max_tokens": max_tokens,
        "temperature": temperature,
    }
    if tools or any(m.tool_calls or m.tool_call_id for m in messages):  # old keys stay valid
        payload["messages"] = [dataclasses.asdict(m) for m in messages]
        payload["tools"] = [dataclasses.asdict(t) for t in tools]
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()


class ResponseCache:
    """Completions stored in `<directory>/llm-cache.sqlite3`, safe across processes."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / "llm-cache.sqlite3"
        with closing(self._connect()) as db, db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS completions "
                "(key TEXT PRIMARY KEY, value TEXT NOT NULL, created REAL NOT NULL)"
            )

    def _connect(self) -> sqlite3.Connection:
        """Open a short-lived connection (one per operation keeps threads independent)."""
        return sqlite3.connect(self.path, timeout=10)

    def get(self, key: str) -> Completion | None:
        """Return the stored completion for `key` (marked cached, costing nothing), or None."""
        with closing(self._connect()) as db:
            row = db.execute("SELECT value FROM completions WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        data = json.loads(row[0])
        data["usage"] = Usage(**data["usage"])
        data["tool_calls"] = tuple(ToolCall(**call) for call in data.get("tool_calls", ()))
        return dataclasses.replace(Completion(**data), cached=True, cost_usd=0.0)

    def put(self, key: str, completion: Completion) -> None:
        """Store `completion` under `key`, replacing any older entry."""
        value = json.dumps(dataclasses.asdict(completion), ensure_ascii=False)
        with closing(self._connect()) as db, db:
            db.execute(
                "INSERT OR REPLACE INTO completions (key, value, created) VALUES (?, ?, ?)",
                (key, value, time.time()),
            )
