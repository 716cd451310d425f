"""The page tests' harness: the reused tab (fixtures.py) and the shared server (browser.py).

A test never sees what the last one left in the tab, and each app it mounts starts and stops
as it does under `serve`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser

from .apps import ScriptedKind, scripted_app, settings
from .browser import mounted, serving
from .fixtures import Tab

LEAVE = """() => {
  sessionStorage.setItem("k", "1");
  localStorage.setItem("k", "1");
  document.cookie = "k=1";
}"""
READ = "() => [sessionStorage.length, localStorage.length, document.cookie]"
# Bytes each script and stylesheet came with: 0 when the browser took it from its cache.
TRANSFERRED = "() => performance.getEntriesByType('resource').map((entry) => entry.transferSize)"


@pytest.mark.e2e
def test_a_cleaned_tab_holds_no_storage_cookies_or_log_of_the_last_test(
    browser: Browser, idle_tabs: list[Tab], tmp_path: Path
) -> None:
    """Storage and cookies are cleared, every file is fetched again (the cache is off: each
    test may mount another app at the same URL), and the old log records no more."""
    tab = idle_tabs.pop() if idle_tabs else Tab(browser)
    try:
        with mounted(scripted_app(ScriptedKind(), settings(tmp_path))) as app:
            page, first = tab.open(app.url, width=800, height=600)
            page.evaluate(LEAVE)
            assert page.evaluate(READ) == [1, 1, "k=1"]
            assert tab.clean()
            page, second = tab.open(app.url, width=375, height=740)
            assert page.evaluate(READ) == [0, 0, ""]
            transferred = page.evaluate(TRANSFERRED)
            assert transferred and 0 not in transferred
            assert page.viewport_size == {"width": 375, "height": 740}
            assert first.requests.count(app.url) == 1
            assert second.requests.count(app.url) == 1
        assert tab.clean()
        idle_tabs.append(tab)
    except BaseException:
        tab.context.close()
        raise


@pytest.mark.e2e
def test_a_tab_that_visited_two_origins_is_not_reused(browser: Browser, tmp_path: Path) -> None:
    """Storage is cleared from the page it ends on, so a tab that left another origin
    behind (here 127.0.0.1, then localhost: two origins, one server) is closed instead."""
    tab = Tab(browser)
    try:
        with mounted(scripted_app(ScriptedKind(), settings(tmp_path))) as app:
            tab.open(app.url, width=800, height=600)
            tab.page.goto(app.url.replace("127.0.0.1", "localhost"))
            assert not tab.clean()
    finally:
        tab.context.close()


@pytest.mark.parametrize("serve", [mounted, serving], ids=["shared server", "own server"])
def test_a_served_app_starts_and_stops_with_its_lifespan(serve: Any) -> None:
    """Startup runs before the first request and shutdown after the last (the kinds close
    their stores and write queued signals there); the root logger is put back after."""
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        events.append("startup")
        logging.getLogger().setLevel(logging.CRITICAL)  # as configure_logging would change it
        yield
        events.append("shutdown")

    app = FastAPI(lifespan=lifespan)
    level = logging.getLogger().level
    with serve(app) as live:
        assert events == ["startup"]
        assert httpx.get(f"{live.url}docs").status_code == 200  # this app answers
    assert events == ["startup", "shutdown"]
    assert logging.getLogger().level == level
