"""Fixtures of the browser tests: the machine's Chromium, and pages opened in it.

tests/conftest.py imports them, so that every test folder can use them: the shell's tests
here, and the kind's page tests in its own tests folder. Without a Chromium these tests are
skipped with the reason, which pytest prints (-ra); with REQUIRE_BROWSER=1 (as in CI) they
fail instead, so that they can never be skipped unseen.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Frame, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from .browser import BrowserNotFoundError, PageLog, find_chromium, launch, stop_shared_server

OpenPage = Callable[..., tuple[Page, PageLog]]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """The machine's Chromium, headless, for the whole session."""
    try:
        find_chromium()
    except BrowserNotFoundError as exc:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {exc}", pytrace=False)
        pytest.skip(f"browser tests need Chromium: {exc}")
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()
    stop_shared_server()  # the one the page tests mounted their apps on


class Tab:
    """A browser tab that the page tests of one worker take turns in.

    Opening a tab costs Chromium a new renderer process, about half a second of CPU; reusing
    one halves the cost of a page test. Between tests the tab is cleaned to what a new one
    would hold: no storage, no cookies, no HTTP cache (it is off), at about:blank.
    """

    def __init__(self, browser: Browser) -> None:
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.log = PageLog()
        self._origins: set[str] = set()
        self.page.on("framenavigated", self._on_navigated)
        cdp = self.context.new_cdp_session(self.page)
        cdp.send("Network.enable")  # without it, the cache stays on
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})

    def open(self, url: str, *, width: int, height: int) -> tuple[Page, PageLog]:
        """Load `url` at this viewport size, recording into a new log."""
        self.log = PageLog()
        self.log.attach(self.page)
        self.page.set_viewport_size({"width": width, "height": height})
        self.page.goto(url)
        return self.page, self.log

    def clean(self) -> bool:
        """Clear what the last test left; return False if the tab cannot be reused.

        Storage is cleared from the page, so a tab that visited more than one origin is
        not reused: what it stored in the others would stay.
        """
        self.log.detach(self.page)
        try:
            if len(self._origins) > 1 or self.page.is_closed():
                return False
            if self._origins:
                self.page.evaluate("() => { sessionStorage.clear(); localStorage.clear(); }")
            self.page.goto("about:blank")
            self.page.mouse.move(0, 0)  # no hover left on the next page
            self.context.clear_cookies()
        except PlaywrightError:
            return False
        self._origins.clear()
        return True

    def _on_navigated(self, frame: Frame) -> None:
        url = urlsplit(frame.url)
        if frame.parent_frame is None and url.scheme in ("http", "https"):
            self._origins.add(f"{url.scheme}://{url.netloc}")


@pytest.fixture(scope="session")
def idle_tabs(browser: Browser) -> Iterator[list[Tab]]:
    """The worker's tabs that no test is using."""
    tabs: list[Tab] = []
    yield tabs
    for tab in tabs:
        tab.context.close()


@pytest.fixture
def open_page(browser: Browser, idle_tabs: list[Tab]) -> Iterator[OpenPage]:
    """Open pages in clean tabs (no cache, no storage, no cookies); clean them afterwards.

    Each call takes its own tab, so that a test can hold two pages at once.
    """
    taken: list[Tab] = []

    def open_(url: str, *, width: int = 1200, height: int = 800) -> tuple[Page, PageLog]:
        tab = idle_tabs.pop() if idle_tabs else Tab(browser)
        taken.append(tab)
        return tab.open(url, width=width, height=height)

    yield open_
    for tab in taken:
        if tab.clean():
            idle_tabs.append(tab)
        else:
            tab.context.close()
