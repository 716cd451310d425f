"""Versioned prompt files, loaded by name.

A prompt lives in `prompts/<name>/v<N>.j2` inside this package (so it ships in the wheel).
It is a Jinja2 template with two blocks; text outside them is ignored, so a file can carry a
comment saying what changed in this version:

    {# v2: ask for citations as [n]. #}
    {% block system %}You answer only from the sources.{% endblock %}
    {% block user %}Question: {{ question }}{% endblock %}

The `system` block is optional, the `user` block is required. Variables are strict: a missing
one is an error, not an empty string. Never edit a released version: add `v<N+1>.j2`, so that
eval reports and traces (which record name and version) stay comparable; the prompt snapshots
(`prompt_snapshots.py`) fail a test when a version's rendering changes.

`eval --prompt NAME@VERSION` runs the evals with another version: inside `pinned(...)`, every
`load_prompt(NAME, ...)` returns the pinned version, whatever version the caller (or a setting
such as RAG_PROMPT_VERSION) asked for, so that no kind parses the flag itself.

Untrusted text (documents, user questions) goes inside a fence such as
`<source id="1" title="{{ title | attr }}">{{ text | untrusted }}</source>`: the `untrusted`
filter defuses every fence tag in the text (`</source>` becomes `&lt;/source>`), so the text
can neither close its own fence nor open a new one, and `attr` escapes an attribute value.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from .llm.types import Message, PromptRef

PROMPTS_DIR = Path(__file__).parent / "prompts"
_VERSION_FILE = re.compile(r"^v(\d+)\.j2$")
FENCE_TAGS = ("source", "sources", "question", "document", "documents", "context", "data")
"""Tag names prompts use to fence untrusted text; `untrusted` defuses them inside the text."""
_FENCE_TAG = re.compile(r"<(?=\s*/?\s*(?:" + "|".join(FENCE_TAGS) + r")\b)", re.IGNORECASE)


class PromptNotFoundError(LookupError):
    """No prompt file matches the requested name or version."""


@dataclass
class _Pins:
    """The versions pinned by `pinned`, and which of them were loaded since."""

    versions: dict[str, int] = field(default_factory=dict)
    loaded: set[str] = field(default_factory=set)


_PINS = _Pins()


class PromptRenderError(ValueError):
    """A prompt could not be rendered (for example a variable is missing)."""


@dataclass(frozen=True)
class Prompt:
    """One version of one prompt, ready to render into chat messages."""

    name: str
    version: str
    path: Path
    template: jinja2.Template

    @property
    def ref(self) -> PromptRef:
        """Return the name and version, for spans and eval reports."""
        return PromptRef(self.name, self.version)

    def render(self, **variables: Any) -> list[Message]:
        """Render the system (if any) and user blocks into messages.

        Raises:
            PromptRenderError: A variable the template uses was not given.

        """
        messages: list[Message] = []
        for role in ("system", "user"):
            block = self.template.blocks.get(role)
            if block is None:
                continue
            try:
                text = "".join(block(self.template.new_context(variables))).strip()
            except jinja2.UndefinedError as exc:
                raise PromptRenderError(f"prompt {self.name}@{self.version}: {exc}") from exc
            messages.append(Message(role, text))
        return messages


def untrusted(text: object) -> str:
    """Defuse fence tags in untrusted text: `</source>` becomes `&lt;/source>`.

    Only the `<` of a tag named in `FENCE_TAGS` changes, so other text (code such as `a < b`
    or `<div>`) reaches the model as written, and no text can end its fence early.
    """
    return _FENCE_TAG.sub("&lt;", str(text))


def attr(text: object) -> str:
    """Escape text for a double-quoted attribute of a fence tag (`&`, `<`, `>`, `"`)."""
    return html.escape(str(text), quote=True)


@lru_cache(maxsize=8)
def _environment(directory: Path) -> jinja2.Environment:
    """Return a strict Jinja2 environment reading prompt files from `directory`."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(directory),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(default=False, default_for_string=False),
        keep_trailing_newline=True,
    )
    environment.filters["untrusted"] = untrusted
    environment.filters["attr"] = attr
    return environment


