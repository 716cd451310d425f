"""Anthropic's Messages API.

The SDK is imported only when this provider is built, and its own retries are off. System
messages are joined into the request's `system` field.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

from .pricing import estimate_tokens
from .replies import malformed, provider_boundary, require_items, require_text
from .retry import status_error
from .types import Message, ProviderError, ProviderResponse, Usage

if TYPE_CHECKING:
    from anthropic.types import MessageParam


class AnthropicProvider:
    """Messages over the Anthropic wire format."""

    name = "anthropic"

    def __init__(self, *, model: str, api_key: str, base_url: str, timeout_s: float) -> None:
        import anthropic

        self.model = model
        self._client = anthropic.Anthropic(
            api_key=api_key or "unused", base_url=base_url, timeout=timeout_s, max_retries=0
        )

    def _request(
        self, messages: Sequence[Message], max_tokens: int, temperature: float
    ) -> dict[str, Any]:
        """Build the keyword arguments shared by plain and streaming calls."""
        system = "\n\n".join(m.content for m in messages if m.role == "system")
        chat = [{"role": m.role, "content": m.content} for m in messages if m.role != "system"]
        request: dict[str, Any] = {
            "model": self.model,
            "max_tokens": max_tokens,
            "messages": cast("list[MessageParam]", chat),
            # Sent as a raw field: recent SDKs no longer declare it as a parameter.
            "extra_body": {"temperature": temperature},
        }
        if system:
            request["system"] = system
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
        self, messages: Sequence[Message], *, max_tokens: int, temperature: float
    ) -> ProviderResponse:
        """Return the whole answer, with the usage the server reported.

        Raises:
            ProviderError: The call failed, or the reply is not a usable answer.

        """
        import anthropic

        with provider_boundary(self.name, anthropic.AnthropicError, self._error):
            response = self._client.messages.create(
                **self._request(messages, max_tokens, temperature)
            )
            blocks = require_items(self.name, response.content, "content")
            text = require_text(self.name, "".join(b.text for b in blocks if b.type == "text"))
            reported = response.usage
            model, finish = response.model or self.model, response.stop_reason
        if reported is not None:
            usage = Usage(reported.input_tokens, reported.output_tokens)
        else:
            usage = _estimate(messages, text)
        return ProviderResponse(text, model, usage, finish)

    def stream(
        self, messages: Sequence[Message], *, max_tokens: int, temperature: float
    ) -> Iterator[str | ProviderResponse]:
        """Yield text deltas, then the final response (usage from message_start/delta).

        Raises:
            ProviderError: The call failed, the stream is not decodable, or it ended without
                any text.

        """
        import anthropic

        parts: list[str] = []
        model, finish = self.model, None
        input_tokens = output_tokens = 0
        with provider_boundary(self.name, anthropic.AnthropicError, self._error):
            events = self._client.messages.create(
                **self._request(messages, max_tokens, temperature), stream=True
            )
            for event in events:
                if event.type == "message_start":
                    model = event.message.model
                    input_tokens = event.message.usage.input_tokens
                    output_tokens = event.message.usage.output_tokens
                elif event.type == "content_block_delta" and event.delta.type == "text_delta":
                    parts.append(event.delta.text)
                    yield event.delta.text
                elif event.type == "message_delta":
                    output_tokens = event.usage.output_tokens
                    finish = event.delta.stop_reason or finish
        text = require_text(self.name, "".join(parts))
        yield ProviderResponse(text, model, Usage(input_tokens, output_tokens), finish)


def _estimate(messages: Sequence[Message], text: str) -> Usage:
    """Estimate usage for a reply that reported none."""
    prompt = sum(estimate_tokens(m.content) for m in messages)
    return Usage(prompt, estimate_tokens(text), estimated=True)
