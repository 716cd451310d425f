"""aieng: scaffold production-shaped AI engineering portfolio projects."""


def __getattr__(name: str) -> str:
    """Return ``__version__`` lazily, so importing the CLI does not load importlib.metadata."""
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("aieng")
        except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
            return "0.0.0"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
