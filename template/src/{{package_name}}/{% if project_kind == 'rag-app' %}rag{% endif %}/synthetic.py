"""Synthetic RAG traffic for the drift check's tests, benchmarks and demo (the kind's hook).

Every kind provides `traffic(n, seed, *, shifted=False)` and `SHIFT` in `<kind>/synthetic.py`;
`signals.write_traffic` writes the observations into a signals file.

`traffic(n, seed)` returns `n` observations shaped as the app records them: questions built
from templates about the sample corpus's topics (plans, billing, security, support, HR
policies), embedded with the app's own embedder, with retrieval scores, refusals, latency,
tokens and cost drawn from fixed distributions (a hosted model's latency and prices).

`traffic(n, seed, shifted=True)` draws the window a new audience would produce: questions on
other topics (cooking, sport, travel, cars), about twice as long, retrieving lower scores,
more often nothing at all, and refused more often. The same seed always gives the same draw.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..retrieval.embeddings import Embedder, Vectors, signal_embedder
from ..signals import Observation

SUBJECTS = (
    "the Business plan", "the Starter plan", "SSO", "API keys", "webhooks", "refunds",
    "invoices", "data retention", "deleted files", "backups", "the SLA", "support tiers",
    "two-factor authentication", "the desktop sync client", "GDPR requests", "rate limits",
    "release 5.6", "the on-call rota", "incident reviews", "expense reports", "paid time off",
    "travel bookings", "remote work", "the partner programme", "code reviews",
)  # fmt: skip
ACTIONS = (
    "set up", "change", "cancel", "renew", "configure", "request", "check", "reset",
    "export", "turn off", "pay for", "get help with",
)  # fmt: skip
TEMPLATES = (
    "How do I {a} {s}?", "Can I {a} {s} myself?", "Who can {a} {s}?",
    "What happens if I {a} {s}?", "Where do I {a} {s}?", "Is it possible to {a} {s} today?",
    "How long does it take to {a} {s}?", "Do I need an admin to {a} {s}?",
)  # fmt: skip
OTHER_SUBJECTS = (
    "a sourdough starter", "the offside rule in football", "a Schengen visa", "winter tyres",
    "a marathon training plan", "a vegetable garden", "the brake pads on my car",
    "a wedding speech", "an espresso machine", "a chess opening", "a camping trip",
    "a sunburn", "my tomato plants", "a second-hand bicycle", "a birthday cake",
    "a fishing licence", "the clutch of a manual car", "a long-haul flight", "a puppy",
    "a ski holiday",
)  # fmt: skip
OTHER_TEMPLATES = (
    "My friends and I have been arguing about this all week, so please settle it: how do "
    "I {a} {s} properly?",
    "I have never done this before and the instructions I found online contradict each "
    "other, so what is the right way to {a} {s}?",
    "Sorry if this is a silly question, but could you explain step by step how someone "
    "with no experience should {a} {s}?",
    "Before the weekend I want to be sure about one thing: what is the cheapest way to "
    "{a} {s} without making a mess of it?",
)
OTHER_ACTIONS = ("look after", "choose", "prepare", "fix", "deal with", "start with")
PROMPT_VERSION = "rag_answer@v2"
SHIFT = "other topics, longer questions, lower retrieval scores and more refusals"
"""What a shifted window changes, in a few words (drift_traffic.py prints it)."""
PRICE_PER_TOKEN = (0.15 / 1e6, 0.60 / 1e6)  # input, output: gpt-4o-mini's list price


@dataclass(frozen=True)
class _Profile:
    """The distributions one kind of traffic draws from."""

    empty_rate: float
    refusal_rate: float
    score_mean: float
    latency_median_ms: float
    input_tokens: float
    output_tokens: float


USUAL = _Profile(0.03, 0.04, 0.62, 850.0, 620.0, 95.0)
SHIFTED = _Profile(0.25, 0.35, 0.48, 1000.0, 700.0, 60.0)


@lru_cache(maxsize=2)
def _questions(shifted: bool) -> tuple[list[str], Vectors]:
    """Return every question the templates make, and their embeddings (computed once)."""
    templates, actions, subjects = (
        (OTHER_TEMPLATES, OTHER_ACTIONS, OTHER_SUBJECTS)
        if shifted
        else (TEMPLATES, ACTIONS, SUBJECTS)
    )
    questions = [t.format(a=a, s=s) for t in templates for a in actions for s in subjects]
    embedder: Embedder = signal_embedder()
    return questions, embedder.embed(questions)


def traffic(n: int, seed: int, *, shifted: bool = False) -> list[Observation]:
    """Return `n` synthetic observations (the usual traffic, or a shifted window)."""
    rng = np.random.default_rng(seed)
    questions, vectors = _questions(shifted)
    profile = SHIFTED if shifted else USUAL
    picks = rng.integers(0, len(questions), n)
    empty = rng.random(n) < profile.empty_rate
    refused = empty | (rng.random(n) < profile.refusal_rate)
    scores = np.clip(rng.normal(profile.score_mean, 0.07, n), 0.36, 1.0)
    latency = rng.lognormal(np.log(profile.latency_median_ms), 0.35, n)
    tokens_in = np.maximum(rng.normal(profile.input_tokens, 90, n), 50).astype(int)
    tokens_out = np.maximum(rng.normal(profile.output_tokens, 30, n), 5).astype(int)
    observations = []
    for i in range(n):
        question = questions[picks[i]]
        called = not empty[i]
        t_in, t_out = (int(tokens_in[i]), int(tokens_out[i])) if called else (0, 0)
        values = {
            "question_chars": len(question),
            "top_score": None if empty[i] else round(float(scores[i]), 4),
            "empty_retrieval": bool(empty[i]),
            "refused": bool(refused[i]),
            "latency_ms": round(float(latency[i]) if called else float(latency[i]) / 100, 3),
            "input_tokens": t_in,
            "output_tokens": t_out,
            "cost_usd": t_in * PRICE_PER_TOKEN[0] + t_out * PRICE_PER_TOKEN[1],
            "prompt_version": PROMPT_VERSION,
        }
        observations.append(Observation(values, vectors[picks[i]], question))
    return observations
