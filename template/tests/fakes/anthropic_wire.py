"""Bodies in the Anthropic Messages wire format (JSON, SSE events, errors)."""

from __future__ import annotations

import json
from typing import Any

from .server import Reply

MODEL = "claude-3-5-haiku-20241022"


def message(text: str, *, model: str = MODEL, input_tokens: int = 20, output: int = 6) -> Reply:
    """Return a 200 reply carrying one message."""
    return Reply(
        body={
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": output},
        }
    )


def stream(
    pieces: list[str], *, model: str = MODEL, input_tokens: int = 20, output: int = 6
) -> Reply:
    """Return a 200 SSE reply with the full event sequence of a streamed message."""
    start = {
        "type": "message_start",
        "message": {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": 1},
        },
    }
    events: list[dict[str, Any]] = [
        start,
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "ping"},
    ]
    events += [
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}}
        for p in pieces
    ]
    events += [
        {"type": "content_block_stop", "index": 0},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": output},
        },
        {"type": "message_stop"},
    ]
    return Reply(events=[(str(e["type"]), json.dumps(e)) for e in events])


def without_content() -> Reply:
    """Return a 200 message that has no `content`."""
    body = message("unused").body or {}
    return Reply(body={k: v for k, v in body.items() if k != "content"})


def empty_stream() -> Reply:
    """Return a 200 SSE reply with the full event sequence but no text delta."""
    return stream([])


def error(status: int, *, retry_after: str | None = None) -> Reply:
    """Return an error reply in Anthropic's error shape."""
    kinds = {
        400: "invalid_request_error",
        401: "authentication_error",
        429: "rate_limit_error",
        529: "overloaded_error",
    }
    headers = {"retry-after": retry_after} if retry_after is not None else {}
    body = {"type": "error", "error": {"type": kinds.get(status, "api_error"), "message": "fake"}}
    return Reply(status, body, headers=headers)
