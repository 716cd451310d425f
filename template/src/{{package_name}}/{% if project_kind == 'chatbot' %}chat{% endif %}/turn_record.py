"""What one turn gathers on its way to its reply, and how that reply is stored and reported.

`TurnState` is filled as the turn runs (by `respond.py`); `store_reply` writes the reply with
its tokens and cost (the provider's figures when the reply is the model's whole answer, an
estimate otherwise) and counts it in the metrics; `done_event` is the turn's last event.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..llm.pricing import estimate_tokens
from . import metrics
from .context import Fitted
from .events import ChatEvent
from .records import MessageRecord, Status, now

if TYPE_CHECKING:
    from .engine import ChatEngine


@dataclass
class TurnState:
    """What one turn gathers on its way to the stored reply."""

    thread_id: str
    user: MessageRecord
    message_id: str
    started: float
    parts: list[str] = field(default_factory=list)
    status: Status = "complete"
    first_token_ms: float | None = None
    refusal: str | None = None
    error: str | None = None
    sources: list[dict[str, Any]] = field(default_factory=list)
    top_score: float | None = None
    fitted: Fitted | None = None
    turns: int = 1
    stored: MessageRecord | None = None


def elapsed_ms(started: float) -> float:
    """Return the milliseconds since `started` (a `time.perf_counter()` reading)."""
    return round((time.perf_counter() - started) * 1000, 3)


def _usage(engine: ChatEngine, turn: TurnState, text: str) -> tuple[int, int, float]:
    """Return the reply's input tokens, output tokens and cost."""
    fitted = turn.fitted
    completion = engine.llm.last_completion
    if fitted is None:
        return 0, 0, 0.0
    if turn.status == "complete" and completion is not None and completion.text == text:
        usage = completion.usage
        return usage.input_tokens, usage.output_tokens, completion.cost_usd
    tokens_in, tokens_out = fitted.tokens, estimate_tokens(text)
    cost = engine.llm.prices.estimate(engine.llm.model, tokens_in, tokens_out)
    return tokens_in, tokens_out, cost


def store_reply(engine: ChatEngine, turn: TurnState) -> None:
    """Store the turn's reply (the sources it cites only) and count it in the metrics."""
    text = "".join(turn.parts)
    tokens_in, tokens_out, cost = _usage(engine, turn, text)
    record = MessageRecord(
        id=turn.message_id,
        thread_id=turn.thread_id,
        parent_id=turn.user.id,
        role="assistant",
        content=engine.stored_text(text),
        status=turn.status,
        created_at=now(),
        prompt_version=engine.prompt_ref,
        input_tokens=tokens_in,
        output_tokens=tokens_out,
        cost_usd=round(cost, 8),
        latency_ms=elapsed_ms(turn.started),
        first_token_ms=turn.first_token_ms,
        sources=[source for source in turn.sources if f"[{source['n']}]" in text],
    )
    turn.stored = engine.store.add_message(record)
    metrics.TURNS.labels(status=turn.status).inc()
    if turn.refusal is not None:
        metrics.REFUSALS.labels(reason=turn.refusal).inc()
    action = "none" if turn.fitted is None else turn.fitted.action
    metrics.CONTEXT_ACTIONS_TOTAL.labels(action=action).inc()


def done_event(turn: TurnState) -> ChatEvent:
    """Return the `done` event of a turn whose reply is stored."""
    record = turn.stored
    assert record is not None  # noqa: S101 - respond() stores before this
    fitted = turn.fitted
    return ChatEvent(
        "done",
        {
            "status": record.status,
            "usage": {
                "input_tokens": record.input_tokens,
                "output_tokens": record.output_tokens,
            },
            "cost_usd": record.cost_usd,
            "latency_ms": record.latency_ms,
            "first_token_ms": record.first_token_ms,
            "prompt_version": record.prompt_version,
            "text": record.content,
            "sources": record.sources,
            "refusal": turn.refusal,
            "context": {
                "action": "none" if fitted is None else fitted.action,
                "tokens": 0 if fitted is None else fitted.tokens,
                "dropped": 0 if fitted is None else fitted.dropped,
            },
            "top_score": turn.top_score,
            "turns": turn.turns,
        },
    )
