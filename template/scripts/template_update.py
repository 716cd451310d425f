"""Bring the latest template version into this project, on a branch ready for a pull request.

The weekly workflow .github/workflows/template-update.yml runs this and then opens the pull
request; you can run it by hand too (it needs git and uv):

    python3 scripts/template_update.py --body-file update.md

It asks copier whether the template has a newer version (`copier check-update`). If so, it
creates the branch `template-update/v<version>`, runs `copier update --defaults --conflict
inline` (your edits are kept; where both sides changed the same lines copier leaves conflict
markers, or a `*.rej` file for a hunk it could not place), commits the result, conflicts
included, and writes a pull-request body that lists every conflict. It does nothing when the
project is current or when the branch already exists on `origin` (the update is already
proposed). Set TEMPLATE_SRC to read the template from another place than the recorded one.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ANSWERS = ".copier-answers.yml"
DEFAULT_COPIER = "uvx --from 'copier>=9.4,<10' copier"
BRANCH_PREFIX = "template-update/v"


def run(*cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command in the current directory without a shell; exit with its error on failure."""
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603
    if check and proc.returncode != 0:
        sys.exit(f"`{shlex.join(cmd)}` failed ({proc.returncode}):\n{proc.stderr or proc.stdout}")
    return proc


def copier(*args: str) -> str:
    """Run copier (command from $COPIER, default uvx) and return its standard output."""
    return run(*shlex.split(os.environ.get("COPIER", DEFAULT_COPIER)), *args).stdout


def commit(message: str, *paths: str) -> None:
    """Commit the staged changes (or only ``paths``) without running hooks."""
    run("git", "commit", "--quiet", "--no-verify", "-m", message, *paths)


def check_reachable(source: str) -> None:
    """Exit with advice when the recorded template is a local path missing on this machine."""
    if source.startswith(("/", "~", ".")) and not Path(source).expanduser().exists():
        sys.exit(
            f"The template is recorded at {source}, which does not exist here. Set TEMPLATE_SRC "
            "to its git URL (on GitHub: a repository variable)."
        )


def recorded_source() -> str:
    """Return the template source recorded in the answers file."""
    found = re.search(r"(?m)^_src_path:[ ]*(.*)$", Path(ANSWERS).read_text(encoding="utf-8"))
    return found[1].strip().strip("'\"") if found else ""


def use_source(source: str) -> None:
    """Point the answers file at ``source`` (left uncommitted until the branch exists)."""
    path = Path(ANSWERS)
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"(?m)^_src_path:.*$", f"_src_path: {source}", text), encoding="utf-8")


def proposed_already(branch: str) -> bool:
    """Return whether ``origin`` (if there is one) already has ``branch``."""
    if "origin" not in run("git", "remote").stdout.split():
        return False
    return bool(run("git", "ls-remote", "--heads", "origin", branch).stdout.strip())


def conflicts() -> list[str]:
    """Return the files with conflict markers and the ``*.rej`` files, sorted."""
    grep = run("git", "grep", "--untracked", "-l", "-I", "-e", "^<<<<<<< ", check=False)
    marked = grep.stdout.split()
    rejected = run("git", "ls-files", "--others", "--exclude-standard", "*.rej").stdout.split()
    return sorted(set(marked) | set(rejected))


def pr_body(current: str, latest: str, found: list[str], workflows: bool) -> str:
    """Return the pull-request description in Markdown."""
    lines = [
        f"`copier update` applied the template's changes from v{current} to v{latest}, keeping",
        "this project's own edits. Opened by `.github/workflows/template-update.yml`.",
        "",
        "### Conflicts",
    ]
    if found:
        lines += [
            "Resolve these before merging (`make precommit` fails while any is left):",
            "",
            *(
                f"- [ ] `{path}`: "
                + ("a hunk copier could not place; apply it by hand, then delete this file"
                   if path.endswith(".rej") else "edit out the `<<<<<<<` / `>>>>>>>` markers")
                for path in found
            ),
        ]  # fmt: skip
    else:
        lines.append("None: every change applied cleanly.")
    if workflows:
        lines += ["", "This update changes files in `.github/workflows/`: review them closely."]
    lines += [
        "",
        "### Check it locally",
        "```sh",
        f"git fetch origin && git switch {BRANCH_PREFIX}{latest}",
        "make setup lint typecheck test eval",
        "```",
    ]
    return "\n".join(lines) + "\n"


def set_outputs(**values: str) -> None:
    """Write step outputs for GitHub Actions (and echo them for a person at a terminal)."""
    text = "".join(f"{key}={value}\n" for key, value in values.items())
    print(text, end="")
    if "GITHUB_OUTPUT" in os.environ:
        with Path(os.environ["GITHUB_OUTPUT"]).open("a", encoding="utf-8") as out:
            out.write(text)


def main(argv: list[str] | None = None) -> int:
    """Check for a newer template version and prepare its update branch."""
    parser = argparse.ArgumentParser(description="Update this project from its template.")
    parser.add_argument("--body-file", type=Path, required=True, help="where to write the PR body")
    args = parser.parse_args(argv)
    if run("git", "status", "--porcelain").stdout.strip():
        sys.exit("Commit or stash your changes first: copier updates a clean tree only.")
    source = os.environ.get("TEMPLATE_SRC", "")
    if source:
        use_source(source)
    else:
        check_reachable(recorded_source())
    status = json.loads(copier("check-update", "--output-format", "json"))
    current, latest = status["current_version"], status["latest_version"]
    branch = f"{BRANCH_PREFIX}{latest}"
    if not status["update_available"] or proposed_already(branch):
        run("git", "checkout", "--", ANSWERS)
        print(f"Nothing to do: v{current} is current, or {branch} is proposed already.")
        set_outputs(branch="")
        return 0
    run("git", "switch", "--quiet", "--create", branch)
    if source:
        commit(f"chore: read the template from {source}", ANSWERS)
    # --trust: a template release that moves files ships a migration script (copier's
    # `_migrations`), which copier runs only for trusted templates; this project's template
    # is the one it was generated from.
    copier("update", "--defaults", "--conflict", "inline", "--quiet", "--trust")
    found = conflicts()
    workflows = bool(run("git", "status", "--porcelain", "--", ".github/workflows").stdout.strip())
    run("git", "add", "--all")
    commit(f"chore: update the template to v{latest}")
    args.body_file.write_text(pr_body(current, latest, found, workflows), encoding="utf-8")
    title = f"chore: update the template to v{latest}" + (" (conflicts)" if found else "")
    set_outputs(
        branch=branch, title=title, conflicts=str(len(found)), workflows=str(workflows).lower()
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
