"""The plain-Python API: kinds, create_project against temp dirs, and clean failure."""

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from scaffolder import _files, _render, api
from scaffolder._source import TemplateSource, template_source
from scaffolder.errors import BadAnswerError, DestinationError, TemplateError, UnknownKindError
from scaffolder.kinds import KINDS, kind_names
from tests.conftest import REPO_ROOT, snapshot


def test_kinds_registry_equals_the_template_choices() -> None:
    """The registry names exactly the kinds copier.yml offers as project_kind choices."""
    config = yaml.safe_load((REPO_ROOT / "copier.yml").read_text())
    choices = config["project_kind"]["choices"]
    values = list(choices.values()) if isinstance(choices, dict) else list(choices)
    assert kind_names() == values


def test_list_kinds_gives_questions_without_hidden_ones() -> None:
    """list_kinds returns every kind with its askable questions, none starting with _."""
    infos = api.list_kinds()
    assert [info.kind for info in infos] == list(KINDS)
    names = [question.name for question in infos[0].questions]
    assert "project_name" in names
    assert not [name for name in names if name.startswith("_")]
    assert "reserved_names" not in names
    assert "kind_module" not in names


def test_source_is_the_checkout_by_absolute_path() -> None:
    """Running from a checkout, the template is the repository root, given absolutely."""
    source = template_source()
    assert source.path == REPO_ROOT
    assert source.path.is_absolute()
    assert source.copier_yml.is_file()


def test_create_project_reports_what_it_wrote(tmp_path: Path) -> None:
    """create_project writes DEST and returns its name, kind, files and answers."""
    project = api.create_project("rag-app", tmp_path / "my-rag", git=False, defaults=True)
    assert (project.name, project.kind, project.committed) == ("my-rag", "rag-app", False)
    assert {"pyproject.toml", ".copier-answers.yml"} <= set(project.files)
    assert all((tmp_path / "my-rag" / name).is_file() for name in project.files)
    assert project.answers["project_name"] == "my-rag"
    assert "cd " in project.next_steps


def test_quotes_and_backslashes_in_answers_keep_pyproject_valid(tmp_path: Path) -> None:
    """Answers are escaped where they land in TOML strings, and read back unchanged."""
    answers = {"author_name": 'Ada "The" Lovelace \\ Jr', "description": 'Says "hi" \\o/'}
    api.create_project("rag-app", tmp_path / "my-rag", data=answers, git=False, defaults=True)
    pyproject = tomllib.loads((tmp_path / "my-rag" / "pyproject.toml").read_text())
    assert pyproject["project"]["authors"][0]["name"] == answers["author_name"]
    assert pyproject["project"]["description"] == answers["description"]


def test_create_project_pretend_writes_nothing(tmp_path: Path) -> None:
    """With pretend=True it returns the file list and writes nothing."""
    project = api.create_project("rag-app", tmp_path / "my-rag", pretend=True)
    assert "pyproject.toml" in project.files
    assert snapshot(tmp_path) == {}


def test_interrupt_leaves_no_project_and_no_temp_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A KeyboardInterrupt at the final move propagates and leaves nothing behind."""

    def interrupted(rendered: Path, dest: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(_files, "move_into_place", interrupted)
    with pytest.raises(KeyboardInterrupt):
        api.create_project("rag-app", tmp_path / "my-rag", defaults=True)
    assert snapshot(tmp_path) == {}


def test_errors_are_typed(tmp_path: Path) -> None:
    """Bad input raises the matching AiengError subclass before writing anything."""
    with pytest.raises(UnknownKindError):
        api.create_project("voicebot", tmp_path / "x")
    with pytest.raises(BadAnswerError):
        api.create_project("rag-app", tmp_path / "x", data={"nope": "1"})
    (tmp_path / "f").write_text("")
    with pytest.raises(DestinationError):
        api.create_project("rag-app", tmp_path / "f", name="my-rag")
    assert snapshot(tmp_path) == {"f": b""}


def test_missing_template_is_a_template_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A template folder without copier.yml gives a one-line TemplateError."""
    missing = TemplateSource(path=tmp_path / "nowhere", vcs_ref=None)
    monkeypatch.setattr(api, "template_source", lambda: missing)
    with pytest.raises(TemplateError, match=r"^Cannot read the template's .*copier\.yml: "):
        api.create_project("rag-app", tmp_path / "x", defaults=True)
    assert snapshot(tmp_path) == {}


def test_a_dangling_symlink_as_dest_is_refused(tmp_path: Path) -> None:
    """DEST that is a link to nowhere gets a one-line reason; the link stays as it was."""
    (tmp_path / "link").symlink_to(tmp_path / "gone")
    with pytest.raises(DestinationError) as caught:
        api.create_project("rag-app", tmp_path / "link", name="my-rag", defaults=True)
    assert caught.value.message == (
        f"{tmp_path / 'link'} is a symbolic link to {tmp_path / 'gone'}, which does not exist; "
        "remove the link or create its target, or choose another DEST."
    )
    assert [p.name for p in tmp_path.iterdir()] == ["link"]
    assert (tmp_path / "link").is_symlink()


def _racing(monkeypatch: pytest.MonkeyPatch, rival: Callable[[], object]) -> None:
    """Make ``rival`` run (another process, in effect) just before this render."""
    render = _render.render

    def render_after_rival(*args: Any, **kwargs: Any) -> dict[str, Any]:
        monkeypatch.setattr(_render, "render", render)
        rival()
        return render(*args, **kwargs)

    monkeypatch.setattr(_render, "render", render_after_rival)


def test_two_runs_racing_for_one_dest_leave_the_winners_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loser of a race for DEST says so in one line and leaves the winner's project intact."""
    dest = tmp_path / "my-rag"
    _racing(monkeypatch, lambda: api.create_project("rag-app", dest, defaults=True))
    with pytest.raises(DestinationError) as caught:
        api.create_project("rag-app", dest, defaults=True, data={"license": "Apache-2.0"})
    assert caught.value.message == (
        f"{dest} appeared while aieng was rendering (another process made it); nothing was "
        "written; choose another DEST."
    )
    assert "MIT License" in (dest / "LICENSE").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my-rag"]


def test_files_appearing_in_an_empty_dest_stop_the_merge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An empty DEST that fills up while rendering is left to whoever fills it."""
    dest = tmp_path / "my-rag"
    dest.mkdir()
    _racing(monkeypatch, lambda: (dest / "theirs.txt").write_text("theirs\n"))
    with pytest.raises(DestinationError, match="was empty when aieng checked it and holds files"):
        api.create_project("rag-app", dest, defaults=True)
    assert snapshot(dest) == {"theirs.txt": b"theirs\n"}
