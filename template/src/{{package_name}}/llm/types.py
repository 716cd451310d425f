"""Plain data types shared by every model provider."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True)
class ToolSpec:
    """A tool the model may call: its name, what it does, and a JSON schema of its arguments."""

    name: str
    description: str
    parameters: Mapping[str, Any] = field(default_factory=lambda: {"type": "object"})


@dataclass(frozen=True)
class ToolCall:
    """One tool call the model asked for; `arguments` is the JSON text exactly as it came.

    The text may be invalid or break the schema: the caller validates it (and can tell the
    model what was wrong) before anything runs.
    """

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class Message:
    """One chat message.

    An assistant message may carry `tool_calls`; a `tool` message carries the result of the
    call named by `tool_call_id` as its content.
    """

    role: Role
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None


@dataclass(frozen=True)
class Usage:
    """Token counts for one call; `estimated` when the provider did not report them."""

    input_tokens: int
    output_tokens: int
    estimated: bool = False


@dataclass(frozen=True)
class PromptRef:
    """Which prompt (name and version) produced a call, for traces and eval reports."""

    name: str
    version: str


@dataclass(frozen=True)
class Completion:
    """The result of one model call, with what it cost."""

    text: str
    provider: str
    model: str
    usage: Usage
    cost_usd: float
    latency_ms: float
    cached: bool = False
    finish_reason: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()


class LLMError(Exception):
    """Base class for model-call failures a caller can handle."""


class LLMConfigError(LLMError):
    """The model settings cannot work as given (for example a budget on a model with no price)."""


class BudgetExceededError(LLMError):
    """A per-request or per-run cost budget would be exceeded."""


class ProviderUnavailableError(LLMError):
    """Every provider in the chain failed."""


class ProviderError(LLMError):
    """One provider call failed; `retryable` says whether trying again may help."""

    def __init__(
        self, message: str, *, retryable: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


@dataclass(frozen=True)
class ProviderResponse:
    """What a provider returns before the client adds cost, latency and caching."""

    text: str
    model: str
    usage: Usage
    finish_reason: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()


class Provider(Protocol):
    """A model backend: offline, an OpenAI-compatible endpoint, or Anthropic."""

    name: str
    model: str

    def complete(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        temperature: float,
        tools: Sequence[ToolSpec] = (),
    ) -> ProviderResponse:
        """Return the whole answer to `messages`: text, tool calls, or both."""
        ...

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        temperature: float,
        tools: Sequence[ToolSpec] = (),
    ) -> Iterator[str | ProviderResponse]:
        """Yield text deltas, then one final `ProviderResponse` with the usage and tool calls."""
        ...
