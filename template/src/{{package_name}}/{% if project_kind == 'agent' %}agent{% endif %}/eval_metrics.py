"""The agent's eval metrics, as plain functions of a run's tool calls and the task's reference.

A call matches a reference call when the tool is the same and every argument the reference
gives has the same value in the call (arguments the reference leaves out, such as a note's
free text, may be anything). Trajectories are compared through a maximum one-to-one matching
of calls to reference calls, so that a call is never counted twice.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jsonschema

from .tasks import Call

IGNORED_COLUMNS = frozenset({"run_id"})
"""Columns that differ between any two runs (which run wrote the row), never compared."""
FREE_TEXT = {"ticket_notes": frozenset({"note"})}
"""Columns of free text: their presence is compared, not their wording."""


@dataclass(frozen=True)
class MadeCall:
    """A tool call a run made: the tool, and its arguments (None when not a JSON object)."""

    tool: str
    arguments: dict[str, Any] | None


def matches(call: MadeCall, reference: Call) -> bool:
    """Tell whether `call` does what `reference` says (same tool, same given arguments)."""
    if call.tool != reference.tool or call.arguments is None:
        return False
    return all(
        key in call.arguments and _same(call.arguments[key], value)
        for key, value in reference.arguments.items()
    )


def _same(value: Any, expected: Any) -> bool:
    """Compare JSON values; numbers by value (180 equals 180.0), booleans only to booleans."""
    if isinstance(value, bool) or isinstance(expected, bool):
        return value is expected
    if isinstance(value, int | float) and isinstance(expected, int | float):
        return math.isclose(value, expected, rel_tol=0, abs_tol=1e-9)
    return bool(value == expected)


def pairing(calls: Sequence[MadeCall], reference: Sequence[Call]) -> dict[int, int]:
    """Return a maximum matching of calls to reference calls (call index -> reference index)."""
    owner: dict[int, int] = {}  # reference index -> call index

    def place(i: int, tried: set[int]) -> bool:
        for j, ref in enumerate(reference):
            if j in tried or not matches(calls[i], ref):
                continue
            tried.add(j)
            if j not in owner or place(owner[j], tried):
                owner[j] = i
                return True
        return False

    for i in range(len(calls)):
        place(i, set())
    return {i: j for j, i in owner.items()}


def trajectory(calls: Sequence[MadeCall], reference: Sequence[Call]) -> dict[str, bool]:
    """Compare a run's calls with the reference four ways.

    strict: the same calls in the same order; unordered: the same calls in any order;
    subset: every call is in the reference (nothing extra); superset: every reference call
    was made (nothing missing), extra calls allowed.
    """
    paired = len(pairing(calls, reference))
    return {
        "strict": len(calls) == len(reference)
        and all(matches(c, r) for c, r in zip(calls, reference, strict=True)),
        "unordered": paired == len(calls) == len(reference),
        "subset": paired == len(calls),
        "superset": paired == len(reference),
    }


def precision_recall(calls: Sequence[MadeCall], reference: Sequence[Call]) -> tuple[float, float]:
    """Return (matched calls / calls made, matched calls / reference calls); 1.0 for none."""
    paired = len(pairing(calls, reference))
    precision = paired / len(calls) if calls else 1.0
    recall = paired / len(reference) if reference else 1.0
    return precision, recall


def argument_problems(
    call: MadeCall, schemas: Mapping[str, Mapping[str, Any]], reference: Sequence[Call]
) -> list[str]:
    """Return what is wrong with one call's arguments (nothing when they are right).

    The tool must exist; the arguments must be a JSON object with every required parameter,
    no parameter outside the schema, values of the schema's types and within its allowed
    values (enum, pattern, bounds, lengths); and where a reference call of the same tool gives
    a parameter the call gives too, the values must agree with one such reference call.
    """
    schema = schemas.get(call.tool)
    if schema is None:
        return [f"{call.tool}: no such tool"]
    if call.arguments is None:
        return [f"{call.tool}: the arguments are not a JSON object"]
    problems = [
        f"{call.tool}: {_KINDS.get(error.validator, 'value not allowed')}: {error.message}"
        for error in jsonschema.Draft202012Validator(schema).iter_errors(call.arguments)
    ]
    same_tool = [ref for ref in reference if ref.tool == call.tool]
    shared = [{k: v for k, v in ref.arguments.items() if k in call.arguments} for ref in same_tool]
    if same_tool and not any(
        all(_same(call.arguments[k], v) for k, v in given.items()) for given in shared
    ):
        problems.append(f"{call.tool}: values differ from the reference's: {call.arguments}")
    return problems


_KINDS = {
    "required": "missing required parameter",
    "additionalProperties": "unexpected parameter",
    "type": "wrong type",
}


def pass_hat_k(successes: Sequence[bool], k: int) -> float:
    """Return the chance that k trials drawn from these all succeed (pass^k, unbiased).

    With n trials of which c succeeded: C(c, k) / C(n, k) (tau-bench's estimator); with
    n == k it is 1.0 when every trial succeeded, else 0.0.

    Raises:
        ValueError: Fewer than k trials.

    """
    n, c = len(successes), sum(successes)
    if n < k:
        raise ValueError(f"pass^{k} needs at least {k} trials, got {n}")
    return math.comb(c, k) / math.comb(n, k)


def normalise(snapshot: Mapping[str, Iterable[Mapping[str, Any]]]) -> dict[str, list[str]]:
    """Return a world snapshot ready to compare: no run ids, free text reduced to presence."""
    out: dict[str, list[str]] = {}
    for table, rows in snapshot.items():
        masked = FREE_TEXT.get(table, frozenset())
        out[table] = sorted(
            _row(
                {
                    k: ("<text>" if k in masked and v else v)
                    for k, v in row.items()
                    if k not in IGNORED_COLUMNS
                }
            )
            for row in rows
        )
    return out


def state_difference(
    actual: Mapping[str, Iterable[Mapping[str, Any]]],
    expected: Mapping[str, Iterable[Mapping[str, Any]]],
) -> list[str]:
    """Return how the world after a run differs from the expected world (nothing when equal)."""
    got, want = normalise(actual), normalise(expected)
    lines = []
    for table in sorted(set(got) | set(want)):
        have, need = Counter(got.get(table, [])), Counter(want.get(table, []))
        extra, missing = sorted((have - need).elements()), sorted((need - have).elements())
        lines += [f"{table}: unexpected {row}" for row in extra]
        lines += [f"{table}: missing {row}" for row in missing]
    return lines


def facts(final: str, must_include: Sequence[str], must_not_include: Sequence[str]) -> list[str]:
    """Return the required facts missing from the final message and the forbidden ones in it."""
    low = final.lower()
    missing = [f"missing {s!r}" for s in must_include if s.lower() not in low]
    forbidden = [f"contains {s!r}" for s in must_not_include if s.lower() in low]
    return missing + forbidden


def _row(row: Mapping[str, Any]) -> str:
    """Render a row as stable text (sorted keys)."""
    return ", ".join(f"{k}={row[k]!r}" for k in sorted(row))
