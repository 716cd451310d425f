"""Turn a rated turn into a conversation case (`evals/cases.jsonl`) for a person to review.

The export fills what the turn tells: the user's message as a one-turn conversation. It marks
with `TODO` what only a reviewer can decide (the category, what the reply must and must not
include, whether it should refuse), and carries the rating, the comment and the reply in a
`_review` block; a case with a `_review` block is not a valid case, so an unreviewed export
cannot slip into the suite: fill in the fields, delete `_review`, then append the line.
"""

from __future__ import annotations

from typing import Any

from ..signals import RatedExchange

CATEGORIES = ("support", "retention", "long", "refusal", "safety", "injection", "out_of_scope")
TODO_CATEGORY = f"TODO: one of {', '.join(CATEGORIES)}"
REVIEW_STEPS = (
    "Set the category; write what a right reply must include and must not include, and "
    "whether it must refuse; add earlier turns if the reply depended on them; then delete "
    "_review and append the line to evals/cases.jsonl."
)


def to_eval_case(rated: RatedExchange) -> dict[str, Any]:
    """Return the conversation case of a rated turn, with the reviewer's fields marked."""
    output = rated.output
    return {
        "id": f"feedback-{rated.id}",
        "category": TODO_CATEGORY,
        "turns": [
            {
                "user": rated.input.get("message", ""),
                "expect": {
                    "must_include": ["TODO"],
                    "must_not_include": [],
                    "refusal": output.get("status") == "refused",
                },
            }
        ],
        "_review": {
            "steps": REVIEW_STEPS,
            "check": ["category", "turns[0].expect"],
            "rating": rated.rating,
            "comment": rated.comment,
            "rated_at": rated.created_at,
            "request_id": rated.request_id,
            "thread_id": rated.input.get("thread_id"),
            "reply": output.get("text", ""),
            "status": output.get("status", ""),
            "prompt_version": output.get("prompt_version", ""),
        },
    }
