"""The agent's Prometheus metrics, in the app's registry (`/metrics`).

Every labelled series a dashboard or an alert reads exists from the first scrape, at 0: each
way a run can end, each outcome of each built-in tool, both approval decisions. The number of
paused runs is read from the run store when Prometheus scrapes, so it survives restarts and
counts the runs of every process that shares the store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client import Gauge

from ..observability import METRICS, get_logger
from .runs import RunStatus

logger = get_logger(__name__)

UNKNOWN_TOOL = "unknown"
"""The `tool` label of a call to a tool that does not exist (a model's invention): one series
for all of them, so that made-up names cannot grow the metric without bound."""

OUTCOMES = (
    "ok",
    "error",
    "timeout",
    "invalid_arguments",
    "unknown_tool",
    "not_allowed",
    "cut_off",
    "denied",
    "rejected",
    "limit",
)
"""How a tool call can end: ran (`ok`), failed (`error`, `timeout`, `invalid_arguments`), or
was refused before running (`unknown_tool`, `not_allowed`, `cut_off` after too many failures,
`denied` by policy, `rejected` by a person, `limit`: the run's tool-call limit)."""

FINISHED = tuple(s for s in RunStatus if s not in (RunStatus.RUNNING, RunStatus.PAUSED))
LIMIT_STATUSES = (
    RunStatus.MAX_STEPS,
    RunStatus.MAX_TOOL_CALLS,
    RunStatus.TIMEOUT,
    RunStatus.BUDGET,
)
"""The statuses of runs stopped by a limit (`agent_runs_total{status=~"..."}`)."""

BUILTIN_TOOLS = (
    "lookup_customer",
    "list_invoices",
    "get_ticket",
    "search_policies",
    "compute_refund",
    "issue_refund",
    "change_plan",
    "add_ticket_note",
)

RUNS = METRICS.counter(
    "agent_runs",
    "Agent runs that ended, by status (completed, error, or the limit that stopped them).",
    ["status"],
)
TOOL_CALLS = METRICS.counter(
    "agent_tool_calls", "Tool calls by tool and outcome.", ["tool", "outcome"]
)
APPROVALS = METRICS.counter(
    "agent_approvals", "Decisions on calls that waited for a person.", ["decision"]
)
STEPS = METRICS.histogram(
    "agent_steps",
    "Model calls (steps) per ended run.",
    buckets=(1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 30, 50, 100),
)
APPROVALS_PENDING = Gauge(
    "agent_approvals_pending",
    "Runs paused until a person approves or rejects their tool calls.",
    registry=METRICS.registry,
)

for _status in FINISHED:
    RUNS.labels(status=str(_status))
for _decision in ("approved", "rejected"):
    APPROVALS.labels(decision=_decision)


def initialise_tools(names: Iterable[str]) -> None:
    """Export every outcome of each tool at 0, so dashboards see the series before a call."""
    for name in [*names, UNKNOWN_TOOL]:
        for outcome in OUTCOMES:
            TOOL_CALLS.labels(tool=name, outcome=outcome)


initialise_tools(BUILTIN_TOOLS)


def watch_pending(count: Callable[[], int]) -> None:
    """Read `agent_approvals_pending` from `count()` at every scrape.

    A store that cannot be read keeps the last value (and logs), so /metrics never fails.
    """
    last = [0.0]

    def read() -> float:
        try:
            last[0] = float(count())
        except Exception as exc:
            logger.warning("could not count the paused runs: %s", exc)
        return last[0]

    APPROVALS_PENDING.set_function(read)
