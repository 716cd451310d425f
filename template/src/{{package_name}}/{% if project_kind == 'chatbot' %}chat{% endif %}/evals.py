"""The chatbot's eval suite: scripted multi-turn conversations, scored turn by turn.

Every conversation of `evals/cases.jsonl` (`cases.py` documents the format) is played by the
scripted simulated user (`simulated_user.py`) against the real chat engine on a fresh store,
with the prompt version under test (CHAT_PROMPT_VERSION, default the latest `chat_system`)
and, for `long` conversations, the case's small context window. Each turn's last reply is
checked against its rubric; the metrics (`eval_metrics.DEFINITIONS`) aggregate the turns and
the conversations. With a real provider an LLM judge (`judge.py`) grades each conversation
too. `eval_compare.py` compares two prompt versions case by case.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ..config import Settings
from ..evaluation import EvalError, EvalResult
from ..prompts import Prompt, PromptNotFoundError, load_prompt
from .cases import load_cases
from .eval_metrics import (
    DEFINITIONS,
    LOWER_IS_BETTER,
    TurnScore,
    mean,
    percentile,
    score_turn,
    system_text,
)
from .eval_report import Played, detail
from .judge import JUDGE_PROMPT, Judge
from .offline import MODEL as OFFLINE_MODEL
from .simulated_user import EngineLike, Transcript, converse

__all__ = ["eval_prompts", "golden_prompt_inputs", "load_cases", "run_evals"]

PROMPT_NAME = "chat_system"


class ChatEvalSettings(BaseSettings):
    """The prompt version the app serves, which the suite runs by default (CHAT_PROMPT_VERSION)."""

    model_config = SettingsConfigDict(env_prefix="CHAT_", env_file=".env", extra="ignore")

    prompt_version: str = Field(default="", max_length=80)


@dataclass(frozen=True)
class EngineSpec:
    """What one eval engine needs: settings, prompt, context window and a private folder."""

    settings: Settings
    prompt: Prompt
    context_tokens: int | None
    workdir: Path


EngineFactory = Callable[[EngineSpec], EngineLike]
"""Builds the engine a conversation runs on (a test passes a double or a broken engine)."""


def chat_prompt(version: str | None = None) -> Prompt:
    """Return the `chat_system` version to run: `version`, else CHAT_PROMPT_VERSION, else latest.

    `version` is `chat_system@v2`, `v2` or `2`.

    Raises:
        EvalError: The version names another prompt, or does not exist.

    """
    wanted = (version or ChatEvalSettings().prompt_version or "").strip()
    name, _, number = wanted.rpartition("@") if "@" in wanted else (PROMPT_NAME, "", wanted)
    if name != PROMPT_NAME:
        raise EvalError(f"the suite runs {PROMPT_NAME} versions, not {wanted!r}")
    try:
        return load_prompt(PROMPT_NAME, number or None)
    except PromptNotFoundError as exc:
        raise EvalError(str(exc)) from None


def eval_prompts() -> list[str]:
    """Return the prompt versions the suite uses, as `name@version` (they name the cassettes)."""
    prompt = chat_prompt()
    return [f"{prompt.name}@{prompt.version}"]


def golden_prompt_inputs(cases_path: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """Return how each conversation renders `chat_system` (its first turn) and `chat_judge`.

    The judge grades a played conversation; its snapshot renders each case's user turns with
    a placeholder reply, so that a change to the judge's wording shows in review too.
    """
    cases = load_cases(cases_path)
    return {
        PROMPT_NAME: {case.id: prompt_variables(case.turns[0].user) for case in cases},
        JUDGE_PROMPT: {
            case.id: {"turns": [{"user": t.user, "assistant": "(reply)"} for t in case.turns]}
            for case in cases
        },
    }


def prompt_variables(message: str) -> dict[str, Any]:
    """Return the variables `chat_system` renders a thread's first message with.

    No sources: the passages depend on the index, and the turns after the first on the
    model's replies.
    """
    return {"message": message, "sources": None}


def run_evals(
    settings: Settings,
    cases_path: Path,
    *,
    prompt: str | None = None,
    engine: EngineFactory | None = None,
) -> EvalResult:
    """Play every conversation on the engine and score it.

    Args:
        settings: The app's settings (the eval CLI picks the provider of the mode).
        cases_path: The conversation suite.
        prompt: The `chat_system` version to run (default: CHAT_PROMPT_VERSION, else the latest).
        engine: Builds the engine of a conversation (default: the real engine on a fresh
            store, `eval_engine.build_engine`); engines are reused per context window.

    """
    cases = load_cases(cases_path)
    chosen = chat_prompt(prompt)
    secret = system_text(chosen.path)
    if engine is None:
        from .eval_engine import build_engine

        engine = build_engine
    judge = _judge(settings)
    played = []
    with tempfile.TemporaryDirectory(prefix="chat-eval-") as tmp:
        engines: dict[int | None, EngineLike] = {}
        for case in cases:
            window = case.context_tokens
            if window not in engines:
                folder = Path(tmp) / f"ctx-{window or 'default'}"
                folder.mkdir()
                engines[window] = engine(EngineSpec(settings, chosen, window, folder))
            transcript = converse(engines[window], case)
            verdict = judge.grade(transcript) if judge and transcript.exchanges else None
            played.append(Played(transcript, _score(transcript, secret), verdict))
    metrics = aggregate(played)
    return EvalResult(
        metrics=metrics,
        higher_is_better={name: name not in LOWER_IS_BETTER for name in metrics},
        details=[detail(p) for p in played],
        prompt=f"{chosen.name}@{chosen.version}",
        model=OFFLINE_MODEL if settings.llm_provider == "offline" else "",
        definitions=dict(DEFINITIONS),
    )


def _judge(settings: Settings) -> Judge | None:
    """Return the LLM judge when a real provider is configured, else None (rules only)."""
    if settings.llm_provider == "offline":
        return None
    from ..llm.build import build_llm

    return Judge(build_llm(settings))


def _score(transcript: Transcript, secret: str) -> list[TurnScore]:
    """Score every played turn, each with the user's earlier messages."""
    scores: list[TurnScore] = []
    earlier: list[str] = []
    for exchange in transcript.exchanges:
        scores.append(score_turn(exchange, earlier, secret))
        earlier += exchange.sent
    return scores


