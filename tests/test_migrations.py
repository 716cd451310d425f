"""Template releases that move files ship a copier migration that carries the user's edits.

A throwaway template repository is built from this checkout: v0.1.0 as it is, v0.2.0 renames
docs/decisions/template.md to docs/decisions/0000-template.md, changes its Status line and
declares the move in copier.yml's ``_migrations`` (migrations/move.py). The user of a v0.1.0
project appends a section to the old file and commits.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scaffolder import _cache, api
from tests.conftest import REPO_ROOT, Invoke, error_line
from tests.test_update import (
    ADR_MIGRATION,
    ADR_NEW,
    ADR_OLD,
    IDENTITY,
    NAME,
    _replace,
    files,
    fresh,
    generate,
    git,
    tree,
)

OLD, NEW, MIGRATION = ADR_OLD, ADR_NEW, ADR_MIGRATION
USER_SECTION = "\n## Review\n\nEvery decision here gets two reviewers.\n"


@pytest.fixture(scope="module")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a template repository whose v0.2.0 moves a file and declares the migration."""
    repo = tmp_path_factory.mktemp("template") / "aieng-template"
    repo.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copy2(REPO_ROOT / "copier.yml", repo / "copier.yml")
    for folder in ("template", "migrations"):
        shutil.copytree(REPO_ROOT / folder, repo / folder, ignore=ignore)
    git(repo, "init", "--quiet", "--initial-branch=main")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--no-gpg-sign", "-m", "v1")
    git(repo, "tag", "v0.1.0")
    git(repo, "mv", f"template/{OLD}", f"template/{NEW}")
    _replace(repo / "template" / NEW, "- Status: proposed\n", "- Status: proposed | accepted\n")
    _replace(repo / "copier.yml", "_migrations: []\n", MIGRATION)
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--no-gpg-sign", "-m", "v2: move the ADR template")
    git(repo, "tag", "v0.2.0")
    return repo


@pytest.fixture(scope="module")
def edited(template_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a v0.1.0 project whose user edited the file v0.2.0 moves (do not modify)."""
    project = generate(template_repo, "v0.1.0", tmp_path_factory.mktemp("edited") / NAME)
    with (project / OLD).open("a", encoding="utf-8") as handle:
        handle.write(USER_SECTION)
    git(project, "commit", "--quiet", "--no-gpg-sign", "-am", "docs: review rule")
    return project


@pytest.fixture
def project(edited: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Return a fresh copy of the edited project, as the current directory."""
    copy = tmp_path / NAME
    shutil.copytree(edited, copy, symlinks=True)
    monkeypatch.chdir(copy)
    return copy


@pytest.fixture
def own(template_repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Make the template repository aieng's own (its per-user cache), which aieng trusts."""
    monkeypatch.setenv(_cache.CACHE_ENV, str(template_repo))
    return template_repo


def test_update_moves_the_users_edit_to_the_new_path(
    project: Path, own: Path, tmp_path: Path
) -> None:
    """The edit lands in the new file with v0.2.0's change, the old path is gone, no conflict."""
    result = api.update_project(project)
    assert (result.old, result.new) == ("v0.1.0", "v0.2.0")
    assert (result.changed, result.added, result.removed, result.conflicts) == (
        [".copier-answers.yml"],
        [NEW],
        [OLD],
        [],
    )
    expected = fresh(own, "v0.2.0", tmp_path / "v2")
    moved = expected[NEW]
    assert moved is not None and b"- Status: proposed | accepted\n" in moved
    expected[NEW] = moved + USER_SECTION.encode()
    assert files(project) == expected


def test_plain_copier_update_with_trust_gives_the_same_tree(
    project: Path, own: Path, tmp_path: Path
) -> None:
    """`copier update --trust` runs the same migration and leaves exactly the same files."""
    other = tmp_path / "plain" / NAME
    shutil.copytree(project, other, symlinks=True)
    api.update_project(project)
    subprocess.run(
        [sys.executable, "-m", "copier", "update", "--trust", "--defaults", "--quiet"],
        cwd=other,
        env={**os.environ, **IDENTITY},
        capture_output=True,
        check=True,
    )
    assert files(other) == files(project)
    assert git(other, "status", "--porcelain") == git(project, "status", "--porcelain")


def test_a_file_the_user_deleted_stays_deleted_under_its_new_name(project: Path, own: Path) -> None:
    """A user who deleted the old file does not get it back at the new path."""
    git(project, "rm", "--quiet", OLD)
    git(project, "commit", "--quiet", "--no-gpg-sign", "-m", "docs: no ADR template")
    result = api.update_project(project)
    assert not (project / OLD).exists() and not (project / NEW).exists()
    assert (result.added, result.removed, result.conflicts) == ([], [], [])


def test_another_templates_migrations_need_the_users_trust(
    project: Path, aieng: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aieng runs migration scripts only from its own template; others are refused, unchanged."""
    monkeypatch.delenv(_cache.CACHE_ENV, raising=False)
    before = tree(project)
    result = aieng("update")
    assert (result.exit_code, error_line(result)) == (
        1,
        "Error: This update runs the template's migrations (scripts), which aieng runs only "
        "for its own template; review the template's copier.yml, then run "
        "`copier update --trust` in the project.",
    )
    assert tree(project) == before
