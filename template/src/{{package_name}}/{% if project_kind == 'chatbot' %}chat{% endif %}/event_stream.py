"""A turn's events as server-sent events, relayed from a worker thread to the client.

One `event: <kind>` and one `data: <json>` per `ChatEvent`. When the client goes away
mid-stream, the turn's cancel event is set, and the turn still runs to its end in a worker
thread so that its reply is stored (`stopped`) and the thread's lock released.
"""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from functools import partial
from typing import Any

import anyio
from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from ..operations import track
from .events import ChatEvent
from .signals import track_turn

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def sse(event: ChatEvent) -> str:
    """Return one event in the server-sent events format."""
    return f"event: {event.kind}\ndata: {json.dumps(event.data, separators=(',', ':'))}\n\n"


def stream_response(
    request: Request, events: Iterator[ChatEvent], cancel: threading.Event, message: str
) -> StreamingResponse:
    """Return the response streaming a turn's events; a finished turn is tracked."""

    async def body() -> AsyncIterator[str]:
        start: dict[str, Any] = {}
        async for event in relay(events, request.is_disconnected, cancel):
            if event.kind == "start":
                start = event.data
            elif event.kind == "done":
                done = event.data
                track(request, partial(track_turn, message, start, done))
            yield sse(event)

    return StreamingResponse(body(), media_type="text/event-stream", headers=SSE_HEADERS)


async def relay(
    events: Iterator[ChatEvent],
    disconnected: Callable[[], Any],
    cancel: threading.Event,
) -> AsyncGenerator[ChatEvent]:
    """Yield a turn's events from a worker thread; a client gone sets `cancel`.

    However the stream ends (to its end, the client gone, the server stopping), the turn is
    run to its end in a worker thread, so its reply is stored and the thread's lock released.
    """
    try:
        while True:
            if await disconnected():
                cancel.set()
            event = await run_in_threadpool(next, events, None)
            if event is None:
                return
            yield event
    finally:
        cancel.set()
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(_drain, events)


def _drain(events: Iterator[ChatEvent]) -> None:
    for _ in events:
        pass
