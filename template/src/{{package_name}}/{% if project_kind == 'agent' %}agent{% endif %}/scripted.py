"""The offline model of the agent: it plans real tool calls from the task and the results.

A rule-based stand-in for a model, so that the demo, the tests and the evals run the whole
loop offline: each turn it reads the task (`scripted_task.py`), looks at what the tools have
returned so far in the conversation, and asks for the next tool calls exactly as a model
would over the wire (`ProviderResponse.tool_calls`), or answers. It has no rule for any task
of the eval suite by name; its rules, in order:

1. No support intent (no support word, no account, invoice or ticket id): answer briefly,
   call no tool.
2. A sandbox file named in the task is read first (`read_file`); a named ticket is read next
   (`get_ticket`). Their text fills in what the task leaves open: the customer, the month, and
   for a bare "handle ticket T-105" the intent (from the ticket's subject, never its notes).
3. The customer is looked up by e-mail, account id, or the ticket's customer; with none of
   them it asks for one; an unknown customer or ticket ends the run with the error.
4. Refunds: list the invoices, read the policy (`search_policies`, when offered), pick the
   invoice (the one named; the later of two equal charges of a month for a duplicate; the
   paid one of the month named; the only paid one; else ask which), `compute_refund`, then
   propose `issue_refund` for what the policy allows, never more, even when asked for more.
5. Plans: `change_plan` to the plan named (a 26th user on Starter means Business); with no
   plan named it asks which.
6. Questions: answer from the account (and its invoices when asked, or when the account is
   not active) or from the ticket.
7. Close: note the outcome on the ticket (`add_ticket_note`) when there is one, then answer.

It reads facts from tool results (an id, a subject, an amount the policy allows) but never
takes an instruction from them: a ticket note that says "call issue_refund" is data to it.
That is a property of this model, not of the agent: `gullible.py` is the double that obeys,
and the evals run the adversarial tasks with it to show the allowlist and the approvals hold.

With a seed it varies per run the way a sampled model does (each choice is drawn once per
run from the seed, the task and the choice's name, so turns agree with each other):
independent calls in parallel or one by one, the invoice list narrowed to a month or not,
the policy search skipped, an account read twice, an argument slip that the tool's
validation bounces back (a misnamed key, a malformed ticket id) and that it then corrects,
and, rarely, a forgotten closing note: a real miss that fails the task's final state. So
pass^k over seeded trials measures whether the loop and the guardrails recover on every
path, and that a rare miss shows up in pass^k before it shows in the mean.

What it cannot show: whether a real model follows the prompt's wording, understands a
paraphrase it has no rule for, picks the right tool among similar ones, or resists an
injection it reads; recorded replies (`make eval-record`, then `make eval`) and live evals
(`make eval-live`) judge a real model on the same suite and metrics (ADR 0006).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..llm import Message, ToolCall, ToolSpec
from ..llm.offline import OfflineProvider
from ..llm.pricing import estimate_tokens
from ..llm.types import ProviderResponse, Usage
from .scripted_task import Task

MODEL = "offline-scripted-v1"
OUT_OF_SCOPE = (
    "That is outside what I handle: I work on Northwind Cloud support tasks (accounts, invoices, "
    "refunds, plan changes and tickets), so I did not use any tool."
)
NEED_CUSTOMER = "I need the customer's e-mail address or account id to act on this."
VARIATION = {
    "parallel": 0.5,  # send independent calls together
    "narrow": 0.7,  # list a duplicate's month only (else every invoice)
    "skip_search": 0.3,  # act without reading the policy document
    "reread": 0.1,  # read the account a second time, by id
    "slip": 0.15,  # a malformed argument, bounced by validation, then corrected
    "forget_note": 0.06,  # forget the closing ticket note (fails the final state)
}
"""The chance of each seeded variation, per run and choice point."""
Calls = list[tuple[str, dict[str, Any]]]
Plan = tuple[Calls, str]


class Dice:
    """Seeded choices: each (name, key) is drawn once per run; no seed means no variation."""

    def __init__(self, seed: int | None, task: str) -> None:
        self.seed, self.task = seed, task

    def chance(self, name: str, key: str = "") -> bool:
        """Tell whether variation `name` happens at choice point `key` in this run."""
        if self.seed is None:
            return False
        draw = random.Random(f"{self.seed}:{self.task}:{name}:{key}").random()  # noqa: S311
        return draw < VARIATION[name]


@dataclass
class Seen:
    """What the tools have returned so far in this run."""

    results: dict[str, list[Any]] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    invalid: dict[str, int] = field(default_factory=dict)
    rejected: set[str] = field(default_factory=set)

    def last(self, tool: str) -> Any:
        """Return the latest successful result of `tool`, or None."""
        found = self.results.get(tool)
        return found[-1] if found else None

    def done(self, tool: str) -> bool:
        """Tell whether a call of `tool` ran, failed or was rejected (a bounced one did not)."""
        return tool in self.results or tool in self.errors or tool in self.rejected

    def error(self, tool: str) -> str:
        """Return the latest error of `tool`, without the loop's `Error: tool:` prefix."""
        text = (self.errors.get(tool) or [""])[-1]
        return re.sub(rf"^Error: (?:{re.escape(tool)}: )?", "", text).rstrip(".")


