"""Request plumbing: request ids, the one error shape, the body-size limit, access logs."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fastapi.responses import JSONResponse
from opentelemetry import propagate
from opentelemetry.trace import SpanKind, StatusCode
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .observability import (
    METRICS,
    get_logger,
    get_request_id,
    metered_request,
    reset_request_id,
    set_request_id,
    tracer,
)

logger = get_logger(__name__)
access_logger = get_logger(__name__.rpartition(".")[0] + ".access")

_ERROR_TYPES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    502: "bad_gateway",
    503: "unavailable",
}
# Every `type` of app_errors_total: the statuses above, the fallback, and the API's model errors.
ERROR_TYPES = (
    *_ERROR_TYPES.values(),
    "http_error",
    "budget_exceeded",
    "provider_unavailable",
    "llm_error",
)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_PROBE_PATHS = {"/healthz", "/readyz", "/metrics"}  # access-logged at DEBUG when they succeed
_LOCATIONS = {"body", "query", "path", "header", "cookie"}
_NOSNIFF = (b"x-content-type-options", b"nosniff")


def error_response(
    status: int,
    message: str,
    *,
    error_type: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Build the one error body every failure uses, and count it by type.

    The body is `{"error": {"type": ..., "message": ..., "request_id": ...}}`.
    """
    kind = error_type or _ERROR_TYPES.get(status, "http_error")
    METRICS.errors.labels(type=kind).inc()
    body = {"error": {"type": kind, "message": message, "request_id": get_request_id()}}
    return JSONResponse(body, status_code=status, headers=headers)


def describe_validation_errors(errors: Any) -> str:
    """Turn pydantic errors into one line: `question: String should have at least 1 character`."""
    parts = []
    for error in errors:
        if error.get("type") == "json_invalid":
            parts.append("request body is not valid JSON")
            continue
        location = [str(p) for p in error.get("loc", ()) if p not in _LOCATIONS]
        field = ".".join(location) or ".".join(str(p) for p in error.get("loc", ())) or "request"
        parts.append(f"{field}: {error.get('msg', 'invalid value')}")
    return "; ".join(parts) or "invalid request"


def route_template(routed: Scope, original: Scope) -> str:
    """Return the template of the route a request went to, e.g. `/items/{id}`, or "unmatched".

    Every served route counts, not only the API's own: `/docs`, `/openapi.json`, and a mount
    such as the docs assets (as `/docs-assets/{path}`). A route that matches the path but not
    the method (a 405) counts under its template. Only a real 404 is "unmatched".

    Args:
        routed: The scope after the app handled the request (the router names the route).
        original: A copy of the scope from before routing, to match when the router named none
            (older Starlette names only FastAPI's own routes; a mount rewrites the paths).

    """
    return _template(routed.get("route")) or _match(original, _routes(original)) or "unmatched"


def _routes(scope: Scope) -> Any:
    """Return the routes of the app serving `scope`."""
    return getattr(scope.get("app"), "routes", ())


def _match(scope: Scope, routes: Any) -> str | None:
    """Return the template of the route that would serve `scope`, as Starlette picks it."""
    partial = None
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.NONE:
            continue
        template = _template(route)
        if template is None:  # a router included as one route (recent FastAPI): look inside
            template = _match(scope, getattr(getattr(route, "original_router", None), "routes", ()))
        if match is Match.FULL:
            return template
        partial = partial or template
    return partial


def _template(route: Any) -> str | None:
    """Return a route's path template (a mount stands for everything under it), or None."""
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return None
    if isinstance(route, Mount):
        return f"{path.rstrip('/')}/{{path}}"
    return path or None


