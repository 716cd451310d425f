"""Fast tier: every answer combination renders to the expected, well-formed file set."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from pytest_copie.plugin import Copie

from scaffolder._source import TemplateSource
from tests.manifests import REPO, expected_files, rendered_files
from tests.matrix import RENDER_MATRIX, answers

# The generated app uses Jinja itself (prompt files, tests of the prompt loader), so a leftover
# is a marker that names one of *copier's* variables, or copier's raw/endraw escapes.
COPIER_VARIABLES = sorted(
    key for key in yaml.safe_load((REPO / "copier.yml").read_text()) if not key.startswith("_")
)
LEFTOVER_JINJA = re.compile(
    r"(\{\{|\{%)-?\s*(?:(?:if|elif|for|set|include)\s+)?[^}%]*?\b("
    + "|".join([*COPIER_VARIABLES, "_copier_conf", "_copier_answers", "raw", "endraw"])
    + r")\b"
)


@pytest.fixture(scope="module", params=sorted(RENDER_MATRIX))
def rendered(
    request: pytest.FixtureRequest, copie_session: Copie, template: TemplateSource
) -> tuple[str, Path]:
    name: str = request.param
    result = copie_session.copy(
        extra_answers=answers(name), template_dir=template.path, vcs_ref=template.vcs_ref or "HEAD"
    )
    assert result.exception is None, result.exception
    assert result.project_dir is not None
    return name, result.project_dir


def test_file_set_is_exactly_the_expected_one(rendered: tuple[str, Path]) -> None:
    """It writes exactly the files listed in tests/manifests for that combination."""
    name, project = rendered
    actual = rendered_files(project)
    expected = expected_files(name)
    missing, extra = sorted(expected - actual), sorted(actual - expected)
    assert not missing and not extra, (
        f"{name}: missing {missing}, unexpected {extra}; "
        "if intended, run `python -m tests.manifests` and review the diff"
    )


def test_no_leftover_jinja(rendered: tuple[str, Path]) -> None:
    """No file or path keeps an unrendered Jinja marker."""
    _, project = rendered
    offenders = []
    for rel in rendered_files(project):
        if "{{" in rel or "{%" in rel or rel.endswith(".jinja"):
            offenders.append(rel)
            continue
        text = (project / rel).read_text(encoding="utf-8", errors="replace")
        if LEFTOVER_JINJA.search(text):
            offenders.append(rel)
    assert offenders == []


def _parse(path: Path) -> Any:
    if path.suffix not in {".yml", ".yaml", ".toml", ".json", ".jsonl"}:
        return None  # binary files too (docs/screenshot.png)
    text = path.read_text(encoding="utf-8")
    if path.suffix in {".yml", ".yaml"}:
        return yaml.safe_load(text)
    if path.suffix == ".toml":
        return tomllib.loads(text)
    if path.suffix == ".json":
        return json.loads(text)
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return None


def test_structured_files_parse(rendered: tuple[str, Path]) -> None:
    """Every YAML, TOML, JSON and JSONL file parses."""
    _, project = rendered
    parsed = [rel for rel in rendered_files(project) if _parse(project / rel) is not None]
    assert "pyproject.toml" in parsed
    assert ".copier-answers.yml" in parsed


def test_answers_reach_the_project(rendered: tuple[str, Path]) -> None:
    """The answers are recorded for updates and shape the package metadata."""
    name, project = rendered
    wanted = answers(name)
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    for key, value in wanted.items():
        assert recorded[key] == value
    meta = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert meta["name"] == wanted["project_name"]
    assert meta["requires-python"] == f">={recorded['python_version']}"
    deps = " ".join(meta["dependencies"])
    assert ("psycopg" in deps) == (recorded.get("vector_store") == "pgvector")
    assert (project / "LICENSE").exists() == (recorded["license"] != "Proprietary")
    env_example = (project / ".env.example").read_text()
    assert f"LLM_PROVIDER={recorded['llm_provider']}" in env_example


def test_plain_copier_cli_renders_from_a_clone(tmp_path: Path) -> None:
    """`copier copy <clone> DEST` (no aieng) renders a project that records its template commit."""
    clone = tmp_path / "aieng-clone"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    copier = Path(sys.executable).parent / "copier"
    dest = tmp_path / "my-rag"
    proc = subprocess.run(
        [
            str(copier),
            "copy",
            "--defaults",
            "--quiet",
            "-d",
            "project_name=my-rag",
            str(clone),
            str(dest),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    recorded = yaml.safe_load((dest / ".copier-answers.yml").read_text())
    head = subprocess.run(
        ["git", "-C", str(clone), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert recorded["_src_path"] == str(clone)
    assert head.startswith(recorded["_commit"].rsplit("g", 1)[-1]) or recorded["_commit"] == head
    assert (dest / "pyproject.toml").exists()


def test_text_files_pass_the_projects_own_whitespace_hooks(rendered: tuple[str, Path]) -> None:
    """Every text file ends with one newline and has no trailing spaces, as pre-commit checks."""
    _, project = rendered
    offenders = []
    for rel in sorted(rendered_files(project)):
        data = (project / rel).read_bytes()
        if not data or b"\0" in data:
            continue
        text = data.decode("utf-8")
        lines = text.split("\n")
        if not text.endswith("\n") or text.endswith("\n\n"):
            offenders.append(f"{rel}: end of file")
        offenders += [
            f"{rel}:{n}: trailing space" for n, line in enumerate(lines, 1) if line != line.rstrip()
        ]
    assert offenders == []


def test_plain_copier_defaults_derive_the_name_from_dest(
    tmp_path: Path, template: TemplateSource
) -> None:
    """`copier copy --defaults <repo> DEST` needs no name: DEST's last part gives it, validated."""
    copier = Path(sys.executable).parent / "copier"
    base = [str(copier), "copy", "--defaults", "--quiet", "--vcs-ref", str(template.vcs_ref)]
    dest = tmp_path / "My_Cool Rag"
    proc = subprocess.run(
        [*base, str(template.path), str(dest)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    recorded = yaml.safe_load((dest / ".copier-answers.yml").read_text())
    assert (recorded["project_name"], recorded["package_name"]) == ("my-cool-rag", "my_cool_rag")
    assert (dest / "src" / "my_cool_rag" / "__init__.py").is_file()
    proc = subprocess.run(
        [*base, str(template.path), str(tmp_path / "2fast")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines()[-1] == (
        "ValueError: Validation error for question 'project_name': Use lower-case ASCII "
        "letters, digits and single hyphens, starting with a letter (for example my-rag)"
    )


@pytest.mark.parametrize(
    ("path", "ignored"),
    [
        (".env", True),
        (".env.local", True),
        (".env.production", True),
        (".env.test.local", True),
        (".env.example", False),
        ("src/app/.env.staging", True),
    ],
)
def test_gitignore_keeps_env_files_out_but_the_example(
    rendered: tuple[str, Path], tmp_path: Path, path: str, ignored: bool
) -> None:
    """The project's .gitignore ignores `.env` and every `.env.*` except `.env.example`."""
    _, project = rendered
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".gitignore").write_bytes((project / ".gitignore").read_bytes())
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    proc = subprocess.run(
        ["git", "-C", str(repo), "check-ignore", "-q", "--no-index", path], check=False
    )
    assert proc.returncode == (0 if ignored else 1), f"{path}: exit {proc.returncode}"


@pytest.mark.parametrize(
    "kind_answers",
    [{"vector_store": "pgvector", "template_repo": True}, {"project_kind": "agent"}],
    ids=["rag-app", "agent"],
)
def test_the_longest_name_keeps_the_code_lint_clean(
    tmp_path: Path, template: TemplateSource, kind_answers: dict[str, Any]
) -> None:
    """With a 40-character name (the most allowed) ruff check and ruff format find nothing.

    Every Python file that embeds the name must still fit the line length, so a long name
    never breaks a new project's `make lint`.
    """
    import copier

    name = "a-very-long-project-name-for-the-linters"
    assert len(name) == 40
    dest = tmp_path / name
    copier.run_copy(
        str(template.path),
        dest,
        data={"project_name": name, **kind_answers},
        defaults=True,
        vcs_ref=template.vcs_ref,
        quiet=True,
    )
    ruff = str(Path(sys.executable).parent / "ruff")
    for command in (
        [ruff, "check", "--no-cache", "."],
        [ruff, "format", "--check", "--no-cache", "."],
    ):
        proc = subprocess.run(command, cwd=dest, capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_readme_lists_every_make_target_in_one_table(rendered: tuple[str, Path]) -> None:
    """Each documented `make` target has a row in the README's table, and no line breaks it.

    A kind's rows come from its partial; a blank line between two rows ends a Markdown table,
    and GitHub then shows the rest as a paragraph of pipes.
    """
    _, project = rendered
    targets = re.findall(r"^([a-z][\w-]*):.*## ", (project / "Makefile").read_text(), re.M)
    lines = (project / "README.md").read_text(encoding="utf-8").splitlines()
    rows = [n for n, line in enumerate(lines) if line.startswith("| `make ")]
    assert rows == list(range(rows[0], rows[0] + len(rows))), "the make table is split"
    listed = {target for n in rows for target in re.findall(r"`make ([\w-]+)", lines[n])}
    assert sorted(set(targets) - listed - {"help"}) == []


def test_no_agent_placeholder_is_left_in_a_rendered_file(rendered: tuple[str, Path]) -> None:
    """No rendered file of any kind keeps a `TODO(agent)` marker."""
    _, project = rendered
    markers = [
        rel
        for rel in sorted(rendered_files(project))
        if b"TODO(agent)" in (project / rel).read_bytes()
    ]
    assert markers == []


def test_no_template_file_keeps_an_agent_placeholder() -> None:
    """No template file keeps a `TODO(agent)` marker.

    The agent's partials started as copies of the rag-app's, each marked; a marker left in a
    partial (inside a Jinja comment, which renders to nothing) means a fragment that still says
    what is true of the rag-app only.
    """
    template = REPO / "template"
    markers = [
        path.relative_to(REPO).as_posix()
        for path in sorted(template.rglob("*"))
        if path.is_file() and b"TODO(agent)" in path.read_bytes()
    ]
    assert markers == []


def test_every_combination_is_lint_clean(rendered: tuple[str, Path]) -> None:
    """ruff check and ruff format find nothing in any combination (each Python version too).

    The slow tier checks this with the project's own tools; this catches it in seconds.
    """
    _, project = rendered
    ruff = str(Path(sys.executable).parent / "ruff")
    for command in (["check", "--no-cache", "."], ["format", "--check", "--no-cache", "."]):
        proc = subprocess.run(
            [ruff, *command], cwd=project, capture_output=True, text=True, check=False
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
