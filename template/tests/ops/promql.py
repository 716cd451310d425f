"""What the dashboard and the alert rules query, and which metric names that takes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import promql_parser
from prometheus_client.parser import text_string_to_metric_families

from .tools import OPS, load_yaml

# Series that Prometheus makes itself, not the app: `up` is 1 while the app answers scrapes.
FROM_PROMETHEUS = frozenset({"up"})

# What Grafana puts in place of its variables before it sends a query to Prometheus. A query
# with another variable fails `grafana_to_promql`, so that a new one is added here on purpose.
GRAFANA_VARIABLES = {"$__rate_interval": "1m"}


@dataclass(frozen=True)
class Query:
    """One PromQL expression and where it comes from (a panel or an alert)."""

    source: str
    expr: str


def grafana_to_promql(expr: str) -> str:
    """Replace Grafana's variables as Grafana does before querying; refuse unknown ones."""
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    if "$" in expr:
        raise ValueError(f"unknown Grafana variable in {expr!r}: add it to GRAFANA_VARIABLES")
    return expr


def metric_names(expr: str) -> set[str]:
    """Return the metric names a PromQL expression selects, from its syntax tree.

    promql-parser (Python bindings of the Rust PromQL parser) parses the expression; a selector
    written as `{__name__="x"}` counts as `x`. A syntax error raises `ValueError`.
    """
    names: set[str] = set()

    def visit(node: promql_parser.Expr) -> bool:
        if isinstance(node, promql_parser.VectorSelector):
            named = [m.value for m in node.matchers.matchers if m.name == "__name__"]
            names.update([node.name] if node.name else named)
        return True

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names


def dashboard_path() -> Path:
    """Return the path of the project's Grafana dashboard (the only JSON in its folder)."""
    [path] = sorted((OPS / "grafana" / "dashboards").glob("*.json"))
    return path


def dashboard_queries() -> list[Query]:
    """Return the PromQL of every target of every panel of the dashboard, as Grafana sends it."""
    dashboard = json.loads(dashboard_path().read_text(encoding="utf-8"))
    return [
        Query(f"panel {panel['title']!r}", grafana_to_promql(target["expr"]))
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    ]


def alert_queries() -> list[Query]:
    """Return the expression of every alert rule in ops/prometheus/alerts.yml."""
    rules = load_yaml(OPS / "prometheus" / "alerts.yml")
    return [
        Query(f"alert {rule['alert']}", rule["expr"])
        for group in rules["groups"]
        for rule in group["rules"]
    ]


def exported_names(exposition: str) -> set[str]:
    """Return the name of every sample in a /metrics text (`x_total`, `y_bucket`, ...)."""
    return {
        sample.name
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }
