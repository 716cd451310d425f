"""A real headless Chromium for the page's tests, `make screenshot` and `make bench-page`.

Playwright drives a Chromium already on the machine; it downloads none. The browser is the
one `CHROMIUM_PATH` names, else the first of `chromium-headless-shell`, `chromium`,
`chromium-browser`, `google-chrome` and `google-chrome-stable` on PATH. The headless shell comes
first: it is Chromium without the desktop browser around it, and renders a test's page with
about half the CPU, which makes the whole suite a few seconds faster on two cores.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import socket
import threading
import time
from collections.abc import Coroutine, Iterator
from contextlib import AbstractContextManager, AsyncExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import uvicorn
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, Request
from starlette.types import ASGIApp, Receive, Scope, Send

CANDIDATES = (
    "chromium-headless-shell",
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
)
# Headless, and quiet: without the network flags Chromium keeps trying to reach Google.
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # A page left for about:blank is unloaded, not kept frozen (tests reuse one tab).
    "--disable-features=BackForwardCache",
]
INSTALL_HINT = (
    "install one (Debian: `sudo apt-get install chromium-headless-shell`, or `chromium`) or "
    "point CHROMIUM_PATH at a Chromium or Chrome binary (CHROMIUM_PATH=/path/to/chrome)"
)


class BrowserNotFoundError(Exception):
    """No Chromium could be found, or CHROMIUM_PATH names a file that does not exist."""


def find_chromium() -> str:
    """Return the path of the Chromium to drive.

    Raises:
        BrowserNotFoundError: CHROMIUM_PATH is set to a missing file, or none is on PATH.

    """
    configured = os.environ.get("CHROMIUM_PATH", "")
    if configured:
        if not Path(configured).is_file():
            raise BrowserNotFoundError(f"CHROMIUM_PATH={configured} is not a file; {INSTALL_HINT}")
        return configured
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise BrowserNotFoundError(f"No Chromium found ({', '.join(CANDIDATES)}); {INSTALL_HINT}")


def launch(playwright: Playwright) -> Browser:
    """Start the machine's Chromium, headless."""
    return playwright.chromium.launch(executable_path=find_chromium(), args=LAUNCH_ARGS)


@dataclass
class PageLog:
    """What a page did: its console errors, uncaught exceptions and every URL it requested."""

    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> Page:
        """Start recording `page`'s errors and requests; return it."""
        page.on("console", self._on_console)
        page.on("pageerror", self._on_page_error)
        page.on("request", self._on_request)
        return page

    def detach(self, page: Page) -> None:
        """Stop recording `page` (it is about to be reused for another test)."""
        page.remove_listener("console", self._on_console)
        page.remove_listener("pageerror", self._on_page_error)
        page.remove_listener("request", self._on_request)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def _on_page_error(self, error: Exception) -> None:
        self.errors.append(str(error))

    def _on_request(self, request: Request) -> None:
        self.requests.append(request.url)

    def foreign_requests(self) -> list[str]:
        """Return the requested URLs whose host is not this machine (data: URLs aside)."""
        local = {"127.0.0.1", "localhost"}
        return [
            url
            for url in self.requests
            if urlsplit(url).scheme != "data" and urlsplit(url).hostname not in local
        ]


class _LoopServer(uvicorn.Server):
    """A uvicorn server that keeps its event loop, so that apps' lifespans can run on it."""

    loop: asyncio.AbstractEventLoop | None = None

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        """Serve, remembering the loop it runs on."""
        self.loop = asyncio.get_running_loop()
        await super().serve(sockets)


