"""The readiness check of a store opened by URL, for the kinds whose `ready()` pings one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from .observability import get_logger

logger = get_logger(__name__)


class Pingable(Protocol):
    """A store that can say it answers, and be closed."""

    def ping(self) -> None:
        """Raise when the store does not answer."""

    def close(self) -> None:
        """Release the store's connections."""


def store_ready(
    opener: Callable[[str], Pingable],
    url: str,
    *,
    what: str,
    errors: tuple[type[Exception], ...],
) -> bool:
    """Open the store at `url` with `opener`, ping it and close it; tell whether it answered.

    Args:
        opener: Opens the store (creating it on first use, as the kind's opener does).
        url: Where the store lives.
        what: The store in a log line ("the message store").
        errors: What the opener and the ping raise when the store cannot be reached (the
            kind's database errors); `OSError` is always one of them.

    """
    caught: tuple[type[Exception], ...] = (*errors, OSError)
    try:
        store = opener(url)
    except caught as exc:
        logger.warning("%s is not reachable: %s", what, exc)
        return False
    try:
        store.ping()
    except caught as exc:
        logger.warning("%s is not reachable: %s", what, exc)
        return False
    finally:
        store.close()
    return True
