"""The bounded agent loop: the model proposes tool calls, guardrails decide, tools run.

Each run ends with a status and a final message, never a hang: it stops at `max_steps` model
calls, `max_tool_calls` tool calls, `timeout_s` of wall clock, or its token and cost budget
(checked with the worst case of the next call before it is made; the shared model client's
process-wide budgets hold under concurrency on top). A tool that raises, times out or gets
invalid arguments answers the model with the error, and after `max_tool_failures` failures it
is taken away for the rest of the run. A call to an `ask` tool pauses the run with its state
saved; `resume` continues it after a person approves or rejects, even after a restart.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextvars import copy_context
from dataclasses import dataclass
from typing import Any, Protocol

from opentelemetry import trace
from opentelemetry.trace import Span, StatusCode

from ..llm import BudgetExceededError, LLMClient, LLMError, Message, ToolCall
from ..observability import get_logger
from ..prompts import Prompt
from .metrics import APPROVALS, RUNS, STEPS, TOOL_CALLS, UNKNOWN_TOOL
from .policy import Approval, Policy, allowed
from .runs import Run, RunStatus, RunStore, Step
from .settings import AgentSettings
from .support import RUN_ID, ToolError
from .tools import ToolArgumentError, ToolRegistry

logger = get_logger(__name__)
tracer = trace.get_tracer(__name__)


class RunStateError(ValueError):
    """The run cannot do what was asked: it is not paused, or it was decided already."""


class RunNotFoundError(RunStateError):
    """No run has this id."""


class Closeable(Protocol):
    """Something the agent owns and releases when it closes (an MCP server, a store)."""

    def close(self) -> None:
        """Release it."""


@dataclass(frozen=True)
class _Outcome:
    """What one tool call produced: the text the model sees, and how it went."""

    text: str
    status: str


class Agent:
    """Runs tasks with tools, within limits, pausing for approvals."""

    name = "support-agent"

    def __init__(
        self,
        settings: AgentSettings,
        llm: LLMClient,
        registry: ToolRegistry,
        store: RunStore,
        prompt: Prompt,
        *,
        resources: Sequence[Closeable] = (),
    ) -> None:
        self.settings = settings
        self.llm = llm
        self.registry = registry
        self.store = store
        self.prompt = prompt
        self.policy = Policy(settings.approval)
        self.resources = list(resources)

    # --- public -------------------------------------------------------------------------

    def run(
        self, task: str, *, thread_id: str | None = None, allow: Sequence[str] | None = None
    ) -> Run:
        """Work on `task` until it is done, paused for an approval, or stopped by a limit.

        Raises:
            ValueError: `allow` names a tool that does not exist.

        """
        run = Run(
            id=self.store.new_id(),
            thread_id=thread_id or self.store.new_id(),
            task=task,
            allowed_tools=allowed(self.registry, allow),
            prompt_version=f"{self.prompt.name}@{self.prompt.version}",
            restricted=allow is not None,
        )
        earlier = self.store.thread(run.thread_id) if thread_id else []
        history = [
            m for r in earlier for m in (Message("user", r.task), Message("assistant", r.final))
        ]
        *system, user = self.prompt.render(task=task)
        run.messages = [*system, *history, user]
        return self._drive(run)

    def resume(self, run_id: str, *, approve: bool, note: str = "") -> Run:
        """Decide the pending calls of a paused run, then let it go on.

        The run is claimed in the store first, so that two decisions on the same run (two
        people, or a double click) cannot both run its calls: the second one is refused.

        Raises:
            RunNotFoundError: No run has this id.
            RunStateError: The run is not waiting for a decision (any more).

        """
        claimed = self.store.claim(run_id)
        run = self.store.load(run_id)
        if run is None:
            raise RunNotFoundError(f"no run {run_id}")
        if not claimed or not run.pending:
            status = RunStatus.RUNNING if run.status == RunStatus.PAUSED else run.status
            raise RunStateError(f"run {run_id} is {status}, not waiting for an approval")
        pending, run.pending = run.pending, []
        run.status = RunStatus.RUNNING
        token = RUN_ID.set(run.id)  # side effects of approved calls belong to this run
        try:
            for call in pending:
                self._decide(run, call, approve=approve, note=note)
        finally:
            RUN_ID.reset(token)
        return self._drive(run)

    def _decide(self, run: Run, call: ToolCall, *, approve: bool, note: str) -> None:
        """Record a person's decision on one call; run it when approved."""
        decision = "approved" if approve else "rejected"
        run.steps.append(
            Step("approval", call.name, decision, result=note or None, call_id=call.id)
        )
        APPROVALS.labels(decision=decision).inc()
        logger.info("run %s: a person %s %s (%s)", run.id, decision, call.name, call.id)
        if approve:
            self._execute(run, call)
            return
        reason = f" ({note})" if note else ""
        text = f"A person rejected this call{reason}; do not retry it."
        self._answer(run, call, _Outcome(text, "rejected"))

    # --- the loop -----------------------------------------------------------------------

    def _drive(self, run: Run) -> Run:
        """Call the model and run tools until the run ends or pauses; save it on the way."""
        started = time.perf_counter() - run.elapsed_s
        with tracer.start_as_current_span(f"invoke_agent {self.name}") as span:
            span.set_attribute("gen_ai.operation.name", "invoke_agent")
            span.set_attribute("gen_ai.agent.name", self.name)
            span.set_attribute("agent.run.id", run.id)
            span.set_attribute("gen_ai.conversation.id", run.thread_id)
            span.set_attribute("gen_ai.prompt.name", self.prompt.name)
            span.set_attribute("gen_ai.prompt.version", self.prompt.version)
            token = RUN_ID.set(run.id)
            try:
                while run.status == RunStatus.RUNNING:
                    run.elapsed_s = time.perf_counter() - started
                    self._step(run)
                    self.store.save(run)
            except Exception as exc:  # an unexpected failure ends the run, with its reason
                logger.exception("run %s failed", run.id)
                self._finish(run, RunStatus.ERROR, f"The run failed: {type(exc).__name__}: {exc}")
            finally:
                RUN_ID.reset(token)
            run.elapsed_s = time.perf_counter() - started
            self.store.save(run)
            _describe(span, run)
        self._observe(run)
        return run

    def _observe(self, run: Run) -> None:
        """Count an ended run in the metrics and log one line about it (a pause too)."""
        tokens_in, tokens_out = run.tokens
        if run.status != RunStatus.PAUSED:
            RUNS.labels(status=str(run.status)).inc()
            STEPS.observe(run.model_calls)
        logger.info(
            "run %s %s after %d model calls and %d tool calls",
            run.id,
            run.status,
            run.model_calls,
            run.tool_calls,
            extra={
                "run_id": run.id,
                "thread_id": run.thread_id,
                "status": str(run.status),
                "model_calls": run.model_calls,
                "tool_calls": run.tool_calls,
                "input_tokens": tokens_in,
                "output_tokens": tokens_out,
                "cost_usd": round(run.cost_usd, 8),
                "latency_ms": round(run.elapsed_s * 1000, 1),
                "pending": [call.name for call in run.pending],
            },
        )

    def _step(self, run: Run) -> None:
        """Make one model call and act on its answer."""
        limit = self._limit_reached(run)
        if limit is not None:
            self._finish(run, *limit)
            return
        tools = self.registry.specs(self._usable(run))
        try:
            completion = self.llm.complete(
                run.messages,
                prompt=self.prompt.ref,
                tools=tools,
                max_tokens=self.settings.max_output_tokens,
            )
        except BudgetExceededError as exc:
            self._finish(run, RunStatus.BUDGET, f"Stopped: the model budget is spent ({exc}).")
            return
        except LLMError as exc:
            self._finish(run, RunStatus.ERROR, f"Stopped: the model could not be reached ({exc}).")
            return
        run.steps.append(
            Step(
                "model",
                completion.model,
                "ok",
                result=completion.text or None,
                tokens_in=completion.usage.input_tokens,
                tokens_out=completion.usage.output_tokens,
                cost_usd=completion.cost_usd,
                latency_ms=completion.latency_ms,
            )
        )
        run.messages.append(Message("assistant", completion.text, completion.tool_calls))
        if not completion.tool_calls:
            self._finish(run, RunStatus.COMPLETED, completion.text)
            return
        for call in completion.tool_calls:
            if run.tool_calls >= self.settings.max_tool_calls:
                self._answer(
                    run, call, _Outcome("Not run: the run's tool-call limit is reached.", "limit")
                )
                continue
            self._gate(run, call)
        if run.pending:
            run.status = RunStatus.PAUSED
            run.final = _waiting(run.pending)

    def _limit_reached(self, run: Run) -> tuple[RunStatus, str] | None:
        """Return the limit that stops the run before its next model call, if any."""
        cfg = self.settings
        tokens, usd = self.llm.estimate(
            run.messages,
            max_tokens=cfg.max_output_tokens,
            tools=self.registry.specs(self._usable(run)),
        )
        over_cost = cfg.max_cost_usd is not None and run.cost_usd + usd > cfg.max_cost_usd
        limits = (
            (
                run.elapsed_s > cfg.timeout_s,
                RunStatus.TIMEOUT,
                f"{cfg.timeout_s:g} s of wall clock (AGENT_TIMEOUT_S)",
            ),
            (
                run.model_calls >= cfg.max_steps,
                RunStatus.MAX_STEPS,
                f"{cfg.max_steps} model calls (AGENT_MAX_STEPS)",
            ),
            (
                run.tool_calls >= cfg.max_tool_calls,
                RunStatus.MAX_TOOL_CALLS,
                f"{cfg.max_tool_calls} tool calls (AGENT_MAX_TOOL_CALLS)",
            ),
            (
                sum(run.tokens) + tokens > cfg.max_tokens,
                RunStatus.BUDGET,
                f"its token budget: the next call could pass {cfg.max_tokens} (AGENT_MAX_TOKENS)",
            ),
            (
                over_cost,
                RunStatus.BUDGET,
                f"its cost budget: the next call could pass ${cfg.max_cost_usd} "
                "(AGENT_MAX_COST_USD)",
            ),
        )
        for reached, status, what in limits:
            if reached:
                return status, f"Stopped at {what} before finishing."
        return None

    def _usable(self, run: Run) -> list[str]:
        """Return the allowed tools that have not failed too often in this run."""
        cut = self.settings.max_tool_failures
        return [name for name in run.allowed_tools if run.tool_failures.get(name, 0) < cut]

    def _gate(self, run: Run, call: ToolCall) -> None:
        """Decide one tool call: refuse it, run it, or keep it for a person's approval."""
        tool = self.registry.get(call.name)
        if tool is None:
            usable = ", ".join(self._usable(run))
            text = f"Error: there is no tool named {call.name!r}; use one of: {usable}."
            self._answer(run, call, _Outcome(text, "unknown_tool"))
            return
        if call.name not in run.allowed_tools:
            self._answer(
                run,
                call,
                _Outcome(f"Error: {call.name} is not allowed in this run.", "not_allowed"),
            )
            return
        if call.name not in self._usable(run):
            self._answer(
                run,
                call,
                _Outcome(
                    f"Error: {call.name} failed too often and is no longer available.", "cut_off"
                ),
            )
            return
        decision = self.policy.decide(tool)
        if decision == Approval.DENY:
            self._answer(run, call, _Outcome(f"Error: policy denies {call.name}.", "denied"))
            return
        try:
            tool.validate(call.arguments)
        except ToolArgumentError as exc:
            self._fail(run, call.name)
            self._answer(run, call, _Outcome(f"Error: {exc}", "invalid_arguments"))
            return
        if decision == Approval.ASK:
            run.pending.append(call)
            return
        self._execute(run, call)

    def _execute(self, run: Run, call: ToolCall) -> None:
        """Run one validated tool call with its timeout; answer the model with the result."""
        tool = self.registry.get(call.name)
        if tool is None:  # pragma: no cover - _gate checked it before the call was kept
            raise RuntimeError(f"no tool {call.name}")
        timeout = tool.timeout_s or self.settings.tool_timeout_s
        started = time.perf_counter()
        with tracer.start_as_current_span(f"execute_tool {call.name}") as span:
            span.set_attribute("gen_ai.operation.name", "execute_tool")
            span.set_attribute("gen_ai.tool.name", call.name)
            span.set_attribute("gen_ai.tool.call.id", call.id)
            span.set_attribute("gen_ai.tool.type", "function")
            span.set_attribute("gen_ai.tool.description", tool.description[:300])
            try:
                arguments = tool.validate(call.arguments)
                result = _call_with_timeout(tool.fn, arguments, timeout)
                outcome = _Outcome(self._cap(_json(result)), "ok")
            except ToolArgumentError as exc:
                outcome = _Outcome(f"Error: {exc}", "invalid_arguments")
            except FutureTimeout:
                outcome = _Outcome(
                    f"Error: {call.name} did not answer within {timeout:g} s.", "timeout"
                )
            except ToolError as exc:
                outcome = _Outcome(f"Error: {call.name}: {exc}", "error")
            except Exception as exc:
                outcome = _Outcome(
                    f"Error: {call.name} failed: {type(exc).__name__}: {exc}", "error"
                )
            span.set_attribute("agent.tool.outcome", outcome.status)
            if outcome.status != "ok":
                span.set_attribute("error.type", outcome.status)
                span.set_status(StatusCode.ERROR, outcome.text[:200])
        if outcome.status != "ok":
            self._fail(run, call.name)
        self._answer(run, call, outcome, latency_ms=(time.perf_counter() - started) * 1000)

    def _answer(self, run: Run, call: ToolCall, outcome: _Outcome, latency_ms: float = 0.0) -> None:
        """Give the model a call's result and record the step."""
        run.messages.append(Message("tool", outcome.text, tool_call_id=call.id))
        run.steps.append(
            Step(
                "tool",
                call.name,
                outcome.status,
                arguments=_arguments(call.arguments),
                result=outcome.text,
                call_id=call.id,
                latency_ms=latency_ms,
            )
        )
        known = self.registry.get(call.name) is not None
        TOOL_CALLS.labels(tool=call.name if known else UNKNOWN_TOOL, outcome=outcome.status).inc()
        fields = {"run_id": run.id, "tool": call.name, "call_id": call.id}
        logger.info(
            "run %s: tool %s %s in %.1f ms",
            run.id,
            call.name,
            outcome.status,
            latency_ms,
            extra={**fields, "outcome": outcome.status, "latency_ms": round(latency_ms, 3)},
        )
        if logger.isEnabledFor(logging.DEBUG):  # arguments and results may hold personal data
            logger.debug(
                "run %s: tool %s(%s) -> %s",
                run.id,
                call.name,
                call.arguments,
                outcome.text,
                extra={**fields, "arguments": call.arguments, "result": outcome.text},
            )

    def _fail(self, run: Run, name: str) -> None:
        """Count a failure of tool `name` in this run."""
        run.tool_failures[name] = run.tool_failures.get(name, 0) + 1

    def _cap(self, text: str) -> str:
        """Cut a tool's output to what the model may see."""
        limit = self.settings.max_tool_output_chars
        if len(text) <= limit:
            return text
        return f"{text[:limit]}… [cut: {len(text) - limit} more characters]"

    def _finish(self, run: Run, status: RunStatus, final: str) -> None:
        """End the run with `status` and its final message."""
        run.status, run.final = status, final

    def close(self) -> None:
        """Release what the agent owns: MCP servers, the policy index, the world store.

        A tool still running in its thread is not waited for: its thread is a daemon, so it
        never keeps the process alive, and its result is dropped.
        """
        for resource in reversed(self.resources):
            try:
                resource.close()
            except Exception:
                logger.exception("could not close %r", resource)
        self.resources.clear()


