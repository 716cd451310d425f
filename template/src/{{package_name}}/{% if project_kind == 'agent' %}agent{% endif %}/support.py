"""The support-operations tools: look up, compute what the policy allows, then act.

The refund rules below are Northwind Cloud's billing policy (`data/corpus/billing-and-refunds.md`
states them in prose, and `search_policies` lets the model read it). `compute_refund` applies
them to one invoice, and `issue_refund` refuses any amount above what they allow, so a model
that is talked into "refund everything" still cannot overpay: the policy is enforced in code,
not left to the prompt.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field

from .tools import Tool, make_tool
from .world import TODAY, World, customers, invoices, plan_changes, refunds, ticket_notes, tickets

RUN_ID: ContextVar[str | None] = ContextVar("agent_run_id", default=None)
"""The run a tool call belongs to; side effects record it, so evals can find them."""

Reason = Literal["duplicate", "cancellation", "unused", "outage", "downgrade"]
Plan = Literal["starter", "business", "enterprise"]
PLAN_ORDER = {"starter": 0, "business": 1, "enterprise": 2}
STARTER_MAX_SEATS = 25
MONEY_BACK_DAYS = 30


class ToolError(RuntimeError):
    """A tool refused or failed; the message goes back to the model as the tool's result."""


def support_tools(world: World) -> list[Tool]:
    """Return the workflow's tools, bound to `world`."""

    def lookup_customer(
        email: Annotated[str | None, Field(max_length=200)] = None,
        customer_id: Annotated[str | None, Field(pattern=r"^C\d{3}$")] = None,
    ) -> dict[str, Any]:
        """Find a customer account by e-mail address or by id.

        Args:
            email: The customer's e-mail address, such as ana@acme.test.
            customer_id: The account id, such as C001.
        """
        if email is None and customer_id is None:
            raise ToolError("give an email or a customer_id")
        where = {"email": email.strip().lower()} if email else {"id": customer_id}
        found = world.rows(customers, **where)
        if not found:
            raise ToolError(f"no customer with {next(iter(where))} {next(iter(where.values()))!r}")
        return found[0]

    def list_invoices(
        customer_id: Annotated[str, Field(pattern=r"^C\d{3}$")],
        period: Annotated[str | None, Field(pattern=r"^\d{4}-\d{2}$")] = None,
    ) -> list[dict[str, Any]]:
        """List a customer's invoices, oldest first.

        Args:
            customer_id: The account id, such as C001.
            period: Only the invoices for this month, as YYYY-MM.
        """
        where: dict[str, Any] = {"customer_id": customer_id}
        if period:
            where["period"] = period
        return world.rows(invoices, **where)

    def get_ticket(ticket_id: Annotated[str, Field(pattern=r"^T-\d{3}$")]) -> dict[str, Any]:
        """Return a support ticket with its notes.

        Args:
            ticket_id: The ticket id, such as T-101.
        """
        found = world.rows(tickets, id=ticket_id)
        if not found:
            raise ToolError(f"no ticket {ticket_id}")
        return {
            **found[0],
            "notes": [n["note"] for n in world.rows(ticket_notes, ticket_id=ticket_id)],
        }

    def compute_refund(
        invoice_id: Annotated[str, Field(pattern=r"^INV-\d{4}$")], reason: Reason
    ) -> dict[str, Any]:
        """Compute how much of an invoice the billing policy allows to refund, and why.

        Args:
            invoice_id: The invoice, such as INV-1004.
            reason: duplicate (charged twice), cancellation (cancelling the plan), unused
                (did not use the service), outage (service was down), downgrade (moving to a
                cheaper plan).
        """
        return allowed_refund(world, invoice_id, reason)

    def issue_refund(
        invoice_id: Annotated[str, Field(pattern=r"^INV-\d{4}$")],
        amount_usd: Annotated[float, Field(gt=0, le=100_000)],
        reason: Reason,
    ) -> dict[str, Any]:
        """Refund an invoice to the original payment method (needs a person's approval).

        Args:
            invoice_id: The invoice to refund, such as INV-1004.
            amount_usd: The amount to refund in US dollars; at most what compute_refund allows.
            reason: The policy reason, as given to compute_refund.
        """
        allowed = allowed_refund(world, invoice_id, reason)
        if Decimal(str(amount_usd)) > Decimal(str(allowed["refundable_usd"])):
            raise ToolError(
                f"refused: ${amount_usd:.2f} is more than the policy allows "
                f"(${allowed['refundable_usd']:.2f}: {allowed['rule']})"
            )
        with world.begin() as db:
            db.execute(
                refunds.insert().values(
                    invoice_id=invoice_id,
                    amount_usd=Decimal(str(amount_usd)),
                    reason=reason,
                    run_id=RUN_ID.get(),
                )
            )
            db.execute(
                invoices.update().where(invoices.c.id == invoice_id).values(status="refunded")
            )
        return {"refunded_usd": amount_usd, "invoice_id": invoice_id, "status": "refunded"}

    def change_plan(
        customer_id: Annotated[str, Field(pattern=r"^C\d{3}$")], new_plan: Plan
    ) -> dict[str, Any]:
        """Move a customer to another plan (needs a person's approval).

        Upgrades take effect now (the difference is charged pro rata); downgrades take effect
        at the next renewal and are never refunded.

        Args:
            customer_id: The account id, such as C006.
            new_plan: starter, business or enterprise.
        """
        found = world.rows(customers, id=customer_id)
        if not found:
            raise ToolError(f"no customer {customer_id}")
        customer = found[0]
        if customer["plan"] == new_plan:
            raise ToolError(f"{customer_id} is on {new_plan} already")
        if new_plan == "enterprise" or customer["plan"] == "enterprise":
            raise ToolError("Enterprise plans are changed by the sales team under contract")
        if new_plan == "starter" and customer["seats"] > STARTER_MAX_SEATS:
            raise ToolError(f"Starter allows at most {STARTER_MAX_SEATS} users")
        upgrade = PLAN_ORDER[new_plan] > PLAN_ORDER[customer["plan"]]
        effective = "now" if upgrade else "next_renewal"
        with world.begin() as db:
            db.execute(
                plan_changes.insert().values(
                    customer_id=customer_id,
                    from_plan=customer["plan"],
                    to_plan=new_plan,
                    effective=effective,
                    run_id=RUN_ID.get(),
                )
            )
            if upgrade:
                db.execute(
                    customers.update().where(customers.c.id == customer_id).values(plan=new_plan)
                )
        return {"customer_id": customer_id, "to_plan": new_plan, "effective": effective}

    def add_ticket_note(
        ticket_id: Annotated[str, Field(pattern=r"^T-\d{3}$")],
        note: Annotated[str, Field(min_length=1, max_length=2000)],
    ) -> dict[str, Any]:
        """Add an internal note to a support ticket and mark it pending.

        Args:
            ticket_id: The ticket id, such as T-101.
            note: What was found and done, for the next person.
        """
        if not world.rows(tickets, id=ticket_id):
            raise ToolError(f"no ticket {ticket_id}")
        with world.begin() as db:
            db.execute(
                ticket_notes.insert().values(ticket_id=ticket_id, note=note, run_id=RUN_ID.get())
            )
            db.execute(tickets.update().where(tickets.c.id == ticket_id).values(status="pending"))
        return {"ticket_id": ticket_id, "status": "pending"}

    plain: list[Callable[..., object]] = [
        lookup_customer,
        list_invoices,
        get_ticket,
        compute_refund,
    ]
    acting: list[Callable[..., object]] = [issue_refund, change_plan, add_ticket_note]
    return [make_tool(fn) for fn in plain] + [make_tool(fn, side_effect=True) for fn in acting]


