"""The page tests' reused tab (fixtures.py): a test never sees what the last one left."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser

from .apps import ScriptedKind, scripted_app, settings
from .browser import mounted
from .fixtures import Tab

pytestmark = pytest.mark.e2e

LEAVE = """() => {
  sessionStorage.setItem("k", "1");
  localStorage.setItem("k", "1");
  document.cookie = "k=1";
}"""
READ = "() => [sessionStorage.length, localStorage.length, document.cookie]"
# Bytes each script and stylesheet came with: 0 when the browser took it from its cache.
TRANSFERRED = "() => performance.getEntriesByType('resource').map((entry) => entry.transferSize)"


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
