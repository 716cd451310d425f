"""Build providers by name, importing each SDK only when its provider is used."""

from __future__ import annotations

from ..config import Settings
from .types import LLMError, Provider

DEFAULT_MODELS = {
    "offline": "offline-extractive-v1",
    "openai": "gpt-4o-mini",
    "anthropic": "claude-3-5-haiku-latest",
}


def build_provider(name: str, model: str, settings: Settings) -> Provider:
    """Build one provider; an empty `model` means the provider's default.

    Raises:
        LLMError: The provider is unknown, or needs an API key that is not set.

    """
    model = model or DEFAULT_MODELS.get(name, "")
    if name == "offline":
        from .offline import OfflineProvider

        return OfflineProvider(model)
    if name == "openai":
        key = settings.openai_api_key.get_secret_value()
        _require_key("OPENAI_API_KEY", key, settings.openai_base_url)
        from .openai_compat import OpenAIProvider

        return OpenAIProvider(
            model=model,
            api_key=key,
            base_url=settings.openai_base_url,
            timeout_s=settings.llm_timeout_s,
        )
    if name == "anthropic":
        key = settings.anthropic_api_key.get_secret_value()
        _require_key("ANTHROPIC_API_KEY", key, settings.anthropic_base_url)
        from .anthropic import AnthropicProvider

        return AnthropicProvider(
            model=model,
            api_key=key,
            base_url=settings.anthropic_base_url,
            timeout_s=settings.llm_timeout_s,
        )
    raise LLMError(f"unknown provider {name!r}; use one of {', '.join(DEFAULT_MODELS)}")


def _require_key(variable: str, key: str, base_url: str) -> None:
    """Refuse to talk to a hosted API without a key (local servers need none)."""
    if not key and base_url.startswith(("https://api.openai.com", "https://api.anthropic.com")):
        raise LLMError(
            f"{variable} is empty; set it, point the base URL at a local server, "
            "or use LLM_PROVIDER=offline"
        )
