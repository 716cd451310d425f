"""Copier migration: carry the user's edits to files a template release renamed or moved.

``copier update`` sees a renamed file as one file removed and another added: the user's edits
to the old path are deleted with it and the new path gets the template's text. copier.yml
runs this script after such an update (``_migrations``, only when the update crosses the
release that moved the files)::

    python migrations/move.py TEMPLATE OLD NEW [OLD NEW ...]

For each pair, in the project (the working directory), the file the project had committed at
OLD is merged three-way into NEW: base is OLD as the old template version rendered it (with
the project's previous answers), theirs is NEW as the update wrote it. The user's edits land
in NEW, later template changes to NEW stay, clashes get copier's inline conflict markers,
and OLD is removed. A user who had deleted OLD gets no NEW either. Nothing is staged: the
result shows up in ``git status`` like the rest of the update. copier sets ``VERSION_FROM``
(the project's previous template version) in the environment.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

LABELS = ("before updating", "last update", "after updating")


def committed(path: str) -> bytes | None:
    """Return the content of ``path`` in the project's last commit, or None if absent."""
    result = subprocess.run(["git", "show", f"HEAD:./{path}"], capture_output=True, check=False)
    return result.stdout if result.returncode == 0 else None


def render_old(template: str, version: str, out: Path) -> Path | None:
    """Render the project's previous template version into ``out`` (None if it fails)."""
    import copier
    import yaml

    answers: dict[str, Any] = yaml.safe_load(committed(".copier-answers.yml") or b"") or {}
    data = {key: value for key, value in answers.items() if not key.startswith("_")}
    try:
        copier.run_copy(template, out, data=data, vcs_ref=version, defaults=True, quiet=True)
    except Exception as error:  # any failure: fall back to the user's text, and say so
        print(f"move.py: cannot render {version} ({error}); keeping your text.", file=sys.stderr)
        return None
    return out


def merge(mine: bytes, base: bytes, theirs: bytes, scratch: Path) -> bytes:
    """Return the three-way merge of ``mine`` and ``theirs`` from ``base`` (with markers)."""
    paths = []
    for name, content in (("mine", mine), ("base", base), ("theirs", theirs)):
        path = scratch / name
        path.write_bytes(content)
        paths.append(str(path))
    labels = [arg for label in LABELS for arg in ("-L", label)]
    result = subprocess.run(
        ["git", "merge-file", "-p", *labels, *paths], capture_output=True, check=False
    )
    if result.returncode < 0:
        raise SystemExit(f"move.py: git merge-file failed: {result.stderr.decode()}")
    return result.stdout


def move(old: str, new: str, base_root: Path | None, scratch: Path) -> None:
    """Carry the project's committed ``old`` into ``new``, merged with the template's ``new``."""
    mine, target, source = committed(old), Path(new), Path(old)
    if committed(new) is not None:
        print(f"move.py: {new} was already in the project; left as it is.", file=sys.stderr)
        return
    if mine is None:  # the user had deleted the file: keep it deleted under its new name
        target.unlink(missing_ok=True)
        return
    result = mine
    base = base_root / old if base_root is not None else None
    if target.is_file() and base is not None and base.is_file():
        result = merge(mine, base.read_bytes(), target.read_bytes(), scratch)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(result)
    source.unlink(missing_ok=True)
    if source.parent.is_dir() and not any(source.parent.iterdir()):
        source.parent.rmdir()


def main(argv: list[str]) -> int:
    """Move each OLD NEW pair given after the template path."""
    if len(argv) < 3 or len(argv) % 2 == 0:
        print("usage: move.py TEMPLATE OLD NEW [OLD NEW ...]", file=sys.stderr)
        return 2
    template, pairs = argv[0], list(zip(argv[1::2], argv[2::2], strict=True))
    version = os.environ.get("VERSION_FROM", "")
    with tempfile.TemporaryDirectory(prefix="aieng-move-") as scratch:
        base_root = None
        if version and any(committed(old) is not None for old, _ in pairs):
            base_root = render_old(template, version, Path(scratch) / "old")
        for old, new in pairs:
            move(old, new, base_root, Path(scratch))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
