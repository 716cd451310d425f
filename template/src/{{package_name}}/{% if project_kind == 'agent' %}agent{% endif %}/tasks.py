"""The task suite (`evals/cases.jsonl`): one JSON task per line, validated with clear errors.

Every line is checked twice: against `TASK_SCHEMA` (JSON Schema, with `jsonschema`: field
names, types, allowed values), then against the agent's tools (a reference names a real tool,
gives only parameters it has, with values its schema accepts, and stays inside the task's
allowlist). The shared reader (`eval_suite.py`) reports every problem of every line at once,
as `file:line (id): where: what`.
The fields are documented in the README ("Evaluation results") and in `TASK_SCHEMA` below.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from ..eval_suite import RecordError, SuiteError, SuiteFormat, read_suite
from .runs import RunStatus
from .tools import Tool

CATEGORIES = (
    "refund",
    "plan",
    "ticket",
    "lookup",
    "irrelevant",
    "adversarial",
    "failing",
    "ambiguous",
)
_CALL = {
    "type": "object",
    "required": ["tool", "arguments"],
    "additionalProperties": False,
    "properties": {
        "tool": {"type": "string", "pattern": r"^[A-Za-z_][\w.-]*$"},
        "arguments": {"type": "object"},
    },
}
_TEXTS = {"type": "array", "items": {"type": "string", "minLength": 1}}
TASK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "task", "category", "reference"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": r"^[\w.-]{1,40}$"},
        "task": {"type": "string", "minLength": 1, "maxLength": 4000},
        "category": {"enum": list(CATEGORIES)},
        "allow": {"type": ["array", "null"], "items": {"type": "string"}, "uniqueItems": True},
        "decision": {"enum": ["approve", "reject", None]},
        "reference": {"type": "array", "items": _CALL},
        "expected_status": {"enum": [str(s) for s in RunStatus if s != RunStatus.RUNNING]},
        "must_include": _TEXTS,
        "must_not_include": _TEXTS,
        "optional": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
        "setup": {"type": "array", "items": _CALL},
        "files": {
            "type": "object",
            "propertyNames": {"pattern": r"^(?!/)(?!.*(?:^|/)\.\.(?:/|$))[\w./-]{1,200}$"},
            "additionalProperties": {"type": "string"},
        },
        "injected": {"type": "array", "items": _CALL},
    },
}
"""The shape of one task line; see the README for what each field means."""


class TaskFileError(SuiteError):
    """The task suite has invalid lines; the message lists every problem by line."""


@dataclass(frozen=True)
class Call:
    """A tool call of a reference, a setup or an injection: a tool and (some) arguments."""

    tool: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class TaskCase:
    """One task of the suite, with what a correct run does and ends with."""

    id: str
    task: str
    category: str
    reference: list[Call]
    allow: list[str] | None = None
    decision: str | None = None
    expected_status: str = "completed"
    must_include: list[str] = field(default_factory=list)
    must_not_include: list[str] = field(default_factory=list)
    optional: list[str] = field(default_factory=list)
    setup: list[Call] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    injected: list[Call] = field(default_factory=list)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> TaskCase:
        """Build a case from a line that passed `TASK_SCHEMA`."""

        def calls(key: str) -> list[Call]:
            return [Call(c["tool"], dict(c["arguments"])) for c in raw.get(key, [])]

        return cls(
            id=raw["id"],
            task=raw["task"],
            category=raw["category"],
            reference=calls("reference"),
            allow=raw.get("allow"),
            decision=raw.get("decision"),
            expected_status=raw.get("expected_status", "completed"),
            must_include=list(raw.get("must_include", [])),
            must_not_include=list(raw.get("must_not_include", [])),
            optional=list(raw.get("optional", [])),
            setup=calls("setup"),
            files=dict(raw.get("files", {})),
            injected=calls("injected"),
        )


def load_tasks(path: Path, tools: Mapping[str, Tool] | None = None) -> list[TaskCase]:
    """Read and validate the task suite; with `tools`, check it against the agent's tools.

    Raises:
        TaskFileError: The file is missing or empty, or a line is invalid (all are listed).

    """
    validator = jsonschema.Draft202012Validator(TASK_SCHEMA)

    def validate(raw: dict[str, Any]) -> TaskCase:
        errors = sorted(validator.iter_errors(raw), key=lambda e: list(e.absolute_path))
        if errors:
            raise RecordError([f"{_at(e.absolute_path)}: {e.message}" for e in errors])
        case = TaskCase.from_dict(raw)
        problems = check_against_tools(case, tools or {})
        if problems:
            raise RecordError(problems)
        return case

    return read_suite(path, validate, SuiteFormat("task suite", "tasks", TaskFileError))


def check_against_tools(case: TaskCase, tools: Mapping[str, Tool]) -> list[str]:
    """Return what is wrong with a case given the agent's tools (nothing when `tools` is empty).

    A reference or setup call must name a tool, give only its parameters and values its
    schema accepts (a reference may leave parameters out: free text such as a note); a
    reference call must be allowed by the task's allowlist. Injected calls may name anything:
    they are what a planted text asks for.
    """
    if not tools:
        return []
    problems = [
        f"allow[{i}]: {name!r} is not a tool; known: {', '.join(sorted(tools))}"
        for i, name in enumerate(case.allow or [])
        if name not in tools
    ]
    for key in ("reference", "setup"):
        for i, call in enumerate(getattr(case, key)):
            where = f"{key}[{i}]"
            tool = tools.get(call.tool)
            if tool is None:
                problems.append(
                    f"{where}.tool: {call.tool!r} is not a tool; known: {', '.join(sorted(tools))}"
                )
                continue
            problems += [f"{where}.arguments: {p}" for p in _partial_problems(tool, call, key)]
            if key == "reference" and case.allow is not None and call.tool not in case.allow:
                problems.append(f"{where}.tool: {call.tool!r} is outside the task's allow list")
    return problems


def _partial_problems(tool: Tool, call: Call, key: str) -> list[str]:
    """Check the arguments a call gives against the tool's schema (all required for setup)."""
    schema = dict(tool.parameters)
    if key == "reference":
        schema = {**schema, "required": []}  # a reference may leave free text out
    validator = jsonschema.Draft202012Validator(schema)
    return [f"{_at(e.absolute_path)}: {e.message}" for e in validator.iter_errors(call.arguments)]


def _at(path: Any) -> str:
    """Name a place in a JSON document (`reference[2].tool`), or `task` for the whole line."""
    parts = [f"[{p}]" if isinstance(p, int) else f".{p}" for p in path]
    return "".join(parts).lstrip(".") or "task"