def initialise_series(routes: Iterable[BaseRoute], models: Iterable[tuple[str, str]]) -> None:
    """Export the request, error and model series at 0, so that /metrics lists them at once.

    Each route gets its requests counter (at the status it answers when it succeeds) and its
    latency histogram, for every method it serves; every error type and every (provider,
    model) of the model chain gets its series too. Dashboards and alerts then see every series
    from the first scrape instead of "no data" until the first request of each kind.
    """
    for route in routes:
        template = _template(route)
        if template is None:  # a router included as one route (recent FastAPI): its routes
            initialise_series(getattr(getattr(route, "original_router", None), "routes", ()), ())
            continue
        status = str(getattr(route, "status_code", None) or 200)
        methods = getattr(route, "methods", None) or {"GET"}
        for method in sorted(set(methods) - {"HEAD"}):
            METRICS.requests.labels(method=method, route=template, status=status)
            METRICS.request_latency.labels(method=method, route=template)
    for error_type in ERROR_TYPES:
        METRICS.errors.labels(type=error_type)
    METRICS.initialise_models(models)


class _BodyTooLargeError(StarletteHTTPException):
    """The request body grew past the configured limit while it was read."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"Request body exceeds {limit} bytes")


@dataclass
class _Exchange:
    """What the middleware learns about one response."""

    status: int = 500
    started: bool = False


class RequestContextMiddleware:
    """Give each request an id, a span, a size limit, an access-log line and metrics."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI event stream; non-HTTP scopes pass straight through."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        supplied = headers.get("x-request-id", "")
        request_id = supplied if _REQUEST_ID.match(supplied) else uuid.uuid4().hex
        token = set_request_id(request_id)
        original = dict(scope)  # routing rewrites paths (mounts) and adds the route
        exchange = _Exchange()
        started_at = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                exchange.status, exchange.started = message["status"], True
                headers_out = message.setdefault("headers", [])
                headers_out.append((b"x-request-id", request_id.encode()))
                if not any(name.lower() == _NOSNIFF[0] for name, _ in headers_out):
                    headers_out.append(_NOSNIFF)  # answers are text: never sniffed as HTML
            await send(message)

        context = propagate.extract(headers)
        with (
            tracer.start_as_current_span("http", context=context, kind=SpanKind.SERVER) as span,
            metered_request(),
        ):
            try:
                await self._guarded(scope, receive, send_with_id, headers, exchange)
            finally:
                route = route_template(scope, original)
                span.update_name(f"{scope['method']} {route}")
                span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", exchange.status)
                if exchange.status >= 500:
                    span.set_status(StatusCode.ERROR)
                self._record(scope, route, exchange.status, time.perf_counter() - started_at)
                reset_request_id(token)

    async def _guarded(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: dict[str, str],
        exchange: _Exchange,
    ) -> None:
        """Run the app with the body limit, turning escaped exceptions into the error shape."""
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._too_large()(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body_bytes:
                raise _BodyTooLargeError(self.max_body_bytes)
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLargeError:
            if not exchange.started:
                await self._too_large()(scope, receive, send)
        except Exception:
            logger.exception("unhandled error in %s %s", scope["method"], scope["path"])
            if not exchange.started:
                response = error_response(500, "Internal server error; see the logs for this id")
                await response(scope, receive, send)

    def _too_large(self) -> JSONResponse:
        """Return the 413 response for a body over the limit."""
        return error_response(413, f"Request body exceeds {self.max_body_bytes} bytes")

    @staticmethod
    def _record(scope: Scope, route: str, status: int, seconds: float) -> None:
        """Count the request, observe its latency and write the access-log line.

        Successful probes (health, readiness, scrapes) are logged at DEBUG, to keep INFO quiet.
        """
        method = scope["method"]
        METRICS.requests.labels(method=method, route=route, status=str(status)).inc()
        METRICS.request_latency.labels(method=method, route=route).observe(seconds)
        client = scope.get("client")
        quiet = scope["path"] in _PROBE_PATHS and status < 400
        access_logger.log(
            logging.DEBUG if quiet else logging.INFO,
            "%s %s %d %.1fms",
            method,
            scope["path"],
            status,
            seconds * 1000,
            extra={
                "method": method,
                "path": scope["path"],
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
                "client": client[0] if client else None,
            },
        )
