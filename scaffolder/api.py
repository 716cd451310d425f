"""The plain-Python API behind the ``aieng`` CLI: list kinds, create and update projects."""

import os
import shlex
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from scaffolder import __version__, _files, _git, _questions, _render
from scaffolder._questions import Question
from scaffolder._source import TemplateSource, template_source
from scaffolder._update import Update, UpdateCheck, check_update, update_project
from scaffolder.errors import BadAnswerError, UnknownKindError
from scaffolder.kinds import KINDS, Kind, get_kind, kind_names
from scaffolder.naming import validate

__all__ = [
    "KindInfo",
    "Project",
    "Question",
    "TemplateSource",
    "Update",
    "UpdateCheck",
    "check_update",
    "create_project",
    "list_kinds",
    "update_project",
]


@dataclass(frozen=True)
class KindInfo:
    """A kind with the questions the template asks for it."""

    kind: Kind
    questions: list[Question]

    def to_dict(self) -> dict[str, Any]:
        """Return the kind as plain JSON-serialisable data."""
        return {
            "name": self.kind.name,
            "title": self.kind.title,
            "summary": self.kind.summary,
            "questions": [question.to_dict() for question in self.questions],
        }


@dataclass
class Project:
    """What :func:`create_project` did (or, with ``pretend``, would do)."""

    name: str
    kind: str
    path: Path
    files: list[str]
    skipped: list[str] = field(default_factory=list)
    answers: dict[str, Any] = field(default_factory=dict)
    committed: bool = False
    pretend: bool = False
    next_steps: str = ""
    notes: list[str] = field(default_factory=list)


def list_kinds() -> list[KindInfo]:
    """Return every kind with the questions the template asks for it.

    Defaults are the ones `aieng new` really uses: the author answers come from git's
    identity when there is one.
    """
    config = _questions.load_config(template_source().copier_yml)
    offered = _author_defaults()
    return [
        KindInfo(
            kind,
            [
                replace(q, default=offered.get(q.name, q.default))
                for q in _questions.questions(config, kind.name)
                if q.name != "project_kind"
            ],
        )
        for kind in KINDS
    ]


def _resolve_kind(kind: str) -> Kind:
    """Return the registered kind called ``kind``.

    Raises:
        UnknownKindError: No such kind; the message lists the valid ones.

    """
    found = get_kind(kind)
    if found is None:
        raise UnknownKindError(f"Unknown kind {kind!r}; choose one of: {', '.join(kind_names())}.")
    return found


def _resolve_name(name: str | None, dest: Path | None, data: Mapping[str, str]) -> str:
    """Pick the project name: ``name``, else ``--data project_name``, else DEST's last part.

    Raises:
        BadAnswerError: No name given, or ``name`` and ``--data project_name`` disagree.
        InvalidNameError: The name breaks the naming rules.

    """
    given = data.get("project_name")
    if name is not None and given is not None and name != given:
        raise BadAnswerError(f"--name {name!r} and --data project_name={given!r} disagree.")
    chosen = name if name is not None else given
    if chosen is None and dest is not None:
        chosen = dest.absolute().name
    if chosen is None:
        raise BadAnswerError(
            "Give a project name: aieng new KIND NAME, or --name NAME with a DEST."
        )
    return validate(chosen)


def can_prompt(defaults: bool) -> bool:
    """Return whether questions may be asked: not ``defaults``, and stdin and stdout a TTY."""
    return not defaults and sys.stdin.isatty() and sys.stdout.isatty()


