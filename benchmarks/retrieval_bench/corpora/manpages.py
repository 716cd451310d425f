"""Linux man pages, sections 2 and 3 (`manpages-dev`), rendered to plain text by groff.

- Documents: a deterministic sample (by a hash of the name) of at most `CAP` of the regular
  pages of sections 2 (system calls) and 3 (library functions); links and `.so` aliases are
  left out. Each is rendered with `groff -man -Tutf8` into a `.txt` file: plain text whose
  section headings are ALL-CAPS lines, as a terminal shows them.
- Queries: the NAME line without the function names (`open, openat, creat - open and possibly
  create a file` gives `open and possibly create a file`).
- Relevance: the page(s) whose NAME line it is; the NAME section is removed before indexing.
"""

from __future__ import annotations

import gzip
import re
import subprocess
from pathlib import Path
from typing import Any

from .common import Collection, build, sample

CAP = 400
_DASH = re.compile(r"\s[-\u2010\u2212\u2013]\s")


def render(page: Path) -> str:
    """Render one gzipped man page to plain text (no bold, underline or colour codes)."""
    source = gzip.decompress(page.read_bytes())
    command = ["groff", "-man", "-Tutf8", "-rcR=1", "-P-cbou"]
    done = subprocess.run(command, input=source, capture_output=True, check=True)
    return done.stdout.decode("utf-8", errors="replace")


def split_name(text: str) -> tuple[str, str | None]:
    """Remove the NAME section of a rendered page; return the rest and its description."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == "NAME"), None)
    if start is None:
        return text, None
    end = next((i for i in range(start + 1, len(lines)) if lines[i][:1].strip()), len(lines))
    line = " ".join(" ".join(lines[start + 1 : end]).split())
    parts = _DASH.split(line, maxsplit=1)
    description = parts[1].strip() if len(parts) == 2 else None
    return "\n".join(lines[:start] + lines[end:]) + "\n", description


def convert(root: Path, docs: Path) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """Render the sampled pages; return the queries and their relevant pages."""
    man = root / "usr/share/man"
    pages = [
        p.relative_to(man).as_posix()
        for section in ("man2", "man3")
        for p in (man / section).glob("*.gz")
        if p.is_file() and not p.is_symlink()
    ]
    chosen = sample(pages, CAP)
    rows: dict[str, list[str]] = {}
    for name in chosen:
        text, description = split_name(render(man / name))
        target = docs / name.removesuffix(".gz")
        target = target.with_name(target.name + ".txt")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        if description:
            rows.setdefault(description, []).append(target.relative_to(docs).as_posix())
    return rows, {"sampled": f"{len(chosen)} of {len(pages)} pages (sha1 of the name)"}


def load() -> Collection:
    """Return the man-pages collection (plain text)."""
    return build(
        "man-pages",
        "manpages-dev",
        convert,
        {
            "format": "plain text (groff -Tutf8), ALL-CAPS section headings",
            "queries_from": "NAME line of each page, function names removed",
            "relevance": "the page(s) whose NAME line it is (NAME section removed)",
        },
    )
