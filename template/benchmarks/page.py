"""Measure the web page in a real headless Chromium, or take the README's screenshot.

    uv run python -m benchmarks.page bench [--runs 10]     # make bench-page
    uv run python -m benchmarks.page screenshot [PATH]     # make screenshot

Both index the sample corpus into a temporary folder and serve the real app (offline model)
on a free port of 127.0.0.1, then drive the machine's Chromium (CHROMIUM_PATH, or chromium
on PATH; see tests/e2e/browser.py).

`bench` loads the page in a fresh browser context each run (empty cache) and reads the
browser's own Performance API: first contentful paint, DOMContentLoaded, and the bytes
transferred for the page and everything it loaded (its assets and the sample questions).
It prints the median and worst run and exits 1 when a median is over its budget.

`screenshot` opens the page at 1200x800, clicks the first sample question and saves the
answer as a PNG (docs/screenshot.png by default), which the README shows. The PNG is reduced
to a 128-colour palette (Pillow), which a page of flat colours and text does not show: about
60 KB instead of 190 KB.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image
from playwright.sync_api import Browser, ViewportSize, sync_playwright

from tests.e2e.apps import sample_app, sample_index
from tests.e2e.browser import LiveServer, launch

ROOT = Path(__file__).resolve().parent.parent
# The budgets apply to the median run: a 2-core machine busy starting a browser process
# for each fresh context shows the odd slow load, which the worst column reports.
BUDGETS = {"first_contentful_paint_ms": 200.0, "transfer_kb": 100.0}
VIEWPORT: ViewportSize = {"width": 1200, "height": 800}
PAINTED = "performance.getEntriesByName('first-contentful-paint').length > 0"
MEASURE = """(() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  const resources = performance.getEntriesByType("resource");
  return {
    first_contentful_paint_ms: paint ? paint.startTime : null,
    dom_content_loaded_ms: nav.domContentLoadedEventEnd,
    transfer_kb: (nav.transferSize + resources.reduce((sum, r) => sum + r.transferSize, 0)) / 1024,
    files: 1 + resources.length,
  };
})()"""


@contextmanager
def served_sample() -> Iterator[tuple[LiveServer, Browser]]:
    """Serve the real app over a fresh index of the sample corpus; start the browser."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        sync_playwright() as playwright,
        LiveServer(sample_app(sample_index(Path(tmp)))) as server,
    ):
        browser = launch(playwright)
        try:
            yield server, browser
        finally:
            browser.close()


def measure(browser: Browser, url: str) -> dict[str, float]:
    """Load the page once in a fresh context, wait for its samples, return its figures."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.goto(url, wait_until="load")
        page.locator(".sample-list button").first.wait_for()
        page.wait_for_function(PAINTED, timeout=5000)
        figures: dict[str, float] = page.evaluate(MEASURE)
        return figures
    finally:
        context.close()


def bench(runs: int) -> int:
    """Print the page's first render and transfer size; return 1 if over a budget."""
    with served_sample() as (server, browser):
        measure(browser, server.url)  # warm-up: the server's first request loads the model
        results = [measure(browser, server.url) for _ in range(runs)]
    print(f"Web page, {runs} loads in fresh contexts (Chromium, 127.0.0.1):")
    print(f"  {'figure':<28} {'median':>9} {'worst':>9} {'budget':>9}")
    failed = False
    names = ["first_contentful_paint_ms", "dom_content_loaded_ms", "transfer_kb", "files"]
    for name in names:
        values = [r[name] for r in results if r[name] is not None]
        if not values:
            print(f"  {name:<28} not reported by this browser")
            failed = failed or name in BUDGETS
            continue
        median, worst = statistics.median(values), max(values)
        budget = BUDGETS.get(name)
        over = budget is not None and median > budget
        failed = failed or over
        shown = f"{budget:>9.0f}" if budget is not None else f"{'':>9}"
        print(f"  {name:<28} {median:>9.1f} {worst:>9.1f} {shown}{'  OVER' if over else ''}")
    print("FAIL: over budget" if failed else "OK: within budget")
    return 1 if failed else 0


def screenshot(path: Path) -> int:
    """Save the page answering the first sample question as a PNG at `path`."""
    with served_sample() as (server, browser):
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        page.goto(server.url)
        page.locator(".sample-list button").first.click()
        page.locator(".passage").first.wait_for()
        page.evaluate("document.activeElement && document.activeElement.blur()")
        png = page.screenshot()
        context.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(colors=128, dither=Image.Dither.NONE).save(path, optimize=True)
    print(f"Wrote {path} ({path.stat().st_size / 1024:.0f} KB)")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command named on the command line."""
    parser = argparse.ArgumentParser(
        description="Measure the web page in a headless Chromium, or take the README's screenshot."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    bench_parser = commands.add_parser("bench", help="measure first render and transfer size")
    bench_parser.add_argument("--runs", type=int, default=10)
    shot_parser = commands.add_parser("screenshot", help="save the README's screenshot")
    shot_parser.add_argument("path", nargs="?", type=Path, default=ROOT / "docs/screenshot.png")
    args = parser.parse_args(argv)
    if args.command == "bench":
        return bench(args.runs)
    return screenshot(args.path)


if __name__ == "__main__":
    sys.exit(main())
