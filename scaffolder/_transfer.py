"""Carry an update made in a scratch clone back into the user's repository, all at once.

``aieng update`` runs copier in a ``git clone --shared`` of the project's repository, never in
the project itself, so Ctrl-C or a failure at any point before the end leaves the project
exactly as it was. Once the update is complete in the clone, :func:`transfer` copies its
result over: the new git objects, every file the update touched, and the index (which holds
copier's unmerged conflict stages). That last step takes milliseconds and runs with Ctrl-C
deferred, so the project ends either untouched or fully updated (docs/decisions/0009).
"""

import os
import shutil
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scaffolder import _git


def touched(clone: Path) -> list[str]:
    """Return the paths (relative to the clone's top) that differ from its ``HEAD``.

    Ignored files count too: the clone started with none, so the update wrote them.
    """
    raw = _git.output(
        ["status", "--porcelain=v1", "-z", "--no-renames", "--untracked-files=all", "--ignored"],
        clone,
    )
    return sorted({entry[3:] for entry in raw.split("\0") if entry})


def occupied(top: Path, paths: list[str]) -> list[str]:
    """Return the paths the update would write over a file git does not track in ``top``.

    The project's tree was clean, so such a file is ignored by git: the user's own (a local
    ``.env``, a lock file), never to be overwritten.
    """
    tracked = (
        set(_git.output(["ls-files", "-z", "--", *paths], top).split("\0")) if paths else set()
    )
    return [p for p in paths if p not in tracked and os.path.lexists(top / p)]


def transfer(clone: Path, top: Path, paths: list[str]) -> None:
    """Make ``top`` hold what ``clone`` holds at ``paths``, objects and index included."""
    _copy_objects(_git_path(clone, "objects"), _git_path(top, "objects"))
    index = _git_path(clone, "index")
    staged = _git_path(top, "index.aieng")
    shutil.copyfile(index, staged)
    with deferred_interrupt():
        for path in paths:
            _copy_path(clone / path, top / path)
        os.replace(staged, _git_path(top, "index"))


def _git_path(repo: Path, name: str) -> Path:
    """Return where ``repo`` keeps ``.git/<name>`` (worktrees and submodules included)."""
    found = Path(_git.output(["rev-parse", "--git-path", name], repo).strip())
    return found if found.is_absolute() else repo / found


def _copy_objects(source: Path, dest: Path) -> None:
    """Copy the objects the clone created (it borrows the rest from ``dest``)."""
    for path in source.rglob("*"):
        relative = path.relative_to(source)
        if path.is_dir() or relative.parts[0] == "info":
            continue
        target = dest / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


def _copy_path(source: Path, dest: Path) -> None:
    """Replace ``dest`` by ``source`` (file or symlink), or remove it when ``source`` is gone."""
    if not os.path.lexists(source):
        if os.path.lexists(dest):
            dest.unlink()
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    staged = dest.with_name(f".{dest.name}.aieng-update")
    if source.is_symlink():
        staged.symlink_to(os.readlink(source))
    else:
        shutil.copy2(source, staged)
    os.replace(staged, dest)


@contextmanager
def deferred_interrupt() -> Iterator[None]:
    """Hold back Ctrl-C (SIGINT) until the block ends; it then finishes its work normally."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, lambda *_: None)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
