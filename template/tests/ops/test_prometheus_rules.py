"""Prometheus's own checker, promtool, on the scrape config, the alert rules and their tests."""

from __future__ import annotations

import subprocess

import pytest

from .tools import OPS, RULE_TESTS, require_tool

pytestmark = pytest.mark.monitoring

PROMETHEUS = OPS / "prometheus"


def promtool(*args: str) -> str:
    """Run promtool in ops/prometheus/; fail the test with its output when it fails."""
    proc = subprocess.run(  # noqa: S603 - the promtool found on PATH, fixed arguments
        [require_tool("promtool"), *args],
        cwd=PROMETHEUS,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"promtool {' '.join(args)}:\n{proc.stdout}{proc.stderr}", pytrace=False)
    return proc.stdout + proc.stderr


def test_scrape_config_is_valid() -> None:
    """`promtool check config` accepts prometheus.yml and the rule files it loads."""
    assert "SUCCESS" in promtool("check", "config", "prometheus.yml")


def test_alert_rules_are_valid() -> None:
    """`promtool check rules` accepts alerts.yml: every expression parses, every field is known."""
    assert "SUCCESS" in promtool("check", "rules", "alerts.yml")


def test_each_alert_fires_on_bad_series_and_not_on_healthy_ones() -> None:
    """`promtool test rules` passes: each alert fires on its synthetic series, as expected."""
    output = promtool("test", "rules", *(path.name for path in RULE_TESTS))
    assert output.count("SUCCESS") == len(RULE_TESTS)
