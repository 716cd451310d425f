"""Synthetic agent traffic for the drift check's tests, the monitoring tests and the demo.

`traffic(n, seed)` returns `n` observations shaped as the app records them (`signals.py`):
support tasks built from templates over the sample world's customers, tickets and months,
embedded with the app's own embedder, with steps, tool calls, tool errors, statuses,
rejections, latency, tokens and cost drawn from fixed distributions (a hosted model's latency
and prices, about six model calls per task).

`traffic(n, seed, shifted=True)` draws the window a changed audience would produce: IT
helpdesk requests the agent has no tools for, runs that take more steps, fail more tools,
stop at limits more often and get rejected more. The same seed always gives the same draw.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..retrieval.embeddings import Embedder, Vectors, signal_embedder
from ..signals import Observation, Value

EMAILS = (
    "ana@acme.test", "ben@brightlabs.test", "chloe@cafe-martin.test", "dev@patel-design.test",
    "emma@novak-logistics.test", "farid@haddad.test", "grace@leeco.test", "jonas@berg.test",
)  # fmt: skip
TICKETS = ("T-101", "T-102", "T-104", "T-105", "T-106", "T-107", "T-108")
MONTHS = ("January", "February", "March")
TEMPLATES = (
    "Customer {email} was charged twice in {month}; refund the duplicate.",
    "Refund the {month} invoice of {email}; they did not use the service.",
    "{ticket}: the customer says they were double-charged in {month}. Sort it out.",
    "Move {email} to Business and note it on {ticket}.",
    "Move {email} to Starter (see {ticket}).",
    "What plan is {email} on, and what did they pay in {month}?",
    "{email} had an outage in {month}; what can we give them? ({ticket})",
    "Cancel the annual plan of {email} and refund what the policy allows.",
)
OTHER_TEMPLATES = (
    "Reset the VPN password of {who} and e-mail them the new one before {day}.",
    "Order a new laptop for {who}, the same model as last year, delivered by {day}.",
    "Book the large meeting room for {who}'s team on {day} afternoon.",
    "The printer on the third floor is jammed again; {who} needs it fixed by {day}.",
    "Give {who} access to the finance share drive until {day}.",
)
OTHER_WHO = ("Maria", "the new intern", "our CFO", "Tom from sales", "the design team lead")
OTHER_DAYS = ("Monday", "Tuesday", "Friday", "the end of the month", "tomorrow morning")
PROMPT_VERSION = "agent_system@v1"
SHIFT = "IT-helpdesk tasks it has no tools for, more steps, tool errors, limits and rejections"
"""What a shifted window changes, in a few words (drift_traffic.py prints it)."""
PRICE_PER_TOKEN = (0.15 / 1e6, 0.60 / 1e6)  # input, output: gpt-4o-mini's list price
STATUSES = ("completed", "max_steps", "max_tool_calls", "timeout", "budget_exceeded", "error")


@dataclass(frozen=True)
class _Profile:
    """The distributions one kind of traffic draws from."""

    steps_mean: float
    tool_error_rate: float
    status_weights: tuple[float, ...]  # in the order of STATUSES
    rejected_rate: float
    latency_per_step_ms: float
    input_tokens_per_step: float
    output_tokens_per_step: float


USUAL = _Profile(5.5, 0.04, (0.95, 0.015, 0.005, 0.01, 0.01, 0.01), 0.08, 900.0, 1400.0, 70.0)
SHIFTED = _Profile(8.5, 0.15, (0.70, 0.15, 0.05, 0.04, 0.03, 0.03), 0.25, 1000.0, 1700.0, 90.0)


@lru_cache(maxsize=2)
def _tasks(shifted: bool) -> tuple[list[str], Vectors]:
    """Return every task the templates make, and their embeddings (computed once)."""
    if shifted:
        tasks = [
            t.format(who=who, day=day) for t in OTHER_TEMPLATES for who in OTHER_WHO
            for day in OTHER_DAYS
        ]  # fmt: skip
    else:
        tasks = [
            t.format(email=e, month=m, ticket=k) for t in TEMPLATES for e in EMAILS
            for m in MONTHS for k in TICKETS[:2]
        ]  # fmt: skip
    embedder: Embedder = signal_embedder()
    return tasks, embedder.embed(tasks)


def traffic(n: int, seed: int, *, shifted: bool = False) -> list[Observation]:
    """Return `n` synthetic observations of ended runs (usual traffic, or a shifted window)."""
    rng = np.random.default_rng(seed)
    tasks, vectors = _tasks(shifted)
    profile = SHIFTED if shifted else USUAL
    picks = rng.integers(0, len(tasks), n)
    steps = np.clip(rng.poisson(profile.steps_mean, n), 1, 12)
    statuses = rng.choice(len(STATUSES), size=n, p=np.array(profile.status_weights))
    rejected = rng.random(n) < profile.rejected_rate
    latency = rng.lognormal(np.log(profile.latency_per_step_ms), 0.35, n) * steps
    observations = []
    for i in range(n):
        task = tasks[picks[i]]
        model_calls = int(steps[i])
        tool_calls = max(model_calls - 1, 0) + int(rng.integers(0, 2))
        errors = int(rng.binomial(tool_calls, profile.tool_error_rate))
        t_in = int(max(rng.normal(profile.input_tokens_per_step, 200), 200) * model_calls)
        t_out = int(max(rng.normal(profile.output_tokens_per_step, 20), 5) * model_calls)
        values: dict[str, Value] = {
            "task_chars": len(task),
            "steps": model_calls,
            "tool_calls": tool_calls,
            "tool_errors": errors,
            "status": STATUSES[int(statuses[i])],
            "rejected": bool(rejected[i]),
            "latency_ms": round(float(latency[i]), 3),
            "input_tokens": t_in,
            "output_tokens": t_out,
            "cost_usd": t_in * PRICE_PER_TOKEN[0] + t_out * PRICE_PER_TOKEN[1],
            "prompt_version": PROMPT_VERSION,
        }
        observations.append(Observation(values, vectors[picks[i]], task))
    return observations
