"""Any OpenAI-compatible chat endpoint: OpenAI, Ollama, vLLM, llama.cpp, LM Studio.

Point `OPENAI_BASE_URL` at the server (for example `http://localhost:11434/v1` for Ollama).
The SDK is imported only when this provider is built, and its own retries are off.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, cast

from .pricing import estimate_tokens
from .replies import malformed, provider_boundary, require_items, require_text
from .retry import status_error
from .types import Message, ProviderError, ProviderResponse, Usage

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
            api_key=api_key or "unused", base_url=base_url, timeout=timeout_s, max_retries=0
        )

    def _messages(self, messages: Sequence[Message]) -> list[ChatCompletionMessageParam]:
        """Convert our messages to the SDK's dicts."""
        return cast(
            "list[ChatCompletionMessageParam]",
            [{"role": m.role, "content": m.content} for m in messages],
        )

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
        self, messages: Sequence[Message], *, max_tokens: int, temperature: float
    ) -> ProviderResponse:
        """Return the whole answer, with the usage the server reported.

        Raises:
            ProviderError: The call failed, or the reply is not a usable answer.

        """
        import openai

        with provider_boundary(self.name, openai.OpenAIError, self._error):
            response = self._client.chat.completions.create(
                model=self.model,
                messages=self._messages(messages),
                max_tokens=max_tokens,
                temperature=temperature,
            )
            choice = require_items(self.name, response.choices, "choices")[0]
            text = require_text(self.name, choice.message.content)
            reported = response.usage
            model = response.model or self.model
            finish = choice.finish_reason
        if reported is not None:
            usage = Usage(reported.prompt_tokens, reported.completion_tokens)
        else:
            usage = _estimate(messages, text)
        return ProviderResponse(text=text, model=model, usage=usage, finish_reason=finish)

    def stream(
        self, messages: Sequence[Message], *, max_tokens: int, temperature: float
    ) -> Iterator[str | ProviderResponse]:
        """Yield text deltas, then the final response (usage from the last chunk).

        Raises:
            ProviderError: The call failed, the stream is not decodable, or it ended without
                any text.

        """
        import openai

        parts: list[str] = []
        usage: Usage | None = None
        model, finish = self.model, None
        with provider_boundary(self.name, openai.OpenAIError, self._error):
            chunks = self._client.chat.completions.create(
                model=self.model,
                messages=self._messages(messages),
                max_tokens=max_tokens,
                temperature=temperature,
                stream=True,
                stream_options={"include_usage": True},
            )
            for chunk in chunks:
                model = chunk.model or model
                if chunk.usage is not None:
                    usage = Usage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
                for choice in chunk.choices or []:
                    finish = choice.finish_reason or finish
                    if choice.delta.content:
                        parts.append(choice.delta.content)
                        yield choice.delta.content
        text = require_text(self.name, "".join(parts))
        yield ProviderResponse(text, model, usage or _estimate(messages, text), finish)


def _estimate(messages: Sequence[Message], text: str) -> Usage:
    """Estimate usage for a server that reported none."""
    prompt = sum(estimate_tokens(m.content) for m in messages)
    return Usage(prompt, estimate_tokens(text), estimated=True)
