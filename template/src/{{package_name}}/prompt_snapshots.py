"""Prompt snapshots: every version of a prompt must keep rendering the golden cases as committed.

For each prompt a kind renders in its evals, `evals/prompt_snapshots/<name>@v<N>.json` holds,
per golden case, a short hash of the render inputs and of the rendered messages, plus the full
messages of one example case, so that a review shows the prompt's text. A check compares the
current rendering with the file:

- the messages changed for the same inputs: the prompt text (or the code that renders it)
  changed. A released version is frozen, so the fix is a new version `v<N+1>.j2`; an
  unreleased draft can accept its new rendering with `make prompt-snapshots accept=NAME@vN`.
- the inputs changed (the golden set, the corpus or the parser moved, not the prompt): refresh
  with `make prompt-snapshots`.
- a version has no snapshot yet: create it with `make prompt-snapshots`, then commit it.

The kind supplies the inputs (`golden_prompt_inputs` in its `evals.py`); this module knows
nothing about what they mean. Prompts no golden case renders (the `smoke` example) are not
snapshotted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .prompts import PROMPTS_DIR, Prompt, PromptRenderError, available_prompts, load_prompt

SNAPSHOT_DIR = Path("evals/prompt_snapshots")
REFRESH_COMMAND = "make prompt-snapshots"

CaseInputs = Mapping[str, Mapping[str, Any]]
"""Golden case id to the variables its prompt is rendered with."""
ProblemKind = Literal["missing", "prompt_changed", "inputs_changed", "render_error"]


class SnapshotError(Exception):
    """Snapshots could not be written without hiding a change to a released prompt."""


@dataclass(frozen=True)
class SnapshotProblem:
    """Why one prompt version does not match its snapshot, and what to do about it."""

    prompt: str
    kind: ProblemKind
    message: str


def snapshot_path(directory: Path, prompt: Prompt) -> Path:
    """Return where the snapshot of `prompt` lives: `<directory>/<name>@<version>.json`."""
    return directory / f"{prompt.name}@{prompt.version}.json"


def _digest(value: Any) -> str:
    """Return a short, stable hash of JSON-ready data (`sha256:` and 16 hex digits)."""
    blob = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
    return "sha256:" + hashlib.sha256(blob).hexdigest()[:16]


def dumps(snapshot: dict[str, Any]) -> str:
    """Return the snapshot as JSON for review: one line per case, the example spread out."""
    head = {k: v for k, v in snapshot.items() if k != "cases"}
    cases = ",\n".join(
        f"    {json.dumps(case)}: {json.dumps(hashes)}"
        for case, hashes in snapshot["cases"].items()
    )
    text = json.dumps(head, indent=2, ensure_ascii=False)
    return f'{text[:-2]},\n  "cases": {{\n{cases}\n  }}\n}}\n'


def take_snapshot(prompt: Prompt, inputs: CaseInputs) -> dict[str, Any]:
    """Render every case and return the snapshot: hashes per case and one example in full.

    Raises:
        PromptRenderError: The prompt cannot be rendered with a case's variables.

    """
    cases: dict[str, dict[str, str]] = {}
    example: dict[str, Any] = {}
    for case_id, variables in inputs.items():
        messages = [[m.role, m.content] for m in prompt.render(**variables)]
        cases[case_id] = {"inputs": _digest(variables), "messages": _digest(messages)}
        if not example:  # the kind lists its most telling case first
            example = {
                "case": case_id,
                "messages": [{"role": r, "lines": c.splitlines()} for r, c in messages],
            }
    return {
        "prompt": f"{prompt.name}@{prompt.version}",
        "refresh": REFRESH_COMMAND,
        "example": example,
        "cases": dict(sorted(cases.items())),
    }


def compare(prompt: Prompt, inputs: CaseInputs, directory: Path) -> SnapshotProblem | None:
    """Compare the current rendering of `prompt` with its snapshot; None when they agree."""
    ref, path = f"{prompt.name}@{prompt.version}", snapshot_path(directory, prompt)
    if not path.exists():
        return SnapshotProblem(
            ref,
            "missing",
            f"No prompt snapshot for {ref} ({path}): create it with `{REFRESH_COMMAND}`, "
            "review it and commit it.",
        )
    try:
        current = take_snapshot(prompt, inputs)["cases"]
    except PromptRenderError as exc:
        return SnapshotProblem(ref, "render_error", f"{ref} no longer renders: {exc}")
    saved: dict[str, dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))["cases"]
    same_inputs = [c for c in current if c in saved and saved[c]["inputs"] == current[c]["inputs"]]
    changed = [c for c in same_inputs if saved[c]["messages"] != current[c]["messages"]]
    if changed:
        return SnapshotProblem(ref, "prompt_changed", _prompt_changed(prompt, changed, path))
    moved = sorted(set(current).symmetric_difference(saved) | (set(current) - set(same_inputs)))
    if moved:
        return SnapshotProblem(
            ref,
            "inputs_changed",
            f"The render inputs of {len(moved)} golden case(s) ({_some(moved)}) changed since "
            f"{ref} was snapshotted: the golden set, the corpus or the parser moved, not the "
            f"prompt. Refresh with `{REFRESH_COMMAND}` and commit {path}.",
        )
    return None


def _prompt_changed(prompt: Prompt, cases: list[str], path: Path) -> str:
    """Explain a changed rendering of a prompt version and the two ways forward."""
    ref = f"{prompt.name}@{prompt.version}"
    following = f"v{int(prompt.version.removeprefix('v')) + 1}.j2"
    return (
        f"{ref} renders {len(cases)} golden case(s) ({_some(cases)}) differently from its "
        f"snapshot {path}, with the same inputs: its text changed. Released prompt versions "
        f"are frozen, so that reports and traces naming {ref} stay comparable: restore "
        f"{prompt.path.name} and put the change in a new version, {prompt.name}/{following}. "
        f"If {ref} is an unreleased draft, accept its new rendering with "
        f"`{REFRESH_COMMAND} accept={ref}`."
    )


def _some(items: list[str], limit: int = 5) -> str:
    """Name the first few items, and how many more there are."""
    more = f", and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def _versions(inputs_by_prompt: Mapping[str, CaseInputs], prompts_dir: Path) -> list[Prompt]:
    """Return every version of every prompt the kind renders in its evals."""
    catalogue = available_prompts(prompts_dir)
    return [
        load_prompt(name, version, directory=prompts_dir)
        for name in inputs_by_prompt
        for version in catalogue.get(name, [])
    ]


def check_snapshots(
    inputs_by_prompt: Mapping[str, CaseInputs],
    directory: Path = SNAPSHOT_DIR,
    *,
    prompts_dir: Path = PROMPTS_DIR,
) -> list[SnapshotProblem]:
    """Compare every version of every prompt with its snapshot; return what does not match."""
    problems = []
    for prompt in _versions(inputs_by_prompt, prompts_dir):
        problem = compare(prompt, inputs_by_prompt[prompt.name], directory)
        if problem is not None:
            problems.append(problem)
    return problems


def write_snapshots(
    inputs_by_prompt: Mapping[str, CaseInputs],
    directory: Path = SNAPSHOT_DIR,
    *,
    accept: frozenset[str] = frozenset(),
    prompts_dir: Path = PROMPTS_DIR,
) -> list[str]:
    """Write missing snapshots and refresh those whose inputs moved; return what was done.

    A version whose rendering changed for the same inputs is rewritten only when it is named
    in `accept` (`name@vN`, an unreleased draft).

    Raises:
        SnapshotError: A version's text changed and it was not accepted; the others are written.

    """
    done, refused = [], []
    for prompt in _versions(inputs_by_prompt, prompts_dir):
        inputs = inputs_by_prompt[prompt.name]
        problem = compare(prompt, inputs, directory)
        if problem is None:
            continue
        if problem.kind == "render_error" or (
            problem.kind == "prompt_changed" and problem.prompt not in accept
        ):
            refused.append(problem.message)
            continue
        path = snapshot_path(directory, prompt)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dumps(take_snapshot(prompt, inputs)), encoding="utf-8")
        done.append(f"wrote {path} ({problem.kind.replace('_', ' ')})")
    if refused:
        raise SnapshotError("\n".join([*done, *refused]))
    return done
