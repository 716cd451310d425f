"""A generated project works as a GitHub template repository.

When someone clicks "Use this template", GitHub copies the repository under a new name and the
first-run workflow runs `python3 scripts/template_first_run.py "$GITHUB_REPOSITORY"`. These
tests run that same command in a rendered, committed project (copier from uvx, as on GitHub)
and check that the copy is renamed completely, stays updatable and that a second run is a no-op.
The template is a throwaway git repository made from this checkout's copier.yml + template/, so
that `copier recopy` can find the recorded version, as it finds the real one on GitHub.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

import pytest
from copier import run_copy

from tests.commands import command_env

REPO = Path(__file__).resolve().parent.parent
FIRST_RUN = ["python3", "scripts/template_first_run.py"]
WORKFLOW = ".github/workflows/template-first-run.yml"
OLD, NEW = "my-rag", "acme-search"


def sh(cwd: Path, *cmd: str, env: dict[str, str] | None = None) -> str:
    """Run a command in ``cwd``; fail the test with its output if it fails; return stdout."""
    proc = subprocess.run(
        cmd, cwd=cwd, env=env or command_env(), capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        pytest.fail(
            f"`{' '.join(cmd)}` exited {proc.returncode}\n--- stdout ---\n{proc.stdout[-4000:]}"
            f"\n--- stderr ---\n{proc.stderr[-4000:]}",
            pytrace=False,
        )
    return proc.stdout


def make_template_repo(dest: Path, tag: str = "v0.1.0") -> Path:
    """Copy copier.yml + template/ into a new git repository at ``dest``, tagged ``tag``."""
    dest.mkdir(parents=True)
    shutil.copy2(REPO / "copier.yml", dest / "copier.yml")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "template", dest / "template", ignore=ignore)
    sh(dest, "git", "init", "-q", "-b", "main")
    commit_all(dest, "template")
    sh(dest, "git", "tag", tag)
    return dest


def commit_all(repo: Path, message: str) -> None:
    """Stage everything in ``repo`` and commit it."""
    sh(repo, "git", "add", "--all")
    sh(repo, "git", "commit", "-q", "--no-verify", "-m", message)


def render_committed(template: Path, dest: Path, project_name: str = OLD) -> Path:
    """Render the template's latest tag into ``dest`` and commit it, as `aieng new` would."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data: dict[str, object] = {"project_name": project_name}
        if "\ntemplate_repo:" in (template / "copier.yml").read_text():
            data["template_repo"] = True  # the first-run workflow is switched by this answer
        run_copy(str(template), dest, data=data, defaults=True, quiet=True)
    sh(dest, "git", "init", "-q", "-b", "main")
    commit_all(dest, "Initial commit")
    return dest


def head(repo: Path) -> str:
    """Return the commit id of HEAD."""
    return sh(repo, "git", "rev-parse", "HEAD").strip()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a throwaway template repository tagged v0.1.0."""
    return make_template_repo(tmp_path_factory.mktemp("template") / "aieng")


@pytest.fixture(scope="module")
def renamed(template: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Return a project copied as octo-org/acme-search and renamed by the first-run script."""
    project = render_committed(template, tmp_path_factory.mktemp("copy") / "acme-search")
    output = sh(project, *FIRST_RUN, f"octo-org/{NEW}")
    return project, output


def test_package_folder_is_renamed(renamed: tuple[Path, str]) -> None:
    """The package moves from src/my_rag/ to src/acme_search/, with nothing left behind."""
    project, output = renamed
    assert (project / "src" / "acme_search" / "__init__.py").is_file()
    assert not (project / "src" / "my_rag").exists()
    assert "Renamed my-rag to acme-search" in output


OLD_NAMES = ("my_rag", "my-rag")


def mentions_old_name(path: Path) -> bool:
    """Return whether the file at ``path`` contains my_rag or my-rag."""
    return path.is_file() and any(old.encode() in path.read_bytes() for old in OLD_NAMES)


def test_no_file_mentions_the_old_name(renamed: tuple[Path, str]) -> None:
    """No file outside .git mentions my-rag or my_rag, in its path or in its text."""
    project, _ = renamed
    mentions = [
        path.relative_to(project).as_posix()
        for path in project.rglob("*")
        if ".git" not in path.relative_to(project).parts
        and (any(old in path.name for old in OLD_NAMES) or mentions_old_name(path))
    ]
    assert mentions == []


def test_answers_record_the_new_names_and_stay_updatable(
    renamed: tuple[Path, str], template: Path
) -> None:
    """.copier-answers.yml has the new names and still the template's source and version."""
    project, _ = renamed
    answers = (project / ".copier-answers.yml").read_text().splitlines()
    assert "project_name: acme-search" in answers
    assert "package_name: acme_search" in answers
    assert f"_src_path: {template}" in answers
    assert "_commit: v0.1.0" in answers


