"""Authentication and rate limiting at the edge, before the app reads a request's body.

`AccessControlMiddleware` runs for the routes it protects (the kind's endpoints) before FastAPI
parses and validates the body, in this order:

1. The client is named: by its API key when `API_KEY` is set and the key it sent is right,
   else by its IP address. A wrong key is therefore limited like no key: guessing keys is
   never free, and inventing a new key per request does not escape the limit.
2. `RATE_LIMIT`, when set, is counted for that client (429 with `Retry-After` past it).
3. With `API_KEY` set, a missing or wrong key gets 401, whatever the body holds.

Why a middleware rather than FastAPI dependencies: see docs/decisions/0013.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from collections.abc import Sequence

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .middleware import error_response

UNAUTHORIZED = "Missing or invalid API key; send 'Authorization: Bearer <key>' or 'X-API-Key'"


def parse_rate_limit(spec: str) -> RateLimitItem:
    """Parse RATE_LIMIT (for example `60/minute`), with a message that says what to write.

    Raises:
        ValueError: `spec` is not a rate limit.

    """
    try:
        return parse(spec)
    except ValueError:
        raise ValueError(
            f"RATE_LIMIT={spec!r} is not a rate limit; write it like 60/minute or 5/second"
        ) from None


def supplied_key(headers: dict[str, str]) -> str:
    """Return the key a client sent, from `X-API-Key` or `Authorization: Bearer`, or ''."""
    if headers.get("x-api-key"):
        return headers["x-api-key"]
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else ""


class AccessControlMiddleware:
    """Check the API key and the rate limit of the protected routes; pass the rest through."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        protected: Sequence[BaseRoute],
        api_key: str = "",
        rate_limit: str = "",
    ) -> None:
        self.app = app
        self.protected = list(protected)
        self.api_key = api_key
        self.spec = rate_limit
        self.limit = parse_rate_limit(rate_limit) if rate_limit else None
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse with 429 or 401 before the app runs, or run it with rate-limit headers."""
        if scope["type"] != "http" or not self._is_protected(scope):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        key = supplied_key(headers)
        authenticated = bool(self.api_key) and hmac.compare_digest(
            key.encode(), self.api_key.encode()
        )
        if authenticated:
            client = "key:" + hashlib.sha256(key.encode()).hexdigest()[:16]
        else:
            peer = scope.get("client")
            client = "ip:" + (peer[0] if peer else "unknown")
        extra: list[tuple[bytes, bytes]] = []
        if self.limit is not None:
            refused = self._hit(self.limit, client, extra)
            if refused is not None:
                await refused(scope, receive, send)
                return
        if self.api_key and not authenticated:
            await error_response(401, UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"})(
                scope, receive, send
            )
            return
        await self.app(scope, receive, _with_headers(send, extra))

    def _is_protected(self, scope: Scope) -> bool:
        """Tell whether the request is for one of the protected routes (any method)."""
        return any(route.matches(scope)[0] is not Match.NONE for route in self.protected)

    def _hit(
        self, item: RateLimitItem, client: str, extra: list[tuple[bytes, bytes]]
    ) -> JSONResponse | None:
        """Count one request; return the 429 response past the limit, else add the headers."""
        if not self.limiter.hit(item, client):
            reset_at = self.limiter.get_window_stats(item, client).reset_time
            retry_after = str(max(1, math.ceil(reset_at - time.time())))
            return error_response(
                429,
                f"Rate limit of {self.spec} exceeded; retry after {retry_after} s",
                headers={"Retry-After": retry_after},
            )
        remaining = self.limiter.get_window_stats(item, client).remaining
        extra += [
            (b"x-ratelimit-limit", str(item.amount).encode()),
            (b"x-ratelimit-remaining", str(remaining).encode()),
        ]
        return None


def _with_headers(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
    """Return a `send` that adds `extra` headers to the response start."""
    if not extra:
        return send

    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            message.setdefault("headers", []).extend(extra)
        await send(message)

    return send_with_headers