def _call_with_timeout(
    fn: Callable[..., object], arguments: dict[str, Any], timeout_s: float
) -> object:
    """Run `fn(**arguments)` in a daemon thread; return its result, or raise after `timeout_s`.

    A thread per call (about 0.1 ms) rather than a pool: a tool that hangs keeps only its own
    thread, never a pool slot that the next call would queue behind, and a daemon thread
    never blocks the process from exiting. The call sees the caller's context (the run id,
    the current span).

    Raises:
        concurrent.futures.TimeoutError: It did not return in time (it is abandoned).
        Exception: Whatever `fn` raised.

    """
    future: Future[object] = Future()
    context = copy_context()

    def target() -> None:
        try:
            future.set_result(context.run(fn, **arguments))
        except BaseException as exc:
            future.set_exception(exc)

    threading.Thread(target=target, name="agent-tool", daemon=True).start()
    return future.result(timeout=timeout_s)


def _describe(span: Span, run: Run) -> None:
    """Put a run's outcome on its `invoke_agent` span."""
    tokens_in, tokens_out = run.tokens
    span.set_attribute("gen_ai.usage.input_tokens", tokens_in)
    span.set_attribute("gen_ai.usage.output_tokens", tokens_out)
    span.set_attribute("agent.run.status", str(run.status))
    span.set_attribute("agent.run.model_calls", run.model_calls)
    span.set_attribute("agent.run.tool_calls", run.tool_calls)
    span.set_attribute("agent.run.cost_usd", run.cost_usd)
    if run.status not in (RunStatus.COMPLETED, RunStatus.PAUSED):
        span.set_attribute("error.type", str(run.status))
        span.set_status(StatusCode.ERROR, run.final[:200])


def _json(value: Any) -> str:
    """Return a tool's result as compact JSON text (strings as they are)."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _arguments(text: str) -> dict[str, Any] | None:
    """Return the call's arguments for the trace (None when they are not a JSON object)."""
    try:
        data = json.loads(text or "{}")
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def _waiting(pending: Sequence[ToolCall]) -> str:
    """Say what a paused run waits for."""
    calls = "; ".join(f"{c.name}({c.arguments})" for c in pending)
    return f"Waiting for approval: {calls}"