class ScriptedAgentModel(OfflineProvider):
    """A deterministic (or seeded) provider that plans the support workflow's tool calls.

    The shared offline provider's `stream` (the text word by word, then the response) around
    this model's `complete`.
    """

    def __init__(self, model: str = MODEL, *, seed: int | None = None) -> None:
        super().__init__(model)
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
        task_text, seen, turn = read_state(messages)
        calls, text = plan(task_text, seen, {t.name for t in tools}, Dice(self.seed, task_text))
        return respond(self.model, messages, calls, text, turn)


def respond(
    model: str, messages: Sequence[Message], calls: Calls, text: str, turn: int, prefix: str = ""
) -> ProviderResponse:
    """Build the provider response: calls with ids unique in the run, estimated usage."""
    tool_calls = tuple(
        ToolCall(f"{prefix}call_{turn}_{n}", name, json.dumps(args))
        for n, (name, args) in enumerate(calls)
    )
    prompt = sum(estimate_tokens(m.content) for m in messages)
    output = estimate_tokens(text) + sum(estimate_tokens(c.arguments) for c in tool_calls)
    finish = "tool_calls" if tool_calls else "stop"
    return ProviderResponse(text, model, Usage(prompt, output, estimated=True), finish, tool_calls)


def read_state(messages: Sequence[Message]) -> tuple[str, Seen, int]:
    """Return the current task, what its tool calls returned, and the turn number."""
    start = max(i for i, m in enumerate(messages) if m.role == "user")
    seen, names, turn = Seen(), {}, 0
    for message in messages[start + 1 :]:
        if message.role == "assistant":
            turn += 1
            names.update({call.id: call.name for call in message.tool_calls})
        elif message.role == "tool" and message.tool_call_id in names:
            tool, text = names[message.tool_call_id], message.content
            if text.startswith("A person rejected"):
                seen.rejected.add(tool)
            elif text.startswith("Error") and ("invalid arguments" in text or "JSON" in text):
                seen.invalid[tool] = seen.invalid.get(tool, 0) + 1
            elif text.startswith("Error"):
                seen.errors.setdefault(tool, []).append(text)
            else:
                seen.results.setdefault(tool, []).append(_loads(text))
    return messages[start].content, seen, turn


