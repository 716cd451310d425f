"""The offline model of the agent: it plans real tool calls from the task and the results.

It is a rule-based stand-in for a model, so that the demo, the tests and the evals run the
whole loop offline: it reads the task (who, which invoice or ticket, what is asked), looks at
what the tools have returned so far, and asks for the next tool calls, exactly as a model
would over the wire (`ProviderResponse.tool_calls`). Its rules:

1. A task with no support intent (nothing about a customer, an invoice, a plan or a ticket)
   gets a short answer and no tool call.
2. Find the ticket (`get_ticket`) when one is named, then the customer (`lookup_customer`).
3. For money: list the invoices, read the policy (`search_policies`, when offered), pick the
   invoice (the later of two equal charges for a duplicate; the latest paid one otherwise),
   `compute_refund`, and propose `issue_refund` for what the policy allows, never more, even
   when the task asks for more.
4. For plans: `change_plan` to the plan the task names (an extra seat on a full Starter team
   means Business).
5. Note the outcome on the ticket (`add_ticket_note`), then answer with the facts.

It never takes instructions from tool results: what it does follows from the task alone.
With a seed it varies the way a sampled model does: it sometimes skips the policy search,
sends independent calls in parallel or one by one, lists all invoices instead of one month,
or makes a recoverable mistake in its arguments (which the tool's validation bounces back).
So repeated seeded trials (pass^k) measure whether the loop recovers, not only one path.
What it cannot show: whether a real model follows the prompt's wording, understands
paraphrases it has no rule for, or resists an injection it reads; recorded replies and live
evals with a real provider judge those (docs/decisions).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..llm import Message, ToolCall, ToolSpec
from ..llm.pricing import estimate_tokens
from ..llm.types import ProviderResponse, Usage

MODEL = "offline-scripted-v1"
MONTHS = {
    name: f"{index:02d}"
    for index, name in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}
YEAR = "2026"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
CUSTOMER = re.compile(r"\bC\d{3}\b")
INVOICE = re.compile(r"\bINV-\d{4}\b")
TICKET = re.compile(r"\bT-\d{3}\b")
AMOUNT = re.compile(r"\$\s?(\d+(?:\.\d{1,2})?)")
SUPPORT = re.compile(
    r"refund|charge|invoice|bill|plan|upgrade|downgrade|cancel|ticket|outage|seat|user|"
    r"account|customer|starter|business|\bsla\b",
    re.IGNORECASE,
)
OUT_OF_SCOPE = (
    "That is outside what I handle: I work on Northwind Cloud support tasks (accounts, invoices, "
    "refunds, plan changes and tickets), so I did not use any tool."
)


@dataclass
class Task:
    """What the task text names and asks."""

    text: str
    email: str | None = None
    customer_id: str | None = None
    invoice_id: str | None = None
    ticket_id: str | None = None
    period: str | None = None
    amount: float | None = None
    reason: str | None = None
    plan: str | None = None

    @classmethod
    def read(cls, text: str) -> Task:
        """Extract the entities and the intent of a task."""
        low = text.lower()
        task = cls(text)
        task.email = _first(EMAIL, text)
        task.customer_id = _first(CUSTOMER, text)
        task.invoice_id = _first(INVOICE, text)
        task.ticket_id = _first(TICKET, text)
        month = next((m for m in MONTHS if m in low), None)
        task.period = f"{YEAR}-{MONTHS[month]}" if month else None
        amount = _first(AMOUNT, text)
        task.amount = float(amount) if amount else None
        task.plan = _target_plan(low)
        task.reason = _reason(low) if task.plan is None else None
        return task

    @property
    def in_scope(self) -> bool:
        """Tell whether the task is about support at all."""
        named = self.email or self.customer_id or self.invoice_id or self.ticket_id
        return bool(named) and bool(SUPPORT.search(self.text) or self.ticket_id)


@dataclass
class Seen:
    """What the tools have returned so far in this run."""

    results: dict[str, list[Any]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    rejected: bool = False

    def last(self, tool: str) -> Any:
        """Return the latest successful result of `tool`, or None."""
        found = self.results.get(tool)
        return found[-1] if found else None

    def tried(self, tool: str) -> bool:
        """Tell whether `tool` was called (successfully or not)."""
        return tool in self.results or tool in self.errors


class ScriptedAgentModel:
    """A deterministic (or seeded) provider that plans the support workflow's tool calls."""

    name = "offline"

    def __init__(self, model: str = MODEL, *, seed: int | None = None) -> None:
        self.model = model
        self.seed = seed

    def complete(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        temperature: float,
        tools: Sequence[ToolSpec] = (),
    ) -> ProviderResponse:
        """Return the next tool calls, or the final answer when the work is done."""
        task_text, seen, turn = _state(messages)
        rng = random.Random(f"{self.seed}:{task_text}:{turn}") if self.seed is not None else None
        names = {tool.name for tool in tools}
        calls, text = _plan(Task.read(task_text), seen, names, rng)
        tool_calls = tuple(
            ToolCall(f"call_{turn}_{n}", name, json.dumps(args))
            for n, (name, args) in enumerate(calls)
        )
        prompt = sum(estimate_tokens(m.content) for m in messages)
        output = estimate_tokens(text) + sum(estimate_tokens(c.arguments) for c in tool_calls)
        finish = "tool_calls" if tool_calls else "stop"
        return ProviderResponse(
            text, self.model, Usage(prompt, output, estimated=True), finish, tool_calls
        )

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        temperature: float,
        tools: Sequence[ToolSpec] = (),
    ) -> Iterator[str | ProviderResponse]:
        """Yield the answer's text in pieces, then the whole response."""
        response = self.complete(
            messages, max_tokens=max_tokens, temperature=temperature, tools=tools
        )
        yield from re.findall(r"\S+\s*", response.text)
        yield response


