"""The public collections the benchmark measures on (Debian documentation packages)."""

from __future__ import annotations

from collections.abc import Callable

from .common import Collection, Query
from .gitdoc import load as load_git_doc
from .htmldocs import load_postgres, load_python
from .manpages import load as load_man_pages

LOADERS: dict[str, Callable[[], Collection]] = {
    "git-doc": load_git_doc,
    "man-pages": load_man_pages,
    "postgresql": load_postgres,
    "python-library": load_python,
}

__all__ = ["LOADERS", "Collection", "Query"]
