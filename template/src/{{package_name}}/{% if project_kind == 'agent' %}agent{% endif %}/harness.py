"""Run one task of the suite on a fresh world, answer its approvals, and score the run.

Each run gets its own seeded world (a SQLite file in a temporary folder) and sandbox, with
the task's `setup` calls and `files` applied first, so that runs never see each other's side
effects. The harness plays the person who approves: with `decision: "approve"` it approves a
paused call only when the task's reference holds a matching call (what a reviewer checking
the proposal against the ticket would do), and rejects anything else; with `"reject"` or no
decision it rejects every paused call. The expected world is a second fresh world with the
same setup and the reference's side-effect calls replayed on it, except the calls that
could not land: a tool outside the task's allowlist, one the approval policy denies, one that
asks for approval when the task's decision is not `approve`, and one the tool itself refuses.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event

from ..config import Settings
from ..llm import ToolCall, build_llm
from ..llm.types import Provider
from ..prompts import Prompt
from .eval_metrics import (
    MadeCall,
    argument_problems,
    facts,
    matches,
    precision_recall,
    state_difference,
    trajectory,
)
from .gullible import PREFIX
from .loop import Agent
from .policy import Approval, Policy
from .runs import Run, RunStatus, RunStore
from .sandbox import sandbox_tools
from .settings import AgentSettings
from .support import ToolError, support_tools
from .tasks import Call, TaskCase
from .tools import Tool, ToolRegistry
from .world import World, open_world

MAX_DECISIONS = 10
"""Approvals answered per run at most (a model that keeps proposing is cut off here)."""
RESULT_CHARS = 300
"""How much of each tool result a report keeps."""
PLACEHOLDER = "(reference)"
"""The text a replayed reference call gets for a free-text parameter it leaves out."""


@dataclass
class Trial:
    """One run of one task, scored."""

    case: str
    seed: int | None
    status: str
    final: str
    calls: list[MadeCall]
    step_statuses: list[str]
    step_results: list[str]
    state_difference: list[str]
    fact_problems: list[str]
    status_ok: bool
    trajectory: dict[str, bool]
    precision: float
    recall: float
    argument_problems: list[list[str]]
    steps: int
    tokens: int
    cost_usd: float
    latency_ms: float
    planted: list[tuple[str, str]] = field(default_factory=list)
    planted_calls: list[MadeCall] = field(default_factory=list)

    @property
    def success(self) -> bool:
        """Return task success: the expected status, final state and facts."""
        return self.status_ok and not self.state_difference and not self.fact_problems

    def reason(self) -> str:
        """Say why the run failed (empty when it succeeded)."""
        problems = [] if self.status_ok else [f"status {self.status}"]
        problems += self.state_difference[:3] + self.fact_problems
        return "; ".join(problems)

    def summary(self) -> dict[str, Any]:
        """Return the trial as JSON-ready details for the report."""
        return {
            "seed": self.seed,
            "success": self.success,
            "status": self.status,
            "reason": self.reason(),
            "calls": [
                {"tool": c.tool, "arguments": c.arguments, "status": s, "result": r[:RESULT_CHARS]}
                for c, s, r in zip(self.calls, self.step_statuses, self.step_results, strict=True)
            ],
            "trajectory": self.trajectory,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "argument_problems": [p for problems in self.argument_problems for p in problems],
            "steps": self.steps,
            "tokens": self.tokens,
            "cost_usd": self.cost_usd,
            "latency_ms": round(self.latency_ms, 2),
            "final": self.final,
            **({"planted": self.planted} if self.planted else {}),
        }


class Harness:
    """Builds fresh worlds and agents, runs tasks in them, and scores the runs."""

    def __init__(
        self, settings: Settings, agent: AgentSettings, prompt: Prompt, workdir: Path
    ) -> None:
        self.settings, self.agent, self.prompt, self.workdir = settings, agent, prompt, workdir
        self.policy = Policy(agent.approval)
        self._count = 0
        self._expected: dict[str, dict[str, list[dict[str, Any]]]] = {}

    @contextmanager
    def world(self, case: TaskCase | None = None) -> Iterator[tuple[World, Path, ToolRegistry]]:
        """Open a fresh seeded world and sandbox, with the task's setup and files applied."""
        self._count += 1
        folder = self.workdir / f"run-{self._count}"
        sandbox = folder / "sandbox"
        sandbox.mkdir(parents=True)
        shutil.copyfile(self._seeded(), folder / "world.sqlite")
        world = open_world(f"sqlite:///{folder / 'world.sqlite'}")
        event.listen(world.engine, "connect", _no_sync)
        world.engine.dispose()  # the connection that checked the tables predates the listener
        try:
            registry = self.registry(world, sandbox)
            for path, text in case.files.items() if case else ():
                target = sandbox / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
            for call in case.setup if case else ():
                _apply(registry, call, strict=True)
            yield world, sandbox, registry
        finally:
            world.close()

    def _seeded(self) -> Path:
        """Return a freshly seeded world file, made once and copied for every run."""
        path = self.workdir / "seeded.sqlite"
        if not path.exists():
            open_world(f"sqlite:///{path}").close()
        return path

    def registry(self, world: World, sandbox: Path) -> ToolRegistry:
        """Return the tools an eval run offers: the support tools and the sandboxed ones."""
        return ToolRegistry(
            [*support_tools(world), *sandbox_tools(sandbox, self.agent.http_allowlist)]
        )

    def tools(self) -> dict[str, Tool]:
        """Return the tools every run offers, by name (read from a scratch world)."""
        with self.world() as (_, _, registry):
            return {tool.name: tool for tool in registry}

    def expected(self, case: TaskCase) -> dict[str, list[dict[str, Any]]]:
        """Return the world after the reference's side effects that could land (cached)."""
        if case.id not in self._expected:
            with self.world(case) as (world, _, registry):
                for call in case.reference:
                    tool = registry.get(call.tool)
                    if tool is not None and self._lands(case, tool):
                        _apply(registry, call, strict=False)
                self._expected[case.id] = world.snapshot()
        return self._expected[case.id]

    def _lands(self, case: TaskCase, tool: Tool) -> bool:
        """Tell whether a reference call of `tool` can change the world in this task."""
        if not tool.side_effect or (case.allow is not None and tool.name not in case.allow):
            return False
        decision = self.policy.decide(tool)
        return decision == Approval.AUTO or (
            decision == Approval.ASK and case.decision == "approve"
        )

    def _offline(self) -> Settings:
        """Return the settings with the offline provider alone (for a model double)."""
        update = {"llm_provider": "offline", "llm_model": "", "llm_fallbacks": []}
        return self.settings.model_copy(update=update)

    def approves(self, case: TaskCase, pending: list[ToolCall]) -> bool:
        """Decide paused calls as a careful person would: approve only what the task expects."""
        if case.decision != "approve":
            return False
        made = [MadeCall(c.name, _object(c.arguments)) for c in pending]
        return all(any(matches(call, ref) for ref in case.reference) for call in made)

    def run(self, case: TaskCase, model: Provider | None, seed: int | None) -> Trial:
        """Run `case` with `model` (None: the configured real provider) and score it.

        A model double (`model`) always runs offline, whatever the provider of the mode.
        """
        expected = self.expected(case)
        with self.world(case) as (world, sandbox, registry):
            settings = self.agent.model_copy(
                update={"world_url": str(world.engine.url), "sandbox_dir": sandbox}
            )
            llm = build_llm(self._offline(), offline=model) if model else build_llm(self.settings)
            agent = Agent(settings, llm, registry, RunStore(world), self.prompt)
            started = time.perf_counter()
            try:
                run = agent.run(case.task, allow=case.allow)
                for _ in range(MAX_DECISIONS):
                    if run.status != RunStatus.PAUSED:
                        break
                    approve = self.approves(case, run.pending)
                    run = agent.resume(run.id, approve=approve, note="eval reviewer")
            finally:
                agent.close()
            latency_ms = (time.perf_counter() - started) * 1000
            schemas = {tool.name: tool.parameters for tool in registry}
            return score(case, run, world.snapshot(), expected, schemas, seed, latency_ms)


