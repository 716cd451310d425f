"""The chatbot's settings (`CHAT_*`), read from the environment and `.env`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ContextPolicy = Literal["truncate", "summarise"]


class ChatSettings(BaseSettings):
    """The message store, the context policy, the guardrails and the quotas of the chatbot."""

    model_config = SettingsConfigDict(env_prefix="CHAT_", env_file=".env", extra="ignore")

    db_url: str = Field(
        default="sqlite:///.chat/chat.sqlite",
        description="sqlite:///path/to/chat.sqlite (embedded) or postgresql://… (server).",
    )
    context_tokens: int = Field(
        default=3000, ge=64, description="Tokens of conversation the model sees, at most."
    )
    context_policy: ContextPolicy = "summarise"
    max_message_chars: int = Field(default=4000, ge=1, le=100_000)
    max_output_tokens: int = Field(default=400, ge=16, le=8000)
    redact_pii: bool = True
    daily_messages: int = Field(default=200, ge=0, description="Per user and UTC day; 0: off.")
    prompt_version: str = Field(
        default="",
        pattern=r"^(v?[0-9]+)?$",
        description="Version of the chat_system prompt (v1, v2, ...); empty: the latest.",
    )
    ab_prompts: str = Field(
        default="",
        pattern=r"^(chat_system@v\d+,chat_system@v\d+)?$",
        description="Two prompt versions to compare side by side (`POST /ab`), e.g. "
        "chat_system@v1,chat_system@v2; empty: A/B is off.",
    )
    docs_dir: Path = Field(
        default=Path("data/corpus"), description="The documents replies are grounded in."
    )
    docs_url: str = Field(
        default="sqlite:///.chat/docs.sqlite", description="The documents' index."
    )
    top_k: int = Field(default=4, ge=1, le=20, description="Passages retrieved per turn.")
    min_grounding: float = Field(
        default=0.0,
        ge=0.0,
        description="A message whose best passage scores below this (and that names no "
        "support topic) is outside the bot's scope.",
    )


@lru_cache(maxsize=1)
def get_chat_settings() -> ChatSettings:
    """Return the process-wide chatbot settings, read once."""
    return ChatSettings()
