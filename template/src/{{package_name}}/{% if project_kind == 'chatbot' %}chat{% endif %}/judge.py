"""An LLM judge for relevancy and completeness, used only when a real provider is configured.

The rules of `eval_metrics.py` judge every run; with LLM_PROVIDER=openai or anthropic the
suite also asks the model, with the versioned prompt `chat_judge@v1`, to grade each played
conversation. Its verdict is a JSON object; a reply that is not one (or out of range) counts
as unscored and is reported, never guessed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ..llm.client import LLMClient
from ..llm.types import LLMError
from ..prompts import Prompt, load_prompt
from .simulated_user import Transcript

JUDGE_PROMPT = "chat_judge"
_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


@dataclass(frozen=True)
class Verdict:
    """The judge's scores for one conversation (None when it gave no usable score)."""

    relevancy: float | None
    completeness: float | None
    reason: str

    @property
    def scored(self) -> bool:
        """Tell whether both scores are usable."""
        return self.relevancy is not None and self.completeness is not None


class Judge:
    """Grades played conversations with a model."""

    def __init__(self, llm: LLMClient, prompt: Prompt | None = None) -> None:
        self.llm = llm
        self.prompt = prompt or load_prompt(JUDGE_PROMPT)

    def grade(self, transcript: Transcript) -> Verdict:
        """Ask the model for the conversation's scores; an unusable answer is unscored."""
        turns = [
            {"user": user, "assistant": reply.text}
            for exchange in transcript.exchanges
            for user, reply in zip(exchange.sent, exchange.replies, strict=True)
        ]
        messages = self.prompt.render(turns=turns)
        try:
            completion = self.llm.complete(messages, prompt=self.prompt.ref, max_tokens=200)
        except LLMError as exc:
            return Verdict(None, None, f"judge call failed: {exc}")
        return parse_verdict(completion.text)


def parse_verdict(text: str) -> Verdict:
    """Read the judge's JSON object (the first `{...}` in its text); check both scores."""
    match = _OBJECT.search(text)
    try:
        raw: Any = json.loads(match.group(0)) if match else None
    except json.JSONDecodeError:
        raw = None
    if not isinstance(raw, dict):
        return Verdict(None, None, f"unscored: not a JSON object: {text[:120]!r}")
    scores = [_score(raw.get(key)) for key in ("relevancy", "completeness")]
    if None in scores:
        return Verdict(None, None, f"unscored: scores must be numbers from 0 to 1: {raw}")
    return Verdict(scores[0], scores[1], str(raw.get("reason", ""))[:300])


def _score(value: Any) -> float | None:
    """Return a score in [0, 1], or None when it is not one."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0.0 <= value <= 1.0 else None
