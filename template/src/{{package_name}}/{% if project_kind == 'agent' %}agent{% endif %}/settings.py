"""The agent's settings (`AGENT_*`), read from the environment and `.env`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from .mcp_tools import MCPServerConfig, parse_servers
from .policy import Approval, parse_policy

DEFAULT_APPROVAL = {"add_ticket_note": Approval.AUTO}
"""A ticket note changes nothing a customer sees, so it needs no approval; refunds and plan
changes do (every other tool with side effects asks)."""


class AgentSettings(BaseSettings):
    """Limits, guardrails and the world store of the agent."""

    model_config = SettingsConfigDict(env_prefix="AGENT_", env_file=".env", extra="ignore")

    world_url: str = "sqlite:///.agent/world.sqlite"
    max_steps: int = Field(default=12, ge=1, le=200)
    max_tool_calls: int = Field(default=20, ge=1, le=500)
    timeout_s: float = Field(default=60.0, gt=0)
    tool_timeout_s: float = Field(default=10.0, gt=0)
    max_tool_failures: int = Field(default=3, ge=1)
    max_tool_output_chars: int = Field(default=4000, ge=100)
    max_tokens: int = Field(default=50_000, ge=100)
    max_cost_usd: float | None = Field(default=None, gt=0)
    max_output_tokens: int = Field(default=800, ge=16)
    approval: Annotated[dict[str, Approval], NoDecode] = Field(
        default_factory=lambda: dict(DEFAULT_APPROVAL),
        description="Approval per tool, over the defaults; other side-effect tools ask.",
    )
    sandbox_dir: Path | None = Field(
        default=None, description="Folder of the file tools; empty: no file tools."
    )
    http_allowlist: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Hosts fetch_url may reach; empty: no fetch_url."
    )
    mcp_servers: Annotated[list[MCPServerConfig], NoDecode] = Field(
        default_factory=list, description="MCP servers (stdio) whose tools the agent gets."
    )
    policies_url: str = Field(
        default="sqlite:///.agent/policies.sqlite",
        description="The index search_policies reads (sqlite:///… or postgresql://…).",
    )
    policies_dir: Path = Field(
        default=Path("data/corpus"), description="The documents search_policies indexes."
    )
    scripted_seed: int | None = None

    @field_validator("approval", mode="before")
    @classmethod
    def _parse_approval(cls, value: object) -> object:
        """Accept `issue_refund=ask,add_ticket_note=auto`; it changes only the tools it names."""
        if isinstance(value, str | dict):
            return {**DEFAULT_APPROVAL, **parse_policy(value)}
        return value

    @field_validator("http_allowlist", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        """Accept `status.northwind.cloud,api.example.com`."""
        if isinstance(value, str):
            return [host.strip().lower() for host in value.split(",") if host.strip()]
        return value

    @field_validator("mcp_servers", mode="before")
    @classmethod
    def _parse_servers(cls, value: object) -> object:
        """Accept the JSON list of `{"name", "command"}` entries (empty: none)."""
        return parse_servers(value) if isinstance(value, str) else value

    @field_validator("max_cost_usd", "scripted_seed", "sandbox_dir", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        """Treat an empty variable as unset."""
        return None if value == "" else value


@lru_cache(maxsize=1)
def get_agent_settings() -> AgentSettings:
    """Return the process-wide agent settings, read once."""
    return AgentSettings()
