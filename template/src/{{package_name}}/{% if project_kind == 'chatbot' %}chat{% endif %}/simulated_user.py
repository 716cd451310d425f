"""The scripted simulated user: plays one conversation of the suite against a chat engine.

It sends each turn's `user` text on one thread. When a turn holds `if_reply_contains`, the
user reads the reply: if it contains `text` (case-insensitive) the user sends `then`, else
`else` (when given), as a follow-up on the same turn; the turn's expectations judge the last
reply it got. That is how a case survives a bot that asks "which plan are you on?" before
answering, without scripting the bot's wording.

The engine is anything with `reply(thread_id, text)` returning the engine's `Reply`
(`engine.py`); only the fields below are read, so a test can pass a small double.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .cases import Conversation, Turn


class ReplyLike(Protocol):
    """The fields of the engine's `Reply` that the evals read."""

    @property
    def thread_id(self) -> str:
        """The thread the reply belongs to."""

    @property
    def text(self) -> str:
        """The reply's text."""

    @property
    def status(self) -> str:
        """`complete`, `refused`, `partial`, `stopped` or `error`."""

    @property
    def sources(self) -> Any:
        """The passages the reply was given: `[{n, source, title, text}]`."""

    @property
    def usage(self) -> Any:
        """`{input_tokens, output_tokens}`, a mapping or a `Usage`."""

    @property
    def cost_usd(self) -> float:
        """The model cost of the reply."""

    @property
    def latency_ms(self) -> float:
        """The whole reply's time."""

    @property
    def first_token_ms(self) -> float | None:
        """The time to the first streamed token."""

    @property
    def prompt_version(self) -> str:
        """The `chat_system` version that answered."""


class EngineLike(Protocol):
    """What the simulated user talks to: `ChatEngine.reply`."""

    def reply(self, thread_id: str | None, text: str) -> ReplyLike:
        """Answer `text` on the thread (a new one when `thread_id` is None)."""


@dataclass(frozen=True)
class BotReply:
    """One reply, reduced to plain values the metrics and the report use."""

    text: str
    status: str
    sources: list[dict[str, Any]]
    input_tokens: int
    output_tokens: int
    cost_usd: float
    latency_ms: float
    first_token_ms: float | None
    prompt_version: str
    context_action: str | None = None

    @classmethod
    def of(cls, reply: ReplyLike) -> BotReply:
        """Copy the fields of an engine reply (usage as a mapping or a `Usage`).

        `context_action` comes from the reply's `details` (the `done` event: `context.action`,
        `none`, `truncated` or `summarised`) when the engine reports it.
        """
        usage = reply.usage
        details = getattr(reply, "details", None)
        context = details.get("context") if isinstance(details, Mapping) else None
        action = context.get("action") if isinstance(context, Mapping) else None
        tokens = [
            int((usage.get(k) if isinstance(usage, Mapping) else getattr(usage, k, 0)) or 0)
            for k in ("input_tokens", "output_tokens")
        ]
        return cls(
            text=reply.text or "",
            status=str(reply.status),
            sources=[_source(s) for s in reply.sources or []],
            input_tokens=tokens[0],
            output_tokens=tokens[1],
            cost_usd=float(reply.cost_usd or 0.0),
            latency_ms=float(reply.latency_ms or 0.0),
            first_token_ms=None if reply.first_token_ms is None else float(reply.first_token_ms),
            prompt_version=str(reply.prompt_version),
            context_action=None if action is None else str(action),
        )


@dataclass(frozen=True)
class Exchange:
    """One turn as played: what the user sent (the follow-up too) and the replies."""

    index: int
    turn: Turn
    sent: list[str]
    replies: list[BotReply]
    branch: str | None = None

    @property
    def reply(self) -> BotReply:
        """Return the reply the turn is judged on: the last one."""
        return self.replies[-1]


@dataclass
class Transcript:
    """A played conversation: its exchanges, in order, and the thread it ran on."""

    case: Conversation
    exchanges: list[Exchange] = field(default_factory=list)
    thread_id: str | None = None
    error: str | None = None


def converse(engine: EngineLike, case: Conversation) -> Transcript:
    """Play `case` against `engine` on a new thread; stop at the first exception, noted."""
    transcript = Transcript(case)
    for index, turn in enumerate(case.turns):
        try:
            transcript.exchanges.append(_play(engine, transcript, index, turn))
        except Exception as exc:  # a failed turn fails the case, not the suite
            transcript.error = f"turn {index + 1}: {type(exc).__name__}: {exc}"
            break
    return transcript


def _play(engine: EngineLike, transcript: Transcript, index: int, turn: Turn) -> Exchange:
    """Send one turn (and its follow-up, if the branch asks for one)."""
    sent, replies = [turn.user], [_send(engine, transcript, turn.user)]
    branch = None
    rule = turn.if_reply_contains
    if rule is not None:
        hit = rule.text.lower() in replies[0].text.lower()
        follow_up = rule.then if hit else rule.else_
        branch = "then" if hit else "else"
        if follow_up is not None:
            sent.append(follow_up)
            replies.append(_send(engine, transcript, follow_up))
    return Exchange(index, turn, sent, replies, branch)


def _send(engine: EngineLike, transcript: Transcript, text: str) -> BotReply:
    """Send one message on the transcript's thread (a new thread the first time)."""
    reply = engine.reply(transcript.thread_id, text)
    transcript.thread_id = reply.thread_id
    return BotReply.of(reply)


def _source(source: Any) -> dict[str, Any]:
    """Return a source as a dict (`{n, source, title, text}`), from a mapping or an object."""
    if isinstance(source, Mapping):
        return dict(source)
    return {k: getattr(source, k, None) for k in ("n", "source", "title", "text")}
