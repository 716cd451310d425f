"""The aieng CLI: wiring, exact messages and exit codes, and that errors write nothing."""

import datetime
import json
import subprocess
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml

from scaffolder import _files
from scaffolder.kinds import kind_names
from tests.conftest import REPO_ROOT, Invoke, error_line, snapshot

RULE = (
    "use lower-case ASCII letters, digits and single hyphens, starting with a letter, "
    "at most 40 characters"
)


def test_version(aieng: Invoke) -> None:
    """It prints the installed version and exits 0."""
    result = aieng("--version")
    assert result.exit_code == 0
    assert result.output == f"aieng {version('aieng')}\n"


@pytest.mark.parametrize("command", [[], ["new"], ["list"]])
def test_every_help_has_an_example(aieng: Invoke, command: list[str]) -> None:
    """Every command's help shows at least one example invocation."""
    result = aieng(*command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.output
    assert "aieng " in result.output.split("Example", 1)[1]


def test_list_shows_each_kind_with_its_questions(aieng: Invoke) -> None:
    """It prints one line per kind, then each question with its choices, default and help."""
    result = aieng("list")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines if not line.startswith(" ")] == kind_names()
    questions = {line.split()[0]: line for line in lines if line.startswith("  ")}
    assert "project_kind" not in questions
    assert next(iter(questions)) == "project_name"
    assert " offline | openai | anthropic (default: offline). " in questions["llm_provider"]
    assert " sqlite | pgvector (default: sqlite). " in questions["vector_store"]
    assert "{{" not in result.output and "{%" not in result.output


def test_list_json_parses_and_names_the_questions(aieng: Invoke) -> None:
    """With --json it prints a JSON list of kinds, each with its questions and choices."""
    result = aieng("list", "--json")
    assert result.exit_code == 0
    kinds = json.loads(result.output)
    assert [kind["name"] for kind in kinds] == kind_names()
    questions = {question["name"]: question for question in kinds[0]["questions"]}
    assert "project_name" in questions
    assert "reserved_names" not in questions
    assert questions["python_version"]["choices"] == ["3.11", "3.12", "3.13"]


