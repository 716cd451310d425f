"""`aieng check-update`: whether a newer template exists, as text, JSON and exit codes."""

import json
import shutil
from pathlib import Path

import pytest

from scaffolder import api
from tests.conftest import Invoke, error_line
from tests.test_update import generate, git, make_template_repo


@pytest.fixture(scope="module")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the template repository tagged v0.1.0 and v0.2.0."""
    return make_template_repo(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="module")
def old(template_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a committed project made from v0.1.0."""
    return generate(template_repo, "v0.1.0", tmp_path_factory.mktemp("old") / "old-rag")


@pytest.fixture(scope="module")
def new(template_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a committed project made from v0.2.0."""
    return generate(template_repo, "v0.2.0", tmp_path_factory.mktemp("new") / "new-rag")


def test_an_older_project_has_an_update(old: Path, template_repo: Path, aieng: Invoke) -> None:
    """A project behind the newest tag gets exit 10 and JSON naming both versions."""
    result = aieng("check-update", str(old), "--json")
    assert result.exit_code == 10
    assert json.loads(result.output) == {
        "path": str(old),
        "template": str(template_repo),
        "current": "v0.1.0",
        "latest": "v0.2.0",
        "current_version": "v0.1.0",
        "latest_version": "v0.2.0",
        "status": "update-available",
        "update_available": True,
    }


def test_text_output_says_what_to_run(old: Path, aieng: Invoke) -> None:
    """Without --json it prints one line with both versions and the command to run."""
    result = aieng("check-update", str(old))
    assert result.exit_code == 10
    assert result.output == (
        f"{old} uses template v0.1.0; v0.2.0 is available. Run `aieng update` to merge it.\n"
    )


def test_after_update_and_commit_it_is_up_to_date(
    old: Path, tmp_path: Path, aieng: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once updated and committed, the project is up to date: exit 0."""
    project = tmp_path / "old-rag"
    shutil.copytree(old, project, symlinks=True)
    assert api.update_project(project).conflicts == []
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "--no-gpg-sign", "-m", "chore: update template")
    monkeypatch.chdir(project)
    result = aieng("check-update", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["status"] == "up-to-date"
    assert aieng("check-update").output == f"{project} is up to date (template v0.2.0).\n"


def test_a_project_newer_than_the_template_is_ahead(new: Path, aieng: Invoke) -> None:
    """Compared with an older version, a project is ahead: exit 11, upgrade aieng."""
    check = api.check_update(new, vcs_ref="v0.1.0")
    assert (check.current, check.latest, check.status) == ("v0.2.0", "v0.1.0", "ahead")
    result = aieng("check-update", str(new), "--vcs-ref", "v0.1.0")
    assert result.exit_code == 11
    assert result.output == (
        f"{new} uses template v0.2.0, newer than this aieng's v0.1.0; upgrade aieng "
        "(pip install -U aieng).\n"
    )


def test_a_folder_that_is_not_a_project_is_an_error(tmp_path: Path, aieng: Invoke) -> None:
    """check-update outside a generated project exits 1 with the reason and the fix."""
    result = aieng("check-update", str(tmp_path))
    assert (result.exit_code, error_line(result)) == (
        1,
        f"Error: {tmp_path} is not a generated project (no .copier-answers.yml); run this in "
        "a project made by `aieng new`, or pass its path.",
    )


def test_exit_codes_are_documented(aieng: Invoke) -> None:
    """The help lists every exit status check-update uses."""
    output = " ".join(aieng("check-update", "--help").output.split())
    assert "0 up to date; 10 a newer template is available; 11 the project's template" in output
