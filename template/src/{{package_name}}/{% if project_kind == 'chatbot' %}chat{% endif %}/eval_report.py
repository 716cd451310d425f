"""The report entry of one played conversation: its score, why it failed, and every turn."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .eval_metrics import TurnScore
from .judge import Verdict
from .simulated_user import Transcript


@dataclass(frozen=True)
class Played:
    """One conversation as played and scored."""

    transcript: Transcript
    scores: list[TurnScore]
    verdict: Verdict | None = None

    @property
    def complete(self) -> bool:
        """Tell whether every turn was played and passed its rubric."""
        case = self.transcript.case
        return (
            self.transcript.error is None
            and len(self.scores) == len(case.turns)
            and all(s.passed for s in self.scores)
        )


def _excerpt(text: str, limit: int = 80) -> str:
    """Return the start of a reply on one line, quoted, for a failure reason."""
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= limit else flat[: limit - 1] + "…")


def case_score(played: Played) -> float:
    """Return a conversation's score: the share of its turns that passed (0 for an error)."""
    if not played.scores:
        return 0.0
    return round(sum(s.passed for s in played.scores) / len(played.transcript.case.turns), 4)


def detail(played: Played) -> dict[str, Any]:
    """Return one conversation's report entry: verdict, why it failed, and every turn."""
    t = played.transcript
    reasons = [
        f"turn {i + 1}: {'; '.join(s.failures + s.role_problems)} (reply: {_excerpt(e.reply.text)})"
        for i, (e, s) in enumerate(zip(t.exchanges, played.scores, strict=True))
        if s.failures or s.role_problems
    ]
    if t.error:
        reasons.insert(0, t.error)
    entry: dict[str, Any] = {
        "id": t.case.id,
        "category": t.case.category,
        "passed": played.complete and not any(s.role_problems for s in played.scores),
        "reason": " | ".join(reasons),
        "score": case_score(played),
        "persona": t.case.persona,
        "context_tokens": t.case.context_tokens,
        "turns": [
            {
                "sent": e.sent,
                "branch": e.branch,
                "reply": e.reply.text,
                "status": e.reply.status,
                "prompt_version": e.reply.prompt_version,
                "failures": s.failures,
                "role_problems": s.role_problems,
                "retention": [{"fact": f, "kept": ok} for f, ok in s.retention],
                "tokens": e.reply.input_tokens + e.reply.output_tokens,
                "first_token_ms": e.reply.first_token_ms,
                "context_action": e.reply.context_action,
            }
            for e, s in zip(t.exchanges, played.scores, strict=True)
        ],
    }
    if played.verdict is not None:
        entry["judge"] = {
            "relevancy": played.verdict.relevancy,
            "completeness": played.verdict.completeness,
            "reason": played.verdict.reason,
        }
    return entry