def allowed_refund(world: World, invoice_id: str, reason: str) -> dict[str, Any]:
    """Apply the billing policy to one invoice: how much may be refunded, by which rule."""
    found = world.rows(invoices, id=invoice_id)
    if not found:
        raise ToolError(f"no invoice {invoice_id}")
    invoice = found[0]
    customer = world.rows(customers, id=invoice["customer_id"])[0]
    amount = invoice["amount_usd"]

    def result(refundable: float, rule: str) -> dict[str, Any]:
        return {"invoice_id": invoice_id, "refundable_usd": refundable, "rule": rule}

    if invoice["status"] == "refunded":
        return result(0.0, "this invoice was refunded already")
    if invoice["status"] != "paid":
        return result(0.0, "the invoice is not paid, so there is nothing to refund")
    if customer["plan"] == "enterprise":
        return result(
            0.0,
            "Enterprise customers follow their signed contract: escalate to the account manager",
        )
    if reason == "duplicate":
        return _duplicate(world, invoice, result)
    if reason == "outage":
        return result(
            0.0, "SLA service credits are deducted from the next invoice, never paid in cash"
        )
    if reason == "downgrade":
        return result(0.0, "downgrades are never refunded; they take effect at the next renewal")
    if customer["billing"] == "monthly":
        return result(0.0, "monthly plans are not refunded; cancelling stops the next renewal")
    age = (TODAY - date.fromisoformat(invoice["issued"])).days
    if age <= MONEY_BACK_DAYS:
        return result(
            amount, f"annual plans have a {MONEY_BACK_DAYS}-day money-back guarantee ({age} days)"
        )
    return result(
        0.0, f"annual plans are refundable only within {MONEY_BACK_DAYS} days ({age} days ago)"
    )


def _duplicate(
    world: World, invoice: dict[str, Any], result: Callable[[float, str], dict[str, Any]]
) -> dict[str, Any]:
    """Refund an invoice in full when another one charged the same period and amount first."""
    same = [
        other
        for other in world.rows(
            invoices, customer_id=invoice["customer_id"], period=invoice["period"]
        )
        if other["amount_usd"] == invoice["amount_usd"]
    ]
    earlier = [o for o in same if o["charge_id"] < invoice["charge_id"]]
    if not earlier:
        return result(0.0, "no earlier charge for the same period and amount: not a duplicate")
    if any(o["status"] == "refunded" for o in same):
        return result(0.0, "the duplicate charge for this period was refunded already")
    return result(
        invoice["amount_usd"], "duplicate charges caused by our systems are refunded in full"
    )
