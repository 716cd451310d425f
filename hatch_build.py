"""Hatch build hook: ship the template's tagged git history in the wheel as a bundle.

When the wheel is built from a git checkout that has ``v*`` tags, ``git bundle create``
writes every tag into ``scaffolder/_template.bundle``. The installed aieng fetches those tags
into ``~/.cache/aieng/templates`` and renders from there, so the projects it makes record a
template version and can be updated (``aieng update``) offline. Without git, a checkout or
tags (an sdist, a shallow CI clone), the wheel is built without the bundle and projects are
rendered from the packaged folder, as before. See docs/decisions/0007.
"""

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

BUNDLE = "scaffolder/_template.bundle"


class TemplateBundleHook(BuildHookInterface):
    """Add ``scaffolder/_template.bundle`` to wheels built from a tagged git checkout."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Create the bundle and add it to the wheel, when there is history to bundle."""
        root = Path(self.root)
        git = shutil.which("git")
        if self.target_name != "wheel" or version == "editable" or git is None:
            return
        if not (root / ".git").exists():
            return
        tags = subprocess.run(
            [git, "tag", "--list", "v*"], cwd=root, capture_output=True, text=True, check=False
        ).stdout.split()
        if not tags:
            self.app.display_warning("No v* tags: building without the template bundle.")
            return
        if f"v{self.metadata.version}" not in tags:
            self.app.display_warning(
                f"Version {self.metadata.version} is not a tag (build from a tagged commit): "
                "projects made by this wheel cannot be updated."
            )
        self._scratch = tempfile.mkdtemp(prefix="aieng-bundle-")
        bundle = Path(self._scratch) / "template.bundle"
        subprocess.run(
            [git, "bundle", "create", "--quiet", str(bundle), *(f"refs/tags/{t}" for t in tags)],
            cwd=root,
            check=True,
        )
        build_data["force_include"][str(bundle)] = BUNDLE

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        """Remove the temporary bundle."""
        scratch = getattr(self, "_scratch", None)
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
