"""The agent's commands: `run`, `approve`, `reject`, `runs`, `world`, `policies`.

Exit codes (the same for `run`, `approve` and `reject`): 0 the run completed; 3 it is paused,
waiting for `approve RUN_ID` or `reject RUN_ID`; 1 it stopped at a limit (steps, tool calls,
time, budget) or failed, or the command could not work (the message says why, in one line);
2 a usage error.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy.exc import SQLAlchemyError

from ..config import get_settings
from ..retrieval.documents import IngestError
from ..retrieval.store import StoreError
from .loop import Agent, RunStateError
from .policy import allowed
from .runs import Run, RunStatus
from .settings import get_agent_settings
from .support import ToolError
from .world import metadata, open_world

PROJECT = __name__.split(".")[0].replace("_", "-")
"""The command's name, as installed (`my-agent` for the package `my_agent`)."""

EXIT_PAUSED = 3
EXIT_STOPPED = 1
RESULT_CHARS = 160  # a tool result longer than this is shortened in the step list


@contextmanager
def agent_errors() -> Iterator[None]:
    """Turn what can go wrong with the agent's store, tools and index into one-line errors."""
    try:
        yield
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc)
        raise click.ClickException(
            f"The world store (AGENT_WORLD_URL) is not reachable: {reason.splitlines()[0]}"
        ) from None
    except (ToolError, IngestError, StoreError, RunStateError) as exc:
        raise click.ClickException(str(exc)) from None


@contextmanager
def opened_agent() -> Iterator[Agent]:
    """Build the agent from the settings; close it (MCP servers, stores) afterwards."""
    from .build import build_agent

    with agent_errors():
        agent = build_agent(get_settings(), get_agent_settings())
    try:
        with agent_errors():
            yield agent
    finally:
        agent.close()


@click.command("run")
@click.argument("task")
@click.option("--thread", "thread_id", help="Continue this thread (a previous run's thread id).")
@click.option("--allow", help="Comma list of the only tools this run may call (default: all).")
@click.option(
    "--approve",
    "decision",
    flag_value="approve",
    help="Approve every call the run pauses for, without asking.",
)
@click.option("--reject", "decision", flag_value="reject", help="Reject them instead.")
@click.option("--note", default="", help="The note that goes with --approve or --reject.")
@click.option("--json", "as_json", is_flag=True, help="Print the run as JSON.")
def run_command(
    task: str,
    thread_id: str | None,
    allow: str | None,
    decision: str | None,
    note: str,
    as_json: bool,
) -> None:
    """Run TASK with the agent: print its steps and final message.

    A run that pauses for an approval prints the calls it waits for and how to decide
    (exit 3), unless --approve or --reject decides them at once.

    \b
    Exit codes:
      0  the run completed
      1  it stopped at a limit or failed, or the command could not work
      2  misuse (an empty or over-long TASK, an unknown tool in --allow)
      3  it is paused, waiting for `approve RUN_ID` or `reject RUN_ID`
    """  # noqa: D301 - \b (a backspace) keeps click from rewrapping the list
    from .api import TASK_MAX_CHARS

    task = task.strip()
    if not task:
        raise click.UsageError("TASK is empty; say what to do, e.g. run 'Refund INV-1004'")
    if len(task) > TASK_MAX_CHARS:
        raise click.UsageError(f"TASK has {len(task)} characters; the limit is {TASK_MAX_CHARS}")
    tools = [name.strip() for name in allow.split(",") if name.strip()] if allow else None
    with opened_agent() as agent:
        try:
            allowed(agent.registry, tools)
        except ValueError as exc:
            raise click.UsageError(f"--allow: {exc}") from None
        run = agent.run(task, thread_id=thread_id, allow=tools)
        while run.status == RunStatus.PAUSED and decision is not None:
            run = agent.resume(run.id, approve=decision == "approve", note=note)
    _report(run, as_json)


def _decide_command(approve: bool) -> click.Command:
    """Return the `approve` or `reject` command."""
    verb = "approve" if approve else "reject"

    @click.command(verb)
    @click.argument("run_id")
    @click.option("--note", default="", help="Why; the model reads it.")
    @click.option("--json", "as_json", is_flag=True, help="Print the run as JSON.")
    def decide(run_id: str, note: str, as_json: bool) -> None:
        """Decide the calls the paused run RUN_ID waits for, then let it go on."""
        with opened_agent() as agent:
            run = agent.resume(run_id, approve=approve, note=note)
        _report(run, as_json)

    decide.help = (
        f"{verb.capitalize()} the calls the paused run RUN_ID waits for, then let it go on."
        + (" The calls run first." if approve else " The model hears the rejection.")
        + "\n\n\b\nExit codes:\n  0  the run completed\n"
        + "  1  it stopped at a limit or failed, or RUN_ID is unknown or not paused\n"
        + "  2  misuse\n  3  it paused again, waiting for another decision"
    )
    return decide


@click.command("runs")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON.")
def runs_command(limit: int, as_json: bool) -> None:
    """List the most recent runs, newest first."""
    with opened_agent() as agent:
        recent = agent.store.recent(limit)
    if as_json:
        click.echo(json.dumps([run.to_dict() for run in recent], indent=2))
        return
    if not recent:
        click.echo(f"No runs yet. Start one with: {PROJECT} run 'TASK'")
        return
    for run in recent:
        task = run.task if len(run.task) <= 70 else run.task[:69] + "…"
        click.echo(f"{run.id}  {run.status:<15} {task}")


