"""Settings shared by every part of the app, read from the environment and `.env`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ProviderName = Literal["offline", "openai", "anthropic"]
PROVIDER_NAMES: tuple[str, ...] = get_args(ProviderName)
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class Settings(BaseSettings):
    """Application settings; every field maps to an upper-case environment variable.

    API keys are `SecretStr`: they print as `**********` in reprs, logs and tracebacks.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    llm_provider: ProviderName = "offline"
    llm_model: str = ""
    llm_fallbacks: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Providers tried in order when the primary fails, as provider[:model].",
    )
    openai_api_key: SecretStr = SecretStr("")
    openai_base_url: str = "https://api.openai.com/v1"
    anthropic_api_key: SecretStr = SecretStr("")
    anthropic_base_url: str = "https://api.anthropic.com"
    llm_timeout_s: float = Field(default=30.0, gt=0)
    llm_max_retries: int = Field(default=3, ge=0, le=10)
    llm_retry_min_wait_s: float = Field(default=0.5, ge=0)
    llm_retry_max_wait_s: float = Field(default=20.0, ge=0)
    llm_cache_dir: Path | None = None
    budget_per_request_usd: float | None = Field(default=None, gt=0)
    budget_per_run_usd: float | None = Field(default=None, gt=0)
    prices_file: Path | None = None

    log_level: LogLevel = "INFO"
    log_format: Literal["json", "text"] = "json"

    api_key: SecretStr = SecretStr("")
    rate_limit: str = ""
    max_request_bytes: int = Field(default=64_000, gt=0)

    @field_validator("llm_fallbacks", mode="before")
    @classmethod
    def _split_comma_list(cls, value: object) -> object:
        """Accept `openai:gpt-4o-mini,anthropic:claude-3-5-haiku-latest` from the environment."""
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("llm_fallbacks")
    @classmethod
    def _known_providers(cls, value: list[str]) -> list[str]:
        """Reject a fallback whose provider part is not a known provider."""
        for item in value:
            provider = item.partition(":")[0].strip()
            if provider not in PROVIDER_NAMES:
                known = ", ".join(PROVIDER_NAMES)
                raise ValueError(f"unknown provider {provider!r} in {item!r}; use one of {known}")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_case_level(cls, value: object) -> object:
        """Accept `debug` as well as `DEBUG`."""
        return value.upper() if isinstance(value, str) else value

    @field_validator(
        "llm_cache_dir",
        "prices_file",
        "budget_per_request_usd",
        "budget_per_run_usd",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        """Treat an empty environment variable as unset."""
        return None if value == "" else value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read once."""
    return Settings()
