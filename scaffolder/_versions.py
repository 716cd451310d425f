"""Template versions: what a project records, and which version it can update to.

A project made from a git template records two answers in ``.copier-answers.yml``:
``_src_path`` (where the template was) and ``_commit`` (``git describe --tags`` of the
version used, such as ``v0.1.0`` or ``v0.1.0-3-gabc1234``). Versions are read the way copier
reads them, so that aieng and ``copier update`` agree on what is newer.
"""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from scaffolder import _git
from scaffolder._source import template_source
from scaffolder.errors import GitError, TemplateNotFoundError, UpdateRefused

ANSWERS_FILE = ".copier-answers.yml"
_DESCRIBED = re.compile(r"^(?P<tag>.+)-(?P<count>\d+)-g(?P<hash>[0-9a-f]+)$")
_REMOTE = ("gh:", "gl:", "git@", "git+")
_HASH_LENGTH = 7  # dunamai's abbreviation of the commit in a dev version


@dataclass(frozen=True)
class Recorded:
    """The template a project was made from, as its answers file records it.

    Attributes:
        src: ``_src_path`` verbatim (a path, ``~/…`` path or URL).
        commit: ``_commit`` (a ``git describe`` string), or None for a template that was a
            plain folder rather than a git repository.
        answers: Every answer in the file.

    """

    src: str
    commit: str | None
    answers: dict[str, Any]

    @property
    def local(self) -> Path | None:
        """Return the template's local path, or None when ``src`` is a URL."""
        return local_path(self.src)


def local_path(src: str) -> Path | None:
    """Return the local path a template source names, or None for a remote URL."""
    if "://" in src or src.startswith(_REMOTE):
        return None
    return Path(src).expanduser()


def parse_version(commit: str | None) -> Version | None:
    """Return the PEP 440 version of a ``git describe`` string (None if it has none).

    ``v0.1.0`` is 0.1.0; ``v0.1.0-3-gabc1234`` (three commits after the tag) is
    ``0.1.0.post3.dev0+abc1234``: dunamai's rule, which copier uses for a template's version
    and aieng's own build uses for ``aieng --version``. A bare commit hash has no version.
    """
    if not commit:
        return None
    match = _DESCRIBED.match(commit)
    text = commit
    if match:
        text = f"{match['tag']}.post{match['count']}.dev0+{match['hash'][:_HASH_LENGTH]}"
    try:
        return Version(text)
    except InvalidVersion:
        return None


def display(commit: str) -> str:
    """Return how aieng shows a template version: ``v`` and its PEP 440 form.

    The generated update pull requests print ``v`` + copier's version, the same string.
    """
    version = parse_version(commit)
    return f"v{version}" if version is not None else commit


