"""Update a generated project to a newer template version, or check whether one exists.

The merge itself is ``copier update``: it renders the old and the new template version with
the project's answers and applies the difference to the project, so the user's own changes
stay. aieng checks every precondition first (so a refusal changes nothing), then lists what
changed and every conflict, which copier does not report.
"""

import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scaffolder import _git, _questions, _transfer, _versions
from scaffolder._source import template_source
from scaffolder._versions import ANSWERS_FILE, Recorded
from scaffolder.errors import BadAnswerError, TemplateError, UpdateRefused

_UNMERGED = {"DD", "AU", "UD", "UA", "DU", "AA", "UU"}
EDITED_BUT_REMOVED = "the template removed it; kept because you had edited it"
UNTRACKED_IN_THE_WAY = "the template now writes it; kept your file, which git does not track"
_MARKER = b"<<<<<<< "


@dataclass
class Update:
    """What :func:`update_project` did (or, with ``pretend``, would do).

    Attributes:
        path: The project directory.
        old: Template version before the update (``_commit``, e.g. ``v0.1.0``).
        new: Template version after it.
        changed: Files whose content changed, relative to ``path``.
        added: Files the update created.
        removed: Files the update deleted.
        conflicts: Files with conflict markers, and ``.rej`` files, to resolve by hand.
        kept: Files left as the user had them against the template's wish, with the reason
            (an edited file the template removes, an untracked file where it writes one).
        pretend: Nothing was changed; the lists say what would change.

    """

    path: Path
    old: str
    new: str
    changed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)
    pretend: bool = False

    @property
    def touched(self) -> bool:
        """Return whether the update changes any file (or keeps one the template would)."""
        return bool(self.changed or self.added or self.removed or self.conflicts or self.kept)

    @property
    def to_resolve(self) -> int:
        """Return how many files need the user's decision: conflicts and kept files."""
        return len(self.conflicts) + len(self.kept)


@dataclass(frozen=True)
class UpdateCheck:
    """Whether a newer template version exists for a project."""

    path: Path
    template: str
    current: str
    latest: str
    status: str

    def to_dict(self) -> dict[str, Any]:
        """Return the check as plain JSON-serialisable data."""
        return {
            "path": str(self.path),
            "template": self.template,
            "current": self.current,
            "latest": self.latest,
            "current_version": _versions.display(self.current),
            "latest_version": _versions.display(self.latest),
            "status": self.status,
            "update_available": self.status == "update-available",
        }


def _project(path: Path | str) -> tuple[Path, Recorded]:
    """Return the absolute project directory and what its answers file records."""
    template_source()  # refills the per-user template cache, which projects may record
    project = Path(path).absolute()
    if not project.is_dir():
        raise UpdateRefused(f"{project} is not a directory; pass the path of a generated project.")
    recorded = _versions.read_answers(project)
    _versions.require_source(recorded, project / ANSWERS_FILE)
    return project, recorded


def _require_repo(project: Path) -> Path:
    """Return the top of the git repository holding ``project``.

    Raises:
        UpdateRefused: ``project`` is not in a git repository.

    """
    top = _git.output(["rev-parse", "--show-toplevel"], project, check=False).strip()
    if not top:
        raise UpdateRefused(
            f"{project} is not a git repository, so an update could not be reviewed or undone; "
            "run `git init && git add -A && git commit -m 'chore: before update'` in it, "
            "then retry."
        )
    return Path(top)


def _require_clean(project: Path) -> None:
    """Refuse a project with uncommitted or untracked files (copier needs a clean tree).

    Raises:
        UpdateRefused: Naming the first few files that are not committed.

    """
    status = _git.output(["status", "--porcelain", "--", "."], project).splitlines()
    if status:
        names = ", ".join(line[3:] for line in status[:3]) + (", ..." if len(status) > 3 else "")
        raise UpdateRefused(
            f"{project} has uncommitted changes ({names}); commit or stash them, then retry."
        )


def _target(recorded: Recorded, vcs_ref: str | None) -> tuple[str, str]:
    """Return the git ref to update to and its ``git describe`` name."""
    ref = vcs_ref or _versions.default_ref(recorded.src)
    if ref is None:
        raise UpdateRefused(
            f"The template at {recorded.src} has no version tags; pass --vcs-ref REF."
        )
    return ref, _versions.describe(recorded.src, ref)


