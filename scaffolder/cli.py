"""The ``aieng`` command line: click commands that map flags onto :mod:`scaffolder.api`.

Only click and the standard library are imported at module level; the API (and copier with
it) is imported inside the commands so that ``aieng --help`` stays instant.
"""

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from scaffolder.kinds import kind_names

F = TypeVar("F", bound=Callable[..., Any])

if TYPE_CHECKING:
    from scaffolder._questions import Question
    from scaffolder.api import Project, Update


@contextmanager
def interrupted(message: str) -> Iterator[None]:
    """Turn Ctrl-C into one line saying what state it left, and exit status 130."""
    try:
        yield
    except KeyboardInterrupt:
        click.echo(message, err=True)
        raise SystemExit(130) from None


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn aieng errors into click errors: misuse exits 2, other failures exit 1."""
    from scaffolder.errors import AiengError, UsageProblem

    try:
        yield
    except UsageProblem as error:
        raise click.UsageError(error.message) from None
    except AiengError as error:
        raise click.ClickException(error.message) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="aieng", prog_name="aieng", message="%(prog)s %(version)s")
def main() -> None:
    """Scaffold production-shaped AI engineering projects.

    \b
    Examples:
      aieng new rag-app my-rag
      aieng new agent my-agent
    """  # noqa: D301 - click needs the literal \b


def _prompt_name() -> str:
    """Ask for a project name on the terminal until it is valid."""
    from scaffolder.errors import InvalidNameError
    from scaffolder.naming import validate

    def check(value: str) -> str:
        try:
            return validate(value)
        except InvalidNameError as error:
            raise click.BadParameter(error.message) from None

    name: str = click.prompt("Project name", default="my-rag", value_proc=check)
    return name


def _data_option(help_text: str) -> Callable[[F], F]:
    """Return the repeatable ``-d/--data KEY=VALUE`` option that `new` and `update` share."""
    return click.option("-d", "--data", "data", multiple=True, metavar="KEY=VALUE", help=help_text)


@main.command(epilog=f"Kinds: {', '.join(kind_names())}.")
@click.argument("kind", metavar="KIND")
@click.argument("dest", required=False, type=click.Path(path_type=Path))
@click.option("--name", help="Project name (default: DEST's last part).")
@_data_option("Answer a template question; repeatable. See `aieng list` for the questions.")
@click.option("--defaults", is_flag=True, help="Ask nothing; use defaults for the rest.")
@click.option("--pretend", is_flag=True, help="Show the files that would be written; write none.")
@click.option("--no-git", "no_git", is_flag=True, help="Do not create a git repository.")
@click.option("--force", is_flag=True, help="Add files to a non-empty DEST; never overwrite.")
@click.option(
    "--template-repo",
    is_flag=True,
    help="Make it a GitHub template repository: copies rename themselves on first push.",
)
def new(
    kind: str,
    dest: Path | None,
    name: str | None,
    data: tuple[str, ...],
    defaults: bool,
    pretend: bool,
    no_git: bool,
    force: bool,
    template_repo: bool,
) -> None:
    """Create a project of KIND in DEST (default: the project name).

    KIND is one of the kinds that `aieng list` shows. On a terminal aieng asks the
    template's questions; without one (or with --defaults) it uses the defaults.

    \b
    Examples:
      aieng new rag-app my-rag
      aieng new agent my-agent
      aieng new rag-app --defaults -d llm_provider=openai -d author_name='Ada L' my-rag
    """  # noqa: D301
    with user_errors(), interrupted("Interrupted: nothing was written."):
        from scaffolder import api
        from scaffolder._questions import parse_data

        answers = parse_data(data)
        if template_repo:
            answers["template_repo"] = "true"
        unnamed = name is None and dest is None and "project_name" not in answers
        if unnamed and api.can_prompt(defaults):
            name = _prompt_name()
        project = api.create_project(
            kind,
            dest,
            name=name,
            data=answers,
            defaults=defaults,
            pretend=pretend,
            git=not no_git,
            force=force,
        )
    _report(project)


def _report(project: "Project") -> None:
    """Print what was (or would be) written, then the next commands to run."""
    if project.pretend:
        click.echo(f"Would write {len(project.files)} files to {project.path}:")
        skipped = set(project.skipped)
        for path in project.files:
            click.echo(f"  {'identical' if path in skipped else 'create'}  {path}")
        click.echo("Nothing written (--pretend).")
        return
    written = len(project.files) - len(project.skipped)
    click.echo(f"Wrote {written} files to {project.path}.")
    if project.committed:
        click.echo("Initialised a git repository with a first commit.")
    for note in project.notes:
        click.echo(f"Note: {note}", err=True)
    click.echo(project.next_steps)


@main.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def list_command(as_json: bool) -> None:
    """List the kinds of project and the questions each asks.

    \b
    Examples:
      aieng list
      aieng list --json
    """  # noqa: D301
    with user_errors():
        from scaffolder.api import list_kinds

        kinds = list_kinds()
    if as_json:
        click.echo(json.dumps([kind.to_dict() for kind in kinds], indent=2))
        return
    for info in kinds:
        click.echo(f"{info.kind.name}  {info.kind.summary}")
        width = max(len(q.name) for q in info.questions)
        for q in info.questions:
            click.echo(f"  {q.name:<{width}}  {_values(q)}. {q.help}")


def _values(question: "Question") -> str:
    """Describe what a question accepts: its choices or type, and a literal default."""
    values = " | ".join(question.choices) if question.choices else question.type
    default = question.default
    if default is None or (isinstance(default, str) and ("{{" in default or "{%" in default)):
        return values  # no default, or one derived from other answers
    return f"{values} (default: {default})"


CONFLICT_EXIT = 3
UPDATE_EXIT = {"up-to-date": 0, "update-available": 10, "ahead": 11}


@main.command(
    epilog="Exit status: 0 updated or nothing to do; 1 refused (nothing changed) or failed; "
    "2 misuse; 3 updated with conflicts to resolve."
)
@click.argument("path", required=False, default=".", type=click.Path(path_type=Path))
@click.option(
    "--vcs-ref",
    metavar="REF",
    help="Template version to update to, such as v0.2.0 (default: the one this aieng has).",
)
@_data_option("Change an answer, such as vector_store=pgvector; repeatable.")
@click.option("--pretend", is_flag=True, help="Show what would change; change nothing.")
def update(path: Path, vcs_ref: str | None, data: tuple[str, ...], pretend: bool) -> None:
    """Merge the template's changes into the project in PATH (default: .).

    Your own changes stay. PATH must be a project made by `aieng new`, in a git repository
    with everything committed. The result is left uncommitted for review; conflicts are
    marked in the files (<<<<<<< before updating) and listed. New questions take their
    defaults; -d changes an answer.

    \b
    Examples:
      aieng update --pretend
      aieng update ../my-rag
      aieng update -d vector_store=pgvector
    """  # noqa: D301
    with user_errors(), interrupted(f"Interrupted: {path} is unchanged."):
        from scaffolder import api
        from scaffolder._questions import parse_data

        result = api.update_project(path, vcs_ref=vcs_ref, data=parse_data(data), pretend=pretend)
    _report_update(result)
    if result.to_resolve and not result.pretend:
        raise SystemExit(CONFLICT_EXIT)


def _report_update(result: "Update") -> None:
    """Print the files an update changed (or would change) and how to finish it."""
    from scaffolder._versions import display

    old, new = display(result.old), display(result.new)
    versions = old if old == new else f"{old} to {new}"
    if not result.touched:
        click.echo(f"{result.path} is up to date with template {new}; nothing changed.")
        return
    verb = "Would update" if result.pretend else "Updated"
    click.echo(f"{verb} {result.path} from template {versions}:")
    for label, names in (
        ("changed", result.changed),
        ("added", result.added),
        ("removed", result.removed),
        ("conflict", result.conflicts),
    ):
        for name in names:
            click.echo(f"  {label:<9}{name}")
    for name, reason in sorted(result.kept.items()):
        click.echo(f"  {'kept':<9}{name} ({reason})")
    if result.pretend:
        click.echo("Nothing changed (--pretend).")
        return
    if result.conflicts:
        click.echo(
            f"{len(result.conflicts)} conflict(s): edit each file listed as conflict, keep the "
            "right lines between <<<<<<< and >>>>>>>, delete the markers (and any .rej file)."
        )
    if result.kept:
        click.echo(
            f"{len(result.kept)} file(s) kept as you had them: delete each one the project no "
            "longer needs, or keep it."
        )
    click.echo(
        "Review with `git diff`, run the tests, then commit: "
        f'git add -A && git commit -m "chore: update template to {new}"'
    )


@main.command(
    name="check-update",
    epilog="Exit status: 0 up to date; 10 a newer template is available; 11 the project's "
    "template is newer than this aieng's; 1 error.",
)
@click.argument("path", required=False, default=".", type=click.Path(path_type=Path))
@click.option(
    "--vcs-ref",
    metavar="REF",
    help="Compare with this template version (default: the one this aieng has).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def check_update(path: Path, vcs_ref: str | None, as_json: bool) -> None:
    """Tell whether a newer template exists for the project in PATH (default: .).

    \b
    Examples:
      aieng check-update
      aieng check-update ../my-rag --json
    """  # noqa: D301
    with user_errors():
        from scaffolder import api

        check = api.check_update(path, vcs_ref=vcs_ref)
    from scaffolder._versions import display

    current, latest = display(check.current), display(check.latest)
    if as_json:
        click.echo(json.dumps(check.to_dict(), indent=2))
    elif check.status == "update-available":
        click.echo(
            f"{check.path} uses template {current}; {latest} is available. "
            "Run `aieng update` to merge it."
        )
    elif check.status == "ahead":
        click.echo(
            f"{check.path} uses template {current}, newer than this aieng's "
            f"{latest}; upgrade aieng (pip install -U aieng)."
        )
    else:
        click.echo(f"{check.path} is up to date (template {current}).")
    raise SystemExit(UPDATE_EXIT[check.status])
