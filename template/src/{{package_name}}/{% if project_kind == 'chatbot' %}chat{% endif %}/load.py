"""What `make loadtest` and `make bench-drift` send to the chatbot (the kind's load hook).

Every kind provides `PATH`, `bodies(root)` and `failure(reply)` in `<kind>/load.py`. Here: the
sample first messages on `POST /threads/new/messages`, each a new thread and one streamed
turn. The reply is the event stream; a stream that ends with `done` and the status `complete`
or `refused` is proper, one that ends with `error` (or never says `done`) is a failure.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .samples import SAMPLES

PATH = "/threads/new/messages"
PROPER = frozenset({"complete", "refused"})


def bodies(root: Path) -> list[dict[str, Any]]:
    """Return one body per sample message (`root`, the project, is not needed here)."""
    return [{"content": sample.message} for sample in SAMPLES]


def failure(reply: Any) -> str | None:
    """Return why a 2xx reply is not a proper turn, or None when it ended complete or refused.

    `reply` is the response body: the event stream as text (or already-parsed JSON, which a
    streaming route never sends, so it is a failure too).
    """
    if not isinstance(reply, str):
        return "the reply is not an event stream"
    status = None
    for block in reply.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if lines.get("event") == "done":
            status = json.loads(lines.get("data", "{}")).get("status")
        elif lines.get("event") == "error":
            return f"the turn ended with an error: {lines.get('data', '')}"
    if status in PROPER:
        return None
    return f"the turn ended {status!r}, not complete or refused"
