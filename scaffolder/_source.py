"""Where the template comes from: the checkout aieng runs from, or the copy in the wheel.

A checkout is rendered from what git has, never from the working tree as it lies: copier's
own handling of a dirty ``HEAD`` (``git add -A`` of everything, then a commit) breaks on a
project generated inside the checkout (a nested repository becomes a submodule without a URL)
and would copy any untracked file. So a clean checkout renders its ``HEAD`` commit, and one
with uncommitted edits under the template's paths renders a snapshot: ``HEAD`` plus exactly
those tracked edits, committed in a throwaway clone (docs/decisions/0008).
"""

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from scaffolder.errors import TemplateError

_PACKAGE_DIR = Path(__file__).resolve().parent
BUNDLE = _PACKAGE_DIR / "_template.bundle"
TEMPLATE_PATHS = ("copier.yml", "template", "migrations")
"""What copier reads from a checkout; edits anywhere else never change a rendered project."""


@dataclass(frozen=True)
class TemplateSource:
    """A template location and the git reference to render it at.

    Attributes:
        path: Absolute path of the directory holding ``copier.yml``. It is absolute because
            copier records it verbatim in ``.copier-answers.yml``.
        vcs_ref: The commit ``HEAD`` names in a git checkout, ``v{version}`` for the per-user
            cache filled from the wheel's bundle, else None (a plain folder, such as the copy
            packaged in the wheel).
        url: What copier is given and records as ``_src_path`` (default: ``path``); the cache
            is recorded as ``~/.cache/aieng/templates``, valid on any machine.
        config: The ``copier.yml`` to read questions from (default: the one in ``path``; the
            cache repository has no checked-out files, so the packaged copy is read).
        edits: The checkout has uncommitted changes to tracked files under
            :data:`TEMPLATE_PATHS`, which :func:`readable` renders from a snapshot.
        record_as: What a project made from this source records as ``_src_path`` when that
            is not what copier read (a snapshot records its checkout).

    """

    path: Path
    vcs_ref: str | None
    url: str | None = None
    config: Path | None = None
    edits: bool = False
    record_as: str | None = None

    @property
    def copier_yml(self) -> Path:
        """Return the path of the template's ``copier.yml``."""
        return self.config or self.path / "copier.yml"

    @property
    def src(self) -> str:
        """Return the template location to pass to copier."""
        return self.url or str(self.path)


def template_source(*, use_git: bool = True) -> TemplateSource:
    """Locate the template.

    Args:
        use_git: Whether git may be used to read a checkout; without git a checkout is
            rendered as a plain folder.

    Returns:
        The repository root when aieng runs from a checkout (``scaffolder/../copier.yml``
        exists); else, for a wheel that ships a bundle, the per-user cache repository at tag
        ``v{version}``; else the copy packaged at ``scaffolder/_template/``.

    """
    checkout = _PACKAGE_DIR.parent
    has_git = use_git and shutil.which("git") is not None
    if (checkout / "copier.yml").is_file():
        return checkout_source(checkout) if has_git else TemplateSource(checkout, None)
    packaged = _PACKAGE_DIR / "_template"
    if BUNDLE.is_file() and has_git:
        from scaffolder import __version__, _cache

        tag = f"v{__version__}"
        repo = _cache.ensure(BUNDLE, tag)
        if repo is not None:
            return TemplateSource(
                path=repo, vcs_ref=tag, url=_cache.display(repo), config=packaged / "copier.yml"
            )
    return TemplateSource(path=packaged, vcs_ref=None)


def _git(args: list[str], cwd: Path, *, stdin: bytes | None = None) -> bytes:
    """Run git for the checkout source; a failure is a one-line TemplateError."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "aieng", "GIT_AUTHOR_EMAIL": "aieng@localhost"}
    env.update(GIT_COMMITTER_NAME="aieng", GIT_COMMITTER_EMAIL="aieng@localhost")
    result = subprocess.run(
        ["git", *args], cwd=cwd, input=stdin, capture_output=True, env=env, check=False
    )
    if result.returncode != 0:
        lines = result.stderr.decode(errors="replace").strip().splitlines()
        reason = lines[-1] if lines else f"exit status {result.returncode}"
        raise TemplateError(f"Cannot read the template checkout {cwd}: git {args[0]}: {reason}")
    return result.stdout


def checkout_source(root: Path) -> TemplateSource:
    """Return the source for a git checkout at ``root``: its ``HEAD`` commit.

    A folder that is not a git repository (or has no commit yet) is a plain folder.
    """
    found = subprocess.run(
        ["git", "rev-parse", "--show-toplevel", "--verify", "HEAD^{commit}"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    # A checkout without .git of its own (an unpacked sdist inside another repository) is a
    # plain folder too: the enclosing repository's HEAD is not this template.
    if len(found) != 2 or Path(found[0]).resolve() != root.resolve():
        return TemplateSource(path=root, vcs_ref=None)
    head = found[1]
    status = _git(["status", "--porcelain", "--untracked-files=no", "--", *TEMPLATE_PATHS], root)
    return TemplateSource(path=root, vcs_ref=head, edits=bool(status.strip()))


@contextmanager
def readable(source: TemplateSource) -> Iterator[TemplateSource]:
    """Yield the source copier should read: ``source``, or a snapshot of its template edits.

    The snapshot is a shared clone of the checkout with one more commit, checked out: ``HEAD``
    plus the uncommitted changes to tracked files under :data:`TEMPLATE_PATHS` (staged or not).
    Untracked files and nested repositories never reach it. It records the checkout, not the
    throwaway clone, as the project's template (``record_as``).

    Raises:
        TemplateError: git could not build the snapshot.

    """
    if not source.edits or source.vcs_ref is None:
        yield source
        return
    diff = _git(["diff", "--binary", source.vcs_ref, "--", *TEMPLATE_PATHS], source.path)
    with tempfile.TemporaryDirectory(prefix="aieng-template-") as scratch:
        clone = Path(scratch) / "template"
        _git(
            ["clone", "--quiet", "--shared", "--no-checkout", str(source.path), str(clone)],
            Path(scratch),
        )
        _git(["read-tree", source.vcs_ref], clone)
        _git(["apply", "--cached", "--binary", "-"], clone, stdin=diff)
        tree = _git(["write-tree"], clone).decode().strip()
        message = b"aieng: uncommitted template edits"
        commit = _git(["commit-tree", tree, "-p", source.vcs_ref], clone, stdin=message)
        snapshot = commit.decode().strip()
        _git(["update-ref", "HEAD", snapshot], clone)  # reachable, so copier's clone has it
        _git(["checkout", "--quiet", "--force", "HEAD", "--", "."], clone)  # files, for readers
        yield replace(
            source, path=clone, vcs_ref=snapshot, url=None, edits=False, record_as=source.src
        )