def create_project(
    kind: str,
    dest: Path | str | None = None,
    *,
    name: str | None = None,
    data: Mapping[str, str] | None = None,
    defaults: bool = False,
    pretend: bool = False,
    git: bool = True,
    force: bool = False,
    source: TemplateSource | None = None,
) -> Project:
    """Generate a project of ``kind`` in ``dest``.

    Everything is checked before anything is written. The project is rendered into a
    temporary sibling of DEST and moved into place at the end, so an error or Ctrl-C leaves
    nothing behind.

    Args:
        kind: A kind from :mod:`scaffolder.kinds`, such as ``"rag-app"``.
        dest: Target directory; defaults to the project name.
        name: Project name; defaults to ``data["project_name"]`` or DEST's last part.
        data: Answers to the template's questions, by question name.
        defaults: Ask nothing; use defaults for unanswered questions. Without a terminal
            this is always the case.
        pretend: Render to a scratch directory and report the files; write nothing.
        git: Initialise a git repository with a first commit.
        force: Allow a non-empty DEST: add the files it lacks, refuse to change others.
        source: Render this template (a path and a git ref) instead of aieng's own; tests
            use it to make a project from an older tagged version.

    Returns:
        What was created.

    Raises:
        AiengError: A one-line, user-facing description of what went wrong.

    """
    found = _resolve_kind(kind)
    answers = dict(data or {})
    dest_path = Path(dest) if dest is not None else None
    project_name = _resolve_name(name, dest_path, answers)
    dest_path = dest_path if dest_path is not None else Path(project_name)
    source = source or template_source()
    config = _questions.load_config(source.copier_yml)
    _questions.check_data(answers, _questions.questions(config, found.name), found.name)
    answers.update(project_kind=found.name, project_name=project_name)
    _files.check_destination(dest_path, force=force)
    if git and not pretend:
        _git.require_git()
    display = shlex.quote(str(dest if dest is not None else project_name))
    target = Path(os.path.abspath(dest_path))
    existed = target.exists()
    was_empty = existed and not any(target.iterdir())
    with _files.staging(target, sibling=not pretend) as stage:
        rendered = stage / target.name
        result = _render.render(
            source,
            rendered,
            answers,
            defaults=not can_prompt(defaults),
            user_defaults=_author_defaults(),
        )
        project = Project(
            name=project_name,
            kind=found.name,
            path=dest_path,
            files=_files.list_files(rendered),
            answers={k: v for k, v in result.items() if not k.startswith("_")},
            pretend=pretend,
            next_steps=_next_steps(result, display),
            notes=_identity_notes(result, config),
        )
        if existed:
            _merge(project, rendered, target, git=git and not pretend, was_empty=was_empty)
        elif not pretend:
            if git:
                _commit(project, rendered)
            _files.move_into_place(rendered, target)
    return project


def _author_defaults() -> dict[str, str]:
    """Offer the user's git identity as the author answers (GIT_AUTHOR_* first, then config).

    A portfolio project should not ship a LICENSE that says "Your Name"; git already knows who
    the user is. Without git, or without an identity, the template's own defaults apply.
    """
    found = {}
    for answer, variable, key in (
        ("author_name", "GIT_AUTHOR_NAME", "user.name"),
        ("author_email", "GIT_AUTHOR_EMAIL", "user.email"),
    ):
        value = os.environ.get(variable, "").strip()
        if not value and shutil.which("git"):
            value = _git.output(["config", "--get", key], Path.cwd(), check=False).strip()
        if value:
            found[answer] = value
    return found


def _next_steps(answers: Mapping[str, Any], display: str) -> str:
    """Render the template's after-copy message for DEST as the user wrote it."""
    message = answers.get("_message_after_copy") or ""
    try:
        return _render.render_message(str(message), answers, display)
    except Exception:
        return f"Next:\n  cd {display}\n  uv sync\n  uv run pytest"


def _merge(project: Project, rendered: Path, dest: Path, *, git: bool, was_empty: bool) -> None:
    """Merge the rendered project into the directory ``dest`` that existed when checked.

    An existing directory (even an empty one, which may be the user's working directory)
    keeps its identity: files move into it one by one. Only the project's own files are
    committed; the user's other files stay untracked.
    """
    if was_empty:
        _files.appeared(dest)
    conflicts, identical = _files.compare(rendered, dest, project.files)
    _files.refuse_conflicts(project.path, conflicts)
    project.skipped = identical
    if project.pretend:
        return
    _files.merge_into(rendered, dest, project.files)
    if git and not (dest / ".git").exists():
        _commit(project, dest)
        if not was_empty:
            project.notes.append(
                f"The first commit holds only the project's files; your own files in "
                f"{project.path} stay uncommitted (git status lists them)."
            )


def _commit(project: Project, where: Path) -> None:
    """Initialise a repository in ``where`` and commit the project's files (only those)."""
    _git.init_and_commit(
        where,
        f"chore: scaffold {project.name} ({project.kind}) with aieng {__version__}",
        project.files,
        author_name=str(project.answers.get("author_name", "aieng")),
        author_email=str(project.answers.get("author_email", "aieng@example.com")),
    )
    project.committed = True


def _identity_notes(answers: Mapping[str, Any], config: Mapping[str, Any]) -> list[str]:
    """Warn when the author is still the template's placeholder (no git identity was found)."""
    placeholders = [
        str(answers.get(key))
        for key in ("author_name", "author_email")
        if answers.get(key) == (config.get(key) or {}).get("default")
    ]
    if not placeholders:
        return []
    return [
        f"No git identity was found, so LICENSE, pyproject.toml and the first commit name "
        f"{' / '.join(placeholders)}. Set yours (git config --global user.name 'Ada Lovelace'; "
        "git config --global user.email ada@example.com) before `aieng new`, or pass "
        "-d author_name=... -d author_email=...; to fix this project, edit LICENSE and "
        "pyproject.toml, then `git commit -a --amend --reset-author --no-edit`."
    ]
