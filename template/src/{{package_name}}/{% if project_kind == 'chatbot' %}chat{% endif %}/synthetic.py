"""Synthetic chat traffic for the drift check's tests, the monitoring tests and the demo.

`traffic(n, seed)` returns `n` observations shaped as the app records them (`signals.py`):
customer messages built from templates about Northwind Cloud's plans, billing and SSO (with
their embedding when the project is grounded), with thread lengths, context sizes, refusals,
first-token latency, latency, tokens and cost drawn from fixed distributions (a hosted model's
latency and prices).

`traffic(n, seed, shifted=True)` draws the window a changed audience would produce: longer
messages about subjects outside the bot's scope, more refusals, longer threads whose context
gets cut, slower first tokens. The same seed always gives the same draw.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from ..signals import Observation, Value, write_traffic
from .wiring import GROUNDED, embed

__all__ = ["SHIFT", "traffic", "write_traffic"]

PLANS = ("Starter", "Business", "Enterprise")
TOPICS = ("SSO", "invoices", "refunds", "seats", "the API", "the uptime SLA")
TEMPLATES = (
    "Which plans include {topic}?",
    "We're on {plan}; how do {topic} work for us?",
    "How much does {plan} cost per seat?",
    "Can I move from {plan} to another plan mid-year?",
    "Where do I find my invoices on {plan}?",
    "Hi, quick question about {topic} on the {plan} plan.",
)
OTHER_TEMPLATES = (
    "Can you write a poem about {thing} for my {who}?",
    "What's the best recipe with {thing} for {who}?",
    "Give me a long essay on {thing}, my {who} needs it tomorrow for school, thanks a lot.",
)
OTHER_THINGS = ("autumn", "chocolate", "the ocean", "football", "the weather")
OTHER_WHO = ("mum", "team", "teacher", "neighbour")
PROMPT_VERSION = "chat_system@v1"
SHIFT = "off-topic requests, more refusals, longer threads with cut contexts, slower first tokens"
"""What a shifted window changes, in a few words (drift_traffic.py prints it)."""
PRICE_PER_TOKEN = (0.15 / 1e6, 0.60 / 1e6)  # input, output: gpt-4o-mini's list price
ACTIONS = ("none", "truncated", "summarised")


@dataclass(frozen=True)
class _Profile:
    """The distributions one kind of traffic draws from."""

    turns_mean: float
    refusal_rate: float
    first_token_ms: float
    tokens_per_turn: float
    output_tokens: float


USUAL = _Profile(3.0, 0.03, 450.0, 350.0, 120.0)
SHIFTED = _Profile(7.0, 0.35, 900.0, 420.0, 160.0)


@lru_cache(maxsize=2)
def _messages(shifted: bool) -> tuple[list[str], list[npt.NDArray[np.float32] | None]]:
    """Return every message the templates make, and their embeddings (computed once)."""
    if shifted:
        texts = [
            t.format(thing=thing, who=who) for t in OTHER_TEMPLATES for thing in OTHER_THINGS
            for who in OTHER_WHO
        ]  # fmt: skip
    else:
        texts = [
            t.format(topic=topic, plan=plan) for t in TEMPLATES for topic in TOPICS
            for plan in PLANS
        ]  # fmt: skip
    return texts, [embed(text) for text in texts]


def traffic(n: int, seed: int, *, shifted: bool = False) -> list[Observation]:
    """Return `n` synthetic observations of finished turns (usual traffic, or shifted)."""
    rng = np.random.default_rng(seed)
    texts, vectors = _messages(shifted)
    profile = SHIFTED if shifted else USUAL
    picks = rng.integers(0, len(texts), n)
    turns = np.clip(rng.poisson(profile.turns_mean, n), 1, 40)
    refused = rng.random(n) < profile.refusal_rate
    first = rng.lognormal(np.log(profile.first_token_ms), 0.3, n)
    observations = []
    for i in range(n):
        text = texts[picks[i]]
        context = int(min(profile.tokens_per_turn * turns[i] + rng.normal(0, 40), 3000))
        action = ACTIONS[0] if context < 3000 else ACTIONS[2]
        out = 0 if refused[i] else int(max(rng.normal(profile.output_tokens, 30), 5))
        latency = float(first[i]) + out * 12.0
        values: dict[str, Value] = {
            "message_chars": len(text),
            "turns": int(turns[i]),
            "context_tokens": max(context, 50),
            "context_action": action,
            "refused": bool(refused[i]),
            "moderated": False,
            "first_token_ms": round(float(first[i]), 3),
            "latency_ms": round(latency, 3),
            "input_tokens": max(context, 50),
            "output_tokens": out,
            "cost_usd": max(context, 50) * PRICE_PER_TOKEN[0] + out * PRICE_PER_TOKEN[1],
            "prompt_version": PROMPT_VERSION,
        }
        if GROUNDED:
            values["top_score"] = 0.0 if refused[i] else round(float(rng.uniform(0.4, 0.9)), 4)
        observations.append(Observation(values, vectors[picks[i]], text))
    return observations
