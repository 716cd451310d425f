"""The monitoring stack's files agree with each other and follow their formats.

No Docker here: these tests read compose.yaml and ops/ and check what can be checked without
running the containers (tests/ops/test_live_stack.py runs the app, Prometheus and an OTLP
endpoint for real). The OpenTelemetry Collector config is checked for structure only: that
every component it uses is one the contrib image has and is defined, wired into a pipeline,
and reachable; the collector binary alone could validate every option of every component.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any
from urllib.parse import urlsplit

import pytest

from .promql import dashboard_path, grafana_to_promql, metric_names
from .tools import OPS, ROOT, RULE_TESTS, load_yaml

COMPOSE = load_yaml(ROOT / "compose.yaml")
SERVICES: dict[str, Any] = COMPOSE["services"]
COLLECTOR = load_yaml(OPS / "otel-collector.yaml")
ALERTS = load_yaml(OPS / "prometheus" / "alerts.yml")
RULES = [rule for group in ALERTS["groups"] for rule in group["rules"]]

# The collector components this project may use, by kind: all ship in the contrib image.
COLLECTOR_COMPONENTS = {
    "receivers": {"otlp"},
    "processors": {"memory_limiter", "batch", "attributes", "resource", "filter", "transform"},
    "exporters": {"otlp_grpc", "otlp_http", "otlp", "otlphttp", "debug"},
    "extensions": {"health_check", "pprof", "zpages"},
    "connectors": set(),
}


def container_path(service: str, host: str) -> str:
    """Return where a service mounts a folder or file of this repository (`./ops/...`)."""
    for volume in SERVICES[service].get("volumes", []):
        source, target = volume.split(":")[:2]
        if source == host:
            return str(target)
    raise AssertionError(f"{service} does not mount {host}")


def host_port(url: str) -> tuple[str, int]:
    """Return the host and port of `http://host:port/...` or of `host:port`."""
    parts = urlsplit(url if "://" in url else f"tcp://{url}")
    assert parts.hostname and parts.port, url
    return parts.hostname, parts.port


def test_compose_file_follows_the_compose_specification() -> None:
    """compose.yaml validates against the Compose Specification's JSON schema."""
    schema = ["--builtin-schema", "vendor.compose-spec"]
    proc = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "check_jsonschema", *schema, str(ROOT / "compose.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_images_are_pinned_and_ports_stay_on_this_machine() -> None:
    """Every pulled image names a version, and every published port listens on 127.0.0.1."""
    for name, service in SERVICES.items():
        if "build" not in service:
            image, _, tag = str(service["image"]).rpartition(":")
            assert image and re.search(r"\d", tag) and tag != "latest", (name, service["image"])
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), (name, port)


def test_mounted_files_and_dependencies_exist() -> None:
    """Every file a service mounts is in the repository; every dependency is a service, and
    `service_healthy` waits only on services with a health check."""
    for name, service in SERVICES.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (ROOT / source).exists(), (name, source)
        for dependency, rule in service.get("depends_on", {}).items():
            assert dependency in SERVICES, (name, dependency)
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in SERVICES[dependency], (name, dependency)


def test_the_app_sends_spans_to_the_collector_which_sends_them_to_jaeger() -> None:
    """The app's OTLP endpoint is the collector's OTLP/HTTP receiver; the collector's trace
    exporters point at a service of the stack, on a port that service receives OTLP on."""
    endpoint = SERVICES["app"]["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"]
    host, port = host_port(endpoint)
    assert host == "otel-collector" and host in SERVICES
    http = COLLECTOR["receivers"]["otlp"]["protocols"]["http"]["endpoint"]
    assert host_port(http) == ("0.0.0.0", port)  # noqa: S104 - a container listens on all
    for exporter in COLLECTOR["service"]["pipelines"]["traces"]["exporters"]:
        target, target_port = host_port(COLLECTOR["exporters"][exporter]["endpoint"])
        assert target in SERVICES, exporter
        assert target_port == 4317, "Jaeger receives OTLP/gRPC on 4317"


def test_collector_config_uses_known_components_all_defined_and_wired() -> None:
    """Every component is of a known type, defined once, and used by a pipeline (or service)."""
    assert set(COLLECTOR) <= {*COLLECTOR_COMPONENTS, "service"}
    for kind, known in COLLECTOR_COMPONENTS.items():
        for component in COLLECTOR.get(kind) or {}:
            assert component.split("/")[0] in known, (kind, component)
    service = COLLECTOR["service"]
    for extension in service.get("extensions", []):
        assert extension in COLLECTOR["extensions"], extension
    used: dict[str, set[str]] = {kind: set() for kind in COLLECTOR_COMPONENTS}
    for pipeline, parts in service["pipelines"].items():
        assert pipeline.split("/")[0] in {"traces", "metrics", "logs"}, pipeline
        assert parts.get("receivers") and parts.get("exporters"), pipeline
        for kind in ("receivers", "processors", "exporters"):
            for component in parts.get(kind, []):
                assert component in COLLECTOR[kind], (pipeline, component)
                used[kind].add(component)
    for kind in ("receivers", "processors", "exporters"):
        assert set(COLLECTOR.get(kind) or {}) == used[kind], f"unused {kind}"


