"""The one registry of project kinds aieng can generate.

Kind names are literals here (not read from ``copier.yml``) so that ``aieng --help`` never
has to parse the template; a test checks they equal the ``project_kind`` choices.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    """A kind of project: its KIND argument, a title and a one-line summary."""

    name: str
    title: str
    summary: str


KINDS: tuple[Kind, ...] = (
    Kind(
        name="rag-app",
        title="RAG app",
        summary="Answers questions from your documents, with citations, evals and monitoring.",
    ),
    Kind(
        name="agent",
        title="Agent",
        summary=(
            "A support-operations agent: tools, approvals, budgets, a seeded world, "
            "trajectory evals and monitoring."
        ),
    ),
    Kind(
        name="chatbot",
        title="Chatbot",
        summary=(
            "A streaming customer assistant: threads that branch, grounding with citations, "
            "guardrails, quotas, multi-turn evals and monitoring."
        ),
    ),
)


def kind_names() -> list[str]:
    """Return the names of all kinds, in registry order."""
    return [kind.name for kind in KINDS]


def get_kind(name: str) -> Kind | None:
    """Return the kind called ``name``, or None when there is none."""
    return next((kind for kind in KINDS if kind.name == name), None)
