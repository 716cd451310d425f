"""The drift report (`reports/drift.json` and `.md`), its console lines, and its metrics.

The app exports the latest report as `drift_detected{signal}` (1 when the last check flagged
the signal, else 0; every signal the kind records is present from the first scrape) and
`drift_last_run_timestamp_seconds` (0 until a check has written a report). It reads the report
file when it is scraped, so a `drift` run by cron, by hand or in a container shows up at once.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .drift import SignalResult, Thresholds
from .observability import METRICS, get_logger

logger = get_logger(__name__)

DEFINITIONS = {
    "p_value": "two-sample test of the reference and current windows; a signal can only be "
    "flagged when it is below alpha / m (Bonferroni over the m signals tested)",
    "wasserstein / reference std": "earth mover's distance between the two distributions, "
    "in standard deviations of the reference (0.1 = a tenth of its usual spread)",
    "rate change": "current rate minus reference rate, absolute (0.02 = two points)",
    "total variation distance": "share of traffic that would have to change category to "
    "turn one mix into the other (0 to 1)",
    "held-out ROC AUC": "how well a logistic regression trained on half of the requests "
    "tells the windows apart on the other half (0.5 = not at all, 1 = perfectly)",
}


@dataclass(frozen=True)
class WindowInfo:
    """Where a window's signals came from and what it holds."""

    source: str
    start: float
    end: float
    count: int
    description: str

    def to_dict(self) -> dict[str, Any]:
        """Return the window as JSON-ready data, with ISO times."""
        return {**asdict(self), "start_iso": _iso(self.start), "end_iso": _iso(self.end)}


@dataclass(frozen=True)
class DriftReport:
    """One run of the drift check."""

    kind: str
    current: WindowInfo
    reference: WindowInfo
    thresholds: Thresholds
    results: list[SignalResult]
    timestamp: float = field(default_factory=lambda: datetime.now(UTC).timestamp())

    @property
    def drifted(self) -> list[str]:
        """Return the names of the flagged signals."""
        return [r.name for r in self.results if r.drift]

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data (an infinite effect becomes null)."""
        tested = [r for r in self.results if not r.skipped]
        return {
            "kind": self.kind,
            "created_at": _iso(self.timestamp),
            "timestamp": self.timestamp,
            "drift": bool(self.drifted),
            "drifted": self.drifted,
            "current": self.current.to_dict(),
            "reference": self.reference.to_dict(),
            "thresholds": asdict(self.thresholds),
            "tests": len(tested),
            "alpha_per_test": self.thresholds.alpha / max(len(tested), 1),
            "signals": [_finite(asdict(r)) for r in self.results],
            "definitions": DEFINITIONS,
        }


def _iso(timestamp: float) -> str:
    """Format a Unix time as ISO 8601 UTC."""
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


def _finite(row: dict[str, Any]) -> dict[str, Any]:
    """Replace infinite numbers (JSON has none) with None."""
    return {k: None if isinstance(v, float) and math.isinf(v) else v for k, v in row.items()}


def _p(value: float | None) -> str:
    """Format a p-value: `p=0.41`, `p=3.2e-21`, `p<1e-300`."""
    if value is None:
        return "p=-"
    return "p<1e-300" if value < 1e-300 else f"p={value:.2g}"


def _effect(result: SignalResult) -> str:
    """Format an effect size with its floor."""
    if result.effect is None:
        return "-"
    return f"{result.effect:.3g} (floor {result.effect_floor:g})"


def console_lines(report: DriftReport) -> list[str]:
    """Return the lines `drift` prints: a header, one line per signal, a verdict."""
    width = max(len(r.name) for r in report.results)
    lines = [
        f"Current:   {report.current.description}",
        f"Reference: {report.reference.description}",
    ]
    for r in report.results:
        status = "SKIP " if r.skipped else ("DRIFT" if r.drift else "ok   ")
        detail = r.skipped or f"{_p(r.p_value)}, {r.effect_name} {_effect(r)}: {r.summary}"
        lines.append(f"  {status} {r.name:<{width}}  {detail}")
    tested = sum(1 for r in report.results if not r.skipped)
    verdict = (
        f"Drift in {len(report.drifted)} of {tested} signals: {', '.join(report.drifted)}."
        if report.drifted
        else f"No drift in {tested} signals tested."
    )
    per_test = report.thresholds.alpha / max(tested, 1)
    lines.append(f"{verdict} (alpha {report.thresholds.alpha:g}, {per_test:.2g} per test)")
    return lines


def markdown(report: DriftReport) -> str:
    """Render the report as Markdown."""
    data = report.to_dict()
    rows = [
        f"| {r.name} | {'skipped' if r.skipped else ('**drift**' if r.drift else 'ok')} | "
        f"{r.test} | {_p(r.p_value).removeprefix('p=')} | "
        f"{r.effect_name}: {_effect(r)} | "
        f"{(r.skipped or r.summary).replace('|', '/')} |"
        for r in report.results
    ]
    definitions = [f"- **{name}**: {text}" for name, text in DEFINITIONS.items()]
    return "\n".join(
        [
            f"# Drift report ({report.kind})",
            "",
            f"Created {data['created_at']}. **{'Drift' if report.drifted else 'No drift'}**"
            + (f" in: {', '.join(report.drifted)}." if report.drifted else "."),
            "",
            f"- Current: {report.current.description}",
            f"- Reference: {report.reference.description}",
            f"- Family-wise alpha {report.thresholds.alpha:g} over {data['tests']} tests "
            f"({data['alpha_per_test']:.2g} per test); at least "
            f"{report.thresholds.min_samples} values per window.",
            "",
            "| Signal | Verdict | Test | p-value | Effect | What moved |",
            "|---|---|---|---:|---|---|",
            *rows,
            "",
            "## Definitions",
            "",
            *definitions,
            "",
        ]
    )


def write_report(report: DriftReport, directory: Path) -> tuple[Path, Path]:
    """Write `drift.json` and `drift.md` into `directory`; return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    json_path, md_path = directory / "drift.json", directory / "drift.md"
    json_path.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
    md_path.write_text(markdown(report), encoding="utf-8")
    return json_path, md_path


