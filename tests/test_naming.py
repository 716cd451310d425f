"""Project-name rules: valid names, messages, suggestions, and agreement with copier.yml."""

import keyword
import sys
from typing import Any

import jinja2
import pytest
import yaml

from scaffolder.errors import InvalidNameError
from scaffolder.naming import RESERVED_NAMES, problem, suggest, validate
from tests.conftest import REPO_ROOT

SAMPLES = [
    "my-rag",
    "a",
    "rag2",
    "a" * 40,
    "a" * 41,
    "",
    "My Rag",
    "MyRag",
    "my_rag",
    "my--rag",
    "-rag",
    "rag-",
    "2fast",
    "json",
    "class",
    "match",
    "sys",
    "test-app",
    "café",
    "my.rag",
]


def _copier_config() -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load((REPO_ROOT / "copier.yml").read_text())
    return config


def _copier_reserved() -> list[Any]:
    reserved: list[Any] = yaml.safe_load(_copier_config()["reserved_names"]["default"])
    return reserved


@pytest.mark.parametrize("name", ["my-rag", "a", "rag2", "a" * 40, "json-app", "my-rag-2"])
def test_valid_names_pass(name: str) -> None:
    """A valid name is returned unchanged."""
    assert validate(name) == name


def test_invalid_name_message_is_one_line_with_a_suggestion() -> None:
    """The error names the problem, the rule and a valid suggestion, on one line."""
    with pytest.raises(InvalidNameError) as caught:
        validate("My Rag")
    assert str(caught.value) == (
        "Invalid project name 'My Rag': it contains spaces; use lower-case ASCII letters, "
        "digits and single hyphens, starting with a letter, at most 40 characters "
        "(try 'my-rag')."
    )


@pytest.mark.parametrize("name", [*SAMPLES, "  ", "!!!", "über straße", "import", "1", "x" * 90])
def test_suggestions_are_valid(name: str) -> None:
    """Whatever the input, the suggested name passes validation."""
    assert problem(suggest(name)) is None


def test_copier_reserved_names_cover_keywords_and_stdlib() -> None:
    """copier.yml's reserved_names (as copier parses them) holds every keyword and module."""
    reserved = set(_copier_reserved())
    public_modules = {name.lower() for name in sys.stdlib_module_names if not name.startswith("_")}
    keywords = {word.lower() for word in keyword.kwlist}
    assert sorted(keywords - reserved) == []
    assert sorted(public_modules - reserved) == []


def test_naming_reserves_what_copier_reserves() -> None:
    """Every name copier.yml reserves is reserved by naming.py as well."""
    assert (
        sorted(
            str(name).lower()
            for name in _copier_reserved()
            if str(name).lower() not in RESERVED_NAMES
        )
        == []
    )


@pytest.mark.parametrize("name", SAMPLES)
def test_naming_agrees_with_the_copier_validator(name: str) -> None:
    """naming.py accepts a name exactly when copier.yml's project_name validator does."""
    env = jinja2.Environment(extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"])
    validator = _copier_config()["project_name"]["validator"]
    message = env.from_string(validator).render(
        project_name=name, reserved_names=_copier_reserved()
    )
    assert (message.strip() == "") == (problem(name) is None), message
