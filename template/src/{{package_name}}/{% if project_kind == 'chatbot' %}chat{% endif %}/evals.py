"""PLACEHOLDER (chatbot-core branch): the chatbot's eval suite is not built here.

The chatbot's evals (`run_evals`, the simulated user, the multi-turn metrics) are written on
the `chatbot-evals` branch. This module holds only what the shared parts import: the prompt
the suite uses and how each golden conversation renders it (for `prompt_snapshots.py`), and a
`run_evals` that says in one line that the suite is not built yet.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..config import Settings
from ..evaluation import EvalError, EvalResult
from .engine import PROMPT_NAME

NOT_BUILT = "The chatbot evals are not built yet (placeholder on the chatbot-core branch)"


def run_evals(settings: Settings, cases_path: Path) -> EvalResult:
    """Refuse in one line (an `EvalError`): the chatbot's eval suite is not built here."""
    raise EvalError(NOT_BUILT)


def eval_prompts() -> list[str]:
    """Return the prompts the suite renders, as `name@version` (the latest version)."""
    from ..prompts import load_prompt

    prompt = load_prompt(PROMPT_NAME)
    return [f"{prompt.name}@{prompt.version}"]


def golden_prompt_inputs(cases_path: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """Return how each golden conversation's first turn renders `chat_system`.

    The variables are the first message and no sources (the passages depend on the index, and
    the turns after the first on the model's replies).
    """
    inputs: dict[str, dict[str, Any]] = {}
    for line in cases_path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        case = json.loads(line)
        inputs[str(case["id"])] = {"message": case["turns"][0]["user"], "sources": None}
    return {PROMPT_NAME: inputs}
