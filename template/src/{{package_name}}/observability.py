"""Logs, traces and metrics: JSON logs with a request id, OpenTelemetry spans, Prometheus."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import TextIO

from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from .config import Settings
from .llm.types import Completion, PromptRef

__all__ = [
    "METRICS",
    "Metrics",
    "configure_logging",
    "configure_tracing",
    "get_logger",
    "get_request_id",
    "metered_request",
    "record_llm_call",
    "reset_request_id",
    "set_request_id",
    "tracer",
]

OTLP_ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

tracer = trace.get_tracer(__name__)
"""Tracer for the app's spans; it follows the provider that `configure_tracing` installs."""


# --- request id -----------------------------------------------------------------------------


def get_request_id() -> str | None:
    """Return the id of the request being handled, or None outside a request."""
    return _request_id.get()


def set_request_id(request_id: str | None) -> Token[str | None]:
    """Bind a request id to the current context; pass the token to `reset_request_id`."""
    return _request_id.set(request_id)


def reset_request_id(token: Token[str | None]) -> None:
    """Restore the request id that was bound before `set_request_id`."""
    _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Add the current request id (or "-") to every record as `request_id`, and `trace_id`."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Annotate the record (and add the trace id inside a span); never drop it."""
        record.request_id = _request_id.get() or "-"
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            record.trace_id = format(span_context.trace_id, "032x")
        return True


# --- logging --------------------------------------------------------------------------------


class _AppHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Write to whatever `sys.stderr` is at the time of each record (test capture included).

    `configure_logging` recognises its own handler by this class and replaces it.
    """

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> TextIO:
        """Return the current standard error stream."""
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        """Ignore: the handler always follows `sys.stderr`."""


def configure_logging(settings: Settings) -> None:
    """Send every log record to stderr as JSON (or text when LOG_FORMAT=text), with request ids.

    Calling it again replaces the handler it installed before; other handlers are left alone.
    """
    handler = _AppHandler()
    handler.addFilter(RequestIdFilter())
    formatter: logging.Formatter
    if settings.log_format == "json":
        formatter = JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            reserved_attrs=[*RESERVED_ATTRS, "color_message"],  # uvicorn's ANSI duplicate
        )
    else:
        formatter = logging.Formatter(
            "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s"
        )
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _AppHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)


def get_logger(name: str) -> logging.Logger:
    """Return the standard logger `name`; `configure_logging` decides where it writes."""
    return logging.getLogger(name)


# --- tracing --------------------------------------------------------------------------------

_provider: TracerProvider | None = None


def _otlp_exporter() -> SpanExporter:
    """Build the OTLP/HTTP exporter, which reads the standard OTEL_EXPORTER_OTLP_* variables."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


def configure_tracing(
    service_name: str,
    *,
    exporter_factory: Callable[[], SpanExporter] = _otlp_exporter,
    set_global: bool = True,
) -> TracerProvider:
    """Install a tracer provider; export spans over OTLP only when an endpoint is configured.

    With neither OTEL_EXPORTER_OTLP_ENDPOINT nor OTEL_EXPORTER_OTLP_TRACES_ENDPOINT set, no
    exporter is built and spans are never sent anywhere. With `set_global` the provider becomes
    the process-wide one (once; later calls return it unchanged).

    Args:
        service_name: `service.name` resource attribute, unless OTEL_SERVICE_NAME is set.
        exporter_factory: Builds the exporter when an endpoint is configured (tests pass an
            in-memory one).
        set_global: Install the provider as OpenTelemetry's global tracer provider.

    Returns:
        The tracer provider.

    """
    global _provider
    if set_global and _provider is not None:
        return _provider
    name = os.environ.get("OTEL_SERVICE_NAME") or service_name
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
    if any(os.environ.get(variable) for variable in OTLP_ENDPOINT_VARIABLES):
        provider.add_span_processor(BatchSpanProcessor(exporter_factory()))
    if set_global:
        trace.set_tracer_provider(provider)
        _provider = provider
    return provider


# --- metrics --------------------------------------------------------------------------------

# No `*_created` series: they double the size of /metrics and dashboards do not use them.
disable_created_metrics()  # type: ignore[no-untyped-call]

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# US dollars, from free (the offline model, cached answers: exactly 0) to one dollar.
_COST_BUCKETS = (0.0, 1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 5e-3, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0)