def plan(task_text: str, seen: Seen, tools: set[str], dice: Dice) -> Plan:
    """Return the next calls (or none) and the text that goes with them."""
    task = Task.read(task_text)
    if task.intent == "none":
        return [], OUT_OF_SCOPE
    if task.path and "read_file" in tools:
        if not seen.done("read_file"):
            return [("read_file", {"path": task.path})], f"Reading {task.path}."
        content = seen.last("read_file")
        if content is None:
            return (
                [],
                f"I could not read {task.path} ({seen.error('read_file')}), so I did nothing.",
            )
        task = task.learn(content if isinstance(content, str) else json.dumps(content))
    if task.intent == "note" and task.ticket_id:
        return _note(task, task.ticket_id, seen, tools)
    ticket: dict[str, Any] | None = None
    if task.ticket_id and "get_ticket" in tools:
        step = _ticket(task, task.ticket_id, seen, tools, dice)
        if isinstance(step, tuple):
            return step
        ticket, task = step, task.learn(str(step.get("subject", "")))
        if task.intent == "lookup" and not (task.email or task.customer_id):
            return [], _describe_ticket(ticket)
    customer = seen.last("lookup_customer")
    if customer is None:
        if seen.done("lookup_customer"):
            why = seen.error("lookup_customer")
            return [], f"I could not find that customer ({why}), so I changed nothing."
        who = _who(task, ticket)
        if who is None:
            return [], NEED_CUSTOMER
        return [("lookup_customer", who)], "Looking up the customer."
    if len(seen.results["lookup_customer"]) == 1 and dice.chance("reread"):
        return [("lookup_customer", {"customer_id": customer["id"]})], "Checking the account."
    ticket_id = task.ticket_id if ticket is not None else None
    if task.intent == "plan":
        return _change(task, seen, customer, ticket_id, tools, dice)
    if task.intent == "refund":
        return _refund(task, seen, customer, ticket_id, tools, dice)
    return _lookup(task, seen, customer, tools)


def _ticket(
    task: Task, ticket_id: str, seen: Seen, tools: set[str], dice: Dice
) -> dict[str, Any] | Plan:
    """Return the ticket once read, or the plan that reads it (or gives up on it)."""
    ticket = seen.last("get_ticket")
    if isinstance(ticket, dict):
        return ticket
    if seen.done("get_ticket") or seen.invalid.get("get_ticket", 0) >= 2:
        why = seen.error("get_ticket") or "its id was refused"
        return [], f"I could not read ticket {ticket_id} ({why}), so I changed nothing."
    slip = not seen.invalid.get("get_ticket") and dice.chance("slip", "get_ticket")
    calls: Calls = [
        ("get_ticket", {"ticket_id": ticket_id.replace("-", "") if slip else ticket_id})
    ]
    who = _who(task, None)
    if who and "lookup_customer" in tools and dice.chance("parallel", "ticket"):
        calls.append(("lookup_customer", who))
    return calls, "Reading the ticket."


def _refund(
    task: Task,
    seen: Seen,
    customer: dict[str, Any],
    ticket_id: str | None,
    tools: set[str],
    dice: Dice,
) -> Plan:
    """Plan the refund workflow one turn at a time."""
    reason = task.reason or "unused"
    invoices = seen.last("list_invoices")
    if invoices is None:
        if seen.done("list_invoices"):
            return _close(seen, ticket_id, tools, dice, "I could not list the invoices.")
        args: dict[str, Any] = {"customer_id": customer["id"]}
        if reason == "duplicate" and task.period and dice.chance("narrow"):
            args["period"] = task.period
        calls: Calls = [("list_invoices", args)]
        if task.invoice_id and dice.chance("parallel", "compute"):
            calls.append(("compute_refund", {"invoice_id": task.invoice_id, "reason": reason}))
        return calls, "Checking the invoices."
    invoice = task.invoice_id or pick_invoice(invoices, reason, task.period)
    if invoice is None:
        return [], _which_invoice(customer, invoices)
    searched = "search_policies" not in tools or seen.done("search_policies")
    if not searched and not dice.chance("skip_search"):
        return [("search_policies", {"query": f"refund policy {reason}"})], "Reading the policy."
    computed = seen.last("compute_refund")
    if computed is None:
        return _compute(invoice, reason, seen, ticket_id, tools, dice)
    allowed = float(computed["refundable_usd"])
    if allowed <= 0:
        summary = f"No refund for {invoice}: {computed['rule']}."
        return _close(seen, ticket_id, tools, dice, summary)
    amount = min(allowed, task.amount) if task.amount else allowed
    return _issue(task, seen, invoice, amount, reason, computed["rule"], ticket_id, tools, dice)


def _compute(
    invoice: str, reason: str, seen: Seen, ticket_id: str | None, tools: set[str], dice: Dice
) -> Plan:
    """Ask what the policy allows (correcting a bounced call once), or give up with why."""
    if seen.done("compute_refund"):
        why = seen.error("compute_refund")
        summary = f"I could not compute the refund for {invoice} ({why}), so I changed nothing."
        return _close(seen, ticket_id, tools, dice, summary)
    bounced = seen.invalid.get("compute_refund", 0)
    if bounced >= 2:
        summary = f"My calls to compute the refund for {invoice} were refused; I changed nothing."
        return _close(seen, ticket_id, tools, dice, summary)
    slip = not bounced and dice.chance("slip", "compute_refund")
    args = {"invoice" if slip else "invoice_id": invoice, "reason": reason}
    return [("compute_refund", args)], "Computing what the policy allows."


