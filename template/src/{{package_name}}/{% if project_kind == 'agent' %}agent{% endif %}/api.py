"""HTTP endpoints of the agent: start a run, follow it, approve or reject its paused calls.

`POST /runs` works on a task until the run completes, pauses for a person, or stops at a
limit, and answers the whole run: every step (model calls with tokens, cost and latency; tool
calls with arguments and results; decisions), the final message and the status. A paused run
waits in the store: `POST /runs/{id}/approve` or `/reject` decides its calls and lets it go
on, from this process or another one after a restart. `GET /samples` gives the web page its
sample tasks; the page itself is `web/panel.js`.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, FastAPI, HTTPException, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.exc import SQLAlchemyError

from ..config import Settings, get_settings
from ..llm.types import Provider
from ..observability import get_logger
from ..operations import track
from ..readiness import store_ready
from ..retrieval.embeddings import signal_embedder
from .build import build_agent
from .build import offline_model as scripted_model
from .loop import Agent, RunNotFoundError, RunStateError
from .policy import allowed
from .runs import Run, RunStatus
from .samples import SAMPLES
from .settings import AgentSettings, get_agent_settings
from .signals import track_run
from .support import ToolError
from .world import open_world

logger = get_logger(__name__)

#: The heading of the web page (the shared shell shows it; this kind's panel is web/panel.js).
PAGE_TITLE = "Support operations agent"

TASK_MAX_CHARS = 4000
RunId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Close the app's agent (MCP servers, indexes, the world store) when the server stops."""
    yield
    agent: Agent | None = getattr(app.state, "agent", None)
    if agent is not None:
        agent.close()
        app.state.agent = None


router = APIRouter(tags=["agent"], lifespan=_lifespan)


class RunRequest(BaseModel):
    """A task, and optionally the thread it continues and the only tools it may use."""

    model_config = ConfigDict(extra="forbid")

    task: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TASK_MAX_CHARS)
    ] = Field(description=f"What to do, 1 to {TASK_MAX_CHARS} characters.")
    thread_id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_-]{1,40}$",
        description="Continue this thread: the run sees its earlier tasks and answers.",
    )
    allow: list[Annotated[str, StringConstraints(min_length=1, max_length=100)]] | None = Field(
        default=None,
        max_length=100,
        description="The only tools this run may call (default: all). Fixed for the run.",
    )


class DecisionRequest(BaseModel):
    """A person's note on their decision (optional)."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=2000, description="Why; the model reads it.")


class StepOut(BaseModel):
    """One step of a run: a model call, a tool call, or a person's decision."""

    kind: Literal["model", "tool", "approval"]
    name: str
    status: str
    arguments: dict[str, Any] | None
    result: str | None
    call_id: str | None
    tokens_in: int
    tokens_out: int
    cost_usd: float
    latency_ms: float


class CallOut(BaseModel):
    """A tool call waiting for a person's approval."""

    id: str
    name: str
    arguments: str


class UsageOut(BaseModel):
    """Tokens of all the run's model calls."""

    input_tokens: int
    output_tokens: int


class RunOut(BaseModel):
    """A run: its steps, what it waits for, its final message, usage, cost and latency."""

    id: str
    thread_id: str
    task: str
    status: RunStatus
    final: str
    steps: list[StepOut]
    pending: list[CallOut]
    allowed_tools: list[str]
    usage: UsageOut
    cost_usd: float
    model_calls: int
    tool_calls: int
    latency_ms: float
    created: float
    prompt_version: str


class RunSummaryOut(BaseModel):
    """A run in a list: what it was asked and how it stands."""

    id: str
    thread_id: str
    task: str
    status: RunStatus
    final: str
    created: float
    model_calls: int
    tool_calls: int
    cost_usd: float


class ThreadOut(BaseModel):
    """The runs of one thread, oldest first."""

    thread_id: str
    runs: list[RunOut]


class SampleOut(BaseModel):
    """A sample task for the web page, and whether it pauses for an approval."""

    task: str
    expect: Literal["approval", "answer"]


_build_lock = threading.Lock()


def get_agent(request: Request) -> Agent:
    """Return the app's agent, built on first use around the app's model client (and budget).

    Raises:
        HTTPException: 503 when the agent cannot start (world store, MCP server).

    """
    state = request.app.state
    agent: Agent | None = getattr(state, "agent", None)
    if agent is not None:
        return agent
    with _build_lock:
        agent = getattr(state, "agent", None)
        if agent is None:
            try:
                agent = build_agent(get_settings(), get_agent_settings(), llm=state.llm)
            except (SQLAlchemyError, ToolError, OSError, ValueError) as exc:
                logger.error("the agent cannot start: %s", exc)
                raise HTTPException(503, f"The agent cannot start: {exc}") from exc
            state.agent = agent
            threading.Thread(target=_warm_embedder, name="warm-embedder", daemon=True).start()
    return agent


def _warm_embedder() -> None:
    """Load the static embedder off the request path (the drift signals embed each task)."""
    try:
        signal_embedder().embed(["warm up"])
    except Exception:  # pragma: no cover - the first real use reports it
        logger.exception("could not load the embedder")


