"""Fast tier: each combination's compose.yaml is valid Compose, pinned, and complete."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from pytest_copie.plugin import Copie

from scaffolder._source import TemplateSource
from tests.matrix import RENDER_MATRIX, answers

INSTALL_HINT = "install the test extras: pip install -e '.[test]'"


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


def services(project: Path) -> dict[str, Any]:
    compose: dict[str, Any] = yaml.safe_load((project / "compose.yaml").read_text())
    found: dict[str, Any] = compose["services"]
    return found


def test_compose_file_validates_against_the_compose_specification(
    rendered: tuple[str, Path],
) -> None:
    """compose.yaml passes check-jsonschema's vendored Compose Specification schema."""
    if importlib.util.find_spec("check_jsonschema") is None:
        pytest.fail(f"check-jsonschema is missing: {INSTALL_HINT}", pytrace=False)
    _, project = rendered
    schema = ["--builtin-schema", "vendor.compose-spec"]
    proc = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", *schema, str(project / "compose.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_pulled_image_is_pinned(rendered: tuple[str, Path]) -> None:
    """Each service that is not built from the project's Dockerfile names a versioned tag."""
    _, project = rendered
    for name, service in services(project).items():
        if "build" in service:
            assert "image" not in service, name
            continue
        image, _, tag = str(service["image"]).rpartition(":")
        assert image and tag and tag != "latest" and any(c.isdigit() for c in tag), (
            f"{name}: {service['image']}"
        )


def test_files_compose_refers_to_exist_in_the_render(rendered: tuple[str, Path]) -> None:
    """Every mounted file or folder, every build context and required env file is rendered."""
    _, project = rendered
    referenced = []
    for name, service in services(project).items():
        if "build" in service:
            context = service["build"] if isinstance(service["build"], str) else "."
            referenced.append((name, str(Path(context) / "Dockerfile")))
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                referenced.append((name, source))
        for env_file in service.get("env_file", []):
            if env_file.get("required", True):
                referenced.append((name, env_file["path"]))
    assert referenced
    assert [(name, path) for name, path in referenced if not (project / path).exists()] == []


def test_pgvector_projects_bring_their_database(rendered: tuple[str, Path]) -> None:
    """With pgvector the stack has a healthy-checked `db` (pgvector image) that the app uses;
    with SQLite it has none."""
    name, project = rendered
    found = services(project)
    if answers(name).get("vector_store") != "pgvector":
        assert "db" not in found
        return
    db, app = found["db"], found["app"]
    assert db["image"].startswith("pgvector/pgvector:")
    assert "healthcheck" in db
    assert app["depends_on"]["db"] == {"condition": "service_healthy"}
    assert app["environment"]["RAG_STORE_URL"].startswith("postgresql://postgres@db:5432/")


def test_agent_projects_keep_their_world_store_in_a_volume(rendered: tuple[str, Path]) -> None:
    """The agent's app mounts a named volume at /app/.agent (the world store and the sandbox),
    so runs and approvals survive `make down`; a rag-app mounts none there."""
    name, project = rendered
    mounts = services(project)["app"].get("volumes", [])
    compose: dict[str, Any] = yaml.safe_load((project / "compose.yaml").read_text())
    if answers(name).get("project_kind") != "agent":
        assert not any(str(mount).endswith(":/app/.agent") for mount in mounts)
        return
    assert "agent-data:/app/.agent" in mounts
    assert "agent-data" in compose["volumes"]
