"""The context policy: fit a thread's active branch to `CHAT_CONTEXT_TOKENS`.

`truncate` drops the oldest turns, keeping the system prompt and the last user turn.
`summarise` (the default) replaces the dropped turns with a deterministic extractive summary:
the sentences of the dropped user messages that hold names, numbers or stated facts, so that
what a customer said early survives the cut (docs/decisions/0007). Tokens are counted by the
caller's `count` (the engine passes the shared `LLMClient.estimate`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from ..llm.types import Message

Action = Literal["none", "truncated", "summarised"]
Count = Callable[[Sequence[Message]], int]
SUMMARY_HEADER = "Summary of earlier turns of this conversation (what the user said):"

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_FACT = re.compile(
    r"\d|\b(i'm|i am|my|we're|we are|we have|our|i have|i use|i need|we need|call me)\b",
    re.IGNORECASE,
)
_CAPITALISED = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][a-z]+")


@dataclass(frozen=True)
class Fitted:
    """The conversation the model sees, and what the policy did to fit it."""

    messages: list[Message]
    action: Action
    tokens: int
    dropped: int
    summary: str = ""


def fact_sentences(text: str) -> list[str]:
    """Return the sentences of `text` that hold a name, a number or a stated fact."""
    sentences = [s.strip() for s in _SENTENCE.split(" ".join(text.split())) if s.strip()]
    return [s for s in sentences if _FACT.search(s) or _CAPITALISED.search(s)]


def summarise(dropped: Sequence[Message]) -> str:
    """Return the extractive summary of dropped turns: the user's fact sentences, in order.

    A sentence said again is kept once, where it was first said.
    """
    facts = [s for m in dropped if m.role == "user" for s in fact_sentences(m.content)]
    return " ".join(dict.fromkeys(facts))


def fit(
    system: Sequence[Message],
    history: Sequence[Message],
    current: Sequence[Message],
    *,
    budget: int,
    policy: Literal["truncate", "summarise"],
    count: Count,
) -> Fitted:
    """Return `system + history + current`, cut to `budget` tokens by `policy`.

    The system messages and the current user turn are always kept; whole messages of the
    history are dropped oldest first (a dropped user message takes its reply with it).
    """
    kept = list(history)
    full = [*system, *kept, *current]
    tokens = count(full)
    if tokens <= budget or not kept:
        return Fitted(full, "none", tokens, 0)
    dropped: list[Message] = []
    summary = ""
    while kept:
        dropped.append(kept.pop(0))
        while kept and kept[0].role != "user":  # never start on a reply without its question
            dropped.append(kept.pop(0))
        summary = summarise(dropped) if policy == "summarise" else ""
        messages = _assemble(system, summary, kept, current)
        tokens = count(messages)
        if tokens <= budget:
            break
    if policy == "summarise" and summary:
        summary = _cut_summary(system, summary, kept, current, budget=budget, count=count)
    messages = _assemble(system, summary, kept, current)
    action: Action = "summarised" if summary else "truncated"
    return Fitted(messages, action, count(messages), len(dropped), summary)


def _assemble(
    system: Sequence[Message], summary: str, kept: Sequence[Message], current: Sequence[Message]
) -> list[Message]:
    note = [Message("system", f"{SUMMARY_HEADER} {summary}")] if summary else []
    return [*system, *note, *kept, *current]


def _cut_summary(
    system: Sequence[Message],
    summary: str,
    kept: Sequence[Message],
    current: Sequence[Message],
    *,
    budget: int,
    count: Count,
) -> str:
    """Drop the summary's oldest sentences until everything fits (the newest facts win)."""
    sentences = _SENTENCE.split(summary)
    while sentences and count(_assemble(system, " ".join(sentences), kept, current)) > budget:
        sentences.pop(0)
    return " ".join(sentences)
