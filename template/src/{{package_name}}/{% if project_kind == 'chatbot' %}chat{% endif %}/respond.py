"""The steps of one reply, once its user message is stored: guard, retrieve, fit, stream.

`respond` yields a turn's events from `start` to `done` (or `error`): moderation of the
input, retrieval when grounded (its top score decides the topic boundary then), the context
fitted to `CHAT_CONTEXT_TOKENS` by the policy, the model's stream moderated as it grows, and
the reply stored however the stream ends (`stopped` when the consumer went away).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from ..llm.types import LLMError, Message
from ..observability import get_logger
from . import metrics
from .context import fit
from .events import ChatEvent
from .guardrails import OFF_TOPIC_REFUSAL, moderate, on_topic
from .passages import Passage
from .records import MessageRecord
from .turn_record import TurnState, done_event, elapsed_ms, store_reply

if TYPE_CHECKING:
    from .engine import ChatEngine

logger = get_logger(__name__)


def respond(
    engine: ChatEngine,
    turn: TurnState,
    text: str,
    history: Sequence[MessageRecord],
    cancel: threading.Event | None,
) -> Iterator[ChatEvent]:
    """Guard, fit, retrieve, prompt, stream and store one reply (the thread's lock is held)."""
    turn.turns = 1 + sum(1 for m in history if m.role == "user")
    yield ChatEvent(
        "start",
        {
            "thread_id": turn.thread_id,
            "user_message_id": turn.user.id,
            "message_id": turn.message_id,
        },
    )
    try:
        yield from _guarded(engine, turn, text, history, cancel)
    finally:
        if turn.stored is None:  # the consumer went away mid-stream: keep what was said
            turn.status = "stopped"
            store_reply(engine, turn)
    if turn.error is None:  # a failed turn's stream ends with its `error` event
        yield done_event(turn)


def _guarded(
    engine: ChatEngine,
    turn: TurnState,
    text: str,
    history: Sequence[MessageRecord],
    cancel: threading.Event | None,
) -> Iterator[ChatEvent]:
    flagged = moderate(text)
    passages: Sequence[Passage] = []
    if flagged is None and engine.retriever is not None:
        try:
            passages = engine.retriever.search(text, engine.chat.top_k)
        except Exception as exc:
            logger.error("retrieval failed during a chat turn: %s", exc)
            turn.status, turn.error = "error", f"The documents' index failed: {exc}"
            store_reply(engine, turn)
            return
        turn.top_score = passages[0].score if passages else 0.0
    if flagged is not None:
        yield from _refuse(engine, turn, flagged.category, flagged.refusal)
        return
    if not on_topic(text, top_score=turn.top_score, min_score=engine.chat.min_grounding):
        yield from _refuse(engine, turn, "off_topic", OFF_TOPIC_REFUSAL)
        return
    turn.sources = [
        {"n": n, "source": p.source, "title": p.title, "text": p.text}
        for n, p in enumerate(passages, start=1)
    ]
    if turn.sources:
        yield ChatEvent("sources", {"sources": turn.sources})
    yield from _stream(engine, turn, text, history, cancel)


def _refuse(engine: ChatEngine, turn: TurnState, reason: str, refusal: str) -> Iterator[ChatEvent]:
    turn.status, turn.refusal = "refused", reason
    turn.first_token_ms = elapsed_ms(turn.started)
    turn.parts = [refusal]
    store_reply(engine, turn)
    yield ChatEvent("token", {"text": refusal})


def _fit(
    engine: ChatEngine, turn: TurnState, text: str, history: Sequence[MessageRecord]
) -> list[Message]:
    """Render the prompt and fit it with the branch so far into the context budget."""
    rendered = engine.prompt.render(
        message=text, sources=turn.sources if engine.retriever is not None else None
    )
    system = [m for m in rendered if m.role == "system"]
    current = [m for m in rendered if m.role == "user"]
    earlier = [Message(m.role, m.content) for m in history if m.content and m.status != "error"]

    def count(messages: Sequence[Message]) -> int:
        tokens, _ = engine.llm.estimate(messages, max_tokens=0)
        return tokens

    turn.fitted = fit(
        system,
        earlier,
        current,
        budget=engine.chat.context_tokens,
        policy=engine.chat.context_policy,
        count=count,
    )
    return turn.fitted.messages


def _stream(
    engine: ChatEngine,
    turn: TurnState,
    text: str,
    history: Sequence[MessageRecord],
    cancel: threading.Event | None,
) -> Iterator[ChatEvent]:
    messages = _fit(engine, turn, text, history)
    stream = engine.llm.stream(
        messages, prompt=engine.prompt.ref, max_tokens=engine.chat.max_output_tokens
    )
    try:
        for piece in stream:
            if cancel is not None and cancel.is_set():
                turn.status = "stopped"
                break
            if turn.first_token_ms is None:
                turn.first_token_ms = elapsed_ms(turn.started)
                metrics.FIRST_TOKEN.observe(turn.first_token_ms / 1000)
            turn.parts.append(piece)
            flagged = moderate("".join(turn.parts))
            if flagged is not None:
                turn.status, turn.refusal = "refused", "output"
                turn.parts = [flagged.refusal]
                break
            yield ChatEvent("token", {"text": piece})
    except LLMError as exc:
        turn.status = "partial" if turn.parts else "error"
        turn.error = str(exc)
        logger.warning("the model failed during a chat turn (%s): %s", turn.status, exc)
    finally:
        stream.close()
    store_reply(engine, turn)
    if turn.error is not None:
        yield ChatEvent("error", {"message": turn.error, "status": turn.status})