def check_update(path: Path | str = ".", *, vcs_ref: str | None = None) -> UpdateCheck:
    """Report whether a newer template version than the project's exists.

    Args:
        path: The project directory.
        vcs_ref: Compare with this template version instead of the one aieng installs.

    Raises:
        AiengError: The project or its template cannot be read.

    """
    project, recorded = _project(path)
    assert recorded.commit is not None  # require_source checked it
    _, target = _target(recorded, vcs_ref)
    status = _versions.compare(recorded.src, recorded.commit, target)
    return UpdateCheck(project, recorded.src, recorded.commit, target, status)


def update_project(
    path: Path | str = ".",
    *,
    vcs_ref: str | None = None,
    data: Mapping[str, str] | None = None,
    pretend: bool = False,
) -> Update:
    """Merge the template's changes since the project was made into the project.

    Every precondition is checked before anything changes. The result is left uncommitted
    for review; conflicts are marked inline (``<<<<<<< before updating``) and listed.

    Args:
        path: The project directory.
        vcs_ref: Template version to update to (a tag); default: the one aieng installs.
        data: Answers to change, such as ``{"vector_store": "pgvector"}``.
        pretend: Update a throwaway clone and report what would change; change nothing.

    Returns:
        The versions and the files changed, added, removed and in conflict.

    Raises:
        UpdateRefused: Not a generated project, not a git repository, uncommitted changes,
            template gone, or the target version is older than the project's.
        AiengError: A bad answer, or copier failed.

    """
    project, recorded = _project(path)
    assert recorded.commit is not None  # require_source checked it
    top = _require_repo(project)
    _require_clean(project)
    answers = dict(data or {})
    _check_answers(recorded, answers)
    ref, target = _target(recorded, vcs_ref)
    status = _versions.compare(recorded.src, recorded.commit, target)
    if status == "up-to-date" and not answers:
        # The same version with the same answers renders the same files: nothing to merge.
        return Update(path=project, old=recorded.commit, new=recorded.commit, pretend=pretend)
    if status == "ahead":
        raise UpdateRefused(
            f"{project} uses template {recorded.commit}, newer than {target} that this aieng "
            f"installs; upgrade aieng (pip install -U aieng), or pass --vcs-ref "
            f"{recorded.commit}."
        )
    # copier runs in a clone; the project changes only at the very end, all at once.
    with tempfile.TemporaryDirectory(prefix="aieng-update-") as scratch:
        clone = Path(scratch) / top.name
        _git.output(["clone", "--quiet", "--shared", str(top), str(clone)], Path(scratch))
        result = _apply(clone / project.relative_to(top), recorded, ref, answers)
        paths = _transfer.touched(clone)
        occupied = _transfer.occupied(top, paths)
        prefix = _git.output(["rev-parse", "--show-prefix"], project).strip()
        for name in occupied:
            result.kept[name.removeprefix(prefix)] = UNTRACKED_IN_THE_WAY
        result.path, result.pretend = project, pretend
        if not pretend:
            _transfer.transfer(clone, top, [p for p in paths if p not in occupied])
    return result


def _check_answers(recorded: Recorded, data: Mapping[str, str]) -> None:
    """Check changed answers against the template's questions, when it is a local folder."""
    if not data:
        return
    kind = str(recorded.answers.get("project_kind", ""))
    local = recorded.local
    if local is None or not (local / "copier.yml").is_file():
        return
    config = _questions.load_config(local / "copier.yml")
    asked = _questions.questions(config, kind)
    if "project_kind" in data and data["project_kind"] != kind:
        raise BadAnswerError(
            f"--data project_kind={data['project_kind']} would change the kind of a {kind} "
            "project; create a new project with `aieng new` instead."
        )
    _questions.check_data(data, asked, kind)


def _apply(project: Path, recorded: Recorded, ref: str, data: Mapping[str, str]) -> Update:
    """Run ``copier update`` in ``project`` (a scratch clone) and collect what it changed.

    A file the template removes but the user had edited is restored and listed as kept.
    """
    assert recorded.commit is not None  # require_source checked it
    _run_copier(project, ref, data, trusted=_versions.is_own(recorded.src))
    new = str(_versions.read_answers(project).commit or ref)
    update = Update(path=project, old=recorded.commit, new=new)
    _collect(update)
    for name in _edited(project, recorded, ref, update.removed):
        _git.output(["checkout", "HEAD", "--", name], project)
        update.removed.remove(name)
        update.kept[name] = EDITED_BUT_REMOVED
    return update