AgentDep = Annotated[Agent, Depends(get_agent)]


@router.post("/runs", status_code=201, response_model=RunOut)
def start_run(body: RunRequest, agent: AgentDep, http: Request, response: Response) -> Any:
    """Run a task: answers when the run completes, pauses for an approval, or hits a limit."""
    try:
        allowed(agent.registry, body.allow)
    except ValueError as exc:
        raise HTTPException(422, f"allow: {exc}") from None
    with _store_errors():
        run = agent.run(body.task, thread_id=body.thread_id, allow=body.allow)
    response.headers["Location"] = f"runs/{run.id}"
    return _answer(http, run)


@router.get("/runs", response_model=list[RunSummaryOut])
def list_runs(agent: AgentDep, limit: Annotated[int, Query(ge=1, le=100)] = 20) -> Any:
    """List the most recent runs, newest first."""
    with _store_errors():
        return [_summary(run) for run in agent.store.recent(limit)]


@router.get("/runs/{run_id}", response_model=RunOut)
def get_run(run_id: RunId, agent: AgentDep) -> Any:
    """Return one run with all its steps."""
    with _store_errors():
        run = agent.store.load(run_id)
    if run is None:
        raise HTTPException(404, f"No run {run_id!r}")
    return _out(run)


@router.post("/runs/{run_id}/approve", response_model=RunOut)
def approve(
    run_id: RunId,
    agent: AgentDep,
    http: Request,
    body: Annotated[DecisionRequest | None, Body()] = None,
) -> Any:
    """Approve the calls a paused run waits for; they run, then the run goes on."""
    return _decide(http, agent, run_id, approve=True, note=(body or DecisionRequest()).note)


@router.post("/runs/{run_id}/reject", response_model=RunOut)
def reject(
    run_id: RunId,
    agent: AgentDep,
    http: Request,
    body: Annotated[DecisionRequest | None, Body()] = None,
) -> Any:
    """Reject the calls a paused run waits for; the model hears why, and the run goes on."""
    return _decide(http, agent, run_id, approve=False, note=(body or DecisionRequest()).note)


@router.get("/threads/{thread_id}", response_model=ThreadOut)
def get_thread(thread_id: RunId, agent: AgentDep) -> Any:
    """Return the runs of a thread, oldest first."""
    with _store_errors():
        runs = agent.store.thread(thread_id)
    if not runs:
        raise HTTPException(404, f"No thread {thread_id!r}")
    return {"thread_id": thread_id, "runs": [_out(run) for run in runs]}


@router.get("/samples", response_model=list[SampleOut])
def samples() -> Any:
    """List the web page's sample tasks: some pause for an approval, some end on their own."""
    return [{"task": s.task, "expect": s.expect} for s in SAMPLES]


def _decide(http: Request, agent: Agent, run_id: str, *, approve: bool, note: str) -> Any:
    """Resume a paused run with a decision; 404 for an unknown run, 409 when not paused."""
    try:
        with _store_errors():
            run = agent.resume(run_id, approve=approve, note=note)
    except RunNotFoundError:
        raise HTTPException(404, f"No run {run_id!r}") from None
    except RunStateError as exc:
        raise HTTPException(409, f"Cannot decide: {exc}") from None
    return _answer(http, run)


def _answer(http: Request, run: Run) -> dict[str, Any]:
    """Record an ended run's signals (and remember it for feedback); return it as JSON."""
    if run.status != RunStatus.PAUSED:
        track(http, lambda: track_run(run, signal_embedder()))
    return _out(run)


def _out(run: Run) -> dict[str, Any]:
    """Return a run as the API shows it (its conversation stays in the store)."""
    data = run.to_dict()
    data["latency_ms"] = round(run.elapsed_s * 1000, 3)
    return data


def _summary(run: Run) -> dict[str, Any]:
    """Return the short form of a run, for lists."""
    return {
        "id": run.id,
        "thread_id": run.thread_id,
        "task": run.task,
        "status": run.status,
        "final": run.final,
        "created": run.created,
        "model_calls": run.model_calls,
        "tool_calls": run.tool_calls,
        "cost_usd": round(run.cost_usd, 8),
    }


@contextmanager
def _store_errors() -> Iterator[None]:
    """Turn a failure of the world store into a 503 in the shared error shape."""
    try:
        yield
    except SQLAlchemyError as exc:
        logger.error("the world store failed: %s", exc)
        raise HTTPException(503, "The world store is not reachable; see the server logs") from exc


def offline_model() -> Provider:
    """Return the model `LLM_PROVIDER=offline` names for this kind: the scripted agent model."""
    return scripted_model(get_agent_settings())


def ready(settings: Settings, agent_settings: AgentSettings | None = None) -> bool:
    """Tell whether the world store answers (it is created and seeded on first use)."""
    url = (agent_settings or get_agent_settings()).world_url
    return store_ready(open_world, url, what="the world store", errors=(SQLAlchemyError,))
