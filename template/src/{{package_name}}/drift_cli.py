"""The `drift`, `drift-reference` and `feedback export` commands.

`drift` exits 0 when nothing moved, 1 when at least one signal drifted, and 2 on a usage error
or when a window holds too few requests to test (no report is written then).
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .config import get_settings

if TYPE_CHECKING:
    from .signals import SignalContract

ContractLoader = Callable[[], "SignalContract"]
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([mhdw])$")
_UNITS = {"m": 60, "h": 3600, "d": 86_400, "w": 604_800}


class TooLittleDataError(click.ClickException):
    """A window holds too few requests for the drift check (exit 2, like a usage error)."""

    exit_code = 2


def parse_duration(text: str) -> float:
    """Turn `30m`, `24h`, `7d` or `2w` into seconds.

    Raises:
        click.BadParameter: `text` is not such a duration.

    """
    match = _DURATION.match(text.strip())
    if not match or float(match.group(1)) <= 0:
        raise click.BadParameter(f"{text!r} is not a duration; write it like 30m, 24h, 7d or 2w")
    return float(match.group(1)) * _UNITS[match.group(2)]


def _duration(ctx: click.Context, param: click.Parameter, value: str) -> float:
    """Click callback for duration options."""
    return parse_duration(value)


def _until(value: str | None) -> float:
    """Return the end of the current window: `value` (ISO 8601) or now."""
    if value is None:
        return time.time()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO 8601 time", param_hint="--until"
        ) from None
    return moment.timestamp()


def require_drift_extra() -> None:
    """Fail in one line when scipy or scikit-learn (the `drift` extra) is not installed.

    Raises:
        click.ClickException: One of them cannot be imported.

    """
    try:
        import scipy.stats  # noqa: F401
        import sklearn.linear_model  # noqa: F401
    except ImportError as exc:
        raise click.ClickException(
            f"The drift check needs the `drift` extra ({exc.name} is missing): "
            "run `uv sync --all-extras`, or install the project with `[drift]`"
        ) from None


def register(group: click.Group, contract: ContractLoader) -> None:
    """Add `drift`, `drift-reference` and `feedback export` to the project CLI."""

    @group.command("drift")
    @click.option(
        "--db",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Signals file (default: DRIFT_DB).",
    )
    @click.option(
        "--window",
        default="1d",
        show_default=True,
        callback=_duration,
        help="Length of the current window, ending at --until (30m, 24h, 7d, 2w).",
    )
    @click.option("--until", help="End of the current window, ISO 8601 (default: now).")
    @click.option(
        "--reference",
        default="previous",
        show_default=True,
        help="'previous': the --reference-window just before the current window, from the "
        "same file; or a file written by `drift-reference`.",
    )
    @click.option(
        "--reference-window",
        default="7d",
        show_default=True,
        callback=_duration,
        help="Length of the 'previous' reference window.",
    )
    @click.option(
        "--min-samples",
        type=click.IntRange(min=10),
        default=200,
        show_default=True,
        help="Fewest requests per window (and values per signal) worth testing.",
    )
    @click.option(
        "--alpha",
        type=click.FloatRange(0, 1, min_open=True, max_open=True),
        default=0.01,
        show_default=True,
        help="Family-wise false-alarm rate, split over the signals tested.",
    )
    @click.option(
        "--report-dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="Where drift.json and drift.md go (default: DRIFT_REPORT_DIR, reports).",
    )
    @click.option(
        "--seed",
        type=int,
        default=0,
        show_default=True,
        help="Seed of the embedding test's sampling and split.",
    )
    def drift(
        db: Path | None,
        window: float,
        until: str | None,
        reference: str,
        reference_window: float,
        min_samples: int,
        alpha: float,
        report_dir: Path | None,
        seed: int,
    ) -> None:
        """Compare recent request signals with a reference; exit 1 on drift, 2 on too little data.

        Each signal gets a two-sample test (KS for numbers, chi-square for flags and
        categories) and an effect size, the question embeddings a classifier two-sample test;
        a signal drifts when its p-value is below alpha / (signals tested) and its effect
        reaches its floor. Writes drift.json and drift.md; the app exports the latest as
        drift_detected{signal}.
        """
        from .drift import Thresholds
        from .drift_check import run_check
        from .drift_report import console_lines, write_report

        require_drift_extra()
        settings = get_settings()
        thresholds = Thresholds(alpha=alpha, min_samples=min_samples)
        report = run_check(
            contract(),
            db or settings.drift_db,
            current_window=window,
            until=_until(until),
            reference=reference,
            reference_window=reference_window,
            thresholds=thresholds,
            seed=seed,
            too_little=TooLittleDataError,
        )
        for line in console_lines(report):
            click.echo(line)
        paths = write_report(report, report_dir or settings.drift_report_dir)
        click.echo(f"Reports: {paths[0]}, {paths[1]}")
        if report.drifted:
            sys.exit(1)

    @group.command("drift-reference")
    @click.option(
        "--db",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Signals file to copy from (default: DRIFT_DB).",
    )
    @click.option(
        "--window",
        default="7d",
        show_default=True,
        callback=_duration,
        help="Length of the window to keep, ending at --until.",
    )
    @click.option("--until", help="End of the window, ISO 8601 (default: now).")
    @click.option(
        "--out",
        type=click.Path(dir_okay=False, path_type=Path),
        required=True,
        help="The reference file to write.",
    )
    @click.option("--force", is_flag=True, help="Replace --out if it exists.")
    def drift_reference(
        db: Path | None, window: float, until: str | None, out: Path, force: bool
    ) -> None:
        """Save a window of signals as a fixed reference for `drift --reference FILE`."""
        from .signal_store import SignalStoreError, copy_window

        if out.exists():
            if not force:
                raise click.UsageError(f"{out} exists; choose another --out or pass --force")
            out.unlink()
        end = _until(until)
        try:
            copied = copy_window(db or get_settings().drift_db, out, end - window, end)
        except SignalStoreError as exc:
            raise TooLittleDataError(str(exc)) from None
        click.echo(f"Saved {copied} requests to {out}; compare with `drift --reference {out}`.")

    @group.group("feedback")
    def feedback_group() -> None:
        """Work with the ratings received on POST /feedback."""

    @feedback_group.command("export")
    @click.option(
        "--rating", type=click.Choice(["up", "down"]), help="Only this rating (default: both)."
    )
    @click.option(
        "--out",
        type=click.Path(dir_okay=False, path_type=Path),
        help="File to write (default: standard output).",
    )
    @click.option(
        "--db",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Feedback file (default: FEEDBACK_DB).",
    )
    @click.option(
        "--cases",
        type=click.Path(dir_okay=False, path_type=Path),
        default=Path("evals/cases.jsonl"),
        show_default=True,
        help="The golden set, which the export never writes to.",
    )
    def export(rating: str | None, out: Path | None, db: Path | None, cases: Path) -> None:
        """Export rated requests as eval cases to review (one JSON object per line).

        The latest rating of each request counts. Fields only a reviewer can fill are marked
        TODO, and a `_review` block carries the rating, the comment and the answer given;
        review each case before adding it to the golden set yourself.
        """
        from .feedback import FeedbackStore

        if out is not None and out.resolve() == cases.resolve():
            raise click.UsageError(
                f"refusing to write into the golden set {cases}: export to another file, "
                "review the cases, then add them by hand"
            )
        store = FeedbackStore(db or get_settings().feedback_db)
        to_case = contract().to_eval_case
        lines = [json.dumps(to_case(rated), ensure_ascii=False) for rated in store.rated(rating)]
        text = "".join(line + "\n" for line in lines)
        if out is None:
            click.echo(text, nl=False)
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
        where = f" to {out}" if out else ""
        click.echo(
            f"Exported {len(lines)} rated requests{where}; review them before use.", err=True
        )
