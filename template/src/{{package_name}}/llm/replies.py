"""The provider boundary: every reply that is not a usable answer becomes a `ProviderError`.

Servers and proxies sometimes answer 200 with something that is not the promised JSON: an HTML
error page, a truncated body, an object without `choices` or `content`, a stream that ends
before any text. The SDKs then raise `ValueError`s, return a plain string, or give `None`
fields. Both providers wrap their calls in `provider_boundary` and check the text with
`require_answer`, so that such a reply is retried by the one retry policy, then handed to the
fallback chain, like a 5xx.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from .types import ProviderError

T = TypeVar("T")

# What the SDKs raise on a body they cannot decode or a field they expected (JSON decode and
# pydantic validation errors are ValueErrors).
_DECODE_ERRORS = (ValueError, TypeError, AttributeError, KeyError, IndexError)


def malformed(provider: str, detail: str) -> ProviderError:
    """Return the retryable error for a reply that is not a usable answer."""
    return ProviderError(f"{provider}: malformed reply: {detail}", retryable=True)


@contextmanager
def provider_boundary(
    provider: str,
    sdk_error: type[Exception],
    translate: Callable[[Exception], ProviderError],
) -> Iterator[None]:
    """Turn SDK errors (`translate`) and undecodable replies (retryable) into ProviderErrors.

    Args:
        provider: Provider name, for the message.
        sdk_error: The SDK's base exception class.
        translate: Turns an SDK exception into a `ProviderError`.

    """
    try:
        yield
    except ProviderError:
        raise
    except sdk_error as exc:
        raise translate(exc) from exc
    except _DECODE_ERRORS as exc:
        raise malformed(provider, f"{type(exc).__name__}: {exc}") from exc


def require_answer(provider: str, text: object, tool_calls: Sequence[object] = ()) -> str:
    """Return the reply's text; a reply must hold text or at least one tool call.

    Raises:
        ProviderError: Neither text nor a tool call (the malformed-reply error).

    """
    if isinstance(text, str) and text:
        return text
    if tool_calls and text in (None, ""):
        return ""
    raise malformed(provider, "the reply holds no text and no tool call")


def require_items(provider: str, value: Sequence[T] | None, field: str) -> Sequence[T]:
    """Return `value` if it is a non-empty list, else raise the malformed-reply error."""
    if not isinstance(value, list) or not value:
        raise malformed(provider, f"the reply has no {field!r}")
    return value
