"""Two HTML reference manuals: PostgreSQL's SQL commands and Python's library reference.

Both are kept as HTML (the generated project parses HTML itself), cut down to the page's main
content under a `<title>` and an `<h1>` that name the page and nothing more.

- `postgresql-doc-15`: every reference page (`sql-*.html`, `app-*.html`: SQL commands and
  client / server applications). Query: the page's purpose line without the command name
  (`ALTER TABLE — change the definition of a table` gives `change the definition of a table`);
  the purpose block is removed before indexing.
- `python3.11-doc`: the pages of the library reference (`library/*.html`), at most `CAP` (150)
  of its 317 pages (a deterministic sample by a hash of the name). Query: the module title
  without the module name (`os — Miscellaneous operating system interfaces` gives
  `Miscellaneous operating system interfaces`); the `<h1>` keeps the module name only. Tables
  of contents (`toctree-wrapper`), which repeat the titles of other pages, are removed from
  every page.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from .common import Collection, build, html_text, sample

CAP = 150  # the library reference is about 750k words; 150 pages keep the accurate tier tolerable
_REFNAME = re.compile(r'<div class="refnamediv">.*?<p>(.*?)</p></div>', re.S)
_H1 = re.compile(r"<h1>(.*?)</h1>", re.S)
_TOCTREE = re.compile(r'<div class="toctree-wrapper[^"]*">.*?</div>', re.S)


def page(title: str, body: str) -> str:
    """Return a minimal HTML page around `body`."""
    escaped = html.escape(title)
    return (
        f"<!DOCTYPE html>\n<html><head><title>{escaped}</title></head>\n"
        f"<body><h1>{escaped}</h1>\n{body}\n</body></html>\n"
    )


def between(text: str, start: str, end: str) -> str:
    """Return the part of `text` from `start` up to `end` (or to its end)."""
    begin = text.find(start)
    stop = text.find(end, begin + 1)
    return text[max(begin, 0) : stop if stop > 0 else len(text)]


def split_title(raw: str) -> tuple[str, str | None]:
    """Split `NAME — purpose` (markup and the pilcrow removed) into name and purpose."""
    text = " ".join(html_text(raw).replace("\u00b6", " ").split())
    name, dash, purpose = text.partition(" \u2014 ")
    return name.strip(), (purpose.strip().rstrip(".") or None) if dash else None


def convert_postgres(root: Path, docs: Path) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """Write the reference pages; return the queries and their relevant pages."""
    source = next((root / "usr/share/doc").glob("postgresql-doc-*/html"))
    rows: dict[str, list[str]] = {}
    files = sorted([*source.glob("sql-*.html"), *source.glob("app-*.html")])
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        body = between(text, '<div class="refentry"', '<div class="navfooter">')
        match = _REFNAME.search(body)
        if not match:
            continue
        name, purpose = split_title(match.group(1))
        (docs / path.name).write_text(page(name, _REFNAME.sub("", body, count=1)), "utf-8")
        if purpose:
            rows.setdefault(purpose, []).append(path.name)
    return rows, {"sampled": f"no (every reference page, {len(files)} files)"}


def convert_python(root: Path, docs: Path) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """Write the sampled library pages; return the queries and their relevant pages."""
    source = next((root / "usr/share/doc").glob("python3*/html/library"))
    names = sample([p.name for p in source.glob("*.html")], CAP)
    rows: dict[str, list[str]] = {}
    for filename in names:
        text = (source / filename).read_text(encoding="utf-8", errors="replace")
        body = _TOCTREE.sub("", between(text, '<div class="body"', '<div class="sphinxsidebar"'))
        match = _H1.search(body)
        if not match:
            continue
        name, purpose = split_title(match.group(1))
        (docs / filename).write_text(page(name, _H1.sub("", body, count=1)), "utf-8")
        if purpose:
            rows.setdefault(purpose, []).append(filename)
    return rows, {"sampled": f"{len(names)} of {len(list(source.glob('*.html')))} pages"}


def load_postgres() -> Collection:
    """Return the PostgreSQL reference collection (HTML)."""
    return build(
        "postgresql",
        "postgresql-doc-15",
        convert_postgres,
        {
            "format": "HTML (DocBook output)",
            "queries_from": "purpose line of each reference page, command name removed",
            "relevance": "the page(s) whose purpose line it is (purpose block removed)",
        },
    )


def load_python() -> Collection:
    """Return the Python library reference collection (HTML)."""
    return build(
        "python-library",
        "python3.11-doc",
        convert_python,
        {
            "format": "HTML (Sphinx output)",
            "queries_from": "title of each module page, module name removed",
            "relevance": "the page(s) whose title it is (the <h1> keeps the module name only)",
        },
    )
