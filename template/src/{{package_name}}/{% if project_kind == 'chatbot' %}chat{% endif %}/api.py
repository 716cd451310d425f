"""HTTP endpoints of the chatbot: threads, streamed turns (server-sent events), exports.

`POST /threads/{id}/messages` answers `text/event-stream`: one `event: <kind>` and one
`data: <json>` per `ChatEvent` (`start`, `sources`, `token`s, then `done` or `error`). The
thread id `new` creates a thread. The message and the thread are checked before the stream
starts, so an empty or over-long message is a 422, an unknown or deleted thread a 404 and a
spent quota a 429, in the shared error shape. When the client goes away mid-stream, the turn's
cancel event is set and the reply is stored `stopped` with the text so far.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import PlainTextResponse, StreamingResponse
from pydantic import StringConstraints
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from ..access import supplied_key
from ..config import Settings, get_settings
from ..llm.types import Provider
from ..observability import get_logger
from ..readiness import store_ready
from . import metrics
from .ab import compare, prompt_versions
from .engine import ChatEngine
from .event_stream import stream_response
from .events import (
    ChatEvent,
    ChatInputError,
    MessageNotFoundError,
    QuotaExceededError,
    ThreadNotFoundError,
)
from .offline import offline_model as chat_model
from .records import StoreError
from .samples import SAMPLES
from .schemas import (
    ABIn,
    MessageIn,
    SampleOut,
    ThreadCreate,
    ThreadOut,
    ThreadPatch,
    TreeOut,
    VoteIn,
)
from .settings import ChatSettings, get_chat_settings
from .store import ChatStore, open_store
from .wiring import build_retriever

logger = get_logger(__name__)

#: The heading of the web page (the shared shell shows it; this kind's panel is web/panel.js).
PAGE_TITLE = "Northwind Cloud assistant"

Id = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Close the app's chatbot (the message store, the documents' index) when it stops."""
    yield
    engine: ChatEngine | None = getattr(app.state, "chat_engine", None)
    if engine is not None:
        engine.store.close()
        close = getattr(engine.retriever, "close", None)
        if close is not None:
            close()
        app.state.chat_engine = None


router = APIRouter(tags=["chat"], lifespan=_lifespan)


_build_lock = threading.Lock()


def get_engine(request: Request) -> ChatEngine:
    """Return the app's chat engine, built on first use around the app's model client.

    Raises:
        HTTPException: 503 when the message store cannot be opened.

    """
    state = request.app.state
    engine: ChatEngine | None = getattr(state, "chat_engine", None)
    if engine is not None:
        return engine
    with _build_lock:
        engine = getattr(state, "chat_engine", None)
        if engine is None:
            chat = get_chat_settings()
            try:
                store = open_store(chat.db_url)
            except (SQLAlchemyError, OSError) as exc:
                logger.error("the message store cannot open: %s", exc)
                raise HTTPException(503, f"The message store cannot open: {exc}") from exc
            engine = build_engine(get_settings(), chat, store=store, llm=state.llm)
            state.chat_engine = engine
    return engine


def build_engine(
    settings: Settings, chat: ChatSettings, *, store: ChatStore, llm: Any
) -> ChatEngine:
    """Return a chat engine over `store` and `llm`, grounded when the project is."""
    return ChatEngine(settings, chat, llm=llm, store=store, retriever=build_retriever(chat))


EngineDep = Annotated[ChatEngine, Depends(get_engine)]


@router.post("/threads", status_code=201, response_model=ThreadOut)
def create_thread(engine: EngineDep, body: ThreadCreate | None = None) -> Any:
    """Create an empty thread."""
    return engine.store.create_thread((body or ThreadCreate()).title).to_dict()