def available_prompts(directory: Path = PROMPTS_DIR) -> dict[str, list[int]]:
    """Return every prompt name with its versions, in ascending order."""
    found: dict[str, list[int]] = {}
    if not directory.is_dir():
        return found
    for folder in sorted(p for p in directory.iterdir() if p.is_dir()):
        versions = sorted(
            int(m.group(1)) for f in folder.iterdir() if (m := _VERSION_FILE.match(f.name))
        )
        if versions:
            found[folder.name] = versions
    return found


def _parse_version(version: int | str) -> int:
    """Accept 2, "2" or "v2"."""
    text = str(version).strip().lower().removeprefix("v")
    if not text.isdigit():
        raise PromptNotFoundError(f"bad prompt version {version!r}; use a number like 2 or 'v2'")
    return int(text)


def load_prompt(
    name: str, version: int | str | None = None, *, directory: Path = PROMPTS_DIR
) -> Prompt:
    """Load prompt `name` at `version` (2, "2" or "v2"), or its latest version when None.

    Inside `pinned`, a pinned name loads its pinned version instead (see the module docstring).

    Raises:
        PromptNotFoundError: The name or version does not exist; the message lists what does.

    """
    catalogue = available_prompts(directory)
    listing = _listing(catalogue)
    if name not in catalogue:
        raise PromptNotFoundError(f"no prompt named {name!r} in {directory}; available: {listing}")
    if name in _PINS.versions:
        _PINS.loaded.add(name)
        version = _PINS.versions[name]
    number = catalogue[name][-1] if version is None else _parse_version(version)
    if number not in catalogue[name]:
        raise PromptNotFoundError(f"prompt {name!r} has no version v{number}; available: {listing}")
    relative = f"{name}/v{number}.j2"
    template = _environment(directory).get_template(relative)
    return Prompt(name=name, version=f"v{number}", path=directory / relative, template=template)


def parse_prompt_ref(text: str, directory: Path | None = None) -> tuple[str, int]:
    """Return the name and version number of `NAME@VERSION` (`rag_answer@v2`), checked to exist.

    `directory` defaults to the package's prompts (`PROMPTS_DIR`).

    Raises:
        PromptNotFoundError: The text is not NAME@VERSION, or names a prompt or a version that
            does not exist; the message lists those that do.

    """
    catalogue = available_prompts(directory or PROMPTS_DIR)
    name, at, version = text.strip().partition("@")
    if not at or not name or not version:
        raise PromptNotFoundError(
            f"{text!r} is not NAME@VERSION (such as {_example(catalogue)}); "
            f"available: {_listing(catalogue)}"
        )
    if name not in catalogue:
        raise PromptNotFoundError(f"no prompt named {name!r}; available: {_listing(catalogue)}")
    text_version = version.strip().lower().removeprefix("v")
    number = int(text_version) if text_version.isdigit() else -1
    if number not in catalogue[name]:
        raise PromptNotFoundError(
            f"prompt {name!r} has no version {version!r}; available: {_listing(catalogue)}"
        )
    return name, number


@contextmanager
def pinned(refs: Iterable[tuple[str, int]]) -> Iterator[set[str]]:
    """Make `load_prompt` return these versions inside the block; yield the names loaded since.

    The yielded set fills as the block loads pinned prompts, so the caller can tell which pins
    the block never used (a prompt the suite does not load).
    """
    previous = _PINS.versions, _PINS.loaded
    _PINS.versions, _PINS.loaded = {**previous[0], **dict(refs)}, set()
    try:
        yield _PINS.loaded
    finally:
        _PINS.versions, _PINS.loaded = previous


def _listing(catalogue: dict[str, list[int]]) -> str:
    """List every prompt with its versions: `rag_answer (v1, v2), smoke (v1)`."""
    return (
        ", ".join(f"{n} ({', '.join(f'v{v}' for v in vs)})" for n, vs in catalogue.items())
        or "none"
    )


def _example(catalogue: dict[str, list[int]]) -> str:
    """Return one valid NAME@VERSION, for messages."""
    name = next(iter(catalogue), "name")
    return f"{name}@v{catalogue[name][-1]}" if name in catalogue else "name@v1"
