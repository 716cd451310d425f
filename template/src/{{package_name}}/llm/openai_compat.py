"""Any OpenAI-compatible chat endpoint: OpenAI, Ollama, vLLM, llama.cpp, LM Studio.

Point `OPENAI_BASE_URL` at the server (for example `http://localhost:11434/v1` for Ollama).
The SDK is imported only when this provider is built, and its own retries are off.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

from .pricing import estimate_tokens
from .replies import malformed, provider_boundary, require_answer, require_items
from .retry import status_error
from .tls import tls_context
from .types import Message, ProviderError, ProviderResponse, ToolCall, ToolSpec, Usage

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletionMessageParam


class OpenAIProvider:
    """Chat completions over the OpenAI wire format."""

    name = "openai"

    def __init__(self, *, model: str, api_key: str, base_url: str, timeout_s: float) -> None:
        import openai

        self.model = model
        # Local servers ignore the key, but the SDK insists on one.
        self._client = openai.OpenAI(
            api_key=api_key or "unused",
            base_url=base_url,
            timeout=timeout_s,
            max_retries=0,
            http_client=openai.DefaultHttpxClient(verify=tls_context()),
        )

    def _request(
        self,
        messages: Sequence[Message],
        max_tokens: int,
        temperature: float,
        tools: Sequence[ToolSpec],
    ) -> dict[str, Any]:
        """Build the keyword arguments shared by plain and streaming calls."""
        request: dict[str, Any] = {
            "model": self.model,
            "messages": cast("list[ChatCompletionMessageParam]", [_wire(m) for m in messages]),
            "max_tokens": max_tokens,
            "temperature": temperature,
        }
        if tools:  # some local servers refuse an empty list
            request["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": t.name,
                        "description": t.description,
                        "parameters": dict(t.parameters),
                    },
                }
                for t in tools
            ]
        return request

    def _error(self, exc: Exception) -> ProviderError:
        """Translate an SDK exception into a `ProviderError`."""
        import openai

        if isinstance(exc, openai.APIStatusError):
            return status_error(self.name, exc.status_code, exc.message, exc.response.headers)
        if isinstance(exc, openai.APIResponseValidationError):
            return malformed(self.name, str(exc))
        if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
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
        import openai

        with provider_boundary(self.name, openai.OpenAIError, self._error):
            response = self._client.chat.completions.create(
                **self._request(messages, max_tokens, temperature, tools)
            )
            choice = require_items(self.name, response.choices, "choices")[0]
            calls = tuple(
                ToolCall(c.id, c.function.name, c.function.arguments or "")
                for c in choice.message.tool_calls or []
                if c.type == "function"
            )
            text = require_answer(self.name, choice.message.content, calls)
            reported = response.usage
            model = response.model or self.model
            finish = choice.finish_reason
        if reported is not None:
            usage = Usage(reported.prompt_tokens, reported.completion_tokens)
        else:
            usage = _estimate(messages, text, calls)
        return ProviderResponse(text, model, usage, finish, calls)

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        temperature: float,
        tools: Sequence[ToolSpec] = (),
    ) -> Iterator[str | ProviderResponse]:
        """Yield text deltas, then the final response (usage from the last chunk).

        Tool calls arrive as fragments (`delta.tool_calls`, by index: the id and name first,
        the arguments in pieces); they are joined and returned with the final response.

        Raises:
            ProviderError: The call failed, the stream is not decodable, or it ended without
                any text or tool call.

        """
        import openai

        parts: list[str] = []
        calls: dict[int, list[str]] = {}  # index -> [id, name, arguments]
        usage: Usage | None = None
        model, finish = self.model, None
        with provider_boundary(self.name, openai.OpenAIError, self._error):
            chunks = self._client.chat.completions.create(
                **self._request(messages, max_tokens, temperature, tools),
                stream=True,
                stream_options={"include_usage": True},
            )
            for chunk in chunks:
                model = chunk.model or model
                if chunk.usage is not None:
                    usage = Usage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
                for choice in chunk.choices or []:
                    finish = choice.finish_reason or finish
                    for fragment in choice.delta.tool_calls or []:
                        call = calls.setdefault(fragment.index, ["", "", ""])
                        function = fragment.function
                        call[0] = fragment.id or call[0]
                        call[1] = (function.name if function else None) or call[1]
                        call[2] += (function.arguments if function else None) or ""
                    if choice.delta.content:
                        parts.append(choice.delta.content)
                        yield choice.delta.content
        joined = tuple(ToolCall(*calls[index]) for index in sorted(calls))
        text = require_answer(self.name, "".join(parts), joined)
        yield ProviderResponse(
            text, model, usage or _estimate(messages, text, joined), finish, joined
        )


def _wire(message: Message) -> dict[str, Any]:
    """Return one message in the chat-completions format (tool calls and results included)."""
    if message.role == "tool":
        return {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.content}
    if not message.tool_calls:
        return {"role": message.role, "content": message.content}
    return {
        "role": message.role,
        "content": message.content or None,
        "tool_calls": [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in message.tool_calls
        ],
    }


def _estimate(messages: Sequence[Message], text: str, calls: Sequence[ToolCall]) -> Usage:
    """Estimate usage for a server that reported none."""
    prompt = sum(estimate_tokens(m.content) for m in messages)
    output = estimate_tokens(text) + sum(estimate_tokens(c.name + c.arguments) for c in calls)
    return Usage(prompt, output, estimated=True)
