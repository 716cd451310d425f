"""The answer combinations the template tests render, in one place.

Options that change which files exist or which dependencies install (the vector store, the
provider, the license) are multiplied where they interact; the independent ones (chunking,
retrieval mode, Python version) are cycled through the same renders, as cookiecutter-data-science
does, so every value is rendered at least once without a combinatorial explosion.

The agent asks none of the rag-app's questions; what changes its files is the Python version
(the image, the retrieval tests pgserver can run), the provider (README, .env.example,
render.yaml), the license and the template-repository workflow: two renders cover every value
with the offline default kept apart.

The chatbot asks one question of its own, `chat_grounding` (whether it brings the retrieval
package): the default grounded render runs in the slow tier; the ungrounded one and a
hosted-provider one are rendered only.
"""

from __future__ import annotations

from typing import Any

PROJECT_NAME = "my-rag"

# name -> answers (on top of copier's defaults and PROJECT_NAME)
RENDER_MATRIX: dict[str, dict[str, Any]] = {
    "rag-default": {},
    "rag-pgvector-openai": {
        "vector_store": "pgvector",
        "llm_provider": "openai",
        "chunking_strategy": "fixed",
        "retrieval_mode": "bm25",
        "license": "Proprietary",
        "python_version": "3.12",
    },
    "rag-sqlite-anthropic": {
        "llm_provider": "anthropic",
        "retrieval_mode": "dense",
        "license": "Apache-2.0",
        "python_version": "3.13",
    },
    "rag-pgvector-offline": {
        "vector_store": "pgvector",
        "license": "BSD-3-Clause",
        "template_repo": True,
    },
    "agent-default": {"project_kind": "agent", "project_name": "my-agent"},
    "agent-anthropic-proprietary": {
        "project_kind": "agent",
        "project_name": "my-agent",
        "llm_provider": "anthropic",
        "license": "Proprietary",
        "python_version": "3.13",
        "template_repo": True,
    },
    "agent-openai": {
        "project_kind": "agent",
        "project_name": "my-agent",
        "llm_provider": "openai",
        "license": "Apache-2.0",
        "python_version": "3.12",
    },
    "chatbot-default": {"project_kind": "chatbot", "project_name": "my-bot"},
    "chatbot-ungrounded": {
        "project_kind": "chatbot",
        "project_name": "my-bot",
        "chat_grounding": False,
        "license": "BSD-3-Clause",
        "python_version": "3.13",
    },
    "chatbot-openai": {
        "project_kind": "chatbot",
        "project_name": "my-bot",
        "llm_provider": "openai",
        "license": "Proprietary",
        "python_version": "3.12",
        "template_repo": True,
    },
}

# The slow tier installs and runs these, each on the Python it names (3.11, 3.12, 3.13): every
# supported version runs at least once where the machine has it (tests/pythons.py), each kind
# at least once, and every option that changes code (the vector store) both ways.
SLOW_MATRIX: dict[str, dict[str, Any]] = {
    name: RENDER_MATRIX[name]
    for name in (
        "rag-default",
        "rag-pgvector-openai",
        "rag-sqlite-anthropic",
        "agent-default",
        "chatbot-default",
    )
}


def answers(name: str, matrix: dict[str, dict[str, Any]] = RENDER_MATRIX) -> dict[str, Any]:
    """Return the full answers for one named combination."""
    return {"project_name": PROJECT_NAME, **matrix[name]}
