"""Rendering from a checkout: what git has, never what merely lies in the working tree."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from scaffolder import api
from scaffolder._source import checkout_source
from tests.commands import command_env
from tests.conftest import REPO_ROOT


def git(cwd: Path, *args: str) -> str:
    """Run git (test identity from the environment) and return its output."""
    result = subprocess.run(
        ["git", *args], cwd=cwd, env=command_env(), capture_output=True, text=True, check=True
    )
    return result.stdout


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """Return a clone of this repository with a project generated inside it, as README once did.

    The clone holds a nested git repository (``my-rag``), an untracked file and a tracked,
    uncommitted edit of the template; its ``scaffolder/`` is this working tree's.
    """
    clone = tmp_path / "aieng"
    git(tmp_path, "clone", "--quiet", "--shared", str(REPO_ROOT), str(clone))
    shutil.rmtree(clone / "scaffolder")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "_template*")
    shutil.copytree(REPO_ROOT / "scaffolder", clone / "scaffolder", ignore=ignore)
    nested = clone / "my-rag"
    nested.mkdir()
    git(nested, "init", "--quiet")
    (nested / "app.py").write_text("print('mine')\n")
    git(nested, "add", "app.py")
    git(nested, "commit", "--quiet", "-m", "nested")
    (clone / "notes.txt").write_text("untracked\n")
    readme = clone / "template" / "README.md.jinja"
    readme.write_text(readme.read_text() + "\nEdited in the checkout, not committed.\n")
    return clone


def test_a_nested_repository_does_not_break_rendering(checkout: Path, tmp_path: Path) -> None:
    """A project generated inside the checkout, and untracked files, never reach the template.

    The tracked template edit renders; the answers file records the checkout, not a snapshot.
    """
    source = checkout_source(checkout)
    assert source.edits
    dest = tmp_path / "out"
    api.create_project("rag-app", dest, defaults=True, git=False, source=source)
    assert "Edited in the checkout, not committed." in (dest / "README.md").read_text()
    assert not (dest / "my-rag").exists() and not (dest / "notes.txt").exists()
    recorded = yaml.safe_load((dest / ".copier-answers.yml").read_text())
    assert recorded["_src_path"] == str(checkout)


def test_a_clean_template_renders_the_head_commit(checkout: Path, tmp_path: Path) -> None:
    """Without template edits the HEAD commit renders and is recorded as the version."""
    git(checkout, "checkout", "--quiet", "--", "template/README.md.jinja")
    source = checkout_source(checkout)
    assert (source.edits, source.vcs_ref) == (False, git(checkout, "rev-parse", "HEAD").strip())
    dest = tmp_path / "out"
    api.create_project("rag-app", dest, defaults=True, git=False, source=source)
    recorded = yaml.safe_load((dest / ".copier-answers.yml").read_text())
    assert recorded["_src_path"] == str(checkout)
    head = git(checkout, "rev-parse", "HEAD").strip()
    assert head.startswith(recorded["_commit"].rsplit("-g", 1)[-1])


def test_the_cli_of_a_checkout_with_a_nested_project_still_works(
    checkout: Path, tmp_path: Path
) -> None:
    """`aieng new` run from such a checkout (its own CLI) succeeds, twice in a row."""
    run = [sys.executable, "-c", "from scaffolder.cli import main; main()", "new", "rag-app"]
    env = command_env(PYTHONPATH=str(checkout))
    for name in ("first", "second"):
        proc = subprocess.run(
            [*run, name, "--defaults"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        assert (tmp_path / name / "pyproject.toml").is_file()
