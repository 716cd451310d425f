"""What `make loadtest` and `make bench-drift` send to the rag-app (the kind's load hook).

Every kind provides `PATH`, `bodies(root)` and `failure(reply)` in `<kind>/load.py`: the
route to load, the JSON bodies to send in turn, and why a 200 reply is still not a proper
answer (None when it is one). Here: the golden-set questions, on `POST /ask`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PATH = "/ask"


def bodies(root: Path) -> list[dict[str, Any]]:
    """Return one `/ask` body per golden-set question of the project at `root`."""
    lines = (root / "evals" / "cases.jsonl").read_text(encoding="utf-8").splitlines()
    return [{"question": json.loads(line)["question"]} for line in lines if line.strip()]


def failure(reply: Any) -> str | None:
    """Return why a 200 reply is not an answer, or None when it is one."""
    if isinstance(reply, dict) and "answer" in reply:
        return None
    return "the response has no answer"
