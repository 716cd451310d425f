"""`aieng update`: a project made from template v0.1.0, edited by its user, updated to v0.2.0.

A throwaway template repository is built from this checkout's copier.yml and template/ with
two tags. v0.2.0 changes the Makefile and the README title, adds docs/UPGRADING.md, removes
docs/decisions/template.md and changes the Dockerfile. The user changes the README title too
(a conflict), appends to the README, the package and pyproject.toml, deletes the Dockerfile
and adds NOTES.md.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import copier
import pytest
import yaml

from scaffolder import _cache, api
from scaffolder._source import TemplateSource
from scaffolder.errors import AiengError, BadAnswerError
from tests.commands import command_env, make_traversable
from tests.conftest import REPO_ROOT, Invoke, error_line, snapshot

IDENTITY = {
    f"{who}_{what}": value
    for who in ("GIT_AUTHOR", "GIT_COMMITTER")
    for what, value in (("NAME", "Test Author"), ("EMAIL", "test@example.com"))
}
NAME = "demo-rag"
USER_TITLE = "# Demo RAG: answers about my documents"
NEW_TITLE = "# {{ project_name }} ({{ project_kind }})"
USER_EDITS = {
    "src/demo_rag/__init__.py": "\n\ndef mine() -> int:\n    return 1\n",
    "pyproject.toml": '\n[tool.demo]\nowner = "me"\n',
    "README.md": "\n## My notes\n\nKept across updates.\n",
}
CONFLICT = (
    f"<<<<<<< before updating\n{USER_TITLE}\n=======\n# {NAME} (rag-app)\n>>>>>>> after updating\n"
)


def git(cwd: Path, *args: str) -> str:
    """Run git with a test identity and return its output."""
    result = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **IDENTITY},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"git {' '.join(args)} failed in {cwd}:\n{result.stdout}{result.stderr}")
    return result.stdout


def _replace(path: Path, old: str, new: str) -> None:
    """Replace ``old`` (which must occur) by ``new`` in a file."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path} no longer contains {old!r}; update the test's edit"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture(scope="module")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a template repository tagged v0.1.0 (this checkout) and v0.2.0 (changed)."""
    return make_template_repo(tmp_path_factory.mktemp("template"))


def make_template_repo(parent: Path) -> Path:
    """Build the two-tag template repository in ``parent`` and return its path."""
    repo = parent / "aieng-template"
    repo.mkdir()
    shutil.copy2(REPO_ROOT / "copier.yml", repo / "copier.yml")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO_ROOT / "template", repo / "template", ignore=ignore)
    shutil.copytree(REPO_ROOT / "migrations", repo / "migrations", ignore=ignore)
    git(repo, "init", "--quiet", "--initial-branch=main")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--no-gpg-sign", "-m", "v1")
    git(repo, "tag", "v0.1.0")
    template = repo / "template"
    _replace(template / "Makefile.jinja", "\tuv run pytest\n", "\tuv run pytest -q\n")
    _replace(template / "README.md.jinja", "# {{ project_name }}\n", NEW_TITLE + "\n")
    (template / "docs" / "UPGRADING.md").write_text("# Upgrading\n", encoding="utf-8")
    (template / "docs" / "decisions" / "template.md").unlink()
    with (template / "Dockerfile.jinja").open("a", encoding="utf-8") as handle:
        handle.write("# v0.2.0\n")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--no-gpg-sign", "-m", "v2")
    git(repo, "tag", "v0.2.0")
    return repo


def generate(template: Path, ref: str, dest: Path) -> Path:
    """Make a committed project from ``template`` at ``ref`` through the API."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in IDENTITY.items():
            patch.setenv(key, value)
        api.create_project(
            "rag-app", dest, defaults=True, source=TemplateSource(path=template, vcs_ref=ref)
        )
    return dest


@pytest.fixture(scope="module")
def edited(template_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a project made from v0.1.0 with the user's edits committed (do not modify)."""
    project = generate(template_repo, "v0.1.0", tmp_path_factory.mktemp("edited") / NAME)
    _replace(project / "README.md", f"# {NAME}\n", USER_TITLE + "\n")
    for name, addition in USER_EDITS.items():
        with (project / name).open("a", encoding="utf-8") as handle:
            handle.write(addition)
    (project / "Dockerfile").unlink()
    (project / "NOTES.md").write_text("my notes\n", encoding="utf-8")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "--no-gpg-sign", "-m", "feat: my changes")
    return project


