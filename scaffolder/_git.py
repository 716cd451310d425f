"""Run git: initialise a generated project, and read the state of a project or template."""

import os
import shutil
import subprocess
from pathlib import Path

from scaffolder.errors import GitError

_IDENTITY = {
    "user.name": ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"),
    "user.email": ("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"),
}


def require_git() -> str:
    """Return the path of the git executable.

    Raises:
        GitError: git is not on PATH.

    """
    git = shutil.which("git")
    if git is None:
        raise GitError(
            "git is not installed (not found on PATH); install git, or pass --no-git to skip "
            "creating a repository."
        )
    return git


def _configured(git: str, key: str, cwd: Path) -> bool:
    """Return whether git has a value for ``key`` (from any config file)."""
    result = subprocess.run(
        [git, "config", "--get", key], cwd=cwd, capture_output=True, text=True, check=False
    )
    return result.returncode == 0 and bool(result.stdout.strip())


def identity_env(git: str, cwd: Path, author_name: str, author_email: str) -> dict[str, str]:
    """Return the environment for committing, falling back to the project's author.

    ``GIT_AUTHOR_NAME`` and friends win when set; git's configured identity comes next; the
    template's ``author_name`` / ``author_email`` answers are the last resort.
    """
    env = dict(os.environ)
    fallback = {"user.name": author_name, "user.email": author_email}
    for key, variables in _IDENTITY.items():
        if not _configured(git, key, cwd):
            for variable in variables:
                env.setdefault(variable, fallback[key])
    return env


def _run(
    git: str, args: list[str], cwd: Path, env: dict[str, str], stdin: str | None = None
) -> None:
    """Run one git command, turning a failure into a one-line GitError."""
    result = subprocess.run(
        [git, *args], cwd=cwd, env=env, input=stdin, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        reason = detail[-1] if detail else f"exit status {result.returncode}"
        raise GitError(f"git {args[0]} failed in {cwd}: {reason}")


def output(args: list[str], cwd: Path, *, check: bool = True) -> str:
    """Return the standard output of one git command ("" when it fails without ``check``).

    Raises:
        GitError: git is missing, or (with ``check``) the command fails.

    """
    git = shutil.which("git")
    if git is None:
        raise GitError("git is not installed (not found on PATH); install git, then retry.")
    result = subprocess.run([git, *args], cwd=cwd, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        reason = detail[-1] if detail else f"exit status {result.returncode}"
        raise GitError(f"git {args[0]} failed in {cwd}: {reason}")
    return result.stdout if result.returncode == 0 else ""


def init_and_commit(
    path: Path, message: str, files: list[str], *, author_name: str, author_email: str
) -> None:
    """Create a git repository in ``path`` and commit ``files`` (paths relative to it).

    Raises:
        GitError: git is missing or a git command fails.

    """
    git = require_git()
    env = identity_env(git, path, author_name, author_email)
    _run(git, ["init", "--quiet", "--initial-branch=main"], path, env)
    pathspecs = "".join(f":(literal){name}\0" for name in files)
    _run(
        git,
        ["add", "--force", "--pathspec-from-file=-", "--pathspec-file-nul"],
        path,
        env,
        stdin=pathspecs,
    )
    _run(git, ["commit", "--quiet", "--no-verify", "--no-gpg-sign", "-m", message], path, env)