def _edited(project: Path, recorded: Recorded, ref: str, removed: list[str]) -> list[str]:
    """Return the removed files whose committed content differs from the old template's.

    The old version is rendered with the project's recorded answers (only when the update
    removes something). Files a migration moved are not removals: ``move.py`` carried the
    user's edits to their new path.
    """
    moved = _versions.moved_paths(recorded.src, ref)
    candidates = [name for name in removed if name not in moved]
    if not candidates:
        return []
    import copier

    data = {k: v for k, v in recorded.answers.items() if not k.startswith("_")}
    with tempfile.TemporaryDirectory(prefix="aieng-old-") as scratch, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        old = Path(scratch) / "old"
        copier.run_copy(
            recorded.src, old, data=data, vcs_ref=recorded.commit, defaults=True, quiet=True
        )
        return [name for name in candidates if _blob(project, name) != _hash(old / name)]


def _blob(project: Path, name: str) -> str:
    """Return the object id of ``name`` in the project's last commit."""
    return _git.output(["rev-parse", f"HEAD:./{name}"], project, check=False).strip()


def _hash(path: Path) -> str:
    """Return the git object id ``path`` would have ("" when it does not exist)."""
    if not path.is_file():
        return ""
    return _git.output(["hash-object", "--", str(path)], path.parent).strip()


def _run_copier(project: Path, ref: str, data: Mapping[str, str], *, trusted: bool) -> None:
    """Call ``copier.run_update``, turning its exceptions into aieng errors.

    ``trusted`` (aieng's own template) lets the template's migration scripts run.
    """
    import copier
    import jinja2
    from copier.errors import CopierError, DirtyLocalWarning, UnsafeTemplateError, UserMessageError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DirtyLocalWarning)
        try:
            copier.run_update(
                project,
                data=dict(data),
                vcs_ref=ref,
                defaults=True,
                overwrite=True,
                quiet=True,
                conflict="inline",
                unsafe=trusted,
            )
        except KeyboardInterrupt:
            raise KeyboardInterrupt from None
        except UnsafeTemplateError as error:
            features = _first_line(error).split(": ", 1)[-1].rstrip(".")
            raise UpdateRefused(
                f"This update runs the template's {features} (scripts), which aieng runs only "
                "for its own template; review the template's copier.yml, then run "
                "`copier update --trust` in the project."
            ) from error
        except UserMessageError as error:
            raise UpdateRefused(f"copier refused the update: {_first_line(error)}") from error
        except ValueError as error:
            line = _first_line(error)
            raise BadAnswerError(f"{line.rstrip('.')}.") from error
        except (CopierError, jinja2.TemplateError, OSError) as error:
            raise TemplateError(f"The update failed: {_first_line(error)}") from error


def _first_line(error: BaseException) -> str:
    """Return the first non-empty line of an exception's message."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def _collect(update: Update) -> None:
    """Fill ``update``'s file lists from ``git status`` in the project."""
    raw = _git.output(
        ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--", "."], update.path
    )
    prefix = _git.output(["rev-parse", "--show-prefix"], update.path).strip()
    for entry in filter(None, raw.split("\0")):
        code, name = entry[:2], entry[3:].removeprefix(prefix)
        if code in _UNMERGED or name.endswith(".rej"):
            update.conflicts.append(name)
        elif code == "??" or "A" in code:
            update.added.append(name)
        elif "D" in code:
            update.removed.append(name)
        else:
            update.changed.append(name)
    for name in update.changed + update.added:
        if name not in update.conflicts and _has_markers(update.path / name):
            update.conflicts.append(name)
    update.changed = sorted(set(update.changed) - set(update.conflicts))
    update.added = sorted(set(update.added) - set(update.conflicts))
    update.removed.sort()
    update.conflicts.sort()


def _has_markers(path: Path) -> bool:
    """Return whether a file holds a conflict marker at the start of a line."""
    try:
        with path.open("rb") as handle:
            return any(line.startswith(_MARKER) for line in handle)
    except OSError:
        return False
