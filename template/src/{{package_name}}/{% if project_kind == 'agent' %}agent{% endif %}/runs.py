"""Runs, their steps, and threads: plain records, stored in the world's database.

A run is saved after every step, so a paused run (waiting for a person to approve a tool call)
survives a restart: `Agent.resume` reads it back, messages and pending calls included. A
thread is the runs that share a `thread_id`; a new run in a thread starts from the earlier
runs' tasks and final answers.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any, Literal

import sqlalchemy as sa

from ..llm import Message, ToolCall
from .world import World, metadata

runs_table = sa.Table(
    "agent_runs",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("thread_id", sa.String(40), nullable=False, index=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("updated", sa.Float, nullable=False),
    sa.Column("state", sa.Text, nullable=False),  # the whole Run as JSON
    info={"world": False},
)


class RunStatus(StrEnum):
    """How a run ended (or that it waits)."""

    RUNNING = "running"
    COMPLETED = "completed"
    PAUSED = "paused"
    MAX_STEPS = "max_steps"
    MAX_TOOL_CALLS = "max_tool_calls"
    TIMEOUT = "timeout"
    BUDGET = "budget_exceeded"
    ERROR = "error"


@dataclass
class Step:
    """One thing a run did: a model call, a tool call, or an approval decision."""

    kind: Literal["model", "tool", "approval"]
    name: str
    status: str
    arguments: dict[str, Any] | None = None
    result: str | None = None
    call_id: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0


@dataclass
class Run:
    """A task the agent works on, from start to its final message."""

    id: str
    thread_id: str
    task: str
    allowed_tools: list[str]
    status: RunStatus = RunStatus.RUNNING
    final: str = ""
    steps: list[Step] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    pending: list[ToolCall] = field(default_factory=list)
    tool_failures: dict[str, int] = field(default_factory=dict)
    elapsed_s: float = 0.0
    created: float = field(default_factory=time.time)
    prompt_version: str = ""
    restricted: bool = False  # the allowlist was given (not every tool)

    @property
    def tool_calls(self) -> int:
        """Return how many tool calls the run made."""
        return sum(1 for s in self.steps if s.kind == "tool")

    @property
    def model_calls(self) -> int:
        """Return how many model calls the run made."""
        return sum(1 for s in self.steps if s.kind == "model")

    @property
    def cost_usd(self) -> float:
        """Return what the run's model calls cost."""
        return sum(s.cost_usd for s in self.steps)

    @property
    def tokens(self) -> tuple[int, int]:
        """Return the run's input and output tokens."""
        return sum(s.tokens_in for s in self.steps), sum(s.tokens_out for s in self.steps)

    def to_dict(self, *, messages: bool = False) -> dict[str, Any]:
        """Return the run as JSON-ready data (its conversation only when asked)."""
        tokens_in, tokens_out = self.tokens
        data: dict[str, Any] = {
            "id": self.id,
            "thread_id": self.thread_id,
            "task": self.task,
            "status": str(self.status),
            "final": self.final,
            "steps": [_step_dict(step) for step in self.steps],
            "pending": [_call_dict(call) for call in self.pending],
            "allowed_tools": self.allowed_tools,
            "usage": {"input_tokens": tokens_in, "output_tokens": tokens_out},
            "cost_usd": round(self.cost_usd, 8),
            "model_calls": self.model_calls,
            "tool_calls": self.tool_calls,
            "elapsed_s": round(self.elapsed_s, 4),
            "created": self.created,
            "prompt_version": self.prompt_version,
            "restricted": self.restricted,
        }
        if messages:
            data["messages"] = [_message_dict(m) for m in self.messages]
            data["tool_failures"] = self.tool_failures
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Run:
        """Rebuild a run saved by `to_dict(messages=True)`."""
        return cls(
            id=data["id"],
            thread_id=data["thread_id"],
            task=data["task"],
            allowed_tools=list(data["allowed_tools"]),
            status=RunStatus(data["status"]),
            final=data["final"],
            steps=[Step(**step) for step in data["steps"]],
            messages=[_message(m) for m in data.get("messages", [])],
            pending=[ToolCall(**call) for call in data["pending"]],
            tool_failures=dict(data.get("tool_failures", {})),
            elapsed_s=float(data["elapsed_s"]),
            created=float(data.get("created", 0.0)),
            prompt_version=str(data.get("prompt_version", "")),
            restricted=bool(data.get("restricted", False)),
        )


