"""Time `aieng update` on a project that is up to date and on one two versions behind.

Usage: .venv/bin/python benchmarks/bench_update.py  (from the repository root)

A throwaway template repository is built from this checkout's copier.yml and template/ with
tags v0.1.0, v0.2.0 (Makefile changed) and v0.3.0 (README changed). Each run updates a fresh
copy of a committed project through the `aieng` executable. Prints median wall times and
whether the targets hold: up to date <= 2 s, two versions behind <= 5 s. Exits 1 when a
target is missed.
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import copier

REPO = Path(__file__).resolve().parent.parent
AIENG = str(Path(sys.executable).parent / "aieng")
COPIER = str(Path(sys.executable).parent / "copier")
RUNS = 5
ENV = {
    **os.environ,
    **{
        f"GIT_{who}_{what}": value
        for who in ("AUTHOR", "COMMITTER")
        for what, value in (("NAME", "Bench"), ("EMAIL", "bench@example.com"))
    },
}
ENV.pop("PYTHONDONTWRITEBYTECODE", None)
TARGETS = {
    "up to date": 2.0,
    "up to date, -d same answer (runs copier)": None,
    "2 behind": 5.0,
    "2 behind, plain `copier update` (reference)": None,
}


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True)


def commit_and_tag(repo: Path, tag: str) -> None:
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--no-gpg-sign", "-m", tag)
    git(repo, "tag", tag)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path} lacks {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def template_repo(root: Path) -> Path:
    repo = root / "template-repo"
    repo.mkdir()
    shutil.copy2(REPO / "copier.yml", repo / "copier.yml")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "template", repo / "template", ignore=ignore)
    git(repo, "init", "--quiet", "--initial-branch=main")
    commit_and_tag(repo, "v0.1.0")
    edit(repo / "template" / "Makefile.jinja", "\tuv run pytest\n", "\tuv run pytest -q\n")
    commit_and_tag(repo, "v0.2.0")
    edit(repo / "template" / "README.md.jinja", "# {{ project_name }}\n", "# {{ project_name }}!\n")
    commit_and_tag(repo, "v0.3.0")
    return repo


def project(template: Path, ref: str, dest: Path) -> Path:
    copier.run_copy(
        str(template), dest, data={"project_name": "my-rag"}, vcs_ref=ref, defaults=True, quiet=True
    )
    git(dest, "init", "--quiet", "--initial-branch=main")
    (dest / "src" / "my_rag" / "mine.py").write_text("VALUE = 1\n", encoding="utf-8")
    git(dest, "add", "--all")
    git(dest, "commit", "--quiet", "--no-gpg-sign", "-m", "init")
    return dest


def timed_update(pristine: Path, scratch: Path, *args: str) -> float:
    """Update a fresh copy of ``pristine``; return the wall time of `aieng update`.

    With ``args == ("copier",)`` it times plain `copier update --defaults` instead.
    """
    copy = scratch / f"run-{time.perf_counter_ns()}" / pristine.name
    shutil.copytree(pristine, copy, symlinks=True)
    command = [AIENG, "update", str(copy), *args]
    if args == ("copier",):
        command = [COPIER, "update", "--defaults", "--quiet", str(copy)]
    start = time.perf_counter()
    result = subprocess.run(command, env=ENV, capture_output=True)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 3):
        sys.exit(f"{command[1]} failed ({result.returncode}):\n{result.stdout.decode()}")
    shutil.rmtree(copy.parent)
    return elapsed


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-update-") as tmp:
        root = Path(tmp)
        template = template_repo(root)
        current = project(template, "v0.3.0", root / "current" / "my-rag")
        behind = project(template, "v0.1.0", root / "behind" / "my-rag")
        cases = {
            "up to date": (current, ()),
            "up to date, -d same answer (runs copier)": (current, ("-d", "vector_store=sqlite")),
            "2 behind": (behind, ()),
            "2 behind, plain `copier update` (reference)": (behind, ("copier",)),
        }
        failed = False
        print(f"aieng update, median of {RUNS} runs (2 cores):")
        for label, (pristine, args) in cases.items():
            times = [timed_update(pristine, root, *args) for _ in range(RUNS)]
            median, target = statistics.median(times), TARGETS[label]
            verdict = "" if target is None else ("ok" if median <= target else "MISSED")
            failed |= verdict == "MISSED"
            limit = "" if target is None else f"(target <= {target:.0f} s) {verdict}"
            print(f"  {label:<44} {median:5.2f} s  {limit}".rstrip())
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
