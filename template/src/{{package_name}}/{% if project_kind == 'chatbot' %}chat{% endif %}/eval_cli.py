"""The `evals` command group: `evals compare A B` (two `chat_system` versions side by side).

`register_eval_commands(group)` adds the group to the project's CLI; the kind's `cli.py`
calls it from its `register`.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import click

from ..config import get_settings
from ..evaluation import EvalError, compare, write_reports
from .eval_compare import compare_versions, render

DEFAULT_DB_URL = "sqlite:///.chat/chat.sqlite"


def register_eval_commands(group: click.Group) -> None:
    """Add the `evals` group to `group`."""
    group.add_command(evals)


@click.group()
def evals() -> None:
    """Compare prompt versions on the conversation suite."""


@evals.command("compare")
@click.argument("a")
@click.argument("b")
@click.option(
    "--cases",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=Path("evals/cases.jsonl"),
    show_default=True,
    help="The conversation suite.",
)
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Where eval-<A>.* and eval-<B>.* are written (B's compared with A's).",
)
@click.option(
    "--db-url",
    default=None,
    help=f"The store whose A/B votes are counted (default: CHAT_DB_URL, else {DEFAULT_DB_URL}).",
)
@click.option("--live", is_flag=True, help="Use LLM_PROVIDER instead of the offline model.")
def compare_command(
    a: str, b: str, cases: Path, report_dir: Path, db_url: str | None, live: bool
) -> None:
    """Run the suite with prompt versions A and B (chat_system@v1 chat_system@v2) and compare.

    Prints the conversations B wins and loses, every metric's delta, and B's win rate in
    the A/B votes people cast on the page.
    """
    settings = get_settings()
    if not live:
        settings = settings.model_copy(
            update={"llm_provider": "offline", "llm_model": "", "llm_fallbacks": []}
        )
    elif settings.llm_provider == "offline":
        raise click.UsageError("--live needs LLM_PROVIDER=openai or anthropic")
    url = db_url or os.environ.get("CHAT_DB_URL") or DEFAULT_DB_URL
    try:
        result = compare_versions(settings, cases, a, b, db_url=url)
    except EvalError as exc:
        raise click.ClickException(str(exc)) from None
    mode = "live" if live else "offline"
    for run, reference in ((result.a, {}), (result.b, result.a.metrics)):
        run = replace(run, provider=settings.llm_provider, model=settings.llm_model, mode=mode)
        comparisons = compare(run, reference)
        write_reports(run, comparisons, report_dir, 0.0, name=f"eval-{run.prompt}")
    click.echo("\n".join(render(result)))
    click.echo(f"Wrote {report_dir}/eval-{result.a.prompt}.* and eval-{result.b.prompt}.*")
