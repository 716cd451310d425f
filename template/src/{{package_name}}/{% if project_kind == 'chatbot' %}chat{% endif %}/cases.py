"""The conversation suite (`evals/cases.jsonl`): one scripted conversation per line, validated.

A line is a JSON object:

    {"id": "ret-01", "category": "retention", "persona": "a new admin",
     "context_tokens": 300,
     "turns": [{"user": "My name is Dana and we have 12 seats.", "expect": {...}},
               {"user": "How many seats did I say?", "expect": {"must_include": ["12"]},
                "if_reply_contains": {"text": "which", "then": "Twelve, as I said."}}]}

`expect` (every field optional): `must_include` / `must_not_include` (case-insensitive
substrings of the reply), `refusal` (true: the bot must decline; false, the default: it must
not; null: either is right, as for an order piggy-backed on a real question), `format`
(`max_sentences`, `no_headings`), `cites` (true: the reply cites `[n]` sources it was given;
false: it cites none; absent: not checked). `if_reply_contains` makes the simulated user
react to the reply (`simulated_user.py`). `persona` describes the simulated user (reported,
not sent); `context_tokens` runs the conversation with CHAT_CONTEXT_TOKENS set that small.

Every problem of every line is reported at once, as `file:line (id): where: what`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..evaluation import EvalError

CATEGORIES = ("support", "retention", "long", "refusal", "safety", "injection", "out_of_scope")
Category = Literal["support", "retention", "long", "refusal", "safety", "injection", "out_of_scope"]
_TEXT = Field(min_length=1, max_length=4000)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class FormatRule(_Strict):
    """Format rules a reply must follow."""

    max_sentences: int | None = Field(default=None, ge=1, le=50)
    no_headings: bool = False


class Expect(_Strict):
    """What one turn's reply must (not) hold."""

    must_include: list[str] = Field(default_factory=list)
    must_not_include: list[str] = Field(default_factory=list)
    refusal: bool | None = False
    format: FormatRule | None = None
    cites: bool | None = None

    @model_validator(mode="after")
    def _no_blank_strings(self) -> Expect:
        if any(not item.strip() for item in (*self.must_include, *self.must_not_include)):
            raise ValueError("must_include / must_not_include hold an empty string")
        return self


class Branch(_Strict):
    """The simulated user's reaction: `then` when the reply contains `text`, else `else`."""

    text: str = Field(min_length=1)
    then: str | None = Field(default=None, min_length=1, max_length=4000)
    else_: str | None = Field(default=None, alias="else", min_length=1, max_length=4000)

    @model_validator(mode="after")
    def _one_reaction(self) -> Branch:
        if self.then is None and self.else_ is None:
            raise ValueError("if_reply_contains needs `then`, `else` or both")
        return self


class Turn(_Strict):
    """One user turn, what its (last) reply must hold, and an optional follow-up branch."""

    user: str = _TEXT
    expect: Expect = Field(default_factory=Expect)
    if_reply_contains: Branch | None = None


class Conversation(_Strict):
    """One scripted conversation of the suite."""

    id: str = Field(pattern=r"^[\w.-]{1,40}$")
    category: Category
    turns: list[Turn] = Field(min_length=1, max_length=60)
    persona: str | None = Field(default=None, min_length=1, max_length=400)
    context_tokens: int | None = Field(default=None, ge=64, le=200_000)


class CaseFileError(EvalError):
    """The conversation suite has invalid lines; the message lists every problem by line."""


def load_cases(path: Path) -> list[Conversation]:
    """Read and validate the suite.

    Raises:
        CaseFileError: The file is missing or empty, or a line is invalid (all are listed).

    """
    if not path.exists():
        raise CaseFileError(f"No conversation suite at {path}")
    cases: list[Conversation] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: not JSON ({exc.msg} at column {exc.colno})")
            continue
        label = f"{where} ({raw['id']})" if isinstance(raw, dict) and "id" in raw else where
        try:
            case = Conversation.model_validate(raw)
        except ValidationError as exc:
            problems += [f"{label}: {_at(e['loc'])}: {e['msg']}" for e in exc.errors()]
            continue
        if case.id in seen:
            problems.append(f"{label}: id: {case.id!r} is used already on line {seen[case.id]}")
        seen[case.id] = number
        cases.append(case)
    if problems:
        more = f"\n… and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise CaseFileError(
            f"Invalid conversation suite {path}:\n" + "\n".join(problems[:20]) + more
        )
    if not cases:
        raise CaseFileError(f"{path} holds no conversations")
    return cases


def _at(loc: tuple[int | str, ...]) -> str:
    """Name a place in a line (`turns[2].expect.format`), or `line` for the whole object."""
    parts = [f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc]
    return "".join(parts).lstrip(".") or "line"