BAD_INPUT = {
    "unknown kind": (
        ["new", "voicebot", "x"],
        "Error: Unknown kind 'voicebot'; choose one of: rag-app, agent, chatbot.",
    ),
    "data without =": (
        ["new", "rag-app", "x", "-d", "llm"],
        "Error: Invalid --data 'llm': write it as KEY=VALUE.",
    ),
    "value not a choice": (
        ["new", "rag-app", "x", "-d", "python_version=2.7"],
        "Error: Invalid value '2.7' for 'python_version'; choose one of: 3.11, 3.12, 3.13.",
    ),
    "no name": (
        ["new", "rag-app", "--defaults"],
        "Error: Give a project name: aieng new KIND NAME, or --name NAME with a DEST.",
    ),
    "kind in data": (
        ["new", "rag-app", "x", "-d", "project_kind=agent"],
        "Error: --data project_kind=agent contradicts KIND 'rag-app'; choose the kind with the "
        "KIND argument.",
    ),
    "name and data disagree": (
        ["new", "rag-app", "--name", "a", "-d", "project_name=b"],
        "Error: --name 'a' and --data project_name='b' disagree.",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_misuse_exits_2_with_one_line_and_writes_nothing(
    aieng: Invoke, workdir: Path, case: str
) -> None:
    """Misuse prints one exact error line, exits 2 and leaves the directory untouched."""
    args, expected = BAD_INPUT[case]
    result = aieng(*args)
    assert (result.exit_code, error_line(result)) == (2, expected)
    assert "Traceback" not in result.output
    assert snapshot(workdir) == {}


def test_unknown_data_key_lists_the_questions(aieng: Invoke, workdir: Path) -> None:
    """An unknown --data key exits 2 and lists every question the kind asks."""
    result = aieng("new", "rag-app", "x", "-d", "colour=red")
    assert result.exit_code == 2
    line = error_line(result)
    assert line.startswith("Error: Unknown question 'colour' in --data; known questions: ")
    assert "project_name, package_name" in line
    assert snapshot(workdir) == {}


@pytest.mark.parametrize(
    ("name", "reason", "suggestion"),
    [
        ("My Rag", "it contains spaces", "my-rag"),
        ("", "it is empty", "my-project"),
        ("MyRag", "it contains upper-case letters", "myrag"),
        ("2fast", "it starts with a digit", "app-2fast"),
        ("json", "it is the name of a standard-library module", "json-app"),
        ("class", "it is a Python keyword", "class-app"),
        ("café", "it contains non-ASCII characters", "cafe"),
        ("a" * 41, "it is 41 characters long", "a" * 40),
    ],
)
def test_invalid_name_says_what_is_allowed_and_suggests_one(
    aieng: Invoke, workdir: Path, name: str, reason: str, suggestion: str
) -> None:
    """An invalid project name exits 2, states the rule and suggests a valid name."""
    result = aieng("new", "rag-app", "--name", name, "--defaults", "--no-git", "out")
    expected = f"Error: Invalid project name {name!r}: {reason}; {RULE} (try {suggestion!r})."
    assert (result.exit_code, error_line(result)) == (2, expected)
    assert snapshot(workdir) == {}


def test_name_defaults_to_dest_and_is_validated(aieng: Invoke, workdir: Path) -> None:
    """Without --name the last part of DEST is the project name, so it must be valid."""
    result = aieng("new", "rag-app", "sys", "--no-git")
    assert result.exit_code == 2
    assert error_line(result).startswith("Error: Invalid project name 'sys': it is the name")
    assert snapshot(workdir) == {}


def test_validator_error_from_copier_is_one_line(aieng: Invoke, workdir: Path) -> None:
    """An answer the template's validator rejects exits 2 with copier's reason on one line."""
    result = aieng("new", "rag-app", "x", "--no-git", "-d", "author_email=nope")
    assert result.exit_code == 2
    assert error_line(result).startswith("Error: Validation error for question 'author_email': ")
    assert "Traceback" not in result.output
    assert snapshot(workdir) == {}


ONE_LINE = "on one line of printable text (no newline or control character)."
CONTROL_CHARACTERS = {
    "newline in author": (
        "author_name=Eve\nX = 1",
        f"'author_name': Give the author name {ONE_LINE}",
    ),
    "tab in author": ("author_name=Eve\tX", f"'author_name': Give the author name {ONE_LINE}"),
    "newline before @": ("author_email=a\n@b.c", "'author_email': Give an e-mail address like "),
    "trailing newline": ("author_email=a@b.c\n", "'author_email': Give an e-mail address like "),
    "newline in description": (
        "description=One\nTwo",
        "'description': Keep the description to one line of printable text (no newline or "
        "control character).",
    ),
}


@pytest.mark.parametrize("case", sorted(CONTROL_CHARACTERS))
def test_control_characters_in_answers_are_refused(aieng: Invoke, workdir: Path, case: str) -> None:
    """A newline or control character in a string answer exits 2 and writes nothing.

    Such an answer would break pyproject.toml, LICENSE or the package metadata.
    """
    item, reason = CONTROL_CHARACTERS[case]
    result = aieng("new", "rag-app", "x", "--no-git", "-d", item)
    assert result.exit_code == 2, result.output
    assert error_line(result).startswith(f"Error: Validation error for question {reason}")
    assert snapshot(workdir) == {}


DEST_FAILURES = {
    "a file": ({"x": "keep\n"}, "x", "x is a file; choose a directory path for the project."),
    "under a file": ({"f": "keep\n"}, "f/x", "f is a file, so f/x cannot be created in it."),
    "not empty": (
        {"x/notes.txt": "mine\n"},
        "x",
        "x is not empty; choose a new directory, or pass --force to add the project's files to it.",
    ),
}


@pytest.mark.parametrize("case", sorted(DEST_FAILURES))
def test_unusable_dest_exits_1_and_is_left_alone(aieng: Invoke, workdir: Path, case: str) -> None:
    """A DEST that cannot take the project exits 1 with one line and stays as it was."""
    files, dest, message = DEST_FAILURES[case]
    for name, text in files.items():
        (workdir / name).parent.mkdir(parents=True, exist_ok=True)
        (workdir / name).write_text(text)
    before = snapshot(workdir)
    result = aieng("new", "rag-app", dest, "--no-git")
    assert (result.exit_code, error_line(result)) == (1, f"Error: {message}")
    assert snapshot(workdir) == before


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_parent_that_refuses_files(aieng: Invoke, workdir: Path) -> None:
    """A DEST where no file can be created (even by root) exits 1 with one line."""
    result = aieng("new", "rag-app", "/proc/aieng-test", "--no-git")
    assert result.exit_code == 1
    assert error_line(result).startswith("Error: Cannot ")
    assert error_line(result).endswith("choose another DEST.")
    assert not Path("/proc/aieng-test").exists()


def test_git_missing(aieng: Invoke, workdir: Path, tmp_path: Path) -> None:
    """Without git on PATH it says so, exits 1 and writes nothing; --no-git still works."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    result = aieng("new", "rag-app", "x", env={"PATH": str(empty)})
    assert (result.exit_code, error_line(result)) == (
        1,
        "Error: git is not installed (not found on PATH); install git, or pass --no-git to "
        "skip creating a repository.",
    )
    assert snapshot(workdir) == {}
    result = aieng("new", "rag-app", "x", "--no-git", env={"PATH": str(empty)})
    assert result.exit_code == 0, result.output
    assert (workdir / "x" / "pyproject.toml").is_file()


def test_pretend_lists_files_and_writes_nothing(aieng: Invoke, workdir: Path) -> None:
    """With --pretend it lists the files it would create and writes nothing."""
    result = aieng("new", "rag-app", "my-rag", "--pretend")
    assert result.exit_code == 0, result.output
    assert "  create  pyproject.toml" in result.output.splitlines()
    assert "  create  .copier-answers.yml" in result.output.splitlines()
    assert result.output.endswith("Nothing written (--pretend).\n")
    assert snapshot(workdir) == {}


def _git(project: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=project, capture_output=True, text=True, check=True
    ).stdout


def test_new_creates_a_git_repo_with_one_commit(aieng: Invoke, workdir: Path) -> None:
    """It renders DEST, commits everything once, and ends with the next commands."""
    result = aieng("new", "rag-app", "my-rag")
    assert result.exit_code == 0, result.output
    project = workdir / "my-rag"
    assert _git(project, "rev-list", "--count", "HEAD").strip() == "1"
    assert _git(project, "status", "--porcelain") == ""
    assert _git(project, "log", "-1", "--format=%an <%ae>").strip() == (
        "Test Author <test@example.com>"
    )
    assert result.output.count("uv run pytest") == 1
    assert "  cd my-rag\n" in result.output
    assert result.output.rstrip().endswith("uv run pytest")
    assert sorted(path.name for path in workdir.iterdir()) == ["my-rag"]


def test_no_git_records_an_absolute_source(aieng: Invoke, workdir: Path) -> None:
    """With --no-git there is no .git; the answers file records the template's absolute path."""
    result = aieng("new", "rag-app", "out", "--name", "my-rag", "--no-git", "-d", "license=MIT")
    assert result.exit_code == 0, result.output
    assert not (workdir / "out" / ".git").exists()
    assert "git" not in result.output.split("Created", 1)[0]
    answers = yaml.safe_load((workdir / "out" / ".copier-answers.yml").read_text())
    assert answers["project_name"] == "my-rag"
    assert answers["project_kind"] == "rag-app"
    assert answers["license"] == "MIT"
    assert answers["_src_path"] == str(REPO_ROOT)
    if (REPO_ROOT / ".git").exists():
        assert answers["_commit"]


def test_force_merges_new_files_and_keeps_the_users(aieng: Invoke, workdir: Path) -> None:
    """With --force into a non-empty DEST it adds the project and keeps the user's files.

    The first commit holds the project's files only: the user's own stay uncommitted.
    """
    (workdir / "x").mkdir()
    (workdir / "x" / "notes.txt").write_text("mine\n")
    (workdir / "x" / "credentials.txt").write_text("secret\n")
    result = aieng("new", "rag-app", "x", "--force")
    assert result.exit_code == 0, result.output
    assert (workdir / "x" / "notes.txt").read_text() == "mine\n"
    assert (workdir / "x" / "pyproject.toml").is_file()
    assert _git(workdir / "x", "status", "--porcelain") == "?? credentials.txt\n?? notes.txt\n"
    committed = _git(workdir / "x", "ls-files").splitlines()
    assert "credentials.txt" not in committed and "pyproject.toml" in committed
    assert "Note: The first commit holds only the project's files; your own files in x " in (
        result.output
    )


def test_force_refuses_to_overwrite_a_different_file(aieng: Invoke, workdir: Path) -> None:
    """With --force it refuses, listing them, when a file would change; nothing is written."""
    (workdir / "x").mkdir()
    (workdir / "x" / "pyproject.toml").write_text("# mine\n")
    before = snapshot(workdir)
    result = aieng("new", "rag-app", "x", "--force", "--no-git")
    assert (result.exit_code, error_line(result)) == (
        1,
        "Error: --force would overwrite 1 file(s) in x with different content: pyproject.toml; "
        "move them away or choose another DEST.",
    )
    assert snapshot(workdir) == before


def test_force_skips_identical_files(aieng: Invoke, workdir: Path) -> None:
    """With --force a file identical to the rendered one is not a conflict."""
    assert aieng("new", "rag-app", "a", "--name", "x", "--no-git").exit_code == 0
    (workdir / "x").mkdir()
    (workdir / "x" / "pyproject.toml").write_bytes((workdir / "a" / "pyproject.toml").read_bytes())
    result = aieng("new", "rag-app", "x", "--force", "--no-git")
    assert result.exit_code == 0, result.output
    assert "identical" not in result.output
    assert (workdir / "x" / "pyproject.toml").read_bytes() == (
        workdir / "a" / "pyproject.toml"
    ).read_bytes()
    assert (workdir / "x" / ".copier-answers.yml").is_file()


def test_interrupt_before_the_move_leaves_nothing(
    aieng: Invoke, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C after rendering but before the final move leaves no project and no temp dir."""

    def interrupted(rendered: Path, dest: Path) -> None:
        assert (rendered / "pyproject.toml").is_file()
        raise KeyboardInterrupt

    monkeypatch.setattr(_files, "move_into_place", interrupted)
    result = aieng("new", "rag-app", "my-rag")
    assert result.exit_code == 130
    assert error_line(result) == "Interrupted: nothing was written."
    assert snapshot(workdir) == {}


def test_cli_reference_is_current() -> None:
    """docs/cli.md equals the reference generated from --help (regenerate if this fails)."""
    from scaffolder import _clidocs

    assert _clidocs.DOC.read_text(encoding="utf-8") == _clidocs.render(), (
        "docs/cli.md is stale: run `python -m scaffolder._clidocs`"
    )


def test_dest_dot_fills_the_empty_working_directory(
    aieng: Invoke, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`aieng new rag-app .` in an empty directory names the project after it and fills it."""
    (workdir / "my-rag").mkdir()
    monkeypatch.chdir(workdir / "my-rag")
    result = aieng("new", "rag-app", ".")
    assert result.exit_code == 0, result.output
    assert (workdir / "my-rag" / "pyproject.toml").is_file()
    assert _git(workdir / "my-rag", "rev-list", "--count", "HEAD").strip() == "1"
    assert sorted(path.name for path in workdir.iterdir()) == ["my-rag"]
    assert "  cd .\n" in result.output


@pytest.fixture
def no_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Take away every git identity: environment, global and system config."""
    for variable in ("GIT_AUTHOR", "GIT_COMMITTER"):
        monkeypatch.delenv(f"{variable}_NAME")
        monkeypatch.delenv(f"{variable}_EMAIL")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.delenv("EMAIL", raising=False)


@pytest.mark.usefixtures("no_identity")
def test_commit_falls_back_to_the_author_answers(aieng: Invoke, workdir: Path) -> None:
    """Without a git identity in config or environment, the commit uses the author answers."""
    result = aieng(
        "new", "rag-app", "my-rag", "-d", "author_name=Ada L", "-d", "author_email=ada@example.com"
    )
    assert result.exit_code == 0, result.output
    log = _git(workdir / "my-rag", "log", "-1", "--format=%an <%ae>|%cn <%ce>")
    assert log.strip() == "Ada L <ada@example.com>|Ada L <ada@example.com>"


@pytest.mark.usefixtures("no_identity")
def test_no_git_identity_is_said_on_the_terminal(aieng: Invoke, workdir: Path) -> None:
    """Without a git identity the placeholder author is used, and the user is told how to fix it."""
    result = aieng("new", "rag-app", "my-rag")
    assert result.exit_code == 0, result.output
    assert (
        _git(workdir / "my-rag", "log", "-1", "--format=%an <%ae>").strip()
        == "Your Name <you@example.com>"
    )
    assert (
        "Note: No git identity was found, so LICENSE, pyproject.toml and the first commit name "
        "Your Name / you@example.com. Set yours (git config --global user.name 'Ada Lovelace'; "
    ) in result.output
    assert "`git commit -a --amend --reset-author --no-edit`." in result.output


def test_a_git_identity_gives_no_note(aieng: Invoke, workdir: Path) -> None:
    """With a git identity nothing is said about the author."""
    result = aieng("new", "rag-app", "my-rag")
    assert result.exit_code == 0, result.output
    assert "Note:" not in result.output


def test_list_shows_the_author_default_that_new_uses(aieng: Invoke) -> None:
    """`aieng list` shows git's identity as the author default, as `aieng new` uses it."""
    result = aieng("list", "--json")
    questions = {q["name"]: q for q in json.loads(result.output)[0]["questions"]}
    assert questions["author_name"]["default"] == "Test Author"
    assert questions["author_email"]["default"] == "test@example.com"


@pytest.mark.usefixtures("no_identity")
def test_list_shows_the_placeholder_without_an_identity(aieng: Invoke) -> None:
    """Without an identity `aieng list` shows the template's placeholder, as `new` uses it."""
    result = aieng("list")
    line = next(line for line in result.output.splitlines() if "author_name " in line)
    assert "str (default: Your Name). Author name" in line


def test_author_answers_default_to_the_git_identity(aieng: Invoke, workdir: Path) -> None:
    """With --defaults the LICENSE and metadata name the user git knows, not a placeholder."""
    result = aieng("new", "rag-app", "my-rag", "--defaults", "--no-git")
    assert result.exit_code == 0, result.output
    answers = (workdir / "my-rag" / ".copier-answers.yml").read_text()
    assert "author_name: Test Author" in answers
    assert "author_email: test@example.com" in answers
    year = datetime.date.today().year
    assert f"Copyright (c) {year} Test Author" in (workdir / "my-rag" / "LICENSE").read_text()


def test_explicit_author_answers_win_over_the_git_identity(aieng: Invoke, workdir: Path) -> None:
    """An author given with -d is used as given."""
    result = aieng("new", "rag-app", "my-rag", "--no-git", "-d", "author_name=Ada L")
    assert result.exit_code == 0, result.output
    assert "author_name: Ada L" in (workdir / "my-rag" / ".copier-answers.yml").read_text()


def test_template_repo_adds_the_first_run_workflow(aieng: Invoke, workdir: Path) -> None:
    """--template-repo records the answer and ships the workflow that renames copies."""
    plain = aieng("new", "rag-app", "plain", "--no-git")
    assert plain.exit_code == 0, plain.output
    result = aieng("new", "rag-app", "my-rag", "--no-git", "--template-repo")
    assert result.exit_code == 0, result.output
    workflow = Path(".github/workflows/template-first-run.yml")
    assert (workdir / "my-rag" / workflow).is_file()
    assert not (workdir / "plain" / workflow).exists()
    assert "template_repo: true" in (workdir / "my-rag" / ".copier-answers.yml").read_text()


@pytest.mark.parametrize(
    ("provider", "variable"), [("openai", "OPENAI_API_KEY"), ("anthropic", "ANTHROPIC_API_KEY")]
)
def test_next_steps_say_which_key_a_real_provider_needs(
    aieng: Invoke, workdir: Path, provider: str, variable: str
) -> None:
    """Choosing a real provider ends the next steps with the key to set and where."""
    result = aieng("new", "rag-app", "my-rag", "--no-git", "-d", f"llm_provider={provider}")
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().splitlines()[-2:] == [
        f"It answers with {provider} once {variable} is set: `cp .env.example .env`, then put",
        "your key in .env. Until then model calls fail and say so; LLM_PROVIDER=offline runs it "
        "offline.",
    ]
