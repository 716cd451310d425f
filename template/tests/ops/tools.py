"""Helpers of the monitoring tests: find promtool and prometheus, free ports, wait, run one."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
OPS = ROOT / "ops"
#: The promtool unit tests of the alerts: one file per evaluation interval.
RULE_TESTS = (OPS / "prometheus" / "alerts.test.yml", OPS / "prometheus" / "alerts-daily.test.yml")
REQUIRED = "MONITORING_TOOLS_REQUIRED"
INSTALL_HINT = (
    "install Prometheus, which brings promtool: `sudo apt-get install prometheus` (Debian, "
    "Ubuntu), `brew install prometheus` (macOS), or a release from prometheus.io on PATH"
)


def require_tool(name: str) -> str:
    """Return the path of `name`, or skip the test and say how to install it.

    With MONITORING_TOOLS_REQUIRED=1 (CI sets it) a missing tool fails the test instead, so a
    run can never pass by skipping these checks.
    """
    found = shutil.which(name)
    if found:
        return found
    reason = f"{name} is not on PATH; {INSTALL_HINT}"
    if os.environ.get(REQUIRED) == "1":
        pytest.fail(f"{reason} ({REQUIRED}=1 requires it)", pytrace=False)
    pytest.skip(reason)


def load_yaml(path: Path) -> Any:
    """Parse one YAML file."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(
    check: Callable[[], bool], *, timeout: float, what: str, log: Path | None = None
) -> None:
    """Call `check` until it returns True; fail with `what` (and the log) after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    output = log.read_text(errors="replace")[-4000:] if log and log.exists() else ""
    pytest.fail(f"gave up after {timeout:.0f} s waiting for {what}\n{output}", pytrace=False)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate a process this test started, and kill it if it does not stop in 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@contextmanager
def running_prometheus(target: str, workdir: Path) -> Iterator[httpx.Client]:
    """Run the Prometheus binary on this project's config, scraping `target`.

    Yield a client for its HTTP API (one client for every call: `httpx.get` builds a TLS
    context each time, 50 ms of CPU, which adds up while a test polls).

    The config is ops/prometheus/prometheus.yml with two changes: the app's target is
    `target` instead of the Compose service, and scrapes and rule evaluations happen every
    quarter of a second so that a test sees data (two samples for a `rate`) within a second.
    The alert rules load from ops/prometheus/.
    """
    binary = require_tool("prometheus")
    config = load_yaml(OPS / "prometheus" / "prometheus.yml")
    config["global"].update(scrape_interval="250ms", evaluation_interval="250ms")
    [job] = [job for job in config["scrape_configs"] if job["job_name"] == "app"]
    job["static_configs"] = [{"targets": [target]}]
    config["rule_files"] = [str(OPS / "prometheus" / name) for name in config["rule_files"]]
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "prometheus.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    port = free_port()
    log = workdir / "prometheus.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - the binary found on PATH, fixed arguments
            [
                binary,
                f"--config.file={workdir / 'prometheus.yml'}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            wait_for(
                lambda: client.get("/-/ready").status_code == 200,
                timeout=30,
                what="Prometheus to be ready",
                log=log,
            )
            yield client
    finally:
        stop(process)
