"""What a chat turn streams (`ChatEvent`), what it comes to (`Reply`), and how it can fail.

The API sends the events as server-sent events, the CLI prints them, and the evals collect
them with `collect` (which `ChatEngine.reply` uses). `engine.py` re-exports every name here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

EventKind = Literal["start", "token", "sources", "done", "error"]


@dataclass(frozen=True)
class ChatEvent:
    """What a turn streams.

    start: {thread_id, user_message_id, message_id}; token: {text};
    sources: {sources: [{n, source, title, text}]} (every passage the model is given; a
    reply shows only those it cites, `done`'s `sources`: a greeting cites none);
    done: {status, usage: {input_tokens, output_tokens}, cost_usd, latency_ms,
    first_token_ms, prompt_version, text, sources (those the reply cites), refusal,
    context: {action, tokens, dropped}, top_score, turns};
    error: {message, status: "partial" | "error"}.
    """

    kind: EventKind
    data: dict[str, Any]


@dataclass(frozen=True)
class Reply:
    """A whole turn, collected (`ChatEngine.reply`): for the CLI and the evals."""

    thread_id: str
    message_id: str
    text: str
    status: str
    sources: list[dict[str, Any]]
    usage: dict[str, int]
    cost_usd: float
    latency_ms: float
    first_token_ms: float | None
    prompt_version: str
    error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


class ChatInputError(ValueError):
    """The message is empty or longer than `CHAT_MAX_MESSAGE_CHARS`."""


class ThreadNotFoundError(LookupError):
    """No such thread, or it was deleted."""


class MessageNotFoundError(LookupError):
    """No such message (or its thread was deleted), or it cannot be a parent here."""


class QuotaExceededError(Exception):
    """A user reached `CHAT_DAILY_MESSAGES` for the day."""

    def __init__(self, limit: int, resets: datetime) -> None:
        super().__init__(
            f"Daily message quota of {limit} reached; it resets at {resets.isoformat()}"
        )
        self.limit = limit
        self.reset_at = resets


def collect(events: Iterator[ChatEvent]) -> Reply:
    """Run a turn's events to their end and return the turn as one `Reply`."""
    start: dict[str, Any] = {}
    done: dict[str, Any] = {}
    parts: list[str] = []
    sources: list[dict[str, Any]] = []
    error: str | None = None
    failed = "error"
    for event in events:
        if event.kind == "start":
            start = event.data
        elif event.kind == "token":
            parts.append(event.data["text"])
        elif event.kind == "sources":
            sources = event.data["sources"]
        elif event.kind == "error":
            error, failed = event.data["message"], event.data["status"]
        else:
            done = event.data
    return Reply(
        thread_id=start.get("thread_id", ""),
        message_id=start.get("message_id", ""),
        text=done.get("text", "".join(parts)),
        status=done.get("status", failed),
        sources=done.get("sources", sources),
        usage=done.get("usage", {"input_tokens": 0, "output_tokens": 0}),
        cost_usd=done.get("cost_usd", 0.0),
        latency_ms=done.get("latency_ms", 0.0),
        first_token_ms=done.get("first_token_ms"),
        prompt_version=done.get("prompt_version", ""),
        error=error,
        details=done,
    )
