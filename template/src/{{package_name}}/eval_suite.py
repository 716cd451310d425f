"""The one reader of eval suites: a JSONL file, one JSON object (a case, a task) per line.

Every kind keeps only its validator of one record; this module does the rest, the same way for
all of them: it skips blank lines, parses each line, labels a problem `file:line (id)`, refuses
an id used twice (naming the line that used it first), and collects every problem of every line
into one error, the first `MAX_LISTED` listed and the rest summarised as "… and N more".

A validator takes the parsed object and returns the record, or raises `RecordError` with the
problems it found, each as `where: what` (`turns[0].expect: ...`); the reader adds the label.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from .evaluation import EvalError

MAX_LISTED = 20
"""How many problems an error lists before it summarises the rest."""

T = TypeVar("T")


class SuiteError(EvalError):
    """An eval suite is missing, empty or has invalid lines (the message lists them by line)."""


class RecordError(ValueError):
    """One record of a suite is invalid; `problems` says where and what, one item each."""

    def __init__(self, problems: Sequence[str]) -> None:
        """Keep the problems (at least one) and show them joined."""
        self.problems = list(problems) or ["invalid"]
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class SuiteFormat:
    """How a kind names its suite and its records in messages.

    Attributes:
        name: The suite, as in "No task suite at ..." (`task suite`, `golden set`).
        records: Its records, as in "... holds no tasks" (`tasks`, `cases`).
        error: The error class the kind raises (a `SuiteError`).

    """

    name: str
    records: str
    error: type[SuiteError] = SuiteError


def read_suite(path: Path, validate: Callable[[dict[str, Any]], T], form: SuiteFormat) -> list[T]:
    """Read, parse and validate every line of the suite at `path`; return its records in order.

    Raises:
        SuiteError: (`form.error`) The file is missing or holds no record, or some lines are
            invalid: every problem is listed as `file:line (id): where: what`.

    """
    if not path.exists():
        raise form.error(f"No {form.name} at {path}")
    records: list[T] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        raw, label, trouble = _parse(path, number, line)
        if raw is None:
            problems.append(trouble)
            continue
        try:
            records.append(validate(raw))
        except RecordError as exc:
            problems += [f"{label}: {problem}" for problem in exc.problems]
        ident = raw.get("id")
        if isinstance(ident, str) and ident in seen:
            problems.append(f"{label}: id: {ident!r} is used already on line {seen[ident]}")
        elif isinstance(ident, str):
            seen[ident] = number
    if problems:
        raise form.error(summarise(f"Invalid {form.name} {path}:", problems))
    if not records:
        raise form.error(f"{path} holds no {form.records}")
    return records


def summarise(heading: str, problems: Sequence[str], limit: int = MAX_LISTED) -> str:
    """Return `heading` and the first `limit` problems, one a line, then "… and N more"."""
    more = f"\n… and {len(problems) - limit} more" if len(problems) > limit else ""
    return "\n".join([heading, *problems[:limit]]) + more


def _parse(path: Path, number: int, line: str) -> tuple[dict[str, Any] | None, str, str]:
    """Parse one line; return the object and its label, or None and what is wrong."""
    where = f"{path}:{number}"
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, where, f"{where}: not JSON ({exc.msg} at column {exc.colno})"
    if not isinstance(raw, dict):
        return None, where, f"{where}: not a JSON object (a {type(raw).__name__})"
    ident = raw.get("id")
    return raw, f"{where} ({ident})" if ident is not None else where, ""
