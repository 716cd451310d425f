"""Find the interpreter for each Python version a generated project may ask for.

uv never downloads one here (`UV_PYTHON_DOWNLOADS=never`): a version is found on PATH, in
pyenv's versions folder (pyenv's shims answer only for the selected version), or among uv's
own installs.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path


def _runs(executable: str, version: str) -> bool:
    """Return whether ``executable`` starts and is Python ``version``."""
    probe = "import sys; print('%d.%d' % sys.version_info[:2])"
    try:
        proc = subprocess.run(
            [executable, "-c", probe], capture_output=True, text=True, timeout=30, check=False
        )
    except OSError:
        return False
    return proc.returncode == 0 and proc.stdout.strip() == version


@cache
def find_python(version: str) -> str | None:
    """Return the path of a working Python ``version`` (such as "3.12"), or None."""
    pyenv_root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    candidates = sorted(glob.glob(f"{pyenv_root}/versions/{version}.*/bin/python{version}"))
    candidates.append(shutil.which(f"python{version}") or "")
    candidates.append(_uv_find(version))
    return next((c for c in candidates if c and _runs(c, version)), None)


def _uv_find(version: str) -> str:
    """Return the interpreter uv knows for ``version`` without downloading ("" if none)."""
    beside = Path(sys.executable).parent / "uv"
    uv = str(beside) if beside.exists() else shutil.which("uv")
    if uv is None:
        return ""
    found = subprocess.run(
        [uv, "python", "find", version],
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
        capture_output=True,
        text=True,
        check=False,
    )
    return found.stdout.strip() if found.returncode == 0 else ""
