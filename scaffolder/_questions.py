"""Read the template's questions from ``copier.yml`` and check answers against them.

This reads the YAML directly (no copier import), so ``aieng list`` and the checks before a
render stay fast.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from scaffolder.errors import BadAnswerError, TemplateError

_FALSE_WORDS = {"", "false", "no", "n", "off", "0", "none", "null"}


@dataclass(frozen=True)
class Question:
    """One question of the template, as ``copier.yml`` declares it."""

    name: str
    help: str
    type: str
    default: Any
    choices: tuple[str, ...] | None

    def to_dict(self) -> dict[str, Any]:
        """Return the question as plain JSON-serialisable data."""
        return {
            "name": self.name,
            "help": self.help,
            "type": self.type,
            "default": self.default,
            "choices": list(self.choices) if self.choices is not None else None,
        }


def load_config(copier_yml: Path) -> dict[str, Any]:
    """Return the parsed ``copier.yml``.

    Raises:
        TemplateError: The file is missing or is not valid YAML.

    """
    try:
        with copier_yml.open(encoding="utf-8") as stream:
            config: dict[str, Any] = yaml.safe_load(stream) or {}
    except (OSError, yaml.YAMLError) as error:
        reason = getattr(error, "strerror", None) or type(error).__name__
        raise TemplateError(f"Cannot read the template's {copier_yml}: {reason}.") from error
    return config


def _choice_values(choices: Any) -> tuple[str, ...] | None:
    """Return the values (not the labels) of a question's choices, as strings."""
    if choices is None:
        return None
    if isinstance(choices, Mapping):
        items: Iterable[Any] = choices.values()
    else:
        items = (item[1] if isinstance(item, list | tuple) else item for item in choices)
    return tuple(str(item["value"] if isinstance(item, Mapping) else item) for item in items)


def _shown_for(when: Any, kind: str) -> bool:
    """Return whether a question with this ``when`` is asked for ``kind``.

    A ``when`` that depends on other answers than the kind counts as shown.
    """
    if isinstance(when, bool):
        return when
    if not isinstance(when, str):
        return True
    import jinja2

    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    try:
        rendered = env.from_string(when).render(project_kind=kind)
    except jinja2.TemplateError:
        return True
    return rendered.strip().lower() not in _FALSE_WORDS


def questions(config: Mapping[str, Any], kind: str) -> list[Question]:
    """Return the questions asked for ``kind``: keys without ``_`` and not ``when: false``."""
    found = []
    for name, spec in config.items():
        if name.startswith("_"):
            continue
        spec = spec if isinstance(spec, Mapping) else {"default": spec}
        if not _shown_for(spec.get("when", True), kind):
            continue
        found.append(
            Question(
                name=name,
                help=str(spec.get("help", "")),
                type=str(spec.get("type", "str")),
                default=spec.get("default"),
                choices=_choice_values(spec.get("choices")),
            )
        )
    return found


def parse_data(items: Iterable[str]) -> dict[str, str]:
    """Turn ``KEY=VALUE`` strings into a dict.

    Raises:
        BadAnswerError: An item has no ``=`` or an empty key.

    """
    data = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise BadAnswerError(f"Invalid --data {item!r}: write it as KEY=VALUE.")
        data[key.strip()] = value
    return data


def check_data(data: Mapping[str, str], asked: list[Question], kind: str) -> None:
    """Check that every answer names a question and, for choices, is one of them.

    Raises:
        BadAnswerError: A key is unknown, sets the kind, or a value is not among the choices.

    """
    by_name = {question.name: question for question in asked}
    for key, value in data.items():
        if key == "project_kind" and value != kind:
            raise BadAnswerError(
                f"--data project_kind={value} contradicts KIND {kind!r}; choose the kind "
                "with the KIND argument."
            )
        question = by_name.get(key)
        if question is None:
            known = ", ".join(name for name in by_name if name != "project_kind")
            raise BadAnswerError(f"Unknown question {key!r} in --data; known questions: {known}.")
        if question.choices is not None and value not in question.choices:
            raise BadAnswerError(
                f"Invalid value {value!r} for {key!r}; choose one of: "
                f"{', '.join(question.choices)}."
            )
