"""The one retry policy for every provider: exponential backoff with jitter, honouring Retry-After.

The SDKs' own retries are switched off (`max_retries=0`), so that this policy alone decides.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_random_exponential

from .types import ProviderError

T = TypeVar("T")

RETRYABLE_STATUS = frozenset({408, 409, 429})


def is_retryable_status(status: int) -> bool:
    """Return True for statuses worth retrying: timeouts, conflicts, rate limits and 5xx."""
    return status in RETRYABLE_STATUS or status >= 500


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Return the wait in seconds a server asked for (`retry-after-ms` or `retry-after`)."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(float(millis) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def status_error(
    provider: str, status: int, message: str, headers: Mapping[str, str]
) -> ProviderError:
    """Turn an HTTP error from a provider into a `ProviderError`."""
    return ProviderError(
        f"{provider}: HTTP {status}: {message}",
        retryable=is_retryable_status(status),
        retry_after=parse_retry_after(headers),
    )


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a retryable `ProviderError`."""

    max_retries: int = 3
    min_wait_s: float = 0.5
    max_wait_s: float = 20.0

    def _wait(self, state: RetryCallState) -> float:
        """Wait as the server asked (capped at `max_wait_s`), else backoff with full jitter."""
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, ProviderError) and error.retry_after is not None:
            return min(error.retry_after, self.max_wait_s)
        backoff = wait_random_exponential(multiplier=self.min_wait_s, max=self.max_wait_s)
        return float(backoff(state))

    def call(self, fn: Callable[[], T]) -> T:
        """Call `fn`, retrying retryable `ProviderError`s; re-raise the last error."""
        retrying = Retrying(
            retry=retry_if_exception(lambda e: isinstance(e, ProviderError) and e.retryable),
            stop=stop_after_attempt(self.max_retries + 1),
            wait=self._wait,
            reraise=True,
        )
        return retrying(fn)