class DriftMetrics(Collector):
    """Export the latest drift report as `drift_detected{signal}` and its timestamp."""

    def __init__(self) -> None:
        self.path: Path | None = None
        self.signals: list[str] = []
        self._lock = threading.Lock()
        self._cache: tuple[tuple[int, int], dict[str, Any]] | None = None

    def watch(self, path: Path, signals: Sequence[str]) -> None:
        """Read the report at `path`; pre-initialise `drift_detected` for `signals`."""
        with self._lock:
            self.path, self.signals, self._cache = path, list(signals), None

    def describe(self) -> Iterable[Metric]:
        """Name the metrics without reading the report (the registry calls this once)."""
        return self._families({}, [])

    def collect(self) -> Iterable[Metric]:
        """Return the metrics of the latest report (all zero until one is written)."""
        report = self._load()
        return self._families(report, self.signals)

    def _families(self, report: dict[str, Any], signals: list[str]) -> list[Metric]:
        detected = GaugeMetricFamily(
            "drift_detected",
            "1 when the last drift check flagged the signal, else 0.",
            labels=["signal"],
        )
        flagged = set(report.get("drifted", []))
        names = list(dict.fromkeys([*signals, *(s["name"] for s in report.get("signals", []))]))
        for name in names:
            detected.add_metric([name], 1.0 if name in flagged else 0.0)
        last_run = GaugeMetricFamily(
            "drift_last_run_timestamp_seconds",
            "Unix time of the last drift check's report (0: none yet).",
            value=float(report.get("timestamp", 0.0)),
        )
        return [detected, last_run]

    def _load(self) -> dict[str, Any]:
        """Return the report, re-read only when the file changed; {} when there is none."""
        with self._lock:
            path = self.path
            if path is None:
                return {}
            try:
                stat = path.stat()
            except OSError:
                return {}
            version = (stat.st_mtime_ns, stat.st_size)
            if self._cache is not None and self._cache[0] == version:
                return self._cache[1]
            try:
                report = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                logger.warning("cannot read the drift report %s: %s", path, exc)
                report = {}
            self._cache = (version, report if isinstance(report, dict) else {})
            return self._cache[1]


DRIFT_METRICS = DriftMetrics()
METRICS.registry.register(DRIFT_METRICS)
