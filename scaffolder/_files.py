"""Put a rendered project in place: check the destination, stage, compare, move or merge."""

import filecmp
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scaffolder.errors import DestinationError


def existing_ancestor(path: Path) -> Path:
    """Return ``path`` or its nearest ancestor that exists."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_destination(dest: Path, *, force: bool) -> None:
    """Check that ``dest`` can receive a new project, before anything is written.

    Raises:
        DestinationError: DEST is a file, is a non-empty directory without ``force``, or
            the directory that would hold it is not writable.

    """
    if dest.is_symlink() and not dest.exists():
        raise DestinationError(
            f"{dest} is a symbolic link to {os.readlink(dest)}, which does not exist; remove "
            "the link or create its target, or choose another DEST."
        )
    if dest.exists() and not dest.is_dir():
        raise DestinationError(f"{dest} is a file; choose a directory path for the project.")
    if dest.is_dir() and any(dest.iterdir()) and not force:
        raise DestinationError(
            f"{dest} is not empty; choose a new directory, or pass --force to add the "
            "project's files to it."
        )
    anchor = existing_ancestor(dest if dest.exists() else dest.parent)
    if not anchor.is_dir():
        raise DestinationError(f"{anchor} is a file, so {dest} cannot be created in it.")
    if not os.access(anchor, os.W_OK | os.X_OK):
        raise DestinationError(
            f"Cannot write to {anchor} (permission denied); choose another DEST."
        )


@contextmanager
def staging(dest: Path, *, sibling: bool) -> Iterator[Path]:
    """Yield a fresh temporary directory, removed on exit whatever happens.

    Args:
        dest: Where the project will go.
        sibling: Create the directory next to DEST (same file system, so the final move is an
            atomic rename); otherwise in the system's temporary directory.

    Raises:
        DestinationError: The temporary directory cannot be created.

    """
    parent = existing_ancestor(dest.parent) if sibling else None
    try:
        stage = Path(tempfile.mkdtemp(prefix=f".aieng-{dest.name}-", dir=parent))
    except OSError as error:
        raise DestinationError(
            f"Cannot create files in {parent or tempfile.gettempdir()} ({error.strerror}); "
            "choose another DEST."
        ) from error
    try:
        yield stage
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def list_files(root: Path) -> list[str]:
    """Return the POSIX paths of all files under ``root``, relative to it, sorted."""
    return sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if not path.is_dir() and ".git" not in path.relative_to(root).parts
    )


def compare(rendered: Path, dest: Path, files: list[str]) -> tuple[list[str], list[str]]:
    """Split ``files`` into those that would overwrite different content and identical ones."""
    conflicts: list[str] = []
    identical: list[str] = []
    for name in files:
        target = dest / name
        if not target.exists() and not target.is_symlink():
            continue
        same = target.is_file() and filecmp.cmp(rendered / name, target, shallow=False)
        (identical if same else conflicts).append(name)
    return conflicts, identical


def refuse_conflicts(dest: Path, conflicts: list[str]) -> None:
    """Raise when merging would overwrite files whose content differs.

    Raises:
        DestinationError: Listing the conflicting files.

    """
    if conflicts:
        raise DestinationError(
            f"--force would overwrite {len(conflicts)} file(s) in {dest} with different "
            f"content: {', '.join(conflicts)}; move them away or choose another DEST."
        )


def move_into_place(rendered: Path, dest: Path) -> None:
    """Move a rendered project to ``dest``, which did not exist when aieng checked it.

    The move is one rename: DEST either appears complete or not at all. If another process
    made DEST meanwhile (two ``aieng new`` racing), its files stay as they are.

    Raises:
        DestinationError: DEST appeared, not empty, while the project was being rendered.

    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(rendered, dest)  # never replaces a non-empty directory
    except OSError as error:
        if not dest.exists() and not dest.is_symlink():
            raise
        raise DestinationError(
            f"{dest} appeared while aieng was rendering (another process made it); nothing "
            "was written; choose another DEST."
        ) from error


def appeared(dest: Path) -> None:
    """Refuse to fill a DEST that was empty when checked but holds files now.

    Raises:
        DestinationError: Another process put files into DEST while the project rendered.

    """
    if dest.is_dir() and any(dest.iterdir()):
        raise DestinationError(
            f"{dest} was empty when aieng checked it and holds files now (another process is "
            "writing to it); nothing was written; choose another DEST."
        )


def merge_into(rendered: Path, dest: Path, files: list[str]) -> list[str]:
    """Move the rendered files that DEST lacks into it; return the ones moved."""
    moved = []
    for name in files:
        target = dest / name
        if target.exists() or target.is_symlink():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(rendered / name, target)
        moved.append(name)
    return moved