def test_prometheus_scrapes_the_app_service_on_its_port() -> None:
    """prometheus.yml's app target is the Compose service `app` on the port the app serves."""
    config = load_yaml(OPS / "prometheus" / "prometheus.yml")
    [job] = [job for job in config["scrape_configs"] if job["job_name"] == "app"]
    [target] = [t for group in job["static_configs"] for t in group["targets"]]
    published = {int(str(port).rsplit(":", 1)[1]) for port in SERVICES["app"]["ports"]}
    host, port = host_port(target)
    assert host == "app" and port in published
    assert container_path("prometheus", "./ops/prometheus") == "/etc/prometheus"


def test_grafana_provisions_the_dashboard_and_its_datasources() -> None:
    """Grafana loads the dashboard folder it mounts, the datasources point at the stack's
    services, and every datasource the dashboard names is provisioned."""
    provisioning = OPS / "grafana" / "provisioning"
    [provider] = load_yaml(provisioning / "dashboards" / "dashboards.yml")["providers"]
    dashboards = container_path("grafana", "./ops/grafana/dashboards")
    assert provider["options"]["path"] == dashboards
    home = SERVICES["grafana"]["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home == f"{dashboards}/{dashboard_path().name}"
    assert container_path("grafana", "./ops/grafana/provisioning") == "/etc/grafana/provisioning"
    datasources = load_yaml(provisioning / "datasources" / "datasources.yml")["datasources"]
    for source in datasources:
        assert host_port(source["url"])[0] in SERVICES, source["url"]
    uids = {source["uid"] for source in datasources}
    dashboard = json.loads(dashboard_path().read_text(encoding="utf-8"))
    used = {
        item["datasource"]["uid"]
        for panel in dashboard["panels"]
        for item in [panel, *panel.get("targets", [])]
        if "datasource" in item
    }
    assert used and used <= uids


def test_dashboard_panels_are_well_formed_and_do_not_overlap() -> None:
    """Panel ids are unique, panels fit the 24-column grid without overlapping, and every
    panel but the row headers has a description and PromQL targets with unique refIds that
    parse and select a metric."""
    dashboard = json.loads(dashboard_path().read_text(encoding="utf-8"))
    assert len(dashboard["uid"]) <= 40
    panels = dashboard["panels"]
    assert len({panel["id"] for panel in panels}) == len(panels)
    cells: set[tuple[int, int]] = set()
    for panel in panels:
        pos = panel["gridPos"]
        assert pos["x"] >= 0 and pos["x"] + pos["w"] <= 24, panel["title"]
        area = {
            (x, y)
            for x in range(pos["x"], pos["x"] + pos["w"])
            for y in range(pos["y"], pos["y"] + pos["h"])
        }
        assert not area & cells, f"{panel['title']} overlaps another panel"
        cells |= area
        if panel["type"] == "row":
            continue
        targets = panel["targets"]
        assert targets and panel["description"], panel["title"]
        assert len({target["refId"] for target in targets}) == len(targets)
        for target in targets:
            assert metric_names(grafana_to_promql(target["expr"])), panel["title"]


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: str(rule["alert"]))
def test_every_alert_has_a_duration_a_severity_and_a_runbook(rule: dict[str, Any]) -> None:
    """Each alert's expression parses; it waits (`for:`), says how urgent it is, what happened,
    and where the runbook is: a README heading named after the alert."""
    assert metric_names(rule["expr"]), "the expression parses and selects a metric"
    assert re.fullmatch(r"\d+[smh]", str(rule["for"])), rule["alert"]
    assert rule["labels"]["severity"] in {"critical", "warning"}
    annotations = rule["annotations"]
    assert annotations["summary"] and annotations["description"]
    anchor = f"README.md#{rule['alert'].lower()}"
    assert annotations["runbook_url"] == anchor
    headings = re.findall(r"^#+ (.+)$", (ROOT / "README.md").read_text(), flags=re.MULTILINE)
    assert rule["alert"] in {heading.strip("` ") for heading in headings}


def test_every_alert_has_a_firing_and_a_quiet_case() -> None:
    """The promtool tests expect each alert to fire at least once and to stay quiet once."""
    tests = [test for path in RULE_TESTS for test in load_yaml(path)["tests"]]
    cases = [case for test in tests for case in test["alert_rule_test"]]
    fires = {case["alertname"] for case in cases if case.get("exp_alerts")}
    quiet = {case["alertname"] for case in cases if not case.get("exp_alerts")}
    alerts = {rule["alert"] for rule in RULES}
    assert sorted(alerts - fires) == [], "alerts never expected to fire"
    assert sorted(alerts - quiet) == [], "alerts never expected to stay quiet"


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ('sum by (route) (rate(http_requests_total{route!~"/a|/b"}[5m]))', {"http_requests_total"}),
        ("histogram_quantile(0.95, sum by (le) (rate(x_bucket[1m]))) > 5", {"x_bucket"}),
        ("(time() - a_seconds > 2 * 86400) and b > 0", {"a_seconds", "b"}),
        ("sum(rate(a_total[5m] offset 1h)) / on(job) group_left(instance) up", {"a_total", "up"}),
        ('count({__name__="b_total", job="app"})', {"b_total"}),
    ],
)
def test_metric_names_finds_the_selected_metrics_only(expr: str, names: set[str]) -> None:
    """It lists the selected metrics, not functions, labels, ranges or keywords."""
    assert metric_names(expr) == names


def test_metric_names_refuses_an_expression_that_does_not_parse() -> None:
    """A PromQL syntax error is an error, not an empty list of metrics."""
    with pytest.raises(ValueError, match="parenthesis"):
        metric_names("sum(rate(x[5m])")
