"""Fixtures of the browser tests: the machine's Chromium, and pages opened in it.

tests/conftest.py imports them, so that every test folder can use them: the shell's tests
here, and the kind's page tests in its own tests folder. Without a Chromium these tests are
skipped with the reason, which pytest prints (-ra); with REQUIRE_BROWSER=1 (as in CI) they
fail instead, so that they can never be skipped unseen.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

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


@pytest.fixture
def open_page(browser: Browser) -> Iterator[OpenPage]:
    """Open pages in fresh browser contexts (no cache, no storage); close them afterwards."""
    contexts: list[BrowserContext] = []

    def open_(url: str, *, width: int = 1200, height: int = 800) -> tuple[Page, PageLog]:
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        log = PageLog()
        page = log.attach(context.new_page())
        page.goto(url)
        return page, log

    yield open_
    for context in contexts:
        context.close()
