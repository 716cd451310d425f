"""What the agent records per ended run for the drift check (the kind's contract).

A run is recorded once, by the request that ends it: `POST /runs` when it ends at once, or the
approve or reject that lets a paused run finish (a pause records nothing: the run is not over).
No raw text leaves the request unless DRIFT_RECORD_TEXT=true: the signals are counts, flags,
the status, the prompt version and the task's embedding by the shared static embedder (about
30 microseconds once it is loaded).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..signals import Exchange, Observation, Signal, SignalContract, Tracked
from .feedback import to_eval_case

if TYPE_CHECKING:
    from ..retrieval.embeddings import Embedder
    from .runs import Run

FAILED = frozenset(
    {"error", "timeout", "invalid_arguments", "unknown_tool", "not_allowed", "cut_off", "denied"}
)
"""Tool-step statuses that count as a tool error (a person's rejection is not one)."""

SIGNALS = (
    Signal("task_chars", "continuous", "length of the task, in characters"),
    Signal("steps", "continuous", "model calls the run made"),
    Signal("tool_calls", "continuous", "tool calls the run made"),
    Signal(
        "tool_errors",
        "continuous",
        "tool calls that failed, timed out, had invalid arguments or were refused",
    ),
    Signal(
        "status",
        "categorical",
        "how the run ended: completed, max_steps, max_tool_calls, timeout, budget_exceeded, error",
    ),
    Signal("rejected", "boolean", "a person rejected at least one of the run's calls"),
    Signal(
        "latency_ms",
        "continuous",
        "time the agent worked on the run, in ms (waiting for a person excluded)",
    ),
    Signal("input_tokens", "continuous", "tokens sent to the model over the run"),
    Signal("output_tokens", "continuous", "tokens the model returned over the run"),
    Signal("cost_usd", "continuous", "cost of the run's model calls, in US dollars"),
    Signal("prompt_version", "categorical", "the system prompt of the run, as name@version"),
)

CONTRACT = SignalContract(
    kind="agent",
    signals=SIGNALS,
    embedding="task_embedding",
    embedding_description="the task's 256-d WordLlama embedding (what it is about)",
    to_eval_case=to_eval_case,
)


def track_run(run: Run, embedder: Embedder) -> Tracked:
    """Return the signals and the exchange of one ended run."""
    tokens_in, tokens_out = run.tokens
    tools = [step for step in run.steps if step.kind == "tool"]
    decisions = [step.status for step in run.steps if step.kind == "approval"]
    observation = Observation(
        values={
            "task_chars": len(run.task),
            "steps": run.model_calls,
            "tool_calls": len(tools),
            "tool_errors": sum(1 for step in tools if step.status in FAILED),
            "status": str(run.status),
            "rejected": "rejected" in decisions,
            "latency_ms": round(run.elapsed_s * 1000, 3),
            "input_tokens": tokens_in,
            "output_tokens": tokens_out,
            "cost_usd": run.cost_usd,
            "prompt_version": run.prompt_version,
        },
        embedding=embedder.embed([run.task])[0],
        text=run.task,
    )
    return Tracked(observation, exchange(run))


def exchange(run: Run) -> Exchange:
    """Return what a rating of this run refers to: the task, and what the agent did."""
    calls: list[dict[str, Any]] = [
        {"tool": step.name, "arguments": step.arguments, "status": step.status}
        for step in run.steps
        if step.kind == "tool"
    ]
    decisions = [
        {"tool": step.name, "decision": step.status, "note": step.result}
        for step in run.steps
        if step.kind == "approval"
    ]
    return Exchange(
        input={
            "task": run.task,
            "thread_id": run.thread_id,
            "allow": run.allowed_tools if run.restricted else None,
        },
        output={
            "run_id": run.id,
            "status": str(run.status),
            "final": run.final,
            "calls": calls,
            "decisions": decisions,
            "prompt_version": run.prompt_version,
            "model_calls": run.model_calls,
            "cost_usd": run.cost_usd,
        },
    )
