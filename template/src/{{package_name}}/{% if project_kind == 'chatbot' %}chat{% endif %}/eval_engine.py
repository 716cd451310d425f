"""The real chat engine, built for one eval run: a fresh store, no quota, the version under test.

This is the only place the evals touch the engine's constructors (`engine.py`, `store.py`,
`settings.py`, `api.offline_model`); everything else talks to `ChatEngine.reply`.
The developer's CHAT_* settings apply (the context policy, grounding), except those an eval
must fix: the store (a temporary SQLite file), the daily quota (off), the prompt version
(the one under test) and, for `long` conversations, the context window.
"""

from __future__ import annotations

from typing import Any

from ..llm.build import build_llm
from .api import offline_model
from .engine import ChatEngine
from .evals import EngineSpec
from .settings import ChatSettings
from .simulated_user import EngineLike
from .store import ChatStore


def build_engine(spec: EngineSpec) -> EngineLike:
    """Return the real engine for `spec`, on a fresh SQLite store in its folder."""
    updates: dict[str, Any] = {
        "db_url": f"sqlite:///{spec.workdir / 'chat.sqlite'}",
        "daily_messages": 0,
        "prompt_version": spec.prompt.version,
    }
    if spec.context_tokens is not None:
        updates["context_tokens"] = spec.context_tokens
    chat = ChatSettings.model_validate({**ChatSettings().model_dump(), **updates})
    llm = build_llm(spec.settings, offline=offline_model())
    return ChatEngine(
        spec.settings,
        chat,
        llm=llm,
        store=ChatStore(chat.db_url),
        prompt_version=spec.prompt.version,
    )