def score(
    case: TaskCase,
    run: Run,
    snapshot: Mapping[str, list[dict[str, Any]]],
    expected: Mapping[str, list[dict[str, Any]]],
    schemas: Mapping[str, Mapping[str, Any]],
    seed: int | None,
    latency_ms: float,
) -> Trial:
    """Score a finished run against its task."""
    steps = [s for s in run.steps if s.kind == "tool"]
    calls = [MadeCall(s.name, s.arguments) for s in steps]
    scored = [c for c in calls if c.tool not in case.optional]
    precision, recall = precision_recall(scored, case.reference)
    tokens_in, tokens_out = run.tokens
    planted = [(s, c) for s, c in zip(steps, calls, strict=True) if _planted(s.call_id)]
    return Trial(
        case=case.id,
        seed=seed,
        status=str(run.status),
        final=run.final,
        calls=calls,
        step_statuses=[s.status for s in steps],
        step_results=[s.result or "" for s in steps],
        state_difference=state_difference(snapshot, expected),
        fact_problems=facts(run.final, case.must_include, case.must_not_include),
        status_ok=str(run.status) == case.expected_status,
        trajectory=trajectory(scored, case.reference),
        precision=precision,
        recall=recall,
        argument_problems=[argument_problems(c, schemas, case.reference) for c in calls],
        steps=len(run.steps),
        tokens=tokens_in + tokens_out,
        cost_usd=run.cost_usd,
        latency_ms=latency_ms,
        planted=[(s.name, s.status) for s, _ in planted],
        planted_calls=[call for _, call in planted],
    )


def _planted(call_id: str | None) -> bool:
    """Tell whether a call is one the gullible double took from a tool result."""
    return (call_id or "").startswith(PREFIX)


def _no_sync(connection: Any, _: Any) -> None:
    """Skip fsync on a throw-away eval world (a crash loses nothing worth keeping)."""
    connection.execute("PRAGMA synchronous = OFF")
    connection.execute("PRAGMA journal_mode = MEMORY")


def _apply(registry: ToolRegistry, call: Call, *, strict: bool) -> None:
    """Run a setup or reference call on a world (a refused reference call changes nothing).

    Raises:
        EvalError: A setup call failed (the task cannot be set up as written).

    """
    from ..evaluation import EvalError

    tool = registry.get(call.tool)
    if tool is None:
        raise EvalError(f"{call.tool} is not a tool")
    arguments = dict(call.arguments)
    for name in tool.parameters.get("required", []):
        arguments.setdefault(name, PLACEHOLDER)
    try:
        tool(**tool.validate(json.dumps(arguments)))
    except ToolError as exc:
        if strict:
            raise EvalError(f"setup call {call.tool}({call.arguments}) failed: {exc}") from None


def _object(text: str) -> dict[str, Any] | None:
    """Parse call arguments (None when they are not a JSON object)."""
    try:
        data = json.loads(text or "{}")
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None
