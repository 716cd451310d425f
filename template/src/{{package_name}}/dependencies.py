"""FastAPI dependencies the shared base gives every kind's router."""

from __future__ import annotations

from fastapi import Request

from .llm.client import LLMClient


def get_llm(request: Request) -> LLMClient:
    """Return the app's model client: one per process, so the run budget is per process.

    `create_app` builds it; the kind's endpoints use it (through `Depends(get_llm)`) and
    `/readyz` reads its budget, so both see the same spend.
    """
    llm: LLMClient = request.app.state.llm
    return llm
