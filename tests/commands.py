"""The environment in which tests run a generated project's own commands."""

from __future__ import annotations

import os
import sys
from pathlib import Path

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Template Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Template Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}


def command_env(**extra: str) -> dict[str, str]:
    """Return this process's environment fit for a generated project's commands.

    The tools installed with the test extras (uv, copier, pre-commit, actionlint) come first on
    PATH; no outer virtual environment leaks in; uv never tries to download a Python; git has
    an identity without touching the user's git config.
    """
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH", "COPIER"}}
    env.update(
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
        UV_PYTHON_DOWNLOADS="never",
        UV_NO_PROGRESS="1",
        NO_COLOR="1",
        **GIT_IDENTITY,
        **extra,
    )
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    return env


def make_traversable(path: Path) -> None:
    """Let other users reach ``path``: pgserver runs PostgreSQL as its own user under root."""
    for part in [path, *path.parents]:
        if part == Path(part.anchor):
            break
        part.chmod(part.stat().st_mode | 0o055)
