"""Build providers by name, importing each SDK only when its provider is used."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from ..config import Settings
from .types import LLMError, Message, Provider, ProviderError, ProviderResponse, ToolSpec

logger = logging.getLogger(__name__)

DEFAULT_MODELS = {
    "offline": "offline-extractive-v1",
    "openai": "gpt-4o-mini",
    "anthropic": "claude-3-5-haiku-latest",
}


class _Credentials(NamedTuple):
    """Where a hosted provider's key and endpoint come from."""

    variable: str
    key: str
    base_url: str
    hosted: str


def _credentials(name: str, settings: Settings) -> _Credentials | None:
    """Return the key settings of a provider that needs one, else None."""
    if name == "openai":
        key = settings.openai_api_key.get_secret_value()
        return _Credentials(
            "OPENAI_API_KEY", key, settings.openai_base_url, "https://api.openai.com"
        )
    if name == "anthropic":
        key = settings.anthropic_api_key.get_secret_value()
        return _Credentials(
            "ANTHROPIC_API_KEY", key, settings.anthropic_base_url, "https://api.anthropic.com"
        )
    return None


def missing_key_message(name: str, settings: Settings, *, role: str | None = None) -> str | None:
    """Say why provider `name` cannot be called, or return None when it can.

    A hosted API (api.openai.com, api.anthropic.com) needs its key; a local server (Ollama,
    vLLM, llama.cpp, LM Studio) behind the base URL does not.

    Args:
        name: Provider name.
        settings: Settings holding the keys and base URLs.
        role: How the settings chose this provider, for the message (default
            `LLM_PROVIDER=<name>`).

    """
    credentials = _credentials(name, settings)
    if (
        credentials is None
        or credentials.key
        or not credentials.base_url.startswith(credentials.hosted)
    ):
        return None
    return (
        f"{role or f'LLM_PROVIDER={name}'} but {credentials.variable} is not set: model calls "
        "will fail; set it in .env (cp .env.example .env) or run with LLM_PROVIDER=offline"
    )


def warn_if_key_missing(settings: Settings) -> bool:
    """Log one warning when the active provider needs a key that is not set; say if it did."""
    message = missing_key_message(settings.llm_provider, settings)
    if message:
        logger.warning(message)
    return message is not None


class UnconfiguredProvider:
    """A provider that cannot be called (no key): every call fails with the reason.

    Building it never fails, so that the app, its health checks and its offline commands start
    without a key; each model call then fails with a message that says what to set.
    """

    def __init__(self, name: str, model: str, reason: str) -> None:
        self.name = name
        self.model = model
        self.reason = reason

    def complete(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        temperature: float,
        tools: Sequence[ToolSpec] = (),
    ) -> ProviderResponse:
        """Fail with the reason (not retryable: retrying cannot create a key)."""
        raise ProviderError(self.reason)

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        temperature: float,
        tools: Sequence[ToolSpec] = (),
    ) -> Iterator[str | ProviderResponse]:
        """Fail with the reason, like `complete`."""
        raise ProviderError(self.reason)


def build_provider(
    name: str, model: str, settings: Settings, *, role: str | None = None
) -> Provider:
    """Build one provider; an empty `model` means the provider's default.

    A hosted provider without its key is built as an `UnconfiguredProvider`, whose calls fail
    with the message of `missing_key_message`.

    Raises:
        LLMError: The provider is unknown.

    """
    model = model or DEFAULT_MODELS.get(name, "")
    reason = missing_key_message(name, settings, role=role)
    if reason:
        return UnconfiguredProvider(name, model, reason)
    if name == "offline":
        from .offline import OfflineProvider

        return OfflineProvider(model)
    if name == "openai":
        from .openai_compat import OpenAIProvider

        return OpenAIProvider(
            model=model,
            api_key=settings.openai_api_key.get_secret_value(),
            base_url=settings.openai_base_url,
            timeout_s=settings.llm_timeout_s,
        )
    if name == "anthropic":
        from .anthropic import AnthropicProvider

        return AnthropicProvider(
            model=model,
            api_key=settings.anthropic_api_key.get_secret_value(),
            base_url=settings.anthropic_base_url,
            timeout_s=settings.llm_timeout_s,
        )
    raise LLMError(f"unknown provider {name!r}; use one of {', '.join(DEFAULT_MODELS)}")
