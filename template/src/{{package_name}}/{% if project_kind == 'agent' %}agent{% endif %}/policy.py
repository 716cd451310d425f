"""Guardrails decided before any tool runs: which tools a run may use, and which need a person.

The allowlist is fixed when a run starts (the API, CLI or config names it) and checked before
every call, so nothing a tool returns (a web page, an e-mail, a ticket) can widen it. The
approval policy maps each tool to `auto` (run), `ask` (pause the run until a person approves or
rejects) or `deny` (never run; the model is told). Tools with side effects default to `ask`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from .tools import Tool, ToolRegistry


class Approval(StrEnum):
    """What happens when the model calls a tool."""

    AUTO = "auto"
    ASK = "ask"
    DENY = "deny"


@dataclass(frozen=True)
class Policy:
    """The approval rule of every tool, with defaults by kind of tool."""

    rules: Mapping[str, Approval]
    side_effect_default: Approval = Approval.ASK
    read_only_default: Approval = Approval.AUTO

    def decide(self, tool: Tool) -> Approval:
        """Return the rule for `tool`: its own, else the default for its kind."""
        if tool.name in self.rules:
            return self.rules[tool.name]
        return self.side_effect_default if tool.side_effect else self.read_only_default


def parse_policy(spec: str | Mapping[str, str]) -> dict[str, Approval]:
    """Read `AGENT_APPROVAL`: `issue_refund=ask,add_ticket_note=auto` or a mapping.

    Raises:
        ValueError: An entry is not `tool=auto|ask|deny`.

    """
    items = spec.items() if isinstance(spec, Mapping) else _pairs(spec)
    rules: dict[str, Approval] = {}
    for name, value in items:
        try:
            rules[name.strip()] = Approval(value.strip().lower())
        except ValueError:
            raise ValueError(f"AGENT_APPROVAL: {name}={value} is not auto, ask or deny") from None
    return rules


def _pairs(spec: str) -> Iterable[tuple[str, str]]:
    """Split `a=x,b=y` into pairs."""
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"AGENT_APPROVAL: {item!r} should be tool=auto|ask|deny")
        yield name, value


def allowed(registry: ToolRegistry, requested: Iterable[str] | None) -> list[str]:
    """Return the run's allowlist: the requested tools (all when None), known ones only.

    Raises:
        ValueError: A requested tool does not exist.

    """
    if requested is None:
        return registry.names()
    names = list(dict.fromkeys(requested))
    unknown = [name for name in names if registry.get(name) is None]
    if unknown:
        raise ValueError(f"unknown tools {unknown}; known: {', '.join(registry.names())}")
    return names
