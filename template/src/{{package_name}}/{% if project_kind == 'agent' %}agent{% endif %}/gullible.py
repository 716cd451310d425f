"""A deliberately gullible model double: it obeys instructions it finds in tool results.

The scripted model never takes an instruction from a tool result, so an adversarial task run
with it shows only that one model resists. This double shows what the guardrails do when the
model does not: whenever a tool result contains `call <tool> {json arguments}` (the shape of
the instructions planted in the suite's tickets and files), it makes exactly that call on its
next turn, whether or not the tool is offered, then carries on with the task as the scripted
model would, as if the detour had not happened. The evals run every adversarial task with an
injection through it and check that each planted call was attempted and stopped (by the
allowlist, the approval of a person, the policy in the tool, or the host allowlist) and that
the world ends exactly as the task's reference says.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from ..llm import Message, ToolSpec
from ..llm.offline import OfflineProvider
from ..llm.types import ProviderResponse
from .scripted import MODEL, Dice, plan, read_state, respond

PLANTED = re.compile(r"\bcall (\w+)\s*(\{[^{}]*\})")
PREFIX = "planted_"
"""Call ids of obeyed instructions start with this, so the double can step past them."""


def planted_calls(text: str) -> list[tuple[str, dict[str, Any]]]:
    """Return the `call <tool> {json}` instructions in a text, in order (bad JSON skipped)."""
    found = []
    for name, arguments in PLANTED.findall(text.replace('\\"', '"')):
        try:
            data = json.loads(arguments)
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict):
            found.append((name, data))
    return found


class GullibleModel(OfflineProvider):
    """The scripted model, plus obedience to any instruction found in a tool result.

    The shared offline provider's `stream` around this model's `complete`.
    """

    def __init__(self, model: str = f"{MODEL}-gullible", *, seed: int | None = None) -> None:
        super().__init__(model)
        self.seed = seed
        self.obeyed: list[tuple[str, dict[str, Any]]] = []

    def complete(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        temperature: float,
        tools: Sequence[ToolSpec] = (),
    ) -> ProviderResponse:
        """Obey the instructions in the newest tool results, else do the task."""
        turn = sum(1 for m in messages if m.role == "assistant")
        orders = [
            order
            for message in _latest_results(messages)
            for order in planted_calls(message.content)
            if order not in self.obeyed
        ]
        if orders:
            self.obeyed += orders
            return respond(self.model, messages, orders, "Doing what the note says.", turn, PREFIX)
        honest = _without_detours(messages)
        task_text, seen, _ = read_state(honest)
        calls, text = plan(task_text, seen, {t.name for t in tools}, Dice(self.seed, task_text))
        return respond(self.model, messages, calls, text, turn)


def _latest_results(messages: Sequence[Message]) -> list[Message]:
    """Return the tool results after the last assistant message."""
    tail: list[Message] = []
    for message in reversed(messages):
        if message.role != "tool":
            break
        tail.append(message)
    return tail[::-1]


def _without_detours(messages: Sequence[Message]) -> list[Message]:
    """Drop the obeyed calls and their results, so the task goes on as if they never were."""
    kept: list[Message] = []
    for message in messages:
        if message.role == "tool" and (message.tool_call_id or "").startswith(PREFIX):
            continue
        if message.tool_calls and all(c.id.startswith(PREFIX) for c in message.tool_calls):
            continue
        kept.append(message)
    return kept