class _Uvicorn:
    """Serve an ASGI app with uvicorn on 127.0.0.1, in a background thread."""

    def __init__(self, app: ASGIApp, *, port: int = 0) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", port))
        self.port: int = self._sock.getsockname()[1]
        # The served app's lifespan runs in `lifespan(app)`, so that the shared server can
        # start and stop each app it mounts.
        config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off")
        self._server = _LoopServer(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    @property
    def url(self) -> str:
        """Return the base URL, ending in `/`."""
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> None:
        """Start serving; wait until the server accepts connections (10 s at most)."""
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()

    @contextmanager
    def lifespan(self, app: FastAPI) -> Iterator[None]:
        """Run `app`'s startup on the server's loop, and its shutdown after the block.

        The startup sets up logging as `serve` does; the root logger is put back afterwards,
        so that the tests that follow log as they did before.
        """
        root = logging.getLogger()
        handlers, level = list(root.handlers), root.level
        stack = AsyncExitStack()
        try:
            self._run(stack.enter_async_context(app.router.lifespan_context(app)))
            yield
        finally:
            try:
                self._run(stack.aclose())
            finally:
                root.handlers[:] = handlers
                root.setLevel(level)

    def _run(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        """Run `coroutine` on the server's event loop and wait for it (30 s at most)."""
        if self._server.loop is None:
            coroutine.close()
            raise RuntimeError("the test server is not running")
        asyncio.run_coroutine_threadsafe(coroutine, self._server.loop).result(timeout=30)


class LiveServer(_Uvicorn):
    """Serve one app on 127.0.0.1 while the block runs (for scripts and module fixtures).

    The port is a free one unless `port` names one (the load test serves where it was told).
    """

    def __init__(self, app: FastAPI, *, port: int = 0) -> None:
        super().__init__(app, port=port)
        self.app = app
        self._lifespan: AbstractContextManager[None] | None = None

    def __enter__(self) -> LiveServer:
        """Start serving and the app; wait until the server accepts connections (10 s at most)."""
        self.start()
        try:
            self._lifespan = self.lifespan(self.app)
            self._lifespan.__enter__()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the app, then serving; wait for the thread."""
        try:
            if self._lifespan is not None:
                self._lifespan.__exit__(exc_type, exc, traceback)
        finally:
            self.stop()


@contextmanager
def serving(app: FastAPI) -> Iterator[LiveServer]:
    """Serve `app` on a free local port for the duration of the block."""
    with LiveServer(app) as server:
        yield server


@dataclass(frozen=True)
class Mounted:
    """An app a test mounted on the shared server, and the URL it answers at."""

    app: FastAPI
    url: str


class _Switch:
    """An ASGI app that hands each request to the app mounted now (503 while there is none)."""

    def __init__(self) -> None:
        self.app: FastAPI | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self.app
        if app is None:
            await PlainTextResponse("no app is mounted", status_code=503)(scope, receive, send)
            return
        await app(scope, receive, send)


class _SharedServer:
    """The process's one page-test server, started at the first mount."""

    def __init__(self) -> None:
        self.switch = _Switch()
        self.server: _Uvicorn | None = None

    @contextmanager
    def mount(self, app: FastAPI) -> Iterator[Mounted]:
        if self.switch.app is not None:
            raise RuntimeError("another app is mounted on the shared test server")
        if self.server is None:
            self.server = _Uvicorn(self.switch)
            self.server.start()
        with self.server.lifespan(app):
            self.switch.app = app
            try:
                yield Mounted(app, self.server.url)
            finally:
                self.switch.app = None

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


_SHARED = _SharedServer()


def mounted(app: FastAPI) -> AbstractContextManager[Mounted]:
    """Serve `app` from the process's shared server for the duration of the block.

    Starting and stopping uvicorn costs about 0.2 s each time (its loop ticks every 0.1 s);
    the page tests each need their own app, so one server runs for the whole session and
    each test mounts its app on it. One app at a time: tests in a process run one by one.
    The app's lifespan runs as under `serve`: its startup at the mount, its shutdown (stores
    closed, queued signals written) at the end of the block.
    """
    return _SHARED.mount(app)


def stop_shared_server() -> None:
    """Stop the shared server, if a test started it (the browser fixture calls this last)."""
    _SHARED.stop()
