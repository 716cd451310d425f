"""Where the template comes from: the checkout aieng runs from, or the copy in the wheel."""

import shutil
from dataclasses import dataclass
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
BUNDLE = _PACKAGE_DIR / "_template.bundle"


@dataclass(frozen=True)
class TemplateSource:
    """A template location and the git reference to render it at.

    Attributes:
        path: Absolute path of the directory holding ``copier.yml``. It is absolute because
            copier records it verbatim in ``.copier-answers.yml``.
        vcs_ref: ``"HEAD"`` for a git checkout (so uncommitted template edits render),
            ``v{version}`` for the per-user cache filled from the wheel's bundle, else None
            (a plain folder, such as the copy packaged in the wheel).
        url: What copier is given and records as ``_src_path`` (default: ``path``); the cache
            is recorded as ``~/.cache/aieng/templates``, valid on any machine.
        config: The ``copier.yml`` to read questions from (default: the one in ``path``; the
            cache repository has no checked-out files, so the packaged copy is read).

    """

    path: Path
    vcs_ref: str | None
    url: str | None = None
    config: Path | None = None

    @property
    def copier_yml(self) -> Path:
        """Return the path of the template's ``copier.yml``."""
        return self.config or self.path / "copier.yml"

    @property
    def src(self) -> str:
        """Return the template location to pass to copier."""
        return self.url or str(self.path)


def template_source(*, use_git: bool = True) -> TemplateSource:
    """Locate the template.

    Args:
        use_git: Whether git may be used to read a checkout; without git a checkout is
            rendered as a plain folder.

    Returns:
        The repository root when aieng runs from a checkout (``scaffolder/../copier.yml``
        exists); else, for a wheel that ships a bundle, the per-user cache repository at tag
        ``v{version}``; else the copy packaged at ``scaffolder/_template/``.

    """
    checkout = _PACKAGE_DIR.parent
    has_git = use_git and shutil.which("git") is not None
    if (checkout / "copier.yml").is_file():
        is_repo = (checkout / ".git").exists() and has_git
        return TemplateSource(path=checkout, vcs_ref="HEAD" if is_repo else None)
    packaged = _PACKAGE_DIR / "_template"
    if BUNDLE.is_file() and has_git:
        from scaffolder import __version__, _cache

        tag = f"v{__version__}"
        repo = _cache.ensure(BUNDLE, tag)
        if repo is not None:
            return TemplateSource(
                path=repo, vcs_ref=tag, url=_cache.display(repo), config=packaged / "copier.yml"
            )
    return TemplateSource(path=packaged, vcs_ref=None)
