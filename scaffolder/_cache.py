"""The per-user template cache: a git repository filled from the bundle shipped in the wheel.

copier needs a git repository to record which template version made a project (``_commit``)
and to render an older version during an update. An installed wheel is a plain folder, so the
wheel also carries ``scaffolder/_template.bundle`` (``git bundle create --tags`` of the
template's history, made by ``hatch_build.py``). Its tags are fetched into one repository per
user, ``~/.cache/aieng/templates``; every installed aieng adds its tags, none removes any, so
projects made by older releases stay updatable offline. See docs/decisions/0007.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scaffolder import _git

CACHE_ENV = "AIENG_CACHE_DIR"


def cache_dir() -> Path:
    """Return the cache repository: ``$AIENG_CACHE_DIR``, else ``~/.cache/aieng/templates``.

    ``XDG_CACHE_HOME`` replaces ``~/.cache`` when set.
    """
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser().absolute()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "aieng" / "templates"


def display(repo: Path) -> str:
    """Return how copier should record ``repo``: ``~/…`` under the home directory.

    copier records the template path verbatim, and ``~/.cache/aieng/templates`` names the
    cache on any machine, so a project stays updatable after a clone elsewhere.
    """
    try:
        return "~/" + repo.relative_to(Path.home()).as_posix()
    except ValueError:
        return str(repo)


@contextmanager
def _locked(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_file`` (POSIX; elsewhere no lock)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def has_tag(repo: Path, tag: str) -> bool:
    """Return whether ``repo`` is a git repository holding ``tag``."""
    if not (repo / ".git").exists():
        return False
    found = _git.output(["rev-parse", "--verify", "--quiet", f"refs/tags/{tag}"], repo, check=False)
    return bool(found.strip())


def ensure(bundle: Path, tag: str, repo: Path | None = None) -> Path | None:
    """Make sure the cache repository holds ``tag``, fetching the bundle's tags if needed.

    Args:
        bundle: The ``git bundle`` shipped with this aieng.
        tag: The tag this aieng renders, ``v{version}``.
        repo: The cache repository (default: :func:`cache_dir`).

    Returns:
        The cache repository, or None when the bundle lacks ``tag`` (a build without a tag
        for its version), in which case the packaged folder must be used.

    Raises:
        GitError: git is missing or a git command fails.

    """
    repo = repo or cache_dir()
    if has_tag(repo, tag):
        return repo
    repo.parent.mkdir(parents=True, exist_ok=True)
    with _locked(repo.parent / f".{repo.name}.lock"):
        if not (repo / ".git").exists():
            _git.output(["init", "--quiet", str(repo)], repo.parent)
        _git.output(["fetch", "--quiet", "--force", str(bundle), "refs/tags/*:refs/tags/*"], repo)
    return repo if has_tag(repo, tag) else None
