"""The chatbot's Prometheus metrics, in the app's registry (`/metrics`).

Every labelled series a dashboard or an alert reads exists from the first scrape, at 0.
"""

from __future__ import annotations

from ..observability import METRICS
from .declines import RULES
from .guardrails import CATEGORIES

STATUSES = ("complete", "refused", "stopped", "partial", "error")
REFUSAL_REASONS = (*CATEGORIES, *RULES, "off_topic", "output")
CONTEXT_ACTIONS = ("none", "truncated", "summarised")
WINNERS = ("a", "b", "tie")

TURNS = METRICS.counter("chat_turns", "Chat turns that ended, by status.", ["status"])
REFUSALS = METRICS.counter("chat_refusals", "Refused chat turns, by reason.", ["reason"])
FIRST_TOKEN = METRICS.histogram(
    "chat_first_token_seconds",
    "Time from the start of a turn to its first streamed token.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0),
)
CONTEXT_ACTIONS_TOTAL = METRICS.counter(
    "chat_context_actions", "What the context policy did per turn.", ["action"]
)
QUOTA_EXCEEDED = METRICS.counter(
    "chat_quota_exceeded", "Messages refused because a user reached the daily quota."
)
AB_VOTES = METRICS.counter("chat_ab_votes", "A/B votes, by winner.", ["winner"])

for _status in STATUSES:
    TURNS.labels(status=_status)
for _reason in REFUSAL_REASONS:
    REFUSALS.labels(reason=_reason)
for _action in CONTEXT_ACTIONS:
    CONTEXT_ACTIONS_TOTAL.labels(action=_action)
for _winner in WINNERS:
    AB_VOTES.labels(winner=_winner)
