"""A/B: the same turn answered with two prompt versions, shown unlabelled, then a vote.

`CHAT_AB_PROMPTS=chat_system@v1,chat_system@v2` names the two versions. `POST /ab` stores the
user's message and a reply from each version as siblings in the thread's tree (the first
version's reply stays the active branch), shows them in random order as "a" and "b" without
their prompt versions, and records which version was shown as which; `POST /ab/{id}/vote`
records the winner (`a`, `b` or `tie`), once. `ChatStore.ab_results()` gives the decided
votes to whoever compares the versions.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from .engine import ChatEngine
from .events import Reply, collect


@dataclass(frozen=True)
class Comparison:
    """Two replies to one message, in the order shown, and the vote that decides them."""

    vote_id: str
    thread_id: str
    shown: tuple[Reply, Reply]

    def to_dict(self) -> dict[str, Any]:
        """Return the comparison as the API shows it: no prompt version, only a and b."""
        return {
            "vote_id": self.vote_id,
            "thread_id": self.thread_id,
            "replies": [
                {
                    "slot": slot,
                    "message_id": reply.message_id,
                    "text": reply.text,
                    "status": reply.status,
                    "sources": reply.sources,
                }
                for slot, reply in zip(("a", "b"), self.shown, strict=True)
            ],
        }


def prompt_versions(setting: str) -> tuple[str, str] | None:
    """Return the two versions `CHAT_AB_PROMPTS` names ("v1", "v2"), or None when it is off."""
    if not setting:
        return None
    first, second = (ref.split("@", 1)[1] for ref in setting.split(","))
    return first, second


def compare(
    first: ChatEngine,
    second: ChatEngine,
    thread_id: str | None,
    text: str,
    *,
    user: str | None = None,
    rng: random.Random | None = None,
) -> Comparison:
    """Answer `text` with both engines; record the comparison; return it in shown order.

    Raises:
        ChatInputError, ThreadNotFoundError, QuotaExceededError: as `ChatEngine.turn`.

    """
    one = first.reply(thread_id, text, user=user)
    two = collect(second.regenerate(one.message_id))
    first.store.update_thread(one.thread_id, active_leaf_id=one.message_id)
    pair = [(one, first.prompt_ref), (two, second.prompt_ref)]
    (rng or random.SystemRandom()).shuffle(pair)
    (reply_a, prompt_a), (reply_b, prompt_b) = pair
    vote_id = first.store.add_ab(
        one.thread_id, reply_a.message_id, reply_b.message_id, prompt_a, prompt_b
    )
    return Comparison(vote_id, one.thread_id, (reply_a, reply_b))
