"""Anthropic's Messages API.

The SDK is imported only when this provider is built, and its own retries are off. System
messages are joined into the request's `system` field. Tool calls are `tool_use` content
blocks; tool results go back as `tool_result` blocks in a user turn (consecutive results share
one turn, as the API requires).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

from .pricing import estimate_tokens
from .replies import malformed, provider_boundary, require_answer, require_items
from .retry import status_error
from .tls import tls_context
from .types import Message, ProviderError, ProviderResponse, ToolCall, ToolSpec, Usage

if TYPE_CHECKING:
    from anthropic.types import MessageParam


class AnthropicProvider:
    """Messages over the Anthropic wire format."""

    name = "anthropic"

    def __init__(self, *, model: str, api_key: str, base_url: str, timeout_s: float) -> None:
        import anthropic

        self.model = model
        self._client = anthropic.Anthropic(
            api_key=api_key or "unused",
            base_url=base_url,
            timeout=timeout_s,
            max_retries=0,
            http_client=anthropic.DefaultHttpxClient(verify=tls_context()),
        )

    def _request(
        self,
        messages: Sequence[Message],
        max_tokens: int,
        temperature: float,
        tools: Sequence[ToolSpec],
    ) -> dict[str, Any]:
        """Build the keyword arguments shared by plain and streaming calls."""
        system = "\n\n".join(m.content for m in messages if m.role == "system")
        request: dict[str, Any] = {
            "model": self.model,
            "max_tokens": max_tokens,
            "messages": cast("list[MessageParam]", _wire(messages)),
            # Sent as a raw field: recent SDKs no longer declare it as a parameter.
            "extra_body": {"temperature": temperature},
        }
        if system:
            request["system"] = system
        if tools:
            request["tools"] = [
                {"name": t.name, "description": t.description, "input_schema": dict(t.parameters)}
                for t in tools
            ]
        return request

    def _error(self, exc: Exception) -> ProviderError:
        """Translate an SDK exception into a `ProviderError`."""
        import anthropic

        if isinstance(exc, anthropic.APIStatusError):
            return status_error(self.name, exc.status_code, exc.message, exc.response.headers)
        if isinstance(exc, anthropic.APIResponseValidationError):
            return malformed(self.name, str(exc))
        if isinstance(exc, anthropic.APIConnectionError):  # includes APITimeoutError
            return ProviderError(f"{self.name}: {type(exc).__name__}: {exc}", retryable=True)
        return ProviderError(f"{self.name}: {type(exc).__name__}: {exc}")

    def complete(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        temperature: float,
        tools: Sequence[ToolSpec] = (),
    ) -> ProviderResponse:
        """Return the whole answer (text, tool calls or both), with the usage reported.

        Raises:
            ProviderError: The call failed, or the reply is not a usable answer.

        """
        import anthropic

        with provider_boundary(self.name, anthropic.AnthropicError, self._error):
            response = self._client.messages.create(
                **self._request(messages, max_tokens, temperature, tools)
            )
            blocks = require_items(self.name, response.content, "content")
            calls = tuple(
                ToolCall(b.id, b.name, json.dumps(b.input)) for b in blocks if b.type == "tool_use"
            )
            text = "".join(b.text for b in blocks if b.type == "text")
            text = require_answer(self.name, text, calls)
            reported = response.usage
            model, finish = response.model or self.model, response.stop_reason
        if reported is not None:
            usage = Usage(reported.input_tokens, reported.output_tokens)
        else:
            usage = _estimate(messages, text)
        return ProviderResponse(text, model, usage, finish, calls)

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        temperature: float,
        tools: Sequence[ToolSpec] = (),
    ) -> Iterator[str | ProviderResponse]:
        """Yield text deltas, then the final response (usage from message_start/delta).

        A `tool_use` block starts with its id and name; its input arrives as
        `input_json_delta` pieces, joined and returned with the final response.

        Raises:
            ProviderError: The call failed, the stream is not decodable, or it ended without
                any text or tool call.

        """
        import anthropic

        parts: list[str] = []
        calls: dict[int, list[str]] = {}  # block index -> [id, name, input JSON]
        model, finish = self.model, None
        input_tokens = output_tokens = 0
        with provider_boundary(self.name, anthropic.AnthropicError, self._error):
            events = self._client.messages.create(
                **self._request(messages, max_tokens, temperature, tools), stream=True
            )
            for event in events:
                if event.type == "message_start":
                    model = event.message.model
                    input_tokens = event.message.usage.input_tokens
                    output_tokens = event.message.usage.output_tokens
                elif event.type == "content_block_start" and event.content_block.type == "tool_use":
                    calls[event.index] = [event.content_block.id, event.content_block.name, ""]
                elif event.type == "content_block_delta" and event.delta.type == "text_delta":
                    parts.append(event.delta.text)
                    yield event.delta.text
                elif event.type == "content_block_delta" and event.delta.type == "input_json_delta":
                    calls[event.index][2] += event.delta.partial_json
                elif event.type == "message_delta":
                    output_tokens = event.usage.output_tokens
                    finish = event.delta.stop_reason or finish
        joined = tuple(
            ToolCall(i, n, args or "{}") for i, n, args in (calls[k] for k in sorted(calls))
        )
        text = require_answer(self.name, "".join(parts), joined)
        yield ProviderResponse(text, model, Usage(input_tokens, output_tokens), finish, joined)


def _wire(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """Return the conversation in the Messages format (system messages go apart).

    An assistant turn's tool calls become `tool_use` blocks; tool results become
    `tool_result` blocks of one user turn.
    """
    turns: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "system":
            continue
        if m.role == "tool":
            block = {"type": "tool_result", "tool_use_id": m.tool_call_id, "content": m.content}
            last = turns[-1] if turns else None
            if last and last["role"] == "user" and isinstance(last["content"], list):
                last["content"].append(block)
            else:
                turns.append({"role": "user", "content": [block]})
        elif m.tool_calls:
            blocks: list[dict[str, Any]] = (
                [{"type": "text", "text": m.content}] if m.content else []
            )
            blocks += [
                {"type": "tool_use", "id": c.id, "name": c.name, "input": _json_object(c.arguments)}
                for c in m.tool_calls
            ]
            turns.append({"role": "assistant", "content": blocks})
        else:
            turns.append({"role": m.role, "content": m.content})
    return turns


def _json_object(arguments: str) -> Any:
    """Return a tool call's arguments as JSON data (invalid text as `{"_unparsed": text}`)."""
    try:
        return json.loads(arguments or "{}")
    except json.JSONDecodeError:
        return {"_unparsed": arguments}


def _estimate(messages: Sequence[Message], text: str) -> Usage:
    """Estimate usage for a reply that reported none."""
    prompt = sum(estimate_tokens(m.content) for m in messages)
    return Usage(prompt, estimate_tokens(text), estimated=True)