@click.group("world")
def world_group() -> None:
    """Inspect or reset the world the agent acts on (AGENT_WORLD_URL)."""


@world_group.command("reset")
@click.confirmation_option(prompt="Reset customers, invoices and tickets to the sample data?")
def world_reset() -> None:
    """Put the sample data back: every refund, plan change and note is undone (runs are kept)."""
    with agent_errors():
        world = open_world(get_agent_settings().world_url)
        try:
            world.reset()
        finally:
            world.close()
    click.echo("The world holds the sample data again.")


@world_group.command("show")
def world_show() -> None:
    """Count the rows of each table, and list what runs changed."""
    with agent_errors():
        world = open_world(get_agent_settings().world_url)
        try:
            snapshot = world.snapshot()
        finally:
            world.close()
    for table in metadata.sorted_tables:
        if table.name in snapshot:
            click.echo(f"{table.name:<14} {len(snapshot[table.name])}")
    for name in ("refunds", "plan_changes", "ticket_notes"):
        for row in snapshot[name]:
            if row.get("run_id"):
                fields = {k: v for k, v in row.items() if k not in ("id", "run_id")}
                click.echo(f"  {name}: {json.dumps(fields)} (run {row['run_id']})")


@click.group("policies")
def policies_group() -> None:
    """Build or search the index of the policy documents (search_policies)."""


@policies_group.command("index")
@click.option("--rebuild", is_flag=True, help="Drop the index and embed everything again.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def policies_index(rebuild: bool, as_json: bool) -> None:
    """Index AGENT_POLICIES_DIR into AGENT_POLICIES_URL (only what changed, unless --rebuild)."""
    from .policies import PolicySearch

    search = PolicySearch(get_agent_settings())
    try:
        with agent_errors():
            summary = search.index(rebuild=rebuild)
    finally:
        search.close()
    click.echo(json.dumps(summary.to_dict(), indent=2) if as_json else summary.describe())


@policies_group.command("search")
@click.argument("query")
@click.option("-k", type=click.IntRange(1, 8), default=3, show_default=True)
def policies_search(query: str, k: int) -> None:
    """Show what search_policies returns for QUERY."""
    from .policies import PolicySearch

    search = PolicySearch(get_agent_settings())
    try:
        with agent_errors():
            passages = search.search(query, k)
    finally:
        search.close()
    if not passages:
        click.echo("No passage is relevant to this query.")
    for passage in passages:
        click.echo(f"[{passage.score:.4f}] {passage.title} ({passage.source})\n  {passage.text}\n")


def describe(run: Run) -> list[str]:
    """Return a run as lines: each step, then what it waits for or how it ended."""
    lines = [f"Run {run.id} (thread {run.thread_id})"]
    for n, step in enumerate(run.steps, start=1):
        if step.kind == "model":
            said = f" {_short(step.result)!r}" if step.result else ""
            lines.append(
                f"{n:>3}. model {step.name}:{said} ({step.tokens_in} in, {step.tokens_out} out "
                f"tokens, ${step.cost_usd:.6f}, {step.latency_ms:.1f} ms)"
            )
        elif step.kind == "tool":
            arguments = json.dumps(step.arguments) if step.arguments is not None else "(invalid)"
            result = _short(step.result or "")
            lines.append(f"{n:>3}. tool {step.name} {arguments} -> {step.status}: {result}")
        else:
            note = f": {step.result}" if step.result else ""
            lines.append(f"{n:>3}. a person {step.status} {step.name}{note}")
    tokens_in, tokens_out = run.tokens
    lines.append("")
    if run.status == RunStatus.PAUSED:
        lines.append("Paused: waiting for a person to approve or reject")
        lines += [f"  - {call.name} {call.arguments}" for call in run.pending]
        lines.append("Decide with one of:")
        lines += [f"  {PROJECT} {verb} {run.id} [--note TEXT]" for verb in ("approve", "reject")]
    else:
        lines.append(f"{run.status}: {run.final}")
    lines.append(
        f"({_count(run.model_calls, 'model call')}, {_count(run.tool_calls, 'tool call')}, "
        f"{tokens_in} in / {tokens_out} out tokens, ${run.cost_usd:.6f}, "
        f"{run.elapsed_s * 1000:.0f} ms)"
    )
    return lines


def _short(text: str) -> str:
    """Return `text` on one line, cut to RESULT_CHARS."""
    line = " ".join(text.split())
    return line if len(line) <= RESULT_CHARS else line[: RESULT_CHARS - 1] + "…"


def _report(run: Run, as_json: bool) -> None:
    """Print the run, then exit with its code (0 completed, 3 paused, 1 stopped)."""
    click.echo(json.dumps(run.to_dict(), indent=2) if as_json else "\n".join(describe(run)))
    if run.status == RunStatus.PAUSED:
        click.get_current_context().exit(EXIT_PAUSED)
    if run.status != RunStatus.COMPLETED:
        click.get_current_context().exit(EXIT_STOPPED)


def register(group: click.Group) -> None:
    """Add the agent's commands to the project CLI."""
    group.add_command(run_command)
    group.add_command(_decide_command(approve=True))
    group.add_command(_decide_command(approve=False))
    group.add_command(runs_command)
    group.add_command(world_group)
    group.add_command(policies_group)


def _count(n: int, noun: str) -> str:
    """Return `n noun`, with the noun plural unless n is 1 ("1 tool call", "2 tool calls")."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
