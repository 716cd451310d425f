"""What the chatbot records per finished turn for the drift check (the kind's contract).

A turn is recorded once, when its `done` event streams. No raw text leaves the request unless
DRIFT_RECORD_TEXT=true: the signals are counts, flags, times, the prompt version and (when the
project is grounded, which brings the static embedder) the message's embedding.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..signals import Exchange, Observation, Signal, SignalContract, Tracked
from .feedback import to_eval_case
from .wiring import GROUNDED, embed

SIGNALS = (
    Signal("message_chars", "continuous", "length of the user's message, in characters"),
    Signal("turns", "continuous", "the thread's user turns so far, this one included"),
    Signal("context_tokens", "continuous", "tokens of the conversation sent to the model"),
    Signal(
        "context_action",
        "categorical",
        "what the context policy did: none, truncated, summarised",
    ),
    Signal("refused", "boolean", "the turn was refused (topic boundary or moderation)"),
    Signal("moderated", "boolean", "moderation flagged the message or the reply"),
    *(
        (Signal("top_score", "continuous", "the best grounding score of the passages"),)
        if GROUNDED
        else ()
    ),
    Signal("first_token_ms", "continuous", "time to the first streamed token, in ms"),
    Signal("latency_ms", "continuous", "time to the end of the reply, in ms"),
    Signal("input_tokens", "continuous", "tokens sent to the model"),
    Signal("output_tokens", "continuous", "tokens of the reply"),
    Signal("cost_usd", "continuous", "cost of the turn's model call, in US dollars"),
    Signal("prompt_version", "categorical", "the system prompt of the turn, as name@version"),
)

CONTRACT = SignalContract(
    kind="chatbot",
    signals=SIGNALS,
    embedding="message_embedding",
    embedding_description="the message's 256-d WordLlama embedding (what it is about)",
    to_eval_case=to_eval_case,
)


def observe(message: str, done: Mapping[str, Any]) -> dict[str, Any]:
    """Return the signal values of one finished turn, from its `done` event."""
    usage = done.get("usage", {})
    context = done.get("context", {})
    refusal = done.get("refusal")
    values: dict[str, Any] = {
        "message_chars": len(message),
        "turns": int(done.get("turns", 1)),
        "context_tokens": int(context.get("tokens", 0)),
        "context_action": str(context.get("action", "none")),
        "refused": done.get("status") == "refused",
        "moderated": refusal not in (None, "off_topic"),
        "first_token_ms": float(done.get("first_token_ms") or 0.0),
        "latency_ms": float(done.get("latency_ms", 0.0)),
        "input_tokens": int(usage.get("input_tokens", 0)),
        "output_tokens": int(usage.get("output_tokens", 0)),
        "cost_usd": float(done.get("cost_usd", 0.0)),
        "prompt_version": str(done.get("prompt_version", "")),
    }
    if GROUNDED:
        values["top_score"] = float(done.get("top_score") or 0.0)
    return values


def track_turn(message: str, start: Mapping[str, Any], done: Mapping[str, Any]) -> Tracked:
    """Return the signals and the exchange of one finished turn."""
    observation = Observation(values=observe(message, done), embedding=embed(message), text=message)
    exchange = Exchange(
        input={"message": message, "thread_id": start.get("thread_id")},
        output={
            "message_id": start.get("message_id"),
            "text": done.get("text", ""),
            "status": done.get("status", ""),
            "prompt_version": done.get("prompt_version", ""),
            "cost_usd": done.get("cost_usd", 0.0),
        },
    )
    return Tracked(observation, exchange)
