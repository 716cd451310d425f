"""Project-name rules, kept in step with the ``project_name`` validator in ``copier.yml``.

A valid name is lower-case ASCII letters, digits and single hyphens, starts with a letter,
has at most 40 characters, and its import name (hyphens as underscores) is neither a Python
keyword nor a standard-library module.
"""

import keyword
import re
import sys
import unicodedata

from scaffolder.errors import InvalidNameError

MAX_LENGTH = 40
_PATTERN = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
RULE = (
    "use lower-case ASCII letters, digits and single hyphens, starting with a letter, "
    f"at most {MAX_LENGTH} characters"
)
RESERVED_NAMES: frozenset[str] = frozenset(
    {word.lower() for word in keyword.kwlist}
    | {word for word in keyword.softkwlist if word != "_"}
    | {name.lower() for name in sys.stdlib_module_names if not name.startswith("_")}
)
_FALLBACK = "my-project"


def problem(name: str) -> str | None:
    """Return why ``name`` is not a valid project name, or None when it is valid."""
    import_name = name.replace("-", "_")
    checks = (
        (not name, "it is empty"),
        (not name.isascii(), "it contains non-ASCII characters"),
        (any(char.isspace() for char in name), "it contains spaces"),
        (name.lower() != name, "it contains upper-case letters"),
        (name[:1].isdigit(), "it starts with a digit"),
        (not _PATTERN.fullmatch(name), "it contains characters other than a-z, 0-9 and '-'"),
        (len(name) > MAX_LENGTH, f"it is {len(name)} characters long"),
        (
            keyword.iskeyword(import_name) or keyword.issoftkeyword(import_name),
            "it is a Python keyword",
        ),
        (import_name in RESERVED_NAMES, "it is the name of a standard-library module"),
    )
    return next((reason for failed, reason in checks if failed), None)


def suggest(name: str) -> str:
    """Return a valid project name close to ``name`` (``'My Rag'`` gives ``'my-rag'``)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    if not slug:
        return _FALLBACK
    if slug[0].isdigit():
        slug = f"app-{slug}"
    slug = slug[:MAX_LENGTH].rstrip("-")
    if slug.replace("-", "_") in RESERVED_NAMES:
        slug = f"{slug[: MAX_LENGTH - 4].rstrip('-')}-app"
    return slug


def validate(name: str) -> str:
    """Return ``name`` when it is a valid project name.

    Raises:
        InvalidNameError: The name breaks a rule; the message says which and suggests a name.

    """
    reason = problem(name)
    if reason is not None:
        raise InvalidNameError(
            f"Invalid project name {name!r}: {reason}; {RULE} (try {suggest(name)!r})."
        )
    return name