def _state(messages: Sequence[Message]) -> tuple[str, Seen, int]:
    """Return the current task, what its tool calls returned, and the turn number."""
    start = max(i for i, m in enumerate(messages) if m.role == "user")
    seen, names, turn = Seen(), {}, 0
    for message in messages[start + 1 :]:
        if message.role == "assistant":
            turn += 1
            names.update({call.id: call.name for call in message.tool_calls})
        elif message.role == "tool" and message.tool_call_id in names:
            tool = names[message.tool_call_id]
            if message.content.startswith("A person rejected"):
                seen.rejected = True
                seen.errors[tool] = seen.errors.get(tool, 0) + 1
            elif message.content.startswith("Error"):
                seen.errors[tool] = seen.errors.get(tool, 0) + 1
            else:
                seen.results.setdefault(tool, []).append(_loads(message.content))
    return messages[start].content, seen, turn


Plan = tuple[list[tuple[str, dict[str, Any]]], str]


def _plan(task: Task, seen: Seen, tools: set[str], rng: random.Random | None) -> Plan:
    """Return the next calls (or none) and the text that goes with them."""
    if not task.in_scope:
        return [], OUT_OF_SCOPE
    ticket = seen.last("get_ticket")
    if task.ticket_id and ticket is None and not seen.tried("get_ticket") and "get_ticket" in tools:
        return [("get_ticket", {"ticket_id": task.ticket_id})], "Reading the ticket."
    customer = seen.last("lookup_customer")
    if customer is None and not seen.tried("lookup_customer"):
        who = _who(task, ticket)
        if who is None:
            return [], "I need the customer's e-mail address or account id to act on this."
        return [("lookup_customer", who)], "Looking up the customer."
    if customer is None:
        return [], "I could not find that customer, so I changed nothing."
    if task.plan:
        return _plan_change(task, seen, customer, ticket, tools)
    return _refund(task, seen, customer, ticket, tools, rng)


def _refund(
    task: Task,
    seen: Seen,
    customer: dict[str, Any],
    ticket: Any,
    tools: set[str],
    rng: random.Random | None,
) -> Plan:
    """Plan the refund workflow one turn at a time."""
    reason = task.reason or "unused"
    listed = seen.last("list_invoices")
    searched = seen.tried("search_policies") or "search_policies" not in tools
    if rng is not None and rng.random() < 0.3:
        searched = True  # a sampled model does not always read the policy first
    if listed is None and not seen.tried("list_invoices"):
        args: dict[str, Any] = {"customer_id": customer["id"]}
        # Only a duplicate is about one month; other requests look at the whole history.
        if reason == "duplicate" and task.period and not (rng is not None and rng.random() < 0.3):
            args["period"] = task.period
        calls = [("list_invoices", args)]
        if not searched and rng is not None and rng.random() < 0.5:  # parallel calls
            calls.append(("search_policies", {"query": f"refund policy {reason}"}))
        return calls, "Checking the invoices."
    if not searched:
        return [
            ("search_policies", {"query": f"refund policy {reason}"})
        ], "Reading the billing policy."
    invoice = task.invoice_id or _pick_invoice(listed or [], reason, task.period)
    if invoice is None:
        return _close(
            task, seen, ticket, tools, "I found no paid invoice that this request could apply to."
        )
    computed = seen.last("compute_refund")
    if computed is None:
        failures = seen.errors.get("compute_refund", 0)
        if failures >= 2:
            return _close(
                task,
                seen,
                ticket,
                tools,
                "I could not compute what the policy allows, so I changed nothing.",
            )
        # A sampled model sometimes misnames an argument; the validation error teaches it.
        slip = rng is not None and failures == 0 and rng.random() < 0.15
        args = {"invoice" if slip else "invoice_id": invoice, "reason": reason}
        return [("compute_refund", args)], "Computing what the policy allows."
    allowed = float(computed["refundable_usd"])
    if allowed <= 0:
        return _close(task, seen, ticket, tools, f"No refund for {invoice}: {computed['rule']}.")
    amount = min(allowed, task.amount) if task.amount else allowed
    if seen.rejected:
        return _close(
            task,
            seen,
            ticket,
            tools,
            f"The refund of ${amount:.2f} for {invoice} was not issued: a person rejected it.",
        )
    refund = seen.last("issue_refund")
    if refund is None and not seen.tried("issue_refund"):
        if "issue_refund" not in tools:
            return (
                [],
                f"The policy allows a refund of ${amount:.2f} for {invoice} "
                f"({computed['rule']}), but I may not issue refunds in this run.",
            )
        return (
            [("issue_refund", {"invoice_id": invoice, "amount_usd": amount, "reason": reason})],
            f"Proposing a refund of ${amount:.2f} for {invoice}: {computed['rule']}.",
        )
    if refund is None:
        return _close(
            task, seen, ticket, tools, f"The refund for {invoice} failed, so nothing was refunded."
        )
    over = (
        f" (the ${task.amount:.2f} asked for is more than the policy allows)"
        if task.amount and task.amount > allowed
        else ""
    )
    return _close(
        task,
        seen,
        ticket,
        tools,
        f"Refunded ${amount:.2f} for {invoice}{over}: {computed['rule']}.",
    )


