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
    events: list[dict[str, Any]] = [
        _start(model, input_tokens),
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


Call = tuple[str, str, dict[str, Any]]
"""A tool call in a reply: (id, tool name, input object)."""


def tool_use(calls: list[Call], *, text: str | None = None, output: int = 20) -> Reply:
    """Return a 200 message whose content holds `tool_use` blocks (after optional text)."""
    body = message(text or "", output=output).body or {}
    blocks: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    blocks += [{"type": "tool_use", "id": i, "name": n, "input": args} for i, n, args in calls]
    body["content"] = blocks
    body["stop_reason"] = "tool_use"
    return Reply(body=body)


def tool_use_stream(calls: list[Call], *, pieces: int = 3, output: int = 20) -> Reply:
    """Return a 200 SSE reply streaming `tool_use` blocks with `input_json_delta` pieces."""
    events: list[dict[str, Any]] = [_start(MODEL, 20)]
    for index, (call_id, name, arguments) in enumerate(calls):
        block = {"type": "tool_use", "id": call_id, "name": name, "input": {}}
        events.append({"type": "content_block_start", "index": index, "content_block": block})
        text = json.dumps(arguments)
        size = max(1, -(-len(text) // pieces))
        events += [
            {
                "type": "content_block_delta",
                "index": index,
                "delta": {"type": "input_json_delta", "partial_json": text[at : at + size]},
            }
            for at in range(0, len(text), size)
        ]
        events.append({"type": "content_block_stop", "index": index})
    events += [
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use", "stop_sequence": None},
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


def _start(model: str, input_tokens: int) -> dict[str, Any]:
    """Return the `message_start` event that opens every stream."""
    return {
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
