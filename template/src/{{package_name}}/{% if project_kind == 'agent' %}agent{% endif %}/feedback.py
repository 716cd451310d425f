"""Turn a rated run into a task case (`evals/cases.jsonl`) for a person to review.

The export fills what the run tells: the task, its allowlist, the person's decision on the
paused calls, the calls it made (as the `reference` trajectory) and the status it ended with.
It marks with `TODO` what only a reviewer can decide (the category), and leaves
`must_include` / `must_not_include` empty for the facts a right answer must (not) contain. A
thumbs-down run is the interesting case: its calls are what the agent did, not what it should
have done, so the reviewer corrects `reference` and `expected_status`. The rating, the comment,
the final message and every call with its outcome travel in a `_review` block; a case with a
`_review` block is not a valid case, so an unreviewed export cannot slip into the task suite:
correct the fields, delete `_review`, then append the line.
"""

from __future__ import annotations

from typing import Any

from ..signals import RatedExchange

CATEGORIES = (
    "refund",
    "plan",
    "ticket",
    "lookup",
    "irrelevant",
    "adversarial",
    "failing",
    "ambiguous",
)
TODO_CATEGORY = f"TODO: one of {', '.join(CATEGORIES)}"
REFERENCE_OUTCOMES = frozenset({"ok", "rejected"})
"""The calls that make the reference trajectory: those that ran, and those a person rejected
(the agent proposed them; the case's `decision` replays the rejection). Failed calls are
mistakes the agent recovered from, not part of what it should do."""
REVIEW_STEPS = (
    "Set the category; check reference (the calls the agent should make, in order, with their "
    "arguments), decision and expected_status against what the task asks; add the facts the "
    "final answer must (not) contain; then delete _review and append the line to "
    "evals/cases.jsonl."
)


def to_eval_case(rated: RatedExchange) -> dict[str, Any]:
    """Return the task case of a rated run, with the reviewer's fields marked in `_review`."""
    output = rated.output
    calls: list[dict[str, Any]] = list(output.get("calls", []))
    decisions = [str(d.get("decision", "")) for d in output.get("decisions", [])]
    decision = "reject" if "rejected" in decisions else "approve" if decisions else None
    reference = [
        {"tool": call["tool"], "arguments": call.get("arguments") or {}}
        for call in calls
        if call.get("status") in REFERENCE_OUTCOMES
    ]
    return {
        "id": f"feedback-{rated.id}",
        "task": rated.input.get("task", ""),
        "category": TODO_CATEGORY,
        "allow": rated.input.get("allow"),
        "decision": decision,
        "reference": reference,
        "expected_status": output.get("status", "completed"),
        "must_include": [],
        "must_not_include": [],
        "_review": {
            "steps": REVIEW_STEPS,
            "check": ["category", "reference", "decision", "expected_status", "must_include"],
            "rating": rated.rating,
            "comment": rated.comment,
            "rated_at": rated.created_at,
            "request_id": rated.request_id,
            "run_id": output.get("run_id"),
            "final": output.get("final", ""),
            "calls": calls,
            "prompt_version": output.get("prompt_version", ""),
        },
    }
