"""Where the template comes from: the checkout aieng runs from, or the copy in the wheel."""

import shutil
from dataclasses import dataclass
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class TemplateSource:
    """A template location and the git reference to render it at.

    Attributes:
        path: Absolute path of the directory holding ``copier.yml``. It is absolute because
            copier records it verbatim in ``.copier-answers.yml``.
        vcs_ref: ``"HEAD"`` for a git checkout (so uncommitted template edits render), else
            None (a plain folder, such as the copy packaged in the wheel).

    """

    path: Path
    vcs_ref: str | None

    @property
    def copier_yml(self) -> Path:
        """Return the path of the template's ``copier.yml``."""
        return self.path / "copier.yml"


def template_source(*, use_git: bool = True) -> TemplateSource:
    """Locate the template.

    Args:
        use_git: Whether git may be used to read a checkout; without git a checkout is
            rendered as a plain folder.

    Returns:
        The repository root when aieng runs from a checkout (``scaffolder/../copier.yml``
        exists), else the copy packaged at ``scaffolder/_template/``.

    """
    checkout = _PACKAGE_DIR.parent
    if (checkout / "copier.yml").is_file():
        is_repo = (checkout / ".git").exists() and use_git and shutil.which("git") is not None
        return TemplateSource(path=checkout, vcs_ref="HEAD" if is_repo else None)
    return TemplateSource(path=_PACKAGE_DIR / "_template", vcs_ref=None)
