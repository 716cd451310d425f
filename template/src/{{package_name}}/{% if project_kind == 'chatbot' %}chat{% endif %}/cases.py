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

The shared reader (`eval_suite.py`) reports every problem of every line at once, as
`file:line (id): where: what`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..eval_suite import RecordError, SuiteError, SuiteFormat, read_suite

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


class CaseFileError(SuiteError):
    """The conversation suite has invalid lines; the message lists every problem by line."""


_FORMAT = SuiteFormat("conversation suite", "conversations", CaseFileError)


def load_cases(path: Path) -> list[Conversation]:
    """Read and validate the suite.

    Raises:
        CaseFileError: The file is missing or empty, or a line is invalid (all are listed).

    """
    return read_suite(path, _conversation, _FORMAT)


def _conversation(raw: dict[str, Any]) -> Conversation:
    """Validate one line of the suite."""
    try:
        return Conversation.model_validate(raw)
    except ValidationError as exc:
        raise RecordError([f"{_at(e['loc'])}: {e['msg']}" for e in exc.errors()]) from None


def _at(loc: tuple[int | str, ...]) -> str:
    """Name a place in a line (`turns[2].expect.format`), or `line` for the whole object."""
    parts = [f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc]
    return "".join(parts).lstrip(".") or "line"
