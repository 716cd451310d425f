"""The package: settings, model calls, prompts, the API and the CLI."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version(__name__)
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"
