"""Rename this project after GitHub's "Use this template" made a copy of it.

The workflow .github/workflows/template-first-run.yml runs this once in the new repository;
you can run it by hand too (it needs git and uv, and reaches the template like `copier update`):

    python3 scripts/template_first_run.py acme-search

It renders the template twice at the recorded version (`copier recopy`): once with the saved
answers, once with the new names. A file you never changed takes the new rendering; a file you
changed is merged three ways (`git merge-file`, conflict markers where both sides touched the
same lines); your own files move out of renamed folders untouched. Paths that only the old names
produced are deleted, as is the workflow file, and everything is committed in one commit.
`.copier-answers.yml` records the new names, so the copy stays updatable with `copier update`.
Nothing happens when the name already matches the answers. Set TEMPLATE_SRC (a git URL or a
path) when the template recorded in `.copier-answers.yml` cannot be reached from here.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ANSWERS = ".copier-answers.yml"
WORKFLOW = ".github/workflows/template-first-run.yml"
DEFAULT_COPIER = "uvx --from 'copier>=9.4,<10' copier"
Moved = Callable[[str], str]


def run(*cmd: str, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command without a shell and return its captured result."""
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)  # noqa: S603
    if check and proc.returncode != 0:
        sys.exit(f"`{shlex.join(cmd)}` failed ({proc.returncode}):\n{proc.stderr or proc.stdout}")
    return proc


def copier(*args: str) -> None:
    """Run copier (command from $COPIER, default uvx) with the given arguments."""
    run(*shlex.split(os.environ.get("COPIER", DEFAULT_COPIER)), *args)


def check_reachable(source: str) -> None:
    """Exit with advice when the recorded template is a local path missing on this machine."""
    if source.startswith(("/", "~", ".")) and not Path(source).expanduser().exists():
        sys.exit(
            f"The template is recorded at {source}, which does not exist here. Set TEMPLATE_SRC "
            "to its git URL (on GitHub: a repository variable)."
        )


def project_name_from(repository: str) -> str:
    """Derive a valid project name from a repository name ("owner/Acme.Search" -> acme-search)."""
    name = re.sub(r"[^a-z0-9]+", "-", repository.rsplit("/", 1)[-1].lower()).strip("-")
    if not re.match(r"^[a-z]", name):
        sys.exit(f"Cannot derive a project name from {repository!r}: it must start with a letter.")
    return name


def read_answers(path: Path) -> dict[str, str]:
    """Read the top-level scalar answers of a copier answers file (no YAML library needed)."""
    answers: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z_][\w]*):\s*(.*)$", line)
        if match:
            answers[match[1]] = match[2].strip().strip("'\"")
    return answers


def render(project: Path, dest: Path, data: dict[str, str]) -> dict[str, bytes]:
    """Render the template at the recorded version into ``dest``; return its files."""
    text = (project / ANSWERS).read_text(encoding="utf-8")
    source = os.environ.get("TEMPLATE_SRC")
    if source:  # the recorded path is not reachable here (for example a local cache)
        text = re.sub(r"(?m)^_src_path:.*$", f"_src_path: {source}", text)
    else:
        check_reachable(read_answers(project / ANSWERS).get("_src_path", ""))
    dest.mkdir(parents=True)
    (dest / ANSWERS).write_text(text, encoding="utf-8")
    flags = [arg for key, value in data.items() for arg in ("-d", f"{key}={value}")]
    # :current: keeps the recorded template version; a plain recopy would take the latest.
    copier("recopy", "--defaults", "--overwrite", "-q", "--vcs-ref=:current:", *flags, str(dest))
    return {
        path.relative_to(dest).as_posix(): path.read_bytes()
        for path in dest.rglob("*")
        if path.is_file()
    }


def tracked_files(project: Path) -> list[str]:
    """Return the files git tracks in ``project``."""
    return [p for p in run("git", "ls-files", "-z", cwd=project).stdout.split("\0") if p]


def merge(ours: bytes, base: bytes, theirs: bytes) -> bytes:
    """Merge our edits of ``base`` into ``theirs``; conflicts are left inline with markers."""
    with tempfile.TemporaryDirectory() as tmp:
        files = [Path(tmp, name) for name in ("ours", "base", "theirs")]
        for file, content in zip(files, (ours, base, theirs), strict=True):
            file.write_bytes(content)
        labels = ["-L", "yours", "-L", "template (old name)", "-L", "template (new name)"]
        merged = subprocess.run(  # noqa: S603
            ["git", "merge-file", "-p", *labels, *map(str, files)],  # noqa: S607
            capture_output=True,
            check=False,
        )
    if merged.returncode < 0:
        sys.exit(f"git merge-file failed: {merged.stderr.decode()}")
    return merged.stdout


