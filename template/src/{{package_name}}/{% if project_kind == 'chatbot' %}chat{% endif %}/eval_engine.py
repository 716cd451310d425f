"""The real chat engine, built for one eval run: a fresh store, no quota, the version under test.

This is the only place the evals touch the engine's constructors (`engine.py`, `store.py`,
`settings.py`, `wiring.build_retriever`, `api.offline_model`); everything else talks to
`ChatEngine.reply`. The developer's CHAT_* settings apply (the context policy, the documents
and their index), except those an eval must fix: the store (a temporary SQLite file), the
daily quota (off), the prompt version (the one under test) and, for `long` conversations,
the context window. The documents' search is built once per process and shared by the
engines (its index lives at CHAT_DOCS_URL, as the app's does).
"""

from __future__ import annotations

from typing import Any

from ..llm.build import build_llm
from .api import offline_model
from .engine import ChatEngine
from .evals import EngineSpec
from .passages import Retriever
from .settings import ChatSettings
from .simulated_user import EngineLike
from .store import ChatStore
from .wiring import build_retriever

_RETRIEVERS: dict[tuple[str, str], Retriever | None] = {}


def build_engine(spec: EngineSpec, *, retriever: Retriever | None = None) -> EngineLike:
    """Return the real engine for `spec`, on a fresh SQLite store in its folder.

    `retriever` replaces the documents' search (a test passes its session's index); by
    default it is `wiring.build_retriever`'s, over CHAT_DOCS_DIR indexed at CHAT_DOCS_URL.
    """
    updates: dict[str, Any] = {
        "db_url": f"sqlite:///{spec.workdir / 'chat.sqlite'}",
        "daily_messages": 0,
        "prompt_version": spec.prompt.version,
    }
    if spec.context_tokens is not None:
        updates["context_tokens"] = spec.context_tokens
    chat = ChatSettings.model_validate({**ChatSettings().model_dump(), **updates})
    key = (str(chat.docs_dir), chat.docs_url)
    if retriever is None and key not in _RETRIEVERS:
        _RETRIEVERS[key] = build_retriever(chat)
    return ChatEngine(
        spec.settings,
        chat,
        llm=build_llm(spec.settings, offline=offline_model()),
        store=ChatStore(chat.db_url),
        retriever=retriever or _RETRIEVERS[key],
        prompt_version=spec.prompt.version,
    )
