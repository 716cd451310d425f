"""Expected file sets of rendered projects, kept as text files beside the tests.

Run `python -m tests.manifests` after an intended change to the template's file set; the diff
of tests/manifests/*.txt then shows reviewers exactly which files a change adds or removes.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

MANIFEST_DIR = Path(__file__).parent / "manifests"
REPO = Path(__file__).parent.parent


def rendered_files(project: Path) -> set[str]:
    """Return the project's files as POSIX paths relative to it (git metadata excluded)."""
    return {
        path.relative_to(project).as_posix()
        for path in project.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(project).parts
    }


def expected_files(name: str) -> set[str]:
    """Return the committed manifest of one combination."""
    lines = (MANIFEST_DIR / f"{name}.txt").read_text().splitlines()
    return {line for line in lines if line}


def main() -> None:
    """Render every combination and rewrite its manifest."""
    from copier import run_copy

    from scaffolder._source import checkout_source, readable
    from tests.matrix import RENDER_MATRIX, answers

    MANIFEST_DIR.mkdir(exist_ok=True)
    warnings.simplefilter("ignore")
    with readable(checkout_source(REPO)) as source:
        for name in sorted(RENDER_MATRIX):
            with tempfile.TemporaryDirectory() as tmp:
                run_copy(
                    source.src,
                    tmp,
                    data=answers(name),
                    defaults=True,
                    vcs_ref=source.vcs_ref,
                    quiet=True,
                )
                files = sorted(rendered_files(Path(tmp)))
            (MANIFEST_DIR / f"{name}.txt").write_text("\n".join(files) + "\n")
            print(f"{name}: {len(files)} files")


if __name__ == "__main__":
    main()