def read_answers(project: Path) -> Recorded:
    """Read which template ``project`` was made from.

    Raises:
        UpdateRefused: ``project`` has no readable answers file, or it names no template.

    """
    import yaml

    answers_file = project / ANSWERS_FILE
    if not answers_file.is_file():
        raise UpdateRefused(
            f"{project} is not a generated project (no {ANSWERS_FILE}); run this in a "
            "project made by `aieng new`, or pass its path."
        )
    try:
        answers = yaml.safe_load(answers_file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise UpdateRefused(
            f"Cannot read {answers_file}: {error}; restore it from git (git checkout -- "
            f"{ANSWERS_FILE})."
        ) from error
    src = answers.get("_src_path") if isinstance(answers, dict) else None
    if not src:
        raise UpdateRefused(
            f"{answers_file} names no template (_src_path); restore it from git "
            f"(git checkout -- {ANSWERS_FILE})."
        )
    commit = answers.get("_commit")
    return Recorded(src=str(src), commit=str(commit) if commit else None, answers=answers)


def require_source(recorded: Recorded, answers_file: Path) -> None:
    """Check that the recorded template exists and has version history.

    Raises:
        TemplateNotFoundError: A local template path that is gone.
        UpdateRefused: The project was made from a plain folder (no ``_commit``).

    """
    local = recorded.local
    if local is not None and not local.exists():
        raise TemplateNotFoundError(
            f"The template this project was made from is gone: {recorded.src} (_src_path in "
            f"{answers_file}); restore it there, or set _src_path to a clone of the aieng "
            "template and commit, then retry."
        )
    if recorded.commit is None:
        raise UpdateRefused(
            f"{answers_file} records no template version (_commit): the project was made "
            "from a template without git history, so there is nothing to merge from; "
            "regenerate it with `aieng new` from a release or a git checkout."
        )
    if local is not None and not _git.output(
        ["rev-parse", "--verify", "--quiet", f"{recorded.commit}^{{commit}}"], local, check=False
    ):
        raise UpdateRefused(
            f"The template version this project records (_commit: {recorded.commit}) is not in "
            f"{recorded.src} (made from uncommitted template edits, or a deleted tag); set "
            f"_commit in {answers_file} to a tag of that template and commit, then retry."
        )


def tags(src: str) -> list[str]:
    """Return the tags of a template repository (local path or URL)."""
    local = local_path(src)
    if local is not None:
        return _git.output(["tag", "--list"], local, check=False).split()
    try:
        listing = _git.output(["ls-remote", "--tags", "--refs", src], Path.cwd())
    except GitError as error:
        reason = error.message.split(": ", 1)[-1]
        raise UpdateRefused(
            f"Cannot reach the template at {src}: {reason}; check the network and the URL "
            f"(_src_path in {ANSWERS_FILE}), then retry."
        ) from error
    return [line.rsplit("refs/tags/", 1)[-1] for line in listing.splitlines() if line]


def latest_tag(src: str) -> str | None:
    """Return the newest non-prerelease version tag of a template, as copier picks it."""
    found = [(v, tag) for tag in tags(src) if (v := parse_version(tag)) and not v.is_prerelease]
    return max(found)[1] if found else None


def default_ref(src: str) -> str | None:
    """Return the version this aieng installs for template ``src``.

    The checkout aieng runs from updates to its HEAD (what ``aieng new`` renders); any other
    template (a fork, a clone) updates to its newest version tag.
    """
    own = template_source()
    local = local_path(src)
    if own.vcs_ref is not None and local is not None and _same(local, own.path):
        return own.vcs_ref
    return latest_tag(src)


def is_own(src: str) -> bool:
    """Return whether template ``src`` is aieng's own: the checkout it runs from, or its cache.

    aieng trusts its own template to run migration scripts during ``copier update``
    (``unsafe=True``); any other template must be trusted by the user (``copier update
    --trust``). See docs/decisions/0007.
    """
    from scaffolder import _cache

    local = local_path(src)
    if local is None:
        return False
    return _same(local, template_source().path) or _same(local, _cache.cache_dir())


def _same(a: Path, b: Path) -> bool:
    """Return whether two paths name the same directory."""
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def describe(src: str, ref: str) -> str:
    """Return ``git describe --tags`` of ``ref`` in template ``src`` (``ref`` itself if remote).

    Raises:
        UpdateRefused: ``ref`` names nothing in a local template.

    """
    local = local_path(src)
    if local is None:
        return ref
    text = _git.output(["describe", "--tags", "--always", ref], local, check=False).strip()
    if not text:
        newest = latest_tag(src) or "v0.1.0"
        raise UpdateRefused(
            f"Unknown template version {ref!r} in {src}; pass a tag such as {newest} "
            f"(`git -C {src} tag` lists them)."
        )
    return text


def compare(src: str, current: str, target: str) -> str:
    """Return ``"up-to-date"``, ``"update-available"`` or ``"ahead"`` (current is newer)."""
    if current == target:
        return "up-to-date"
    old, new = parse_version(current), parse_version(target)
    if old is not None and new is not None:
        if old == new:
            return "up-to-date"
        return "update-available" if new > old else "ahead"
    local = local_path(src)
    if local is None:
        return "update-available"
    first = _git.output(["rev-parse", f"{current}^{{commit}}"], local, check=False).strip()
    second = _git.output(["rev-parse", f"{target}^{{commit}}"], local, check=False).strip()
    if first and first == second:
        return "up-to-date"
    # Commits in the project's version that the target lacks: the project is ahead.
    count = _git.output(["rev-list", "--count", f"{target}..{current}"], local, check=False)
    return "ahead" if count.strip() not in ("", "0") else "update-available"


def moved_paths(src: str, ref: str) -> set[str]:
    """Return the old paths of files that the template's migrations move, as of ``ref``.

    A release that moves a file declares ``migrations/move.py TEMPLATE OLD NEW [OLD NEW…]``
    in ``_migrations`` (docs/decisions/0007). A remote template is not read: none is known.
    """
    import yaml

    local = local_path(src)
    if local is None:
        return set()
    text = _git.output(["show", f"{ref}:copier.yml"], local, check=False)
    try:
        config = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        return set()
    found: set[str] = set()
    for migration in config.get("_migrations") or [] if isinstance(config, dict) else []:
        command = migration.get("command") if isinstance(migration, dict) else None
        if not isinstance(command, list):
            continue
        words = [str(word) for word in command]
        scripts = [n for n, word in enumerate(words) if word.endswith("/migrations/move.py")]
        if scripts:
            found.update(words[scripts[0] + 2 :: 2])  # after the script: TEMPLATE, then pairs
    return found
