"""`aieng update` never loses the user's work: kept edits, Ctrl-C, unreachable templates."""

import os
import signal
from pathlib import Path

import dunamai
import pytest
import yaml

from scaffolder import _transfer, _update, _versions
from tests.conftest import Invoke, error_line
from tests.test_update import (
    NAME,
    edited,  # noqa: F401 - fixture
    expected_after_update,
    files,
    generate,
    git,
    make_template_repo,
    project,  # noqa: F401 - fixture
    tree,
)

REMOVED = "docs/decisions/template.md"  # v0.2.0 of the test template removes it


@pytest.fixture(scope="module")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the template repository tagged v0.1.0 and v0.2.0."""
    return make_template_repo(tmp_path_factory.mktemp("template"))


@pytest.fixture
def edited_removed(template_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Return a v0.1.0 project whose user edited the file v0.2.0 removes, as the cwd."""
    made = generate(template_repo, "v0.1.0", tmp_path / NAME)
    with (made / REMOVED).open("a", encoding="utf-8") as handle:
        handle.write("\nOur own review rule.\n")
    git(made, "commit", "--quiet", "--no-gpg-sign", "-am", "docs: our rule")
    monkeypatch.chdir(made)
    return made


def test_an_edited_file_the_template_removes_is_kept(edited_removed: Path, aieng: Invoke) -> None:
    """The update keeps the user's edited file, lists it with the reason, and exits 3."""
    before = (edited_removed / REMOVED).read_text()
    result = aieng("update")
    assert result.exit_code == 3, result.output
    assert (edited_removed / REMOVED).read_text() == before
    lines = result.output.splitlines()
    assert f"  removed  {REMOVED}" not in lines
    assert (
        f"  kept     {REMOVED} (the template removed it; kept because you had edited it)" in lines
    )
    assert "1 file(s) kept as you had them: delete each one the project no longer needs, " in (
        result.output
    )
    assert git(edited_removed, "status", "--porcelain", "--", REMOVED) == ""


def test_an_unedited_file_the_template_removes_is_removed(
    template_repo: Path, tmp_path: Path, aieng: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file the user never touched goes when the template drops it."""
    made = generate(template_repo, "v0.1.0", tmp_path / NAME)
    monkeypatch.chdir(made)
    result = aieng("update")
    assert result.exit_code == 0, result.output
    assert f"  removed  {REMOVED}" in result.output.splitlines()
    assert not (made / REMOVED).exists()


def test_ctrl_c_after_copier_finished_leaves_the_project_as_it_was(
    project: Path,  # noqa: F811 - fixture
    aieng: Invoke,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ctrl-C once copier has rewritten the files changes nothing, and says so (exit 130)."""
    run_copier = _update._run_copier

    def interrupted(*args: object, **kwargs: object) -> None:
        run_copier(*args, **kwargs)  # type: ignore[arg-type]
        raise KeyboardInterrupt

    monkeypatch.setattr(_update, "_run_copier", interrupted)
    before = tree(project)
    result = aieng("update")
    assert result.exit_code == 130
    assert error_line(result) == "Interrupted: . is unchanged."
    assert tree(project) == before
    assert git(project, "status", "--porcelain") == ""


def test_ctrl_c_while_the_result_is_applied_is_held_back(
    project: Path,  # noqa: F811 - fixture
    template_repo: Path,
    edited: Path,  # noqa: F811 - fixture
    tmp_path: Path,
    aieng: Invoke,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A SIGINT during the final copy waits until the project is wholly updated."""
    copy_path = _transfer._copy_path
    sent: list[Path] = []

    def copy_and_interrupt(source: Path, dest: Path) -> None:
        if not sent:
            sent.append(dest)
            os.kill(os.getpid(), signal.SIGINT)
        copy_path(source, dest)

    monkeypatch.setattr(_transfer, "_copy_path", copy_and_interrupt)
    result = aieng("update")
    assert sent and result.exit_code == 3, result.output
    assert files(project) == expected_after_update(template_repo, edited, tmp_path / "v2")
    assert git(project, "ls-files", "--unmerged", "--", "README.md")


def test_an_untracked_file_in_the_way_is_kept(
    project: Path,  # noqa: F811 - fixture
    aieng: Invoke,
) -> None:
    """A file git ignores where the update writes one stays the user's own, and is listed."""
    (project / ".gitignore").write_text(
        (project / ".gitignore").read_text() + "docs/UPGRADING.md\n"
    )
    git(project, "commit", "--quiet", "--no-gpg-sign", "-am", "ignore it")
    (project / "docs" / "UPGRADING.md").write_text("my local notes\n")
    result = aieng("update")
    assert result.exit_code == 3, result.output
    assert (project / "docs" / "UPGRADING.md").read_text() == "my local notes\n"
    assert (
        "  kept     docs/UPGRADING.md (the template now writes it; kept your file, which git "
        "does not track)"
    ) in result.output.splitlines()


def test_an_unreachable_template_is_a_network_error(
    project: Path,  # noqa: F811 - fixture
    aieng: Invoke,
) -> None:
    """A template URL that cannot be reached is reported with git's reason, not as tagless."""
    answers = project / ".copier-answers.yml"
    text = answers.read_text(encoding="utf-8")
    url = "https://127.0.0.1:9/aieng.git"  # the discard port: nothing listens
    answers.write_text(text.replace(yaml.safe_load(text)["_src_path"], url), encoding="utf-8")
    git(project, "commit", "--quiet", "--no-gpg-sign", "-am", "template on a server")
    before = tree(project)
    for command in ("update", "check-update"):
        result = aieng(command)
        line = error_line(result)
        assert result.exit_code == 1, result.output
        assert line.startswith(f"Error: Cannot reach the template at {url}: fatal: unable to ")
        assert "Failed to connect to 127.0.0.1 port 9" in line
        assert line.endswith(
            "; check the network and the URL (_src_path in .copier-answers.yml), then retry."
        )
    assert tree(project) == before


def test_dev_versions_are_shown_as_copier_and_the_build_compute_them(tmp_path: Path) -> None:
    """Three commits after v0.1.0 read the same in aieng, copier and aieng's own build."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "--quiet")
    for n in range(4):
        (repo / "f").write_text(str(n))
        git(repo, "add", "f")
        git(repo, "commit", "--quiet", "--no-gpg-sign", "-m", str(n))
        if n == 0:
            git(repo, "tag", "v0.1.0")
    described = git(repo, "describe", "--tags", "--always").strip()
    expected = dunamai.Version.from_git(
        pattern=dunamai.Pattern.DefaultUnprefixed, path=repo
    ).serialize(style=dunamai.Style.Pep440)
    assert expected.startswith("0.1.0.post3.dev0+")
    assert _versions.display(described) == f"v{expected}"