def plan(
    tracked: dict[str, bytes], before: dict[str, bytes], after: dict[str, bytes], moved: Moved
) -> dict[str, bytes | None]:
    """Return the new content of every path that changes (None: delete it).

    Args:
        tracked: The project's files (path -> content) before the rename.
        before: The template rendered with the saved answers.
        after: The template rendered with the new names.
        moved: Maps a path with the old names to the same path with the new names.

    """
    result: dict[str, bytes | None] = {}
    for path, ours in tracked.items():
        target = moved(path)
        if target != path:
            result[path] = None
        if path not in before:  # the author's own file: moved, never rewritten
            result[target] = ours
        elif target not in after:  # only the old names (or the old answers) produced it
            result[target] = None if ours == before[path] else ours
        elif ours == before[path]:
            result[target] = after[target]
        else:
            result[target] = merge(ours, before[path], after[target])
    produced_before = {moved(path) for path in before}
    for path, content in after.items():
        if path not in result and path not in produced_before:  # new with the new answers
            result[path] = content
    return result


def apply(project: Path, changes: dict[str, bytes | None]) -> None:
    """Write and delete files in ``project``; drop the folders this empties."""
    for path, content in changes.items():
        file = project / path
        if content is None:
            file.unlink(missing_ok=True)
            for parent in file.parents:
                if parent == project or not parent.is_dir() or any(parent.iterdir()):
                    break
                parent.rmdir()
        else:
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_bytes(content)


def rename(project: Path, old: dict[str, str], new: dict[str, str], keep_workflow: bool) -> None:
    """Apply the new names to the working tree of ``project`` (see the module docstring)."""
    data = {"project_name": new["project_name"], "package_name": new["package_name"]}
    if "template_repo" in old:  # the copy is a plain project, not a template repository
        data["template_repo"] = "false"
    renames = {old["package_name"]: new["package_name"], old["project_name"]: new["project_name"]}

    def moved(path: str) -> str:
        return "/".join(renames.get(part, part) for part in path.split("/"))

    with tempfile.TemporaryDirectory() as tmp:
        before = render(project, Path(tmp, "old"), {})
        after = render(project, Path(tmp, "new"), data)
    tracked = {path: (project / path).read_bytes() for path in tracked_files(project)}
    changes = plan(tracked, before, after, moved)
    changes[ANSWERS] = after[ANSWERS]  # copier's own file: the new answers and source, verbatim
    if keep_workflow:  # the token may not change workflow files: leave this one as it is
        changes.pop(WORKFLOW, None)
    else:
        changes[WORKFLOW] = None
    apply(project, changes)


def files_matching(project: Path, *patterns: str) -> str:
    """Return the text files (tracked or new) with a line matching one of ``patterns``."""
    flags = [arg for pattern in patterns for arg in ("-e", pattern)]
    grep = run("git", "grep", "--untracked", "-l", "-I", "-E", *flags, cwd=project, check=False)
    return grep.stdout


def main(argv: list[str] | None = None) -> int:
    """Rename the project in the current directory after its new repository name."""
    parser = argparse.ArgumentParser(description="Rename this project after its new repository.")
    parser.add_argument("name", help="the new repository name (owner/ prefix allowed)")
    parser.add_argument("--keep-workflow", action="store_true", help=f"leave {WORKFLOW} as it is")
    parser.add_argument("--no-commit", action="store_true", help="leave the changes unstaged")
    args = parser.parse_args(argv)
    project = Path.cwd()
    old = read_answers(project / ANSWERS)
    new_project = project_name_from(args.name)
    if new_project == old["project_name"]:
        print(f"The project is already named {new_project}: nothing to do.")
        return 0
    if run("git", "status", "--porcelain", cwd=project).stdout.strip():
        sys.exit("Commit or stash your changes first: the rename is one commit on a clean tree.")
    new = {"project_name": new_project, "package_name": new_project.replace("-", "_")}
    rename(project, old, new, keep_workflow=args.keep_workflow)
    conflicts = files_matching(project, "^<<<<<<< ")
    left = files_matching(project, rf"\b{old['package_name']}\b", rf"\b{old['project_name']}\b")
    if not args.no_commit:
        run("git", "add", "--all", cwd=project)
        message = f"chore: rename {old['project_name']} to {new_project} (first run)"
        run("git", "commit", "--quiet", "--no-verify", "-m", message, cwd=project)
    print(f"Renamed {old['project_name']} to {new_project} (package {new['package_name']}).")
    if conflicts:
        print("Merge these by hand (conflict markers):\n" + conflicts)
    if left:
        print(f"These files still mention {old['project_name']}/{old['package_name']}:\n{left}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
