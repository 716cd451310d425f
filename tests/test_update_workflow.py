"""The weekly template-update workflow proposes a new template version as a pull request.

The workflow runs `python3 scripts/template_update.py --body-file ...` and then pushes the branch
and opens the pull request with the outputs the script writes. These tests run that same
command (copier from uvx, as on GitHub) in a project made from template v0.1.0, after the
template moved to v0.2.0 with a change that clashes with the project's own edit.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from tests.commands import command_env
from tests.test_template_repo import (
    commit_all,
    head,
    make_template_repo,
    render_committed,
    sh,
)

UPDATE = ["python3", "scripts/template_update.py"]
BRANCH = "template-update/v0.2.0"


def outputs(path: Path) -> dict[str, str]:
    """Parse a GITHUB_OUTPUT file."""
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


def run_update(project: Path, tmp: Path) -> tuple[dict[str, str], Path]:
    """Run the script as the workflow does; return its step outputs and the body file."""
    env = command_env()
    github_output, body = tmp / "github_output", tmp / "pr-body.md"
    github_output.write_text("")
    env["GITHUB_OUTPUT"] = str(github_output)
    sh(project, *UPDATE, "--body-file", str(body), env=env)
    return outputs(github_output), body


@pytest.fixture(scope="module")
def updated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], Path]:
    """Return a project updated from v0.1.0 to v0.2.0, its step outputs and the PR body."""
    template = make_template_repo(tmp_path_factory.mktemp("template") / "aieng")
    project = render_committed(template, tmp_path_factory.mktemp("project") / "my-rag")
    with (project / "Makefile").open("a") as makefile:
        makefile.write("\n# our own target notes\n")
    commit_all(project, "Our own edit")

    with (template / "template" / "Makefile.jinja").open("a") as makefile:
        makefile.write("\n# a template change on the same lines\n")
    ci = template / "template" / ".github" / "workflows" / "ci.yml"
    ci.write_text(ci.read_text().replace("name: CI\n", "name: CI (v2)\n"))
    (template / "template" / "CHANGES.md").write_text("New in v0.2.0.\n")
    commit_all(template, "v0.2.0")
    sh(template, "git", "tag", "v0.2.0")

    found, body = run_update(project, tmp_path_factory.mktemp("run"))
    return project, found, body


def test_update_lands_on_its_own_branch_as_one_commit(
    updated: tuple[Path, dict[str, str], Path],
) -> None:
    """The update is one commit on template-update/v0.2.0, and the tree is clean."""
    project, found, _ = updated
    assert found["branch"] == BRANCH
    assert sh(project, "git", "branch", "--show-current").strip() == BRANCH
    subjects = sh(project, "git", "log", "--format=%s", "-3").splitlines()
    assert subjects == ["chore: update the template to v0.2.0", "Our own edit", "Initial commit"]
    assert sh(project, "git", "status", "--porcelain") == ""


def test_update_applies_template_changes(updated: tuple[Path, dict[str, str], Path]) -> None:
    """New template files arrive, workflow changes are flagged, the answers move to v0.2.0."""
    project, found, _ = updated
    assert (project / "CHANGES.md").read_text() == "New in v0.2.0.\n"
    assert "name: CI (v2)" in (project / ".github" / "workflows" / "ci.yml").read_text()
    assert found["workflows"] == "true"
    assert "_commit: v0.2.0" in (project / ".copier-answers.yml").read_text().splitlines()


def test_conflicts_are_marked_and_listed(updated: tuple[Path, dict[str, str], Path]) -> None:
    """The clashing edit gets conflict markers; the title and the PR body list the file."""
    project, found, body = updated
    makefile = (project / "Makefile").read_text()
    assert "<<<<<<<" in makefile and "# our own target notes" in makefile
    assert "# a template change on the same lines" in makefile
    assert found["conflicts"] == "1"
    assert found["title"] == "chore: update the template to v0.2.0 (conflicts)"
    text = body.read_text()
    assert "from v0.1.0 to v0.2.0" in text
    assert "- [ ] `Makefile`: edit out the `<<<<<<<` / `>>>>>>>` markers" in text
    assert "changes files in `.github/workflows/`" in text


def test_second_run_finds_nothing_to_do(
    updated: tuple[Path, dict[str, str], Path], tmp_path: Path
) -> None:
    """Once the project is at the latest version, the script proposes nothing."""
    project, _, _ = updated
    before = head(project)
    found, body = run_update(project, tmp_path)
    assert found == {"branch": ""}
    assert not body.exists()
    assert head(project) == before


def load_script(tmp_path: Path) -> ModuleType:
    """Import scripts/template_update.py from a fresh render of the template."""
    template = make_template_repo(tmp_path / "template")
    project = render_committed(template, tmp_path / "project")
    path = project / "scripts" / "template_update.py"
    spec = importlib.util.spec_from_file_location("template_update", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_body_explains_rej_files_and_clean_updates(tmp_path: Path) -> None:
    """A .rej file is listed with what to do; an update without conflicts says so."""
    script = load_script(tmp_path)
    body = script.pr_body("0.1.0", "0.2.0", ["Dockerfile.rej"], False)
    assert "- [ ] `Dockerfile.rej`: a hunk copier could not place" in body
    assert "changes files in `.github/workflows/`" not in body
    assert "None: every change applied cleanly." in script.pr_body("0.1.0", "0.2.0", [], False)