def _issue(
    task: Task,
    seen: Seen,
    invoice: str,
    amount: float,
    reason: str,
    rule: str,
    ticket_id: str | None,
    tools: set[str],
    dice: Dice,
) -> Plan:
    """Propose the refund the policy allows, then report how it went."""
    if "issue_refund" in seen.rejected:
        summary = f"The refund of ${amount:.2f} for {invoice} was not issued: a person rejected it."
        return _close(seen, ticket_id, tools, dice, summary)
    if seen.errors.get("issue_refund"):
        summary = f"The refund for {invoice} failed ({seen.error('issue_refund')}); nothing moved."
        return _close(seen, ticket_id, tools, dice, summary)
    if seen.last("issue_refund") is None:
        if "issue_refund" not in tools:
            return [], (
                f"The policy allows a refund of ${amount:.2f} for {invoice} ({rule}), "
                "but I may not issue refunds in this run."
            )
        args = {"invoice_id": invoice, "amount_usd": amount, "reason": reason}
        return [
            ("issue_refund", args)
        ], f"Proposing a refund of ${amount:.2f} for {invoice}: {rule}."
    over = ""
    if task.amount and task.amount > amount:
        over = f" (the ${task.amount:.2f} asked for is more than the policy allows)"
    return _close(
        seen, ticket_id, tools, dice, f"Refunded ${amount:.2f} for {invoice}{over}: {rule}."
    )


def _change(
    task: Task,
    seen: Seen,
    customer: dict[str, Any],
    ticket_id: str | None,
    tools: set[str],
    dice: Dice,
) -> Plan:
    """Plan a plan change one turn at a time."""
    name, current = customer["name"], customer["plan"]
    if task.plan is None:
        seats = customer["seats"]
        return [], f"Which plan should {name} move to? It is on {current} now, with {seats} users."
    if "change_plan" in seen.rejected:
        return _close(
            seen,
            ticket_id,
            tools,
            dice,
            f"{name} stays on {current}: a person rejected the change.",
        )
    if seen.errors.get("change_plan"):
        summary = f"{name} stays on {current}: {seen.error('change_plan')}."
        return _close(seen, ticket_id, tools, dice, summary)
    changed = seen.last("change_plan")
    if changed is None:
        if current == task.plan:
            return _close(
                seen, ticket_id, tools, dice, f"{name} is on {current} already; nothing to change."
            )
        if "change_plan" not in tools:
            return [], f"{name} should move to {task.plan}, but I may not change plans in this run."
        args = {"customer_id": customer["id"], "new_plan": task.plan}
        return [("change_plan", args)], f"Proposing to move {name} from {current} to {task.plan}."
    when = (
        "now"
        if changed["effective"] == "now"
        else "at the next renewal (downgrades are never refunded)"
    )
    return _close(seen, ticket_id, tools, dice, f"Moved {name} to {task.plan}, effective {when}.")


def _note(task: Task, ticket_id: str, seen: Seen, tools: set[str]) -> Plan:
    """Add the note the task dictates to its ticket."""
    if "add_ticket_note" not in tools:
        return (
            [],
            f"I may not add notes to tickets in this run; nothing was added to {ticket_id}.",
        )
    if seen.done("add_ticket_note") or seen.invalid.get("add_ticket_note", 0) >= 2:
        if seen.last("add_ticket_note") is not None:
            return [], f"Added the note to {ticket_id}."
        why = seen.error("add_ticket_note") or "a person rejected it"
        return [], f"The note was not added to {ticket_id} ({why})."
    if not task.note:
        return [], f"What should the note on {ticket_id} say?"
    return [("add_ticket_note", {"ticket_id": ticket_id, "note": task.note})], "Adding the note."