class Metrics:
    """The app's Prometheus metrics, in a registry of their own."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self._own: dict[str, Counter] = {}
        self._own_histograms: dict[str, Histogram] = {}
        self.requests = Counter(
            "http_requests",
            "HTTP requests handled, by route template and status code.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.request_latency = Histogram(
            "http_request_duration_seconds",
            "Time to handle an HTTP request, by route template.",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "app_errors",
            "Errors returned or raised, by error type.",
            ["type"],
            registry=self.registry,
        )
        self.llm_calls = Counter(
            "llm_calls",
            "Model calls, by provider, model and whether the cache answered.",
            ["provider", "model", "cached"],
            registry=self.registry,
        )
        self.llm_tokens = Counter(
            "llm_tokens",
            "Tokens sent to (input) and received from (output) model providers.",
            ["direction", "provider", "model"],
            registry=self.registry,
        )
        self.llm_cost = Counter(
            "llm_cost_usd",
            "Estimated model spend in US dollars, from the price table.",
            ["provider", "model"],
            registry=self.registry,
        )
        self.llm_latency = Histogram(
            "llm_call_duration_seconds",
            "Latency of model calls that reached a provider.",
            ["provider", "model"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.request_cost = Histogram(
            "llm_request_cost_usd",
            "Model spend of one HTTP request that called a model, in US dollars.",
            buckets=_COST_BUCKETS,
            registry=self.registry,
        )

    def counter(self, name: str, documentation: str, labelnames: Sequence[str] = ()) -> Counter:
        """Register a kind's own counter (exposed as `<name>_total`), or return it if it exists.

        Args:
            name: Metric name without the `_total` suffix, e.g. `rag_empty_retrievals`.
            documentation: One-line help text shown by /metrics.
            labelnames: Label names, if any.

        Returns:
            The counter, registered in this registry.

        """
        if name not in self._own:
            self._own[name] = Counter(name, documentation, labelnames, registry=self.registry)
        return self._own[name]

    def histogram(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str] = (),
        *,
        buckets: Sequence[float],
    ) -> Histogram:
        """Register a kind's own histogram, or return it if it exists.

        Args:
            name: Metric name, e.g. `rag_top_score` (exposed as `_bucket`, `_sum`, `_count`).
            documentation: One-line help text shown by /metrics.
            labelnames: Label names, if any.
            buckets: Upper bounds of the buckets, in the metric's unit.

        Returns:
            The histogram, registered in this registry.

        """
        if name not in self._own_histograms:
            self._own_histograms[name] = Histogram(
                name, documentation, labelnames, buckets=buckets, registry=self.registry
            )
        return self._own_histograms[name]

    def initialise_models(self, models: Iterable[tuple[str, str]]) -> None:
        """Export the model-call series of each (provider, model) at 0 before its first call."""
        for provider, model in models:
            labels = {"provider": provider, "model": model}
            for cached in ("true", "false"):
                self.llm_calls.labels(cached=cached, **labels)
            for direction in ("input", "output"):
                self.llm_tokens.labels(direction=direction, **labels)
            self.llm_cost.labels(**labels)
            self.llm_latency.labels(**labels)

    def exposition(self) -> bytes:
        """Return every metric in the Prometheus text format."""
        return generate_latest(self.registry)


METRICS = Metrics()
"""The process-wide metrics registry served at /metrics."""


_request_spend: ContextVar[list[float] | None] = ContextVar("request_spend", default=None)


@contextmanager
def metered_request() -> Iterator[None]:
    """Observe the model spend of the request handled inside, in `llm_request_cost_usd`.

    The model calls made inside (in this context, or in a worker thread it started) add their
    cost; a request that called no model is not observed, one answered from the cache costs 0.
    """
    spend: list[float] = []
    token = _request_spend.set(spend)
    try:
        yield
    finally:
        _request_spend.reset(token)
        if spend:
            METRICS.request_cost.observe(sum(spend))


def record_llm_call(completion: Completion, prompt: PromptRef | None) -> None:
    """Count a model call's tokens, cost and latency: the LLM client's `on_call` hook.

    Cached answers count as calls but add no tokens, cost or provider latency. The client
    itself logs one line per call; `prompt` is accepted to match the hook's signature.
    """
    labels = {"provider": completion.provider, "model": completion.model}
    METRICS.llm_calls.labels(cached=str(completion.cached).lower(), **labels).inc()
    spend = _request_spend.get()
    if spend is not None:
        spend.append(0.0 if completion.cached else completion.cost_usd)
    if not completion.cached:
        METRICS.llm_tokens.labels(direction="input", **labels).inc(completion.usage.input_tokens)
        METRICS.llm_tokens.labels(direction="output", **labels).inc(completion.usage.output_tokens)
        METRICS.llm_cost.labels(**labels).inc(completion.cost_usd)
        METRICS.llm_latency.labels(**labels).observe(completion.latency_ms / 1000)
