"""The chatbot's records: a thread, a message of its tree, and the rows they come from."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

Role = Literal["user", "assistant"]
Status = Literal["complete", "partial", "stopped", "error", "refused"]
Winner = Literal["a", "b", "tie"]


class StoreError(ValueError):
    """A request the store cannot honour (a leaf of another thread, say)."""


def new_id() -> str:
    """Return a new random id (hex, 32 characters)."""
    return uuid.uuid4().hex


def now() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class ThreadRecord:
    """A thread: its title, times and the leaf of its active branch."""

    id: str
    title: str
    created_at: datetime
    updated_at: datetime
    active_leaf_id: str | None

    def to_dict(self) -> dict[str, Any]:
        """Return the thread as JSON-ready data."""
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        data["updated_at"] = self.updated_at.isoformat()
        return data


@dataclass(frozen=True)
class MessageRecord:
    """One message of a thread's tree, with what its reply cost."""

    id: str
    thread_id: str
    parent_id: str | None
    role: Role
    content: str
    status: Status
    created_at: datetime
    prompt_version: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    first_token_ms: float | None = None
    sources: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return the message as JSON-ready data."""
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        return data


def _aware(value: datetime) -> datetime:
    """Return `value` with UTC attached (SQLite gives naive datetimes back)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# --- rows --------------------------------------------------------------------------


def thread_from_row(row: Any) -> ThreadRecord:
    """Return the thread a `threads` row holds."""
    return ThreadRecord(
        id=row["id"],
        title=row["title"],
        created_at=_aware(row["created_at"]),
        updated_at=_aware(row["updated_at"]),
        active_leaf_id=row["active_leaf_id"],
    )


def message_from_row(row: Any) -> MessageRecord:
    """Return the message a `messages` row holds."""
    sources = row["sources"]
    if isinstance(sources, str):  # pragma: no cover - a driver without JSON support
        sources = json.loads(sources)
    return MessageRecord(
        id=row["id"],
        thread_id=row["thread_id"],
        parent_id=row["parent_id"],
        role=row["role"],
        content=row["content"],
        status=row["status"],
        created_at=_aware(row["created_at"]),
        prompt_version=row["prompt_version"],
        input_tokens=row["input_tokens"],
        output_tokens=row["output_tokens"],
        cost_usd=row["cost_usd"],
        latency_ms=row["latency_ms"],
        first_token_ms=row["first_token_ms"],
        sources=list(sources or []),
    )
