"""Slow tier: each generated project installs and passes its own checks, offline.

For every combination in SLOW_MATRIX this renders a project, runs the install command its
README gives, then its own test suite, linters, strict type check, eval gate, pre-commit hooks
and actionlint, exactly as a newcomer (and the project's CI) would.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytest_copie.plugin import Copie

from scaffolder._source import TemplateSource
from tests.commands import command_env, make_traversable
from tests.matrix import SLOW_MATRIX, answers
from tests.pythons import find_python

pytestmark = pytest.mark.slow

INSTALL = "uv sync --all-extras --compile-bytecode"
TEST = "uv run pytest"


@dataclass
class Project:
    """A generated, installed project and the environment to run its commands in."""

    name: str
    path: Path
    env: dict[str, str]

    def run(
        self, *cmd: str, timeout: float = 600, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run a command in the project (`env` adds variables); fail the test if it fails."""
        proc = subprocess.run(
            cmd,
            cwd=self.path,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if proc.returncode != 0:
            pytest.fail(
                f"[{self.name}] `{' '.join(cmd)}` exited {proc.returncode}\n"
                f"--- stdout ---\n{proc.stdout[-6000:]}\n--- stderr ---\n{proc.stderr[-6000:]}",
                pytrace=False,
            )
        return proc


def _tool(name: str) -> str:
    """Return the path of a tool installed with the test extras (beside this Python, or on PATH)."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    assert found, f"{name} must be installed with the test extras: pip install -e '.[test]'"
    return found


def _project_env() -> dict[str, str]:
    return command_env(
        # One uv cache shared by every generated project (and by later runs).
        UV_CACHE_DIR=os.environ.get("UV_CACHE_DIR", str(Path.home() / ".cache" / "uv")),
        # The project's own pytest would otherwise share (and re-lock to 0700) our basetemp.
        TMPDIR=tempfile.mkdtemp(prefix="aieng-project-tmp-"),
    )


@pytest.fixture(scope="session", params=sorted(SLOW_MATRIX))
def project(
    request: pytest.FixtureRequest, copie_session: Copie, template: TemplateSource
) -> Project:
    name: str = request.param
    version = answers(name, SLOW_MATRIX).get("python_version", "3.11")
    python = find_python(version)
    if python is None:
        pytest.skip(
            f"Python {version} is not on this machine (not on PATH, in pyenv or among uv's "
            f"installs), so the {name} project cannot be installed here"
        )
    result = copie_session.copy(
        extra_answers=answers(name, SLOW_MATRIX),
        template_dir=template.path,
        vcs_ref=template.vcs_ref or "HEAD",
    )
    assert result.exception is None, result.exception
    assert result.project_dir is not None
    proj = Project(name, result.project_dir, {**_project_env(), "UV_PYTHON": python})
    make_traversable(proj.path)
    readme = (proj.path / "README.md").read_text()
    assert INSTALL in readme and TEST in readme, "README must give the install and test commands"
    proj.run("git", "init", "-q", "-b", "main")
    proj.run("git", "add", "-A")
    proj.run("git", "commit", "-qm", "Initial commit")
    proj.run(*INSTALL.split())
    check = f"import sys; assert '%d.%d' % sys.version_info[:2] == '{version}', sys.version"
    proj.run("uv", "run", "--no-sync", "python", "-c", check)
    return proj


def test_own_test_suite_passes(project: Project) -> None:
    """The README's test command passes, coverage gate included."""
    project.run(*TEST.split(), "-q")


def test_browser_tests_run_in_chromium_and_pass(project: Project) -> None:
    """The web page's browser tests (tests/e2e) ran in a real headless Chromium and passed.

    Where this machine has a Chromium (`.ci/run` installs one) none may be skipped:
    REQUIRE_BROWSER=1 turns a browser the project cannot find into a failure. Without one the
    test says so and is skipped (a fresh machine with only Python, pip and git).
    """
    browsers = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome")
    if not os.environ.get("CHROMIUM_PATH") and not any(shutil.which(b) for b in browsers):
        pytest.skip(
            "no Chromium on this machine, so the browser tests cannot run here "
            "(apt-get install chromium-headless-shell, or set CHROMIUM_PATH; .ci/run installs it)"
        )
    proc = project.run(
        *TEST.split(), "-q", "-m", "e2e", "--no-cov", "-rs", env={"REQUIRE_BROWSER": "1"}
    )
    summary = proc.stdout.strip().splitlines()[-1]
    assert " passed" in summary, summary
    assert "skipped" not in summary, summary


def test_lint_and_format_are_clean(project: Project) -> None:
    """Ruff finds nothing and formatting leaves no diff."""
    project.run("uv", "run", "ruff", "check", ".")
    project.run("uv", "run", "ruff", "format", "--check", ".")


def test_strict_type_check_passes(project: Project) -> None:
    """mypy --strict (configured in pyproject.toml) is clean."""
    project.run("uv", "run", "mypy")


def test_eval_gate_passes_against_committed_baseline(project: Project) -> None:
    """The offline evals run and do not regress beyond tolerance against the baseline."""
    proc = project.run("make", "eval")
    assert (project.path / "reports" / "eval.json").exists(), proc.stdout
    assert (project.path / "reports" / "eval.md").exists()


def test_drift_flags_a_shifted_day_of_synthetic_traffic(project: Project) -> None:
    """`make drift` on a signals file whose last day shifted fails and writes its reports."""
    signals = project.path / ".data" / "synthetic.sqlite"
    script = ["uv", "run", "python", "benchmarks/drift_traffic.py", "--out", str(signals)]
    project.run(*script, "--shift")
    proc = subprocess.run(
        ["make", "drift", f"db={signals}"],
        cwd=project.path,
        env=project.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode != 0, proc.stdout
    report = json.loads((project.path / "reports" / "drift.json").read_text())
    assert report["drift"] is True
    assert "  DRIFT " in proc.stdout, proc.stdout + proc.stderr


def test_load_test_starts_a_server_and_reports_no_errors(project: Project) -> None:
    """`make loadtest` with no app running starts one, drives it with Locust and stops it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = project.run("make", "loadtest", "users=5", "duration=5s", f"port={port}", timeout=300)
    assert "Started a server" in proc.stdout, proc.stdout
    result = json.loads((project.path / "reports" / "loadtest.json").read_text())
    assert result["requests"] > 0 and result["errors"] == 0, result
    assert set(result["latency_ms"]) >= {"p50", "p95", "p99"}


def test_pre_commit_hooks_pass_on_all_files(project: Project) -> None:
    """Every pre-commit hook installs from PyPI and passes on the fresh project."""
    project.run(_tool("pre-commit"), "run", "--all-files", "--show-diff-on-failure", timeout=900)


def test_workflows_are_valid_per_actionlint(project: Project) -> None:
    """GitHub Actions workflows pass actionlint."""
    workflows = sorted(str(p) for p in (project.path / ".github" / "workflows").glob("*.yml"))
    assert workflows
    project.run(_tool("actionlint"), *workflows)


# The markers of each kind's tests that run on a real PostgreSQL (started by pgserver): the
# retrieval index on pgvector (every kind retrieves; the chatbot when grounded, as the slow
# tier's is), the agent's world store and the chatbot's message store.
DATABASE_MARKERS = {
    "rag-app": ("pgvector",),
    "agent": ("pgvector", "postgres"),
    "chatbot": ("pgvector", "postgres"),
}


def test_postgres_paths_pass_against_real_postgres(project: Project) -> None:
    """The kind's PostgreSQL paths work against a real PostgreSQL started by pgserver: the
    rag-app's pgvector store, and the agent's world store (and its pgvector retrieval)."""
    chosen = answers(project.name, SLOW_MATRIX)
    if chosen.get("python_version") == "3.13":
        pytest.skip(
            "pgserver ships no wheels for Python 3.13, so a 3.13 project has no PostgreSQL tests "
            "(the 3.11 and 3.12 combinations run them)"
        )
    for marker in DATABASE_MARKERS[chosen.get("project_kind", "rag-app")]:
        proc = project.run(*TEST.split(), "-q", "-m", marker, "--no-cov")
        summary = proc.stdout.strip().splitlines()[-1]
        assert " passed" in summary and "skipped" not in summary, f"-m {marker}: {summary}"


def test_monitoring_checks_run_for_real(project: Project) -> None:
    """The project's monitoring tests run on promtool and a real Prometheus, none skipped."""
    missing = [tool for tool in ("prometheus", "promtool") if shutil.which(tool) is None]
    if missing:
        pytest.skip(
            f"{' and '.join(missing)} not on PATH (apt-get install prometheus), so the "
            "project's monitoring tests would skip; they are required where it is installed"
        )
    proc = project.run(
        "env", "MONITORING_TOOLS_REQUIRED=1", *TEST.split(), "-q", "-m", "monitoring", "--no-cov"
    )
    summary = proc.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "skipped" not in summary, summary
