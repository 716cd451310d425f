"""Bodies in the OpenAI chat-completions wire format (JSON, SSE chunks, errors)."""

from __future__ import annotations

import json
from typing import Any

from .server import Reply

CREATED = 1_700_000_000


def completion(
    text: str, *, model: str = "gpt-4o-mini-2024-07-18", prompt_tokens: int = 12, output: int = 5
) -> Reply:
    """Return a 200 reply carrying one chat completion."""
    return Reply(
        body={
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": CREATED,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text, "refusal": None},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": _usage(prompt_tokens, output),
        }
    )


def stream(
    pieces: list[str],
    *,
    model: str = "gpt-4o-mini-2024-07-18",
    prompt_tokens: int = 12,
    output: int = 5,
) -> Reply:
    """Return a 200 SSE reply: role chunk, content chunks, finish chunk, usage chunk, [DONE]."""
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
    deltas += [{"content": piece} for piece in pieces]
    chunks = [_chunk(model, [{"index": 0, "delta": d, "finish_reason": None}]) for d in deltas]
    chunks.append(_chunk(model, [{"index": 0, "delta": {}, "finish_reason": "stop"}]))
    chunks.append(_chunk(model, [], usage=_usage(prompt_tokens, output)))
    events: list[tuple[str | None, str]] = [(None, json.dumps(c)) for c in chunks]
    events.append((None, "[DONE]"))
    return Reply(events=events)


Call = tuple[str, str, str]
"""A tool call in a reply: (id, function name, arguments as JSON text)."""


def tool_calls(calls: list[Call], *, text: str | None = None, output: int = 20) -> Reply:
    """Return a 200 chat completion whose message calls tools (several: parallel calls)."""
    reply = completion(text or "", output=output)
    body = reply.body or {}
    message = body["choices"][0]["message"]
    message["content"] = text
    message["tool_calls"] = [
        {"id": i, "type": "function", "function": {"name": name, "arguments": arguments}}
        for i, name, arguments in calls
    ]
    body["choices"][0]["finish_reason"] = "tool_calls"
    return Reply(body=body)


def tool_call_stream(calls: list[Call], *, pieces: int = 3, output: int = 20) -> Reply:
    """Return a 200 SSE reply streaming tool calls as the API does.

    Each call opens with its index, id and name; its arguments follow in `pieces` fragments.
    """
    model = "gpt-4o-mini-2024-07-18"
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": None}]
    for index, (call_id, name, arguments) in enumerate(calls):
        head = {"index": index, "id": call_id, "type": "function"}
        deltas.append({"tool_calls": [{**head, "function": {"name": name, "arguments": ""}}]})
        size = max(1, -(-len(arguments) // pieces))
        for start in range(0, len(arguments), size):
            fragment = {"arguments": arguments[start : start + size]}
            deltas.append({"tool_calls": [{"index": index, "function": fragment}]})
    chunks = [_chunk(model, [{"index": 0, "delta": d, "finish_reason": None}]) for d in deltas]
    chunks.append(_chunk(model, [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]))
    chunks.append(_chunk(model, [], usage=_usage(12, output)))
    events: list[tuple[str | None, str]] = [(None, json.dumps(c)) for c in chunks]
    events.append((None, "[DONE]"))
    return Reply(events=events)


def without_choices() -> Reply:
    """Return a 200 chat completion that has no `choices`."""
    body = completion("unused").body or {}
    return Reply(body={k: v for k, v in body.items() if k != "choices"})


def empty_stream() -> Reply:
    """Return a 200 SSE reply that ends ([DONE]) without any content chunk."""
    return stream([])


def error(status: int, *, retry_after: str | None = None) -> Reply:
    """Return an error reply in OpenAI's error shape."""
    kinds = {
        400: ("invalid_request_error", "invalid_value"),
        401: ("invalid_request_error", "invalid_api_key"),
        429: ("requests", "rate_limit_exceeded"),
    }
    kind, code = kinds.get(status, ("server_error", None))
    headers = {"retry-after": retry_after} if retry_after is not None else {}
    body = {"error": {"message": f"fake {status}", "type": kind, "param": None, "code": code}}
    return Reply(status, body, headers=headers)


def _chunk(model: str, choices: list[Any], usage: dict[str, int] | None = None) -> dict[str, Any]:
    """Return one chat.completion.chunk object."""
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": model,
        "choices": choices,
        "usage": usage,
    }


def _usage(prompt_tokens: int, output: int) -> dict[str, int]:
    """Return a usage object."""
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": output,
        "total_tokens": prompt_tokens + output,
    }