_STEP_FIELDS = tuple(f.name for f in fields(Step))


class RunStore:
    """Save and load runs in the world's database."""

    def __init__(self, world: World) -> None:
        self.world = world
        runs_table.create(world.engine, checkfirst=True)

    def new_id(self) -> str:
        """Return a fresh run (or thread) id."""
        return uuid.uuid4().hex

    def save(self, run: Run) -> None:
        """Insert or update a run."""
        state = json.dumps(run.to_dict(messages=True), ensure_ascii=False)
        now = time.time()
        with self.world.begin() as db:
            updated = db.execute(
                runs_table.update()
                .where(runs_table.c.id == run.id)
                .values(status=str(run.status), updated=now, state=state)
            )
            if updated.rowcount == 0:
                db.execute(
                    runs_table.insert().values(
                        id=run.id,
                        thread_id=run.thread_id,
                        status=str(run.status),
                        created=run.created,
                        updated=now,
                        state=state,
                    )
                )

    def claim(self, run_id: str) -> bool:
        """Take a paused run for a decision; False when it is not (or no longer) paused.

        One conditional update, atomic in SQLite and PostgreSQL alike: of two people who
        approve the same run at once, exactly one gets it, so its calls never run twice.
        """
        with self.world.begin() as db:
            claimed = db.execute(
                runs_table.update()
                .where(runs_table.c.id == run_id, runs_table.c.status == str(RunStatus.PAUSED))
                .values(status=str(RunStatus.RUNNING), updated=time.time())
            )
        return claimed.rowcount == 1

    def count(self, status: RunStatus) -> int:
        """Return how many runs have `status` (the paused ones wait for a person)."""
        query = sa.select(sa.func.count()).where(runs_table.c.status == str(status))
        with self.world.engine.connect() as db:
            return int(db.execute(query).scalar_one())

    def load(self, run_id: str) -> Run | None:
        """Return the run with this id, or None."""
        query = sa.select(runs_table.c.state).where(runs_table.c.id == run_id)
        with self.world.engine.connect() as db:
            state = db.execute(query).scalar_one_or_none()
        return None if state is None else Run.from_dict(json.loads(state))

    def thread(self, thread_id: str) -> list[Run]:
        """Return the runs of a thread, oldest first."""
        query = (
            sa.select(runs_table.c.state)
            .where(runs_table.c.thread_id == thread_id)
            .order_by(runs_table.c.created)
        )
        with self.world.engine.connect() as db:
            return [Run.from_dict(json.loads(state)) for state in db.execute(query).scalars()]

    def recent(self, limit: int = 20) -> list[Run]:
        """Return the newest runs first."""
        query = sa.select(runs_table.c.state).order_by(runs_table.c.created.desc()).limit(limit)
        with self.world.engine.connect() as db:
            return [Run.from_dict(json.loads(state)) for state in db.execute(query).scalars()]


def _step_dict(step: Step) -> dict[str, Any]:
    """Return a step as JSON-ready data (shallow: a run is saved after every step)."""
    return {name: getattr(step, name) for name in _STEP_FIELDS}


def _call_dict(call: ToolCall) -> dict[str, Any]:
    """Return a tool call as JSON-ready data."""
    return {"id": call.id, "name": call.name, "arguments": call.arguments}


def _message_dict(message: Message) -> dict[str, Any]:
    """Return a message as JSON-ready data."""
    return {
        "role": message.role,
        "content": message.content,
        "tool_calls": [_call_dict(call) for call in message.tool_calls],
        "tool_call_id": message.tool_call_id,
    }


def _message(data: dict[str, Any]) -> Message:
    """Rebuild a message saved by `_message_dict`."""
    calls = tuple(ToolCall(**call) for call in data.get("tool_calls") or ())
    return Message(data["role"], data["content"], calls, data.get("tool_call_id"))
