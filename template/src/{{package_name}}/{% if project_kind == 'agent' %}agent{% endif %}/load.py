"""What `make loadtest` and `make bench-drift` send to the agent (the kind's load hook).

Every kind provides `PATH`, `bodies(root)` and `failure(reply)` in `<kind>/load.py`: the
route to load, the JSON bodies to send in turn, and why a 200 reply is still not a proper
answer (None when it is one). Here: support tasks on `POST /runs`, each a whole run of the
loop (model calls, tool calls on the world store, the run saved). Lookups end `completed`;
a refund or a plan change ends `paused`, waiting for approval, which is a proper outcome
too. Any other status (a limit, an error) counts as a failure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

PATH = "/runs"
TASKS = (
    "Look up the account of ana@acme.test and list its invoices.",
    "What plan is customer C002 on, and how many seats does it pay for?",
    "Customer ana@acme.test was double-charged in March; refund the duplicate.",
    "Summarise ticket T-101 and what the customer is asking for.",
    "How many days does the money-back guarantee of an annual plan last?",
)
PROPER = frozenset({"completed", "paused"})


def bodies(root: Path) -> list[dict[str, Any]]:
    """Return one `POST /runs` body per task (`root`, the project, is not needed here)."""
    return [{"task": task} for task in TASKS]


def failure(reply: Any) -> str | None:
    """Return why a 200 reply is not a proper run, or None when it ended completed or paused."""
    status = reply.get("status") if isinstance(reply, dict) else None
    if status in PROPER:
        return None
    return f"the run ended {status!r}, not completed or paused"
