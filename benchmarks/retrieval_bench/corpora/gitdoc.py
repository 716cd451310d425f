"""Git's manual as Debian ships it (`git-doc`): AsciiDoc sources turned into Markdown.

- Documents: every `.txt` under `/usr/share/doc/git-doc` that no other file `include::`s (the
  included ones are fragments of other pages, expanded into them; the generated command lists
  `cmds-*.txt` are left out because they repeat every command's NAME line). AsciiDoc section
  titles become Markdown headings, listing blocks become code fences.
- Queries: the NAME line of every manual page, minus the command name (`git-rebase - Reapply
  commits on top of another base tip` gives `Reapply commits on top of another base tip`).
- Relevance: the page(s) whose NAME line it is; the NAME section is removed before indexing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .common import Collection, build

_INCLUDE = re.compile(r"^include::([^\[]+)\[")
_UNDERLINE = {"=": 1, "-": 2, "~": 3, "^": 4, "+": 5}
_SKIP = re.compile(r"^(\[.*\]|//.*|(ifdef|ifndef|endif)::.*|:[\w-]+:.*|\+)$")


def expand(path: Path, depth: int = 0) -> list[str]:
    """Return the lines of an AsciiDoc file with its `include::` lines expanded."""
    lines: list[str] = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        match = _INCLUDE.match(line)
        if not match:
            lines.append(line)
            continue
        target = path.parent / match.group(1)
        if depth < 4 and target.is_file() and not target.name.startswith("cmds-"):
            lines.extend(expand(target, depth + 1))
    return lines


def to_markdown(lines: Sequence[str]) -> str:
    """Convert AsciiDoc section titles and listing blocks to Markdown headings and fences."""
    out: list[str] = []
    fence: str | None = None
    skip_next = False
    for i, line in enumerate(lines):
        if skip_next:
            skip_next = False
            continue
        stripped = line.strip()
        if fence is not None:
            out.append("```" if stripped == fence else line)
            fence = None if stripped == fence else fence
            continue
        below = lines[i + 1].strip() if i + 1 < len(lines) else ""
        level = _UNDERLINE.get(below[:1]) if below and len(set(below)) == 1 else None
        if level and stripped and abs(len(below) - len(stripped)) <= 2 and stripped[0].isalnum():
            out.append(f"{'#' * level} {stripped}")
            skip_next = True
        elif re.fullmatch(r"-{4,}|\.{4,}", stripped):
            out.append("```")
            fence = stripped
        elif not _SKIP.match(stripped):
            out.append(re.sub(r"linkgit:([\w.-]+)\[(\d)\]", r"\1(\2)", line))
    return "\n".join(out) + "\n"


def split_name(markdown: str) -> tuple[str, str | None]:
    """Remove the `## NAME` section; return the rest and the description it held."""
    match = re.search(r"^## NAME\n(.*?)(?=^#)", markdown, re.M | re.S)
    if not match:
        return markdown, None
    line = " ".join(match.group(1).split())
    description = line.split(" - ", 1)[1].strip() if " - " in line else None
    return markdown[: match.start()] + markdown[match.end() :], description


def convert(root: Path, docs: Path) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """Write the Markdown pages; return the queries and their relevant pages."""
    source = root / "usr/share/doc/git-doc"
    files = sorted(source.rglob("*.txt"))
    included = {
        (f.parent / m.group(1)).resolve()
        for f in files
        for m in (_INCLUDE.match(x) for x in f.read_text(errors="replace").splitlines())
        if m
    }
    rows: dict[str, list[str]] = {}
    for path in (f for f in files if f.resolve() not in included):
        markdown, description = split_name(to_markdown(expand(path)))
        name = path.relative_to(source).with_suffix(".md").as_posix()
        (docs / name).parent.mkdir(parents=True, exist_ok=True)
        (docs / name).write_text(markdown, encoding="utf-8")
        if description:
            rows.setdefault(description, []).append(name)
    return rows, {"sampled": "no (every page)"}


def load() -> Collection:
    """Return the git-doc collection (Markdown)."""
    return build(
        "git-doc",
        "git-doc",
        convert,
        {
            "format": "Markdown (from AsciiDoc)",
            "queries_from": "NAME line of each manual page, command name removed",
            "relevance": "the page(s) whose NAME line it is (NAME section removed)",
        },
    )
