"""Turn a rated answer into a golden-set case (`evals/cases.jsonl`) for a person to review.

The export fills what the rating tells (the question) and marks with `TODO` what only a
reviewer can decide: which corpus files answer the question (`relevant`), whether it should be
answered at all (`answerable`), and what a right answer must contain (`must_include`). The
rating, the comment and the answer that was given travel in a `_review` block. A case with a
`_review` block is not a valid case (`load_cases` refuses it), so an unreviewed export cannot
slip into the golden set: fill in the TODOs, delete `_review`, then append the line.
"""

from __future__ import annotations

from typing import Any

from ..signals import RatedExchange

TODO_RELEVANT = "TODO: the corpus files that answer this question, e.g. ['faq.html']; [] if none"
TODO_ANSWERABLE = "TODO: true if the corpus answers it, false if the app should refuse"
REVIEW_STEPS = (
    "Fill in relevant, answerable and must_include, check the category, then delete "
    "_review and append the line to evals/cases.jsonl."
)


def to_eval_case(rated: RatedExchange) -> dict[str, Any]:
    """Return the golden-set case of a rated answer, with the reviewer's fields marked TODO."""
    output = rated.output
    cited = sorted({str(c.get("source", "")) for c in output.get("citations", [])} - {""})
    return {
        "id": f"feedback-{rated.id}",
        "question": rated.input.get("question", ""),
        "relevant": TODO_RELEVANT,
        "answerable": TODO_ANSWERABLE,
        "category": "feedback",
        "must_include": [],
        "_review": {
            "steps": REVIEW_STEPS,
            "rating": rated.rating,
            "comment": rated.comment,
            "rated_at": rated.created_at,
            "request_id": rated.request_id,
            "answer": output.get("answer", ""),
            "refused": output.get("refused"),
            "cited_sources": cited,
            "prompt_version": output.get("prompt_version", ""),
        },
    }