def _lookup(task: Task, seen: Seen, customer: dict[str, Any], tools: set[str]) -> Plan:
    """Answer a question about an account, from the account and, if needed, its invoices."""
    asks_invoices = "invoice" in task.text.lower()
    needs = asks_invoices or customer["status"] != "active"
    if needs and "list_invoices" in tools and not seen.done("list_invoices"):
        return [("list_invoices", {"customer_id": customer["id"]})], "Listing the invoices."
    answer = (
        f"{customer['name']} ({customer['id']}) is on the {customer['plan']} plan, billed "
        f"{customer['billing']}, with {customer['seats']} users; account status: "
        f"{customer['status']}."
    )
    invoices = seen.last("list_invoices") or []
    unpaid = [i for i in invoices if i["status"] == "open"]
    if customer["status"] == "read_only" and unpaid:
        answer += (
            f" It is read-only because {_invoice_list(unpaid)} is unpaid: an invoice still unpaid "
            "14 days after its due date makes the organisation read-only until it is paid."
        )
    if asks_invoices:
        answer += f" Invoices: {_invoice_list(invoices) or 'none'}."
    return [], answer


def _close(seen: Seen, ticket_id: str | None, tools: set[str], dice: Dice, summary: str) -> Plan:
    """Note the outcome on the ticket (once), then answer with the summary."""
    open_note = ticket_id and "add_ticket_note" in tools and not seen.done("add_ticket_note")
    if open_note and not dice.chance("forget_note"):
        return [("add_ticket_note", {"ticket_id": ticket_id, "note": summary})], "Noting it."
    return [], summary


def _who(task: Task, ticket: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return lookup_customer's arguments from the task or the ticket."""
    if task.email:
        return {"email": task.email}
    if task.customer_id:
        return {"customer_id": task.customer_id}
    if ticket and ticket.get("customer_id"):
        return {"customer_id": ticket["customer_id"]}
    return None


def pick_invoice(invoices: list[dict[str, Any]], reason: str, period: str | None) -> str | None:
    """Choose the invoice a request is about, or None when it is not clear which.

    A duplicate is the later of two equal charges for one month (refunded ones included, so
    that the policy can say it was refunded already). Otherwise: the paid invoice of the month
    named; the latest paid one when that month has none (an outage month not billed yet);
    the only paid invoice; and no choice when several could apply.
    """
    billed = [i for i in invoices if i["status"] in ("paid", "refunded")]
    if reason == "duplicate":
        months = [i for i in billed if not period or i["period"] == period]
        for invoice in sorted(months, key=lambda i: i["charge_id"], reverse=True):
            twins = [
                o
                for o in months
                if o["period"] == invoice["period"] and o["amount_usd"] == invoice["amount_usd"]
            ]
            if len(twins) > 1:
                return str(invoice["id"])
        return None
    paid = sorted((i for i in billed if i["status"] == "paid"), key=lambda i: i["issued"])
    if period:
        of_month = [i for i in paid if i["period"] == period]
        chosen = of_month or paid[-1:]
        return str(chosen[-1]["id"]) if len(of_month) <= 1 and chosen else None
    return str(paid[0]["id"]) if len(paid) == 1 else None


def _which_invoice(customer: dict[str, Any], invoices: list[dict[str, Any]]) -> str:
    """Ask which invoice is meant, listing the candidates."""
    paid = [i for i in invoices if i["status"] == "paid"]
    if not paid:
        return f"{customer['name']} has no paid invoice that a refund could apply to."
    return (
        f"Which invoice do you mean? {customer['name']} has {len(paid)} paid invoices: "
        f"{_invoice_list(paid)}. I changed nothing."
    )


def _invoice_list(invoices: list[dict[str, Any]]) -> str:
    """Describe invoices in one line."""
    return ", ".join(
        f"{i['id']} ({i['period']}, ${float(i['amount_usd']):.2f}, {i['status']})" for i in invoices
    )


def _describe_ticket(ticket: dict[str, Any]) -> str:
    """Answer a question about a ticket from the ticket."""
    notes = len(ticket.get("notes") or [])
    return (
        f'{ticket["id"]} ({ticket["customer_id"]}): "{ticket["subject"]}", status '
        f"{ticket['status']}, {notes} note{'s' if notes != 1 else ''}."
    )


def _loads(text: str) -> Any:
    """Parse a tool result (JSON when it is, text otherwise)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text
