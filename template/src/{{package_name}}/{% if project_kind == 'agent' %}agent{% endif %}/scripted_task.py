"""How the scripted model reads a task: who and what it names, and what it asks for.

Plain rules over the text (regular expressions and word lists), written for the support
workflow's tasks. They read a request the way a support engineer skims one: the first e-mail
address, account id, invoice id, ticket id and sandbox path it names; a month ("March", "last
month"); a dollar amount; and one intent:

- `none`: nothing about Northwind Cloud support (no support word and no id): no tool is used;
- `note`: add a note to a ticket ("add a note to ticket T-104: ...");
- `plan`: change a plan ("move ... to Starter", "a 26th user" means Business);
- `refund`: money back (refund, charged twice, cancel, outage, did not use ...);
- `lookup`: a question about an account, its invoices or a ticket;
- `handle`: only a ticket or a file is named ("Handle ticket T-105"): the intent comes from
  the ticket's subject or the file's text once read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

TODAY = date(2026, 3, 20)
"""The world's "today" (world.TODAY), so that "last month" means February 2026."""

MONTH_NAMES = [
    *("january", "february", "march", "april", "may", "june"),
    *("july", "august", "september", "october", "november", "december"),
]
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
CUSTOMER = re.compile(r"\bC\d{3}\b")
INVOICE = re.compile(r"\bINV-\d{4}\b")
TICKET = re.compile(r"\bT-\d{3}\b")
FILE = re.compile(r"\b((?:[\w-]+/)+[\w.-]+\.(?:txt|md|csv|eml|json))\b")
AMOUNT = re.compile(r"\$\s?(\d+(?:\.\d{1,2})?)")
SUPPORT = re.compile(
    r"refund|charge|invoice|billing|\bbill|\bplan\b|upgrade|downgrade|cancel|ticket|outage|"
    r"\bseats?\b|\baccount|customer|\bsla\b|money back",
    re.IGNORECASE,
)
NOTE = re.compile(r"\b(?:add|write|put|leave)\b[^.:\n]{0,20}\bnote\b", re.IGNORECASE)
PLAN_TARGET = re.compile(
    r"\b(?:move|switch|change|downgrade|upgrade)\b[^\n]{0,80}?\bto (starter|business)\b"
)
PLAN_CHANGE = re.compile(r"\b(?:move|switch|change|downgrade|upgrade)\b[^\n]{0,40}\bplan\b")
EXTRA_SEAT = re.compile(r"\b(?:26th|more than 25) (?:user|seat)")
REASONS = (
    ("duplicate", r"twice|double|duplicate"),
    ("outage", r"outage|\bsla\b|service credit"),
    ("cancellation", r"cancel"),
    ("downgrade", r"downgrad"),
    ("unused", r"unused|did not use|didn't use|not use"),
)
HANDLE = re.compile(r"\b(?:handle|deal with|work on|process|take care of)\b")
REFUND = re.compile(r"refund|money back|get back|charged", re.IGNORECASE)


@dataclass(frozen=True)
class Task:
    """What a task names and asks for."""

    text: str
    intent: str
    email: str | None = None
    customer_id: str | None = None
    invoice_id: str | None = None
    ticket_id: str | None = None
    path: str | None = None
    period: str | None = None
    amount: float | None = None
    reason: str | None = None
    plan: str | None = None
    note: str | None = None

    @classmethod
    def read(cls, text: str) -> Task:
        """Extract the entities and the intent of a task."""
        low = text.lower()
        amount = _first(AMOUNT, text)
        task = cls(
            text=text,
            intent=_intent(text),
            email=_first(EMAIL, text),
            customer_id=_first(CUSTOMER, text),
            invoice_id=_first(INVOICE, text),
            ticket_id=_first(TICKET, text),
            path=_first(FILE, text),
            period=_period(low),
            amount=float(amount) if amount else None,
            plan=_target_plan(low),
        )
        if task.intent == "refund":
            task = replace(task, reason=_reason(low))
        if task.intent == "note":
            task = replace(task, note=text.partition(":")[2].strip() or None)
        return task

    def learn(self, text: str) -> Task:
        """Return the task with what a ticket's subject or a file's text adds to it.

        The task's own words win: the extra text only fills in what the task left open (the
        customer, the month, and the intent of a bare "handle ticket T-105").
        """
        extra = Task.read(text)
        fields = ("email", "customer_id", "invoice_id", "period", "amount")
        merged = replace(self, **{f: getattr(self, f) or getattr(extra, f) for f in fields})
        if self.intent != "handle":
            return merged
        return replace(merged, intent=extra.intent, reason=extra.reason, plan=extra.plan)


def _intent(text: str) -> str:
    """Return what the task asks for (see the module docstring)."""
    low = text.lower()
    if NOTE.search(text) and TICKET.search(text):
        return "note"
    if _target_plan(low) or PLAN_CHANGE.search(low):
        return "plan"
    if REFUND.search(text) or any(re.search(p, low) for _, p in REASONS):
        return "refund"
    if (TICKET.search(text) or FILE.search(text)) and HANDLE.search(low):
        return "handle"
    named = any(p.search(text) for p in (EMAIL, CUSTOMER, INVOICE, TICKET))
    return "lookup" if named or SUPPORT.search(text) else "none"


def _period(low: str) -> str | None:
    """Return the month a task names, as YYYY-MM (the world's year; "last month" too)."""
    if "last month" in low:
        month = TODAY.month - 1 or 12
        return f"{TODAY.year - (TODAY.month == 1)}-{month:02d}"
    found = next((m for m in MONTH_NAMES if re.search(rf"\b{m}\b", low)), None)
    return f"{TODAY.year}-{MONTH_NAMES.index(found) + 1:02d}" if found else None


def _target_plan(low: str) -> str | None:
    """Return the plan a task asks to move to, if it names one."""
    if EXTRA_SEAT.search(low):
        return "business"
    match = PLAN_TARGET.search(low)
    return match.group(1) if match else None


def _reason(low: str) -> str:
    """Return the refund reason a task gives (`unused` when it gives none)."""
    return next((reason for reason, p in REASONS if re.search(p, low)), "unused")


def _first(pattern: re.Pattern[str], text: str) -> str | None:
    """Return the first match of `pattern` (its group 1 when it has one), or None."""
    match = pattern.search(text)
    if match is None:
        return None
    return match.group(1) if match.groups() else match.group(0)
