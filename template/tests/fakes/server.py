"""A scripted HTTP server on 127.0.0.1 that replays canned provider replies in order.

With a `responder`, requests that find the script empty are answered by it instead (for
example with replies computed from the request, as a model would).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    """One scripted reply: a JSON body, server-sent events or raw bytes, after a delay.

    `raw` sends its bytes as they are, with `content_type`: for replies that are not what the
    wire format promises (HTML error pages, truncated JSON).
    """

    status: int = 200
    body: dict[str, Any] | None = None
    events: list[tuple[str | None, str]] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    raw: bytes | None = None
    content_type: str = "application/json"


@dataclass(frozen=True)
class Request:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class FakeServer:
    """Serve scripted replies; each request takes the next one, and every request is recorded."""

    def __init__(self, responder: Callable[[Request], Reply] | None = None) -> None:
        self.responder = responder
        self.script: deque[Reply] = deque()
        self.requests: list[Request] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        """Return the server's base URL, for example http://127.0.0.1:54321."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def push(self, *replies: Reply) -> None:
        """Queue replies for the next requests."""
        self.script.extend(replies)

    def next_reply(self, request: Request) -> Reply:
        """Record `request` and return its scripted reply (a 500 when the script ran out)."""
        self.requests.append(request)
        if self.script:
            return self.script.popleft()
        if self.responder is not None:
            return self.responder(request)
        return Reply(500, {"error": {"message": "fake server: script exhausted"}})

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def _handler(server: FakeServer) -> type[BaseHTTPRequestHandler]:
    """Build a request handler class bound to `server`."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            self._answer("POST", json.loads(raw) if raw else {})

        def do_GET(self) -> None:
            self._answer("GET", {})

        def _answer(self, method: str, body: dict[str, Any]) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            reply = server.next_reply(Request(method, self.path, headers, body))
            time.sleep(reply.delay_s)
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # client timed out
                self._send(reply)

        def _send(self, reply: Reply) -> None:
            if reply.raw is not None:
                payload, content_type = reply.raw, reply.content_type
            elif reply.events is not None:
                payload = b"".join(_sse(reply.events))
                content_type = "text/event-stream"
            else:
                payload = json.dumps(reply.body or {}).encode()
                content_type = "application/json"
            self.send_response(reply.status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(payload)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    return Handler


def _sse(events: list[tuple[str | None, str]]) -> Iterator[bytes]:
    """Encode (event name, data) pairs as server-sent events."""
    for name, data in events:
        head = f"event: {name}\n" if name else ""
        yield f"{head}data: {data}\n\n".encode()