def test_rename_is_one_commit_that_deletes_the_workflow(renamed: tuple[Path, str]) -> None:
    """The workflow file is gone; the rename is one commit on a clean tree."""
    project, _ = renamed
    assert not (project / WORKFLOW).exists()
    assert (project / "scripts" / "template_first_run.py").is_file()
    assert sh(project, "git", "status", "--porcelain") == ""
    log = sh(project, "git", "log", "--format=%s").splitlines()
    assert log == ["chore: rename my-rag to acme-search (first run)", "Initial commit"]
    deleted = sh(project, "git", "show", "--diff-filter=D", "--name-only", "--format=", "HEAD")
    assert WORKFLOW in deleted.split()


def test_second_run_is_a_no_op(renamed: tuple[Path, str]) -> None:
    """Running the script again (the names now match) changes nothing."""
    project, _ = renamed
    before = head(project)
    output = sh(project, *FIRST_RUN, f"octo-org/{NEW}")
    assert "nothing to do" in output
    assert head(project) == before
    assert sh(project, "git", "status", "--porcelain") == ""


def test_original_repository_is_left_alone(template: Path, tmp_path: Path) -> None:
    """In a repository named like the project (the original), the script does nothing."""
    project = render_committed(template, tmp_path / "my-rag")
    before = head(project)
    assert "nothing to do" in sh(project, *FIRST_RUN, "octo-org/My-Rag")
    assert head(project) == before
    assert (project / WORKFLOW).is_file()


def test_template_authors_edits_survive_the_rename(template: Path, tmp_path: Path) -> None:
    """Edits to template files are merged, the author's own files move, clashes are marked."""
    project = render_committed(template, tmp_path / "copy")
    config = project / "src" / "my_rag" / "config.py"
    config.write_text(config.read_text() + "\nCOMPANY = 'acme'\n")
    (project / "src" / "my_rag" / "extra.py").write_text("from .config import COMPANY\n")
    readme = project / "README.md"
    lines = readme.read_text().splitlines()
    assert OLD in lines[0], "the README's title is the project name"
    readme.write_text("\n".join(["# Our search starter", *lines[1:]]) + "\n")
    commit_all(project, "Customise the template repository")

    output = sh(project, *FIRST_RUN, NEW)

    package = project / "src" / "acme_search"
    assert (package / "config.py").read_text().endswith("\nCOMPANY = 'acme'\n")
    assert (package / "extra.py").read_text() == "from .config import COMPANY\n"
    assert not (project / "src" / "my_rag").exists()
    assert "<<<<<<< yours" in readme.read_text()
    assert "Merge these by hand (conflict markers):\nREADME.md" in output


def test_rendered_workflows_pass_actionlint(template: Path, tmp_path: Path) -> None:
    """Both template workflows are valid, and the first run is skipped when names match."""
    project = render_committed(template, tmp_path / "lint")
    workflows = project / ".github" / "workflows"
    first_run = (workflows / "template-first-run.yml").read_text()
    assert "github.event.repository.name != 'my-rag'" in first_run
    assert "{%" not in first_run and "{{ project_name" not in first_run
    actionlint = shutil.which("actionlint", path=command_env()["PATH"])
    assert actionlint, "actionlint comes with the test extras"
    sh(project, actionlint, str(workflows / "template-first-run.yml"))
    sh(project, actionlint, str(workflows / "template-update.yml"))


@pytest.mark.slow
def test_renamed_project_passes_its_own_tests(renamed: tuple[Path, str]) -> None:
    """The renamed copy installs and its own test suite passes."""
    project, _ = renamed
    env = command_env()
    env["UV_CACHE_DIR"] = os.environ.get("UV_CACHE_DIR", str(Path.home() / ".cache" / "uv"))
    env["UV_PROJECT_ENVIRONMENT"] = str(project / ".venv")
    env["TMPDIR"] = tempfile.mkdtemp(prefix="aieng-renamed-")  # not our pytest's basetemp
    sh(project, "uv", "sync", "--all-extras", env=env)
    sh(project, "uv", "run", "pytest", "-q", "-p", "no:cacheprovider", env=env)


def test_template_moved_elsewhere_is_read_from_template_src(tmp_path: Path) -> None:
    """A recorded template path missing here gives advice; TEMPLATE_SRC points at the template."""
    template = make_template_repo(tmp_path / "template")
    project = render_committed(template, tmp_path / "copy")
    moved = template.rename(tmp_path / "moved")
    proc = subprocess.run(
        [*FIRST_RUN, NEW], cwd=project, env=command_env(), capture_output=True, text=True
    )
    assert proc.returncode == 1
    assert f"recorded at {template}, which does not exist here. Set TEMPLATE_SRC" in proc.stderr
    assert sh(project, "git", "status", "--porcelain") == ""

    sh(project, *FIRST_RUN, NEW, env={**command_env(), "TEMPLATE_SRC": str(moved)})
    answers = (project / ".copier-answers.yml").read_text().splitlines()
    assert f"_src_path: {moved}" in answers
    assert "project_name: acme-search" in answers
