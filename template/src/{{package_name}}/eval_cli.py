"""The work of the `eval` command: run each planned eval, write its reports, apply its gate."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import click

from .config import Settings
from .eval_modes import EvalRun, finish, record_hint, resolve
from .evaluation import (
    Comparison,
    EvalError,
    EvalResult,
    compare,
    describe,
    load_baseline,
    update_readme,
    write_baseline,
    write_reports,
)
from .prompts import PromptNotFoundError, parse_prompt_ref
from .replay import cassette, replay_failed, replay_misses

EvalRunner = Callable[[Settings, Path], EvalResult]


@dataclass(frozen=True)
class EvalOptions:
    """The `eval` command's options that every run shares."""

    cases: Path
    report_dir: Path
    readme: Path
    update_baseline: bool
    no_gate: bool
    tolerance: float
    pins: tuple[tuple[str, int], ...] = ()
    """The prompt versions `--prompt` pinned, as (name, version number)."""
    loaded: set[str] = field(default_factory=set)
    """The pinned names the suite loaded so far (`prompts.pinned` fills it)."""


def prompt_option(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[tuple[str, int], ...]:
    """Parse the `--prompt NAME@VERSION` values (a click callback); refuse unknown ones.

    Raises:
        click.BadParameter: A value is not NAME@VERSION, names no prompt or no version (the
            message lists those that exist), or pins a prompt twice.

    """
    refs: dict[str, int] = {}
    for value in values:
        try:
            name, number = parse_prompt_ref(value)
        except PromptNotFoundError as exc:
            raise click.BadParameter(str(exc), ctx, param) from None
        if refs.get(name, number) != number:
            raise click.BadParameter(f"{name} is given twice; choose one version", ctx, param)
        refs[name] = number
    return tuple(refs.items())


def run_all(
    runs: list[EvalRun], notes: list[str], run_evals: EvalRunner, options: EvalOptions
) -> None:
    """Run, report and gate every run; fail once at the end, naming every failed run.

    Raises:
        click.ClickException: A gate failed, or a run could not be made (after the others ran).

    """
    regressions: list[str] = []
    errors: list[str] = []
    for run in runs:
        if len(runs) > 1:
            click.echo(f"\n== {run.describe()}")
        try:
            failed = _run_one(run, run_evals, options)
        except EvalError as exc:
            if len(runs) == 1:
                raise
            errors.append(f"{run.label}: {exc}")
            continue
        if failed:
            md_path = options.report_dir / f"{run.report_name}.md"
            what = f"{', '.join(failed)} regressed beyond tolerance (see {md_path})"
            regressions.append(what if len(runs) == 1 else f"{run.label}: {what}")
    for note in [*notes, *_unused_pins(options)]:
        click.echo(note)
    problems = [f"Error: {error}" for error in errors]
    if regressions:
        problems.insert(
            0,
            f"Eval gate failed: {'; '.join(regressions)}. If the change is intended, run "
            "`eval --update-baseline` (with the same --mode) and commit the baseline.",
        )
    if problems:
        raise click.ClickException("\n".join(problems).removeprefix("Error: "))
    if not options.no_gate:
        click.echo("Eval gate passed.")


def _run_one(run: EvalRun, run_evals: EvalRunner, options: EvalOptions) -> list[str]:
    """Run one eval, write its reports, print its summary; return the metrics that failed."""
    run = resolve(run)
    reference = _baseline(run, options)
    result = _stamp_pins(_run_suite(run, run_evals, options.cases), options)
    measured = _baseline_prompt(run.baseline, result) if reference is not None else ""
    if options.update_baseline:
        write_baseline(result, run.baseline)
        reference = result.metrics
    comparisons = compare(result, reference or {}, options.tolerance)
    json_path, md_path = write_reports(
        result,
        comparisons,
        options.report_dir,
        options.tolerance,
        name=run.report_name,
        baseline_prompt=measured,
    )
    written = [json_path, md_path]
    if options.update_baseline and run.mode == "offline" and update_readme(options.readme, result):
        written.append(options.readme)
    _report(comparisons, written)
    if options.update_baseline:
        click.echo(f"Baseline written to {run.baseline}.")
    if run.mode == "record":
        click.echo(record_hint(run))
    failed = [c.name for c in comparisons if c.status in ("regressed", "missing")]
    if options.no_gate:
        click.echo(f"Gate not applied (--no-gate); regressed: {', '.join(failed) or 'none'}.")
        return []
    if reference is None:
        kind = "replay" if run.mode == "record" else run.mode
        click.echo(
            f"No {kind} baseline at {run.baseline}: the gate was not applied to this run. "
            f"Accept it with `eval --mode {kind} --update-baseline` and commit the baseline."
        )
        return []
    return failed


def _baseline(run: EvalRun, options: EvalOptions) -> dict[str, float] | None:
    """Return the metrics this run gates on, or None when it has no baseline to gate on.

    Raises:
        EvalError: The offline baseline is missing (it always exists in a project).

    """
    if options.update_baseline:
        return None
    if run.mode == "offline" and not (options.no_gate and not run.baseline.exists()):
        return load_baseline(run.baseline)
    return load_baseline(run.baseline) if run.baseline.exists() else None


def _run_suite(run: EvalRun, run_evals: EvalRunner, cases: Path) -> EvalResult:
    """Run the suite with the run's settings, inside its cassette when it records or replays."""
    recording = run.cassette if run.mode in ("record", "replay") else None
    if recording is None:
        return finish(run_evals(run.settings, cases), run)
    if run.mode == "record":
        with cassette(recording, "record"):
            return finish(run_evals(run.settings, cases), run)
    try:
        with cassette(recording, "replay"):
            result = run_evals(run.settings, cases)
    except replay_misses() as exc:
        raise replay_failed(recording, run.provider, exc) from None
    return finish(result, run)


def _stamp_pins(result: EvalResult, options: EvalOptions) -> EvalResult:
    """Add to the result's prompts each pinned version the suite loaded that it does not name."""
    used = [p for p in result.prompt.split(", ") if p]
    names = {p.partition("@")[0] for p in used}
    extra = [f"{n}@v{v}" for n, v in options.pins if n in options.loaded and n not in names]
    return replace(result, prompt=", ".join(used + extra)) if extra else result


def _baseline_prompt(baseline: Path, result: EvalResult) -> str:
    """Return the prompt(s) the baseline was measured with; say so when the run's differ."""
    try:
        measured = str(json.loads(baseline.read_text(encoding="utf-8")).get("prompt") or "")
    except (OSError, ValueError, AttributeError):
        return ""
    if measured and result.prompt and measured != result.prompt:
        click.echo(
            f"Prompt: this run uses {result.prompt}; the baseline ({baseline}) was measured "
            f"with {measured}."
        )
    return measured


def _unused_pins(options: EvalOptions) -> list[str]:
    """Return a note for each `--prompt` the suite never loaded (it had no effect)."""
    return [
        f"Note: --prompt {name}@v{number} had no effect: the suite loads no {name} prompt."
        for name, number in options.pins
        if name not in options.loaded
    ]


def _report(comparisons: list[Comparison], written: list[Path]) -> None:
    """Print the headline metrics, what moved against the baseline, and the files written."""
    click.echo(f"{'metric':<24} {'value':>10} {'baseline':>10}")
    for c in comparisons:
        if not c.name.startswith("cmp_"):  # the per-setup comparisons stay in the report
            click.echo(f"{c.name:<24} {_number(c.value):>10} {_number(c.baseline):>10}")
    for line in describe(comparisons) or ["no metric moved"]:
        click.echo(f"  {line}")
    click.echo("Wrote " + ", ".join(str(path) for path in written))


def _number(value: float | None) -> str:
    """Format a metric for the summary table."""
    return "-" if value is None else f"{value:.4g}"