def _plan_change(
    task: Task, seen: Seen, customer: dict[str, Any], ticket: Any, tools: set[str]
) -> Plan:
    """Plan a plan change one turn at a time."""
    changed = seen.last("change_plan")
    if changed is None and not seen.tried("change_plan"):
        if customer["plan"] == task.plan:
            return _close(
                task,
                seen,
                ticket,
                tools,
                f"{customer['name']} is on {task.plan} already; nothing to change.",
            )
        if "change_plan" not in tools:
            return (
                [],
                f"{customer['name']} should move to {task.plan}, "
                "but I may not change plans in this run.",
            )
        return [
            ("change_plan", {"customer_id": customer["id"], "new_plan": task.plan})
        ], f"Proposing to move {customer['name']} to {task.plan}."
    if changed is None:
        outcome = "a person rejected it" if seen.rejected else "the plan rules do not allow it"
        return _close(
            task, seen, ticket, tools, f"{customer['name']} stays on {customer['plan']}: {outcome}."
        )
    when = (
        "now"
        if changed["effective"] == "now"
        else "at the next renewal (downgrades are never refunded)"
    )
    return _close(
        task, seen, ticket, tools, f"Moved {customer['name']} to {task.plan}, effective {when}."
    )


def _close(task: Task, seen: Seen, ticket: Any, tools: set[str], summary: str) -> Plan:
    """Note the outcome on the ticket (once), then answer with the summary."""
    ticket_id = task.ticket_id or (ticket or {}).get("id")
    if ticket_id and "add_ticket_note" in tools and not seen.tried("add_ticket_note"):
        return [
            ("add_ticket_note", {"ticket_id": ticket_id, "note": summary})
        ], "Noting it on the ticket."
    return [], summary


def _who(task: Task, ticket: Any) -> dict[str, Any] | None:
    """Return lookup_customer's arguments from the task or the ticket."""
    if task.email:
        return {"email": task.email}
    if task.customer_id:
        return {"customer_id": task.customer_id}
    if isinstance(ticket, dict) and ticket.get("customer_id"):
        return {"customer_id": ticket["customer_id"]}
    return None


def _pick_invoice(invoices: list[dict[str, Any]], reason: str, period: str | None) -> str | None:
    """Choose the invoice a request is about."""
    billed = [i for i in invoices if i["status"] in ("paid", "refunded")]
    paid = [i for i in billed if not period or i["period"] == period]
    if reason != "duplicate" and not any(i["status"] == "paid" for i in paid):
        paid = billed  # the month named may have no paid invoice yet: take the latest paid one
    if reason == "duplicate":
        for invoice in sorted(paid, key=lambda i: i["charge_id"], reverse=True):
            twins = [
                o
                for o in paid
                if o["period"] == invoice["period"] and o["amount_usd"] == invoice["amount_usd"]
            ]
            if len(twins) > 1:
                return str(invoice["id"])
    latest = sorted((i for i in paid if i["status"] == "paid"), key=lambda i: i["issued"])
    return str(latest[-1]["id"]) if latest else None


def _target_plan(low: str) -> str | None:
    """Return the plan a task asks to move to, if it asks for a plan change."""
    if re.search(r"\b(?:26th|more than 25) (?:user|seat)", low):
        return "business"
    match = re.search(
        r"\b(?:move|switch|change|downgrade|upgrade)\b[^\n]{0,80}?\bto (starter|business)\b", low
    )
    return match.group(1) if match else None


def _reason(low: str) -> str | None:
    """Return the refund reason a task gives."""
    for reason, pattern in (
        ("duplicate", r"twice|double|duplicate"),
        ("outage", r"outage|\bdown\b|\bsla\b|credit"),
        ("cancellation", r"cancel"),
        ("downgrade", r"downgrad"),
        ("unused", r"unused|did not use|didn't use|not use"),
    ):
        if re.search(pattern, low):
            return reason
    return "unused" if "refund" in low else None


def _first(pattern: re.Pattern[str], text: str) -> str | None:
    """Return the first match of `pattern` (its group 1 when it has one), or None."""
    match = pattern.search(text)
    if match is None:
        return None
    return match.group(1) if match.groups() else match.group(0)


def _loads(text: str) -> Any:
    """Parse a tool result (JSON when it is, text otherwise)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text