def aggregate(played: list[Played]) -> dict[str, float]:
    """Aggregate the scored conversations into the suite's metrics."""
    turns = [(p.transcript.case, s) for p in played for s in p.scores]
    replies = [r for p in played for e in p.transcript.exchanges for r in e.replies]
    expected = [
        (p.transcript.case.turns[i].expect, s) for p in played for i, s in enumerate(p.scores)
    ]
    first_tokens = [r.first_token_ms for r in replies if r.first_token_ms is not None]
    metrics = {
        "turn_pass_rate": mean(s.passed for _, s in turns),
        "conversation_completeness": mean(p.complete for p in played),
        "knowledge_retention": mean(ok for _, s in turns for _, ok in s.retention),
        "turn_relevancy": mean(s.relevant for _, s in turns),
        "role_adherence": mean(not s.role_problems for _, s in turns),
        "refusal_accuracy": mean(
            s.refused == e.refusal for e, s in expected if e.refusal is not None
        ),
        "safety_block_rate": mean(
            s.refused
            for (case, s), (e, _) in zip(turns, expected, strict=True)
            if case.category == "safety" and e.refusal
        ),
        "injection_resistance": mean(
            s.passed and not s.role_problems for case, s in turns if case.category == "injection"
        ),
        "citation_accuracy": mean(s.cites_ok for _, s in turns if s.cites_ok is not None),
        "format_adherence": mean(s.format_ok for _, s in turns if s.format_ok is not None),
        "first_token_p50_ms": percentile(first_tokens, 50),
        "first_token_p95_ms": percentile(first_tokens, 95),
        "latency_p95_ms": percentile([r.latency_ms for r in replies], 95),
        "tokens_per_conversation": _per_conversation(
            played, lambda p: sum(r.input_tokens + r.output_tokens for r in _replies(p))
        ),
        "cost_per_conversation_usd": _per_conversation(
            played, lambda p: sum(r.cost_usd for r in _replies(p)), digits=8
        ),
    }
    long = [p for p in played if p.transcript.case.category == "long"]
    if long and any(r.context_action is not None for p in long for r in _replies(p)):
        metrics["long_context_cut"] = mean(
            any(r.context_action not in (None, "none") for r in _replies(p)) for p in long
        )
    verdicts = [p.verdict for p in played if p.verdict is not None and p.verdict.scored]
    if verdicts:
        metrics["judge_relevancy"] = mean(v.relevancy or 0.0 for v in verdicts)
        metrics["judge_completeness"] = mean(v.completeness or 0.0 for v in verdicts)
    return metrics


def _replies(played: Played) -> list[Any]:
    """Return every reply of a conversation, follow-ups included."""
    return [r for e in played.transcript.exchanges for r in e.replies]


def _per_conversation(
    played: list[Played], value: Callable[[Played], float], digits: int = 2
) -> float:
    """Return the mean of `value` over conversations (0.0 for none)."""
    return round(sum(value(p) for p in played) / len(played), digits) if played else 0.0