@router.get("/threads", response_model=list[ThreadOut])
def list_threads(
    engine: EngineDep,
    q: Annotated[str, Query(max_length=200)] = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Any:
    """List threads, most recent first; `q` searches titles and messages."""
    return [t.to_dict() for t in engine.store.list_threads(q, limit)]


@router.get("/threads/{thread_id}", response_model=TreeOut)
def get_thread(thread_id: Id, engine: EngineDep) -> Any:
    """Return a thread's tree: every message with its `parent_id`, and the active leaf."""
    tree = engine.store.export_json(thread_id)
    if tree is None:
        raise HTTPException(404, f"No thread {thread_id!r}")
    return tree


@router.patch("/threads/{thread_id}", response_model=ThreadOut)
def patch_thread(thread_id: Id, body: ThreadPatch, engine: EngineDep) -> Any:
    """Rename a thread or switch its branch (to the newest leaf under the given message)."""
    try:
        thread = engine.store.update_thread(
            thread_id, title=body.title, active_leaf_id=body.active_leaf_id
        )
    except StoreError as exc:
        raise HTTPException(422, str(exc)) from None
    if thread is None:
        raise HTTPException(404, f"No thread {thread_id!r}")
    return thread.to_dict()


@router.delete("/threads/{thread_id}", status_code=204)
def delete_thread(thread_id: Id, engine: EngineDep) -> Response:
    """Delete a thread (it is gone from every route after)."""
    if not engine.store.delete_thread(thread_id):
        raise HTTPException(404, f"No thread {thread_id!r}")
    return Response(status_code=204)


@router.get("/threads/{thread_id}/export", response_model=None)
def export_thread(thread_id: Id, engine: EngineDep, format: Literal["json", "md"] = "json") -> Any:
    """Export a thread: JSON (the whole tree) or Markdown (the active branch)."""
    if format == "md":
        text = engine.store.export_markdown(thread_id)
        if text is None:
            raise HTTPException(404, f"No thread {thread_id!r}")
        return PlainTextResponse(text, media_type="text/markdown; charset=utf-8")
    tree = engine.store.export_json(thread_id)
    if tree is None:
        raise HTTPException(404, f"No thread {thread_id!r}")
    return tree


@router.post("/threads/{thread_id}/messages", response_class=StreamingResponse)
async def post_message(
    thread_id: Id, body: MessageIn, engine: EngineDep, request: Request
) -> StreamingResponse:
    """Send a message and stream the reply as server-sent events (`new` creates a thread)."""
    cancel = threading.Event()
    events = await _checked(
        lambda: engine.turn(
            thread_id,
            body.content,
            parent_id=body.parent_id,
            cancel=cancel,
            user=_user(request),
        )
    )
    return stream_response(request, events, cancel, engine.stored_text(body.content.strip()))


@router.post("/messages/{message_id}/regenerate", response_class=StreamingResponse)
async def regenerate(message_id: Id, engine: EngineDep, request: Request) -> StreamingResponse:
    """Stream another reply beside `message_id` (a reply, or the user message it answers)."""
    cancel = threading.Event()
    events = await _checked(
        lambda: engine.regenerate(message_id, cancel=cancel, user=_user(request))
    )
    return stream_response(request, events, cancel, _asked(engine, message_id))


@router.post("/ab")
async def ab_turn(body: ABIn, engine: EngineDep, request: Request) -> Any:
    """Answer a message with both prompt versions; show the replies unlabelled, a and b."""
    versions = prompt_versions(engine.chat.ab_prompts)
    if versions is None:
        raise HTTPException(
            409, "A/B is off: set CHAT_AB_PROMPTS=chat_system@v1,chat_system@v2 (two versions)"
        )
    first, second = (engine.variant(version) for version in versions)
    user = _user(request)
    comparison = await _checked_call(
        lambda: compare(first, second, body.thread_id, body.content, user=user)
    )
    return comparison.to_dict()


@router.post("/ab/{vote_id}/vote")
def ab_vote(vote_id: Id, body: VoteIn, engine: EngineDep) -> Any:
    """Record which reply of a comparison was better (once)."""
    recorded = engine.store.vote_ab(vote_id, body.winner)
    if recorded is None:
        raise HTTPException(404, f"No comparison {vote_id!r}")
    if not recorded:
        raise HTTPException(409, f"Comparison {vote_id!r} already has a vote")
    metrics.AB_VOTES.labels(winner=body.winner).inc()
    return {"vote_id": vote_id, "winner": body.winner}


@router.get("/samples", response_model=list[SampleOut])
def samples() -> Any:
    """List the web page's sample first messages."""
    return [{"message": s.message, "expect": s.expect} for s in SAMPLES]


async def _checked(start: Callable[[], Iterator[ChatEvent]]) -> Iterator[ChatEvent]:
    """Check a turn before its stream starts; map its refusals to HTTP errors."""
    events: Iterator[ChatEvent] = await _checked_call(start)
    return events


async def _checked_call(call: Callable[[], Any]) -> Any:
    """Run `call` in a worker thread; map a turn's refusals to HTTP errors."""
    try:
        return await run_in_threadpool(call)
    except ChatInputError as exc:
        raise HTTPException(422, str(exc)) from None
    except (ThreadNotFoundError, MessageNotFoundError) as exc:
        raise HTTPException(404, str(exc)) from None
    except QuotaExceededError as exc:
        reset = exc.reset_at.strftime("%a, %d %b %Y %H:%M:%S GMT")
        raise HTTPException(429, str(exc), headers={"X-Quota-Reset": reset}) from None


def _asked(engine: ChatEngine, message_id: str) -> str:
    """Return the (stored) user message a regenerated reply answers."""
    message = engine.store.get_message(message_id)
    if message is not None and message.role == "assistant" and message.parent_id:
        message = engine.store.get_message(message.parent_id)
    return message.content if message is not None else ""


def _user(request: Request) -> str:
    """Name whose quota a message counts against: its API key (hashed), else its IP."""
    key = supplied_key({k.lower(): v for k, v in request.headers.items()})
    if key:
        return "key:" + hashlib.sha256(key.encode()).hexdigest()[:16]
    return "ip:" + (request.client.host if request.client else "unknown")


def offline_model() -> Provider:
    """Return the model `LLM_PROVIDER=offline` names for this kind: the offline chat model."""
    return chat_model()


def ready(settings: Settings, chat: ChatSettings | None = None) -> bool:
    """Tell whether the message store answers (it is created on first use)."""
    url = (chat or get_chat_settings()).db_url
    return store_ready(open_store, url, what="the message store", errors=(SQLAlchemyError,))
