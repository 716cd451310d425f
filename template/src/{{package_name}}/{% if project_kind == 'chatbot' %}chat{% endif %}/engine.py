"""One chat turn, from a message to a stored reply: what the API, the CLI and the evals share.

A turn: guardrails on the input (moderation, topic boundary; the quota is taken first, per
user) → context (the thread's active branch, fitted to `CHAT_CONTEXT_TOKENS` by the policy) →
retrieval when grounded → prompt `chat_system@vN` → `llm.stream(...)` → moderation of the
output as it streams → stored. `turn()` checks its input and the thread at once (raising
`ChatInputError`, `ThreadNotFoundError`, `MessageNotFoundError`, `QuotaExceededError`) and
returns the turn's events: `start`, then `sources` when grounded, `token`s, and `done`, or
`error` when the provider failed. A cancelled turn (the Stop button, a client gone) is stored
`stopped` with the text so far; a provider failing mid-stream is stored `partial` (before the
first token: `error`), so the thread stays consistent either way. Turns on one thread are
serialised by the store's lock per thread (`thread_lock.py`: in the process, and across
replicas on PostgreSQL), held from reading the branch to storing the reply.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

from ..config import Settings
from ..llm.client import LLMClient
from ..prompts import Prompt, load_prompt
from . import metrics
from .events import (
    ChatEvent,
    ChatInputError,
    MessageNotFoundError,
    QuotaExceededError,
    Reply,
    ThreadNotFoundError,
    collect,
)
from .guardrails import quota_day, redact, reset_at
from .passages import Retriever
from .records import MessageRecord, ThreadRecord, new_id, now
from .respond import respond
from .settings import ChatSettings
from .store import ChatStore
from .turn_record import TurnState

__all__ = [
    "NEW_THREAD",
    "PROMPT_NAME",
    "ROOT",
    "ChatEngine",
    "ChatEvent",
    "ChatInputError",
    "MessageNotFoundError",
    "QuotaExceededError",
    "Reply",
    "ThreadNotFoundError",
    "collect",
]

PROMPT_NAME = "chat_system"
ROOT = "root"
"""`parent_id` of a message that starts a new first branch (an edit of the first message)."""
NEW_THREAD = "new"
"""The thread id that creates a thread (`None` does too)."""


class ChatEngine:
    """Runs turns on threads: guardrails, context, retrieval, prompt, streaming, storage."""

    def __init__(
        self,
        settings: Settings,
        chat: ChatSettings,
        *,
        llm: LLMClient,
        store: ChatStore,
        retriever: Retriever | None = None,
        prompt_version: str | None = None,
    ) -> None:
        self.settings = settings
        self.chat = chat
        self.llm = llm
        self.store = store
        self.retriever = retriever
        self.prompt: Prompt = load_prompt(
            PROMPT_NAME, prompt_version or chat.prompt_version or None
        )

    def variant(self, prompt_version: str) -> ChatEngine:
        """Return an engine like this one with another prompt version (for A/B).

        It shares the model client, the store (and so the threads' locks), and the retriever,
        so its turns and this engine's are serialised on a thread as one engine's are.
        """
        return ChatEngine(
            self.settings,
            self.chat,
            llm=self.llm,
            store=self.store,
            retriever=self.retriever,
            prompt_version=prompt_version,
        )

    @property
    def prompt_ref(self) -> str:
        """The prompt in use, as `name@version`."""
        return f"{self.prompt.name}@{self.prompt.version}"

    # --- checks done at once -----------------------------------------------------------

    def check_text(self, text: str) -> str:
        """Return `text` stripped, or raise `ChatInputError` when empty or too long."""
        stripped = text.strip()
        if not stripped:
            raise ChatInputError("The message is empty")
        limit = self.chat.max_message_chars
        if len(stripped) > limit:
            raise ChatInputError(
                f"The message has {len(stripped)} characters; the limit is {limit}"
            )
        return stripped

    def take_quota(self, user: str) -> None:
        """Count one message against `user`'s daily quota, or raise `QuotaExceededError`."""
        limit = self.chat.daily_messages
        if limit <= 0:
            return
        allowed, _ = self.store.take_quota(user, quota_day(), limit)
        if not allowed:
            metrics.QUOTA_EXCEEDED.inc()
            raise QuotaExceededError(limit, reset_at())

    def _thread(self, thread_id: str | None, title: str) -> ThreadRecord:
        if thread_id is None or thread_id == NEW_THREAD:
            return self.store.create_thread(title)
        thread = self.store.get_thread(thread_id)
        if thread is None:
            raise ThreadNotFoundError(f"No thread {thread_id!r}")
        return thread

    # --- turns -------------------------------------------------------------------------

    def turn(
        self,
        thread_id: str | None,
        text: str,
        *,
        parent_id: str | None = None,
        cancel: threading.Event | None = None,
        user: str | None = None,
    ) -> Iterator[ChatEvent]:
        """Check a message and its thread now; return the events of its turn.

        Args:
            thread_id: The thread to continue; None or "new" creates one.
            text: The user's message.
            parent_id: Where the message goes: None after the active leaf; a message id of
                this thread (an assistant reply) for an edit; `ROOT` for a new first message.
            cancel: Set it to stop the turn; the reply is stored `stopped`.
            user: Whose daily quota the message counts against (None: no quota).

        Raises:
            ChatInputError, ThreadNotFoundError, MessageNotFoundError, QuotaExceededError.

        """
        stripped = self.check_text(text)
        if thread_id not in (None, NEW_THREAD) and self.store.get_thread(thread_id) is None:
            raise ThreadNotFoundError(f"No thread {thread_id!r}")
        if parent_id not in (None, ROOT):
            parent = self.store.get_message(parent_id)
            if parent is None or parent.thread_id != thread_id or parent.role != "assistant":
                raise MessageNotFoundError(
                    f"No reply {parent_id!r} in thread {thread_id!r} to put the message under"
                )
        if user is not None:
            self.take_quota(user)
        thread = self._thread(thread_id, self.stored_text(stripped))
        return self._user_turn(thread.id, stripped, parent_id, cancel)

    def regenerate(
        self, message_id: str, *, cancel: threading.Event | None = None, user: str | None = None
    ) -> Iterator[ChatEvent]:
        """Check the message now; return the events of a new reply beside it.

        `message_id` is a reply (the new one becomes its sibling) or a user message (it gets
        another reply). The model sees the user message as stored (redacted when
        `CHAT_REDACT_PII` is on).

        Raises:
            MessageNotFoundError, QuotaExceededError.

        """
        message = self.store.get_message(message_id)
        if message is not None and message.role == "assistant" and message.parent_id:
            message = self.store.get_message(message.parent_id)
        if message is None or message.role != "user":
            raise MessageNotFoundError(f"No message {message_id!r}")
        if user is not None:
            self.take_quota(user)
        return self._again(message, cancel)

    def reply(self, thread_id: str | None, text: str, **options: Any) -> Reply:
        """Run one turn to its end and return it collected (the CLI's and the evals' call)."""
        return collect(self.turn(thread_id, text, **options))

    def _user_turn(
        self, thread_id: str, text: str, parent_id: str | None, cancel: threading.Event | None
    ) -> Iterator[ChatEvent]:
        with self.store.locks.hold(thread_id):
            started = time.perf_counter()
            if parent_id is None:
                thread = self.store.get_thread(thread_id)
                if thread is None:
                    yield _gone(thread_id)
                    return
                parent = thread.active_leaf_id
            else:
                parent = None if parent_id == ROOT else parent_id
            history = self.store.branch(thread_id, parent) if parent else []
            user = MessageRecord(
                id=new_id(),
                thread_id=thread_id,
                parent_id=parent,
                role="user",
                content=self.stored_text(text),
                status="complete",
                created_at=now(),
            )
            self.store.add_message(user)
            turn = TurnState(thread_id, user, new_id(), started)
            yield from respond(self, turn, text, history, cancel)

    def _again(self, user: MessageRecord, cancel: threading.Event | None) -> Iterator[ChatEvent]:
        with self.store.locks.hold(user.thread_id):
            started = time.perf_counter()
            history = self.store.branch(user.thread_id, user.parent_id) if user.parent_id else []
            turn = TurnState(user.thread_id, user, new_id(), started)
            yield from respond(self, turn, user.content, history, cancel)

    def stored_text(self, text: str) -> str:
        """Return what is stored and logged of `text` (redacted when CHAT_REDACT_PII is on)."""
        return redact(text) if self.chat.redact_pii else text


def _gone(thread_id: str) -> ChatEvent:
    return ChatEvent("error", {"message": f"No thread {thread_id!r}", "status": "error"})
