"""The eval gate: write JSON and Markdown reports, compare with the baseline, refresh the README.

Tolerances (how much a metric may get worse before the gate fails):

- quality metrics (scores such as recall or groundedness): an absolute tolerance, 0.02 by
  default (`--tolerance`);
- latency metrics (names containing `latency` or ending in `_ms` / `_s`): relative, 50 % of
  the baseline, but never less than 25 ms, because wall-clock time differs between machines;
- cost metrics (names containing `cost`): relative, 10 % of the baseline (at least 1e-6 USD).

Improvements never fail the gate; a baseline metric missing from the run does.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

DEFAULT_TOLERANCE = 0.02
LATENCY_RELATIVE_TOLERANCE = 0.5
LATENCY_FLOOR_MS = 25.0
COST_RELATIVE_TOLERANCE = 0.1
COST_FLOOR_USD = 1e-6
TOKENS_FLOOR = 1.0
README_START = "<!-- eval-results:start -->"
README_END = "<!-- eval-results:end -->"

Status = Literal["ok", "improved", "regressed", "missing", "new"]
_MODES = {
    "offline": "offline (the deterministic offline model)",
    "replay": "replay (recorded real-provider replies, no network; latency not measured)",
    "record": "record (the real provider, called now, its replies recorded)",
    "live": "live (the real provider, called now)",
}


class EvalError(Exception):
    """A problem with the eval inputs (baseline, cases) that the user can fix."""


@dataclass(frozen=True)
class EvalResult:
    """What a kind's `run_evals` returns.

    Attributes:
        metrics: Metric name to value (for example `recall_at_5`, `latency_p50_ms`).
        higher_is_better: For every metric, whether a larger value is an improvement.
        details: One dict per case; `id` names it and `passed: False` lists it as a failure.
        prompt: The prompt(s) used, as `name@version` (several joined by ", ").
        provider: Model provider used (the CLI fills in LLM_PROVIDER when empty).
        model: Model used (the CLI fills in LLM_MODEL when empty).
        definitions: What a metric measures, for metrics worth a sentence in the report
            (rubric checks especially).
        mode: What produced the answers: `offline`, `replay` (recorded real replies),
            `record` or `live` (the real provider, called now).
        recording: The cassette a replay or a recording used, if any.

    """

    metrics: dict[str, float]
    higher_is_better: dict[str, bool]
    details: list[dict[str, Any]] = field(default_factory=list)
    prompt: str = ""
    provider: str = ""
    model: str = ""
    definitions: dict[str, str] = field(default_factory=dict)
    mode: str = ""
    recording: str = ""

    def __post_init__(self) -> None:
        """Refuse a result whose metrics do not all say which direction is better."""
        undeclared = sorted(set(self.metrics) - set(self.higher_is_better))
        if undeclared:
            raise ValueError(f"higher_is_better is missing for: {', '.join(undeclared)}")


@dataclass(frozen=True)
class Comparison:
    """One metric of this run next to its baseline value."""

    name: str
    value: float | None
    baseline: float | None
    allowed: float
    status: Status

    @property
    def delta(self) -> float | None:
        """Return the change from the baseline, or None when one side is missing."""
        if self.value is None or self.baseline is None:
            return None
        return self.value - self.baseline


def is_latency(name: str) -> bool:
    """Tell whether a metric measures time, by its name."""
    return "latency" in name or name.endswith(("_ms", "_s", "_seconds"))


def allowed_regression(name: str, baseline: float, tolerance: float = DEFAULT_TOLERANCE) -> float:
    """Return how much `name` may get worse than `baseline` before the gate fails."""
    if is_latency(name):
        floor = LATENCY_FLOOR_MS if name.endswith("_ms") else LATENCY_FLOOR_MS / 1000
        return max(abs(baseline) * LATENCY_RELATIVE_TOLERANCE, floor)
    if "cost" in name:
        return max(abs(baseline) * COST_RELATIVE_TOLERANCE, COST_FLOOR_USD)
    if "tokens" in name:  # a count that drives cost, not a rate: relative, like cost
        return max(abs(baseline) * COST_RELATIVE_TOLERANCE, TOKENS_FLOOR)
    return tolerance


def compare(
    result: EvalResult, baseline: dict[str, float], tolerance: float = DEFAULT_TOLERANCE
) -> list[Comparison]:
    """Compare every metric of `result` with `baseline`, in a stable order."""
    comparisons = []
    for name in sorted(set(result.metrics) | set(baseline)):
        value, base = result.metrics.get(name), baseline.get(name)
        if base is None:
            comparisons.append(Comparison(name, value, None, 0.0, "new"))
            continue
        allowed = allowed_regression(name, base, tolerance)
        if value is None:
            comparisons.append(Comparison(name, None, base, allowed, "missing"))
            continue
        worse_by = (base - value) if result.higher_is_better[name] else (value - base)
        status: Status = "ok"
        if worse_by > allowed + 1e-12:
            status = "regressed"
        elif worse_by < -1e-12:
            status = "improved"
        comparisons.append(Comparison(name, value, base, allowed, status))
    return comparisons


def gate_passed(comparisons: list[Comparison]) -> bool:
    """Tell whether no metric regressed or went missing."""
    return all(c.status not in ("regressed", "missing") for c in comparisons)


def load_baseline(path: Path) -> dict[str, float]:
    """Read the metrics of a baseline file written by `write_baseline`."""
    if not path.exists():
        raise EvalError(f"No baseline at {path}; create it with `eval --update-baseline`")
    try:
        metrics = json.loads(path.read_text(encoding="utf-8"))["metrics"]
        return {str(k): float(v) for k, v in metrics.items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise EvalError(f"{path} is not a baseline file ({exc}); regenerate it") from None


def write_baseline(result: EvalResult, path: Path) -> None:
    """Save this run's metrics as the new baseline."""
    payload = {
        "metrics": result.metrics,
        "higher_is_better": result.higher_is_better,
        "prompt": result.prompt,
        "provider": result.provider,
        "model": result.model,
        "mode": result.mode,
        "date": _today(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def write_reports(
    result: EvalResult,
    comparisons: list[Comparison],
    report_dir: Path,
    tolerance: float,
    *,
    name: str = "eval",
    baseline_prompt: str = "",
) -> tuple[Path, Path]:
    """Write `<name>.json` and `<name>.md` into `report_dir` and return their paths.

    `baseline_prompt` is the prompt(s) the baseline was measured with, named when they differ.
    """
    report_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = report_dir / f"{name}.json", report_dir / f"{name}.md"
    report = {
        **asdict(result),
        "date": _today(),
        "tolerance": tolerance,
        "passed": gate_passed(comparisons),
        "baseline_prompt": baseline_prompt,
        "comparisons": [{**asdict(c), "delta": c.delta} for c in comparisons],
    }
    json_path.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    md_path.write_text(render_markdown(result, comparisons, baseline_prompt), encoding="utf-8")
    return json_path, md_path


def render_markdown(
    result: EvalResult, comparisons: list[Comparison], baseline_prompt: str = ""
) -> str:
    """Render the Markdown report: verdict, run details, metrics table and failed cases."""
    verdict = "passed" if gate_passed(comparisons) else "FAILED"
    other = baseline_prompt and baseline_prompt != result.prompt
    prompt_note = f" (the baseline was measured with `{baseline_prompt}`)" if other else ""
    lines = [
        "# Eval report",
        "",
        f"- Gate: **{verdict}**",
        f"- Mode: {_MODES.get(result.mode, result.mode or 'n/a')}"
        + (f" (`{result.recording}`)" if result.recording else ""),
        f"- Prompt: `{result.prompt or 'n/a'}`{prompt_note}",
        f"- Provider / model: `{result.provider or 'n/a'}` / `{result.model or 'default'}`",
        f"- Date: {_today()}",
        f"- Cases: {len(result.details)}",
        "",
        "| Metric | Value | Baseline | Change | Allowed | Status |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for c in comparisons:
        change = "" if c.delta is None else f"{c.delta:+.4g}" if c.delta else "0"
        lines.append(
            f"| {c.name} | {_fmt(c.value)} | {_fmt(c.baseline)} | {change} "
            f"| {_fmt(c.allowed) if c.baseline is not None else ''} | {c.status} |"
        )
    defined = [(name, text) for name, text in sorted(result.definitions.items())]
    if defined:
        lines += ["", "## Metric definitions", ""]
        lines += [f"- `{name}`: {text}" for name, text in defined if name in result.metrics]
    failures = [d for d in result.details if d.get("passed") is False]
    lines += ["", f"## Failed cases ({len(failures)})", ""]
    if not failures:
        lines.append("None.")
    for detail in failures:
        lines.append(f"- `{detail.get('id', '?')}`: {_failure_summary(detail)}")
    return "\n".join(lines) + "\n"


def render_readme_table(result: EvalResult) -> str:
    """Render the results table that goes between the README markers."""
    lines = [
        f"Prompt `{result.prompt or 'n/a'}`, provider `{result.provider or 'n/a'}`"
        f"{f' (`{result.model}`)' if result.model else ''}, {len(result.details)} cases.",
        "",
        "| Metric | Value |",
        "|---|---:|",
    ]
    lines += [f"| {name} | {_fmt(value)} |" for name, value in sorted(result.metrics.items())]
    return "\n".join(lines)


def update_readme(readme: Path, result: EvalResult) -> bool:
    """Replace the text between the eval-results markers; return False when there are none."""
    if not readme.exists():
        return False
    text = readme.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(README_START) + r".*?" + re.escape(README_END), re.DOTALL)
    if not pattern.search(text):
        return False
    block = f"{README_START}\n{render_readme_table(result)}\n{README_END}"
    updated = pattern.sub(lambda _: block, text, count=1)
    if updated != text:
        readme.write_text(updated, encoding="utf-8")
    return True


def describe(comparisons: list[Comparison]) -> list[str]:
    """Return one line per metric that moved, went missing or is new."""
    lines = []
    for c in comparisons:
        if c.status == "new":
            lines.append(f"{c.name}: {_fmt(c.value)} (new, not in the baseline)")
        elif c.status == "missing":
            lines.append(f"{c.name}: missing from this run (baseline {_fmt(c.baseline)})")
        elif c.delta:
            note = f", allowed {_fmt(c.allowed)}: REGRESSED" if c.status == "regressed" else ""
            lines.append(f"{c.name}: {_fmt(c.baseline)} -> {_fmt(c.value)} ({c.delta:+.4g}{note})")
    return lines


def _failure_summary(detail: dict[str, Any], max_fields: int = 5) -> str:
    """Summarise a failed case: its `reason` when it has one, else its first few fields."""
    if "reason" in detail:
        return _short(detail["reason"], limit=300)
    rest = [(k, v) for k, v in detail.items() if k not in ("id", "passed")]
    summary = "; ".join(f"{k}: {_short(v, limit=80)}" for k, v in rest[:max_fields])
    return summary + ("; …" if len(rest) > max_fields else "")


def _fmt(value: float | None) -> str:
    """Format a metric value compactly."""
    return "" if value is None else f"{value:.4g}"


def _short(value: Any, limit: int = 120) -> str:
    """Render a detail value on one short line for the Markdown report."""
    text = " ".join(str(value).split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _today() -> str:
    """Return the current UTC date and time, to the minute."""
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