@pytest.fixture
def project(edited: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Return a fresh copy of the edited project, as the current directory."""
    copy = tmp_path / NAME
    shutil.copytree(edited, copy, symlinks=True)
    monkeypatch.chdir(copy)
    return copy


def fresh(template: Path, ref: str, dest: Path, **data: str) -> dict[str, bytes | None]:
    """Return the files of a new project rendered from ``template`` at ``ref``.

    The author answers are git's identity, as `aieng new` offers them.
    """
    author = {
        "author_name": os.environ["GIT_AUTHOR_NAME"],
        "author_email": os.environ["GIT_AUTHOR_EMAIL"],
    }
    copier.run_copy(
        str(template),
        dest,
        data={"project_name": NAME, **author, **data},
        vcs_ref=ref,
        defaults=True,
        quiet=True,
    )
    return {k: v for k, v in snapshot(dest).items() if v is not None}


def files(root: Path) -> dict[str, bytes | None]:
    """Return the files under ``root`` outside .git, with their content."""
    return {name: content for name, content in tree(root).items() if content is not None}


def tree(root: Path) -> dict[str, bytes | None]:
    """Return every path under ``root`` outside .git (git refreshes its index on status)."""
    return {name: v for name, v in snapshot(root).items() if ".git" not in name.split("/")}


def expected_after_update(
    template: Path, edited: Path, scratch: Path, **data: str
) -> dict[str, bytes | None]:
    """Return the exact tree an update to v0.2.0 should leave, from a fresh v0.2.0 render."""
    expected = fresh(template, "v0.2.0", scratch, **data)
    del expected["Dockerfile"]
    expected["NOTES.md"] = b"my notes\n"
    for name, addition in USER_EDITS.items():
        content = expected[name]
        assert content is not None
        expected[name] = content + addition.encode()
    readme = expected["README.md"]
    assert readme is not None
    expected["README.md"] = readme.replace(f"# {NAME} (rag-app)\n".encode(), CONFLICT.encode())
    return expected


def test_update_merges_template_changes_and_keeps_user_edits(
    project: Path, template_repo: Path, edited: Path, tmp_path: Path
) -> None:
    """It brings v0.2.0's changes, keeps every user edit and deletion, and marks the clash."""
    head = git(project, "rev-parse", "HEAD")
    result = api.update_project(project)
    assert (result.old, result.new) == ("v0.1.0", "v0.2.0")
    assert result.changed == [".copier-answers.yml", "Makefile"]
    assert result.added == ["docs/UPGRADING.md"]
    assert result.removed == ["docs/decisions/template.md"]
    assert result.conflicts == ["README.md"]
    assert files(project) == expected_after_update(template_repo, edited, tmp_path / "v2")
    assert git(project, "rev-parse", "HEAD") == head
    assert git(project, "ls-files", "--unmerged", "--", "README.md")


def test_cli_lists_changes_and_exits_3_on_conflict(project: Path, aieng: Invoke) -> None:
    """The CLI lists each file by what happened to it, says how to finish, and exits 3."""
    result = aieng("update")
    assert result.exit_code == 3
    lines = result.output.splitlines()
    assert lines[:6] == [
        f"Updated {project} from template v0.1.0 to v0.2.0:",
        "  changed  .copier-answers.yml",
        "  changed  Makefile",
        "  added    docs/UPGRADING.md",
        "  removed  docs/decisions/template.md",
        "  conflict README.md",
    ]
    assert lines[6].startswith("1 conflict(s): edit each file listed as conflict")
    assert lines[7] == (
        "Review with `git diff`, run the tests, then commit: "
        'git add -A && git commit -m "chore: update template to v0.2.0"'
    )


def test_pretend_lists_the_same_changes_and_changes_nothing(project: Path, aieng: Invoke) -> None:
    """With --pretend it reports what a real update would do, and leaves the project alone."""
    before = tree(project)
    result = aieng("update", "--pretend")
    assert result.exit_code == 0
    assert tree(project) == before
    assert git(project, "status", "--porcelain") == ""
    assert result.output.splitlines() == [
        f"Would update {project} from template v0.1.0 to v0.2.0:",
        "  changed  .copier-answers.yml",
        "  changed  Makefile",
        "  added    docs/UPGRADING.md",
        "  removed  docs/decisions/template.md",
        "  conflict README.md",
        "Nothing changed (--pretend).",
    ]


@pytest.mark.parametrize("answer", [[], ["-d", "vector_store=sqlite"]], ids=["skip", "copier"])
def test_update_to_the_same_version_changes_nothing(
    project: Path, aieng: Invoke, answer: list[str]
) -> None:
    """Updating to the version the project has (same answers) leaves no diff and exits 0."""
    before = tree(project)
    result = aieng("update", "--vcs-ref", "v0.1.0", *answer)
    assert result.exit_code == 0, result.output
    assert result.output == f"{project} is up to date with template v0.1.0; nothing changed.\n"
    assert git(project, "status", "--porcelain") == ""
    assert tree(project) == before


def test_plain_copier_update_gives_the_same_tree(project: Path, tmp_path: Path) -> None:
    """`copier update` on a copy leaves exactly the files `aieng update` leaves."""
    other = tmp_path / "plain" / NAME
    shutil.copytree(project, other, symlinks=True)
    api.update_project(project)
    subprocess.run(
        [sys.executable, "-m", "copier", "update", "--defaults", "--quiet"],
        cwd=other,
        env={**os.environ, **IDENTITY},
        capture_output=True,
        check=True,
    )
    assert files(other) == files(project)
    assert git(other, "status", "--porcelain") == git(project, "status", "--porcelain")


def test_changing_an_answer_during_update(
    project: Path, template_repo: Path, edited: Path, tmp_path: Path, aieng: Invoke
) -> None:
    """-d vector_store=pgvector re-renders for the new answer and keeps the user's edits."""
    result = aieng("update", "-d", "vector_store=pgvector")
    assert result.exit_code == 3, result.output
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["vector_store"] == "pgvector"
    expected = expected_after_update(
        template_repo, edited, tmp_path / "pg", vector_store="pgvector"
    )
    assert files(project) == expected


def test_a_rejected_answer_changes_nothing(project: Path) -> None:
    """A value outside the question's choices is refused before anything changes."""
    before = tree(project)
    with pytest.raises(BadAnswerError, match="Invalid value 'chroma' for 'vector_store'"):
        api.update_project(project, data={"vector_store": "chroma"})
    assert tree(project) == before


def test_misused_data_exits_2_and_changes_nothing(project: Path, aieng: Invoke) -> None:
    """A malformed or unknown -d item, or a kind change, is misuse: exit 2, nothing changed."""
    before = tree(project)
    result = aieng("update", "-d", "vector_store")
    assert (result.exit_code, error_line(result)) == (
        2,
        "Error: Invalid --data 'vector_store': write it as KEY=VALUE.",
    )
    result = aieng("update", "-d", "colour=red")
    assert result.exit_code == 2
    assert error_line(result).startswith("Error: Unknown question 'colour' in --data; known ")
    result = aieng("update", "-d", "project_kind=agent")
    assert (result.exit_code, error_line(result)) == (
        2,
        "Error: --data project_kind=agent would change the kind of a rag-app project; create "
        "a new project with `aieng new` instead.",
    )
    assert tree(project) == before


def _not_a_project(project: Path) -> tuple[list[str], str]:
    empty = project.parent / "empty"
    empty.mkdir()
    return [str(empty)], (
        f"Error: {empty} is not a generated project (no .copier-answers.yml); run this in a "
        "project made by `aieng new`, or pass its path."
    )


def _not_a_repo(project: Path) -> tuple[list[str], str]:
    shutil.rmtree(project / ".git")
    return [], (
        f"Error: {project} is not a git repository, so an update could not be reviewed or "
        "undone; run `git init && git add -A && git commit -m 'chore: before update'` in it, "
        "then retry."
    )


def _dirty(project: Path) -> tuple[list[str], str]:
    (project / "NOTES.md").write_text("changed\n", encoding="utf-8")
    (project / "scratch.txt").write_text("new\n", encoding="utf-8")
    return [], (
        f"Error: {project} has uncommitted changes (NOTES.md, scratch.txt); commit or stash "
        "them, then retry."
    )


def _template_gone(project: Path) -> tuple[list[str], str]:
    answers = project / ".copier-answers.yml"
    text = answers.read_text(encoding="utf-8")
    src = yaml.safe_load(text)["_src_path"]
    answers.write_text(text.replace(src, "/nowhere/aieng"), encoding="utf-8")
    git(project, "commit", "--quiet", "--no-gpg-sign", "-am", "move template")
    return [], (
        "Error: The template this project was made from is gone: /nowhere/aieng (_src_path "
        f"in {answers}); restore it there, or set _src_path to a clone of the aieng template "
        "and commit, then retry."
    )


def _downgrade(project: Path) -> tuple[list[str], str]:
    answers = project / ".copier-answers.yml"
    text = answers.read_text(encoding="utf-8")
    answers.write_text(text.replace("_commit: v0.1.0", "_commit: v0.2.0"), encoding="utf-8")
    git(project, "commit", "--quiet", "--no-gpg-sign", "-am", "at v0.2.0")
    return ["--vcs-ref", "v0.1.0"], (
        f"Error: {project} uses template v0.2.0, newer than v0.1.0 that this aieng installs; "
        "upgrade aieng (pip install -U aieng), or pass --vcs-ref v0.2.0."
    )


def _unknown_ref(project: Path) -> tuple[list[str], str]:
    src = yaml.safe_load((project / ".copier-answers.yml").read_text())["_src_path"]
    return ["--vcs-ref", "v9.9.9"], (
        f"Error: Unknown template version 'v9.9.9' in {src}; pass a tag such as v0.2.0 "
        f"(`git -C {src} tag` lists them)."
    )


def _recorded_version_missing(project: Path) -> tuple[list[str], str]:
    answers = project / ".copier-answers.yml"
    text = answers.read_text(encoding="utf-8")
    src = yaml.safe_load(text)["_src_path"]
    answers.write_text(text.replace("_commit: v0.1.0", "_commit: 1234abc"), encoding="utf-8")
    git(project, "commit", "--quiet", "--no-gpg-sign", "-am", "unknown version")
    return [], (
        f"Error: The template version this project records (_commit: 1234abc) is not in {src} "
        f"(made from uncommitted template edits, or a deleted tag); set _commit in {answers} "
        "to a tag of that template and commit, then retry."
    )


REFUSALS = {
    "recorded version missing": _recorded_version_missing,
    "not a project": _not_a_project,
    "not a git repository": _not_a_repo,
    "uncommitted changes": _dirty,
    "template gone": _template_gone,
    "downgrade": _downgrade,
    "unknown version": _unknown_ref,
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_refusals_say_why_and_what_to_do_and_change_nothing(
    project: Path, aieng: Invoke, case: str
) -> None:
    """Each refusal is one line with the reason and the fix, exit 1, and no file changed."""
    args, expected = REFUSALS[case](project)
    before = tree(project.parent)
    result = aieng("update", *args)
    assert (result.exit_code, error_line(result)) == (1, expected)
    assert "Traceback" not in result.output
    assert tree(project.parent) == before


def test_refusals_are_aieng_errors(tmp_path: Path) -> None:
    """The API raises AiengError subclasses, which callers can catch as one type."""
    with pytest.raises(AiengError, match="is not a generated project"):
        api.update_project(tmp_path)


def test_a_project_made_from_the_cache_updates_after_the_cache_is_gone(
    template_repo: Path, tmp_path: Path
) -> None:
    """Projects made from the bundle-filled cache record it, and update once it is refilled.

    This is the installed-wheel case: the wheel ships a git bundle of the tagged template,
    aieng fetches it into a per-user cache repository and renders from there.
    """
    bundle = tmp_path / "template.bundle"
    git(template_repo, "bundle", "create", "--quiet", str(bundle), "--tags")
    cache = tmp_path / "cache" / "templates"
    assert _cache.ensure(bundle, "v9.9.9", repo=cache) is None
    assert _cache.ensure(bundle, "v0.1.0", repo=cache) == cache
    source = TemplateSource(cache, "v0.1.0", config=template_repo / "copier.yml")
    project = tmp_path / NAME
    with pytest.MonkeyPatch.context() as patch:
        for key, value in IDENTITY.items():
            patch.setenv(key, value)
        api.create_project("rag-app", project, defaults=True, source=source)
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert (recorded["_src_path"], recorded["_commit"]) == (str(cache), "v0.1.0")
    shutil.rmtree(cache)  # a new machine, or a cleared cache
    assert _cache.ensure(bundle, "v0.2.0", repo=cache) == cache
    result = api.update_project(project)
    assert (result.old, result.new, result.conflicts) == ("v0.1.0", "v0.2.0", [])
    assert "\tuv run pytest -q\n" in (project / "Makefile").read_text()


def test_the_cache_is_recorded_as_a_home_relative_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under the home directory the cache is written as ~/…, which names it on any machine."""
    monkeypatch.delenv(_cache.CACHE_ENV, raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert _cache.display(_cache.cache_dir()) == "~/.cache/aieng/templates"
    monkeypatch.setenv(_cache.CACHE_ENV, "/srv/aieng")
    assert _cache.display(_cache.cache_dir()) == "/srv/aieng"


ADR_OLD, ADR_NEW = "docs/decisions/template.md", "docs/decisions/0000-template.md"
ADR_MIGRATION = f"""_migrations:
  - version: v0.2.0
    command: ["{{{{ _copier_python }}}}", "{{{{ _copier_conf.src_path }}}}/migrations/move.py",
              "{{{{ _copier_conf.src_path }}}}", "{ADR_OLD}", "{ADR_NEW}"]
"""


@pytest.mark.slow
def test_wheels_ship_the_bundle_and_update_offline(tmp_path: Path) -> None:
    """Two wheels built from tags v0.1.0 and v0.2.0: a project made by the first updates
    with the second, through the per-user cache, with no checkout of the template around."""
    repo = tmp_path / "aieng"
    listed = git(REPO_ROOT, "ls-files", "--cached", "--others", "--exclude-standard")
    for name in listed.splitlines():
        if (REPO_ROOT / name).is_file() and not name.startswith("benchmarks/.cache/"):
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO_ROOT / name, repo / name)
    git(repo, "init", "--quiet", "--initial-branch=main")
    dist, env = tmp_path / "dist", {**os.environ, **IDENTITY, "HOME": str(tmp_path / "home")}
    env.pop(_cache.CACHE_ENV, None)
    env.pop("XDG_CACHE_HOME", None)
    for version in ("0.1.0", "0.2.0"):  # the wheel's version is the tag
        if version == "0.2.0":
            _replace(repo / "template" / "Makefile.jinja", "\tuv run pytest\n", "\tpytest\n")
            git(repo, "mv", f"template/{ADR_OLD}", f"template/{ADR_NEW}")
            _replace(repo / "copier.yml", "_migrations: []\n", ADR_MIGRATION)
        git(repo, "add", "--all")
        git(repo, "commit", "--quiet", "--no-gpg-sign", "-m", version)
        git(repo, "tag", f"v{version}")
        run(["uv", "build", "--wheel", "--quiet", "--out-dir", str(dist)], repo, env)
    venv = tmp_path / "venv"
    run(["uv", "venv", "--quiet", str(venv)], tmp_path, env)
    install = ["uv", "pip", "install", "--quiet", "--python", str(venv)]
    run([*install, str(dist / "aieng-0.1.0-py3-none-any.whl")], tmp_path, env)
    aieng = str(venv / "bin" / "aieng")
    run([aieng, "new", "rag-app", "w-rag", "--defaults"], tmp_path, env)
    with (tmp_path / "w-rag" / ADR_OLD).open("a", encoding="utf-8") as handle:
        handle.write("mine\n")
    git(tmp_path / "w-rag", "commit", "--quiet", "--no-gpg-sign", "-am", "docs: mine")
    answers = yaml.safe_load((tmp_path / "w-rag" / ".copier-answers.yml").read_text())
    assert (answers["_src_path"], answers["_commit"]) == ("~/.cache/aieng/templates", "v0.1.0")
    run([*install, str(dist / "aieng-0.2.0-py3-none-any.whl")], tmp_path, env)
    shutil.rmtree(tmp_path / "home" / ".cache")  # the new release refills it
    shutil.rmtree(repo)  # no checkout anywhere
    run([aieng, "update", "w-rag"], tmp_path, env)
    assert "\tpytest\n" in (tmp_path / "w-rag" / "Makefile").read_text()
    # the migration shipped in the bundle ran: aieng trusts its own cache
    assert (tmp_path / "w-rag" / ADR_NEW).read_text().endswith("mine\n")
    assert not (tmp_path / "w-rag" / ADR_OLD).exists()


def run(command: list[str], cwd: Path, env: dict[str, str]) -> None:
    """Run a command, failing the test with its output if it fails."""
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")


@pytest.mark.slow
def test_updated_project_still_passes_its_own_tests(project: Path) -> None:
    """After an update with user edits and a conflict, the project installs and its tests pass."""
    result = api.update_project(project)
    assert result.conflicts == ["README.md"]
    make_traversable(project)
    env = command_env(TMPDIR=tempfile.mkdtemp(prefix="aieng-project-tmp-"))
    # The user deleted the Dockerfile (kept deleted by the update), so the project's own check
    # that render.yaml builds an existing Dockerfile fails, rightly: leave that one out.
    dockerfile = (
        "tests/test_deploy.py::test_it_builds_this_dockerfile_and_probes_a_route_the_app_serves"
    )
    test = ["uv", "run", "pytest", "-q", "-x", "--deselect", dockerfile]
    for command in (["uv", "sync", "--all-extras"], test):
        proc = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
        assert proc.returncode == 0, f"{command}: {proc.stdout[-3000:]}{proc.stderr[-3000:]}"
