"""Shared fixtures for the fast tier: an isolated working directory and git identity."""

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from scaffolder._source import TemplateSource, checkout_source, readable
from scaffolder.cli import main

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give git an identity through the environment, never through global config."""
    for variable in ("GIT_AUTHOR", "GIT_COMMITTER"):
        monkeypatch.setenv(f"{variable}_NAME", "Test Author")
        monkeypatch.setenv(f"{variable}_EMAIL", "test@example.com")


@pytest.fixture(scope="session")
def template() -> Iterator[TemplateSource]:
    """Return what the template tests render: this checkout's HEAD plus its template edits.

    Untracked files and projects generated inside the checkout never reach it, as with
    `aieng new` (docs/decisions/0008).
    """
    with readable(checkout_source(REPO_ROOT)) as source:
        yield source


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Return an empty directory that is also the current working directory."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Return every path under ``root`` with its content (None for directories)."""
    return {
        path.relative_to(root).as_posix(): None if path.is_dir() else path.read_bytes()
        for path in sorted(root.rglob("*"))
    }


Invoke = Callable[..., Result]


@pytest.fixture
def aieng() -> Invoke:
    """Return a function that runs the aieng CLI in process and returns click's Result."""

    def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(main, list(args), env=env, catch_exceptions=True)

    return invoke


def error_line(result: Result) -> str:
    """Return the last line of a failed run's output (click prints the error last)."""
    lines: Sequence[str] = result.output.rstrip("\n").splitlines()
    return lines[-1] if lines else ""
