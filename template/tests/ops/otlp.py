"""A minimal OTLP/HTTP trace receiver for tests: it stores the spans exporters send it.

It decodes each `ExportTraceServiceRequest` (protobuf, optionally gzip) with the message
classes of `opentelemetry-proto`, which the app's OTLP exporter depends on already. No
OpenTelemetry package ships an OTLP receiver for Python; the Collector is a Go binary.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

Value = str | bool | int | float | list["Value"] | None


@dataclass(frozen=True)
class ReceivedSpan:
    """One span as the receiver got it, with its resource's attributes."""

    name: str
    trace_id: str
    span_id: str
    parent_span_id: str
    kind: int
    attributes: dict[str, Value] = field(default_factory=dict)
    resource: dict[str, Value] = field(default_factory=dict)


def _value(value: AnyValue) -> Value:
    """Return the Python value of an OTLP attribute value."""
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(item) for item in value.array_value.values]
    if kind in {"string_value", "bool_value", "int_value", "double_value"}:
        plain: str | bool | int | float = getattr(value, kind)
        return plain
    return None


def _attributes(items: list[KeyValue]) -> dict[str, Value]:
    return {item.key: _value(item.value) for item in items}


class OtlpReceiver:
    """Listen on 127.0.0.1 for OTLP/HTTP trace exports (`POST /v1/traces`) in a thread."""

    def __init__(self) -> None:
        self._spans: list[ReceivedSpan] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                if self.path != "/v1/traces":
                    self.send_error(404)
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                receiver._store(ExportTraceServiceRequest.FromString(body))
                reply = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: object) -> None:
                """Keep the test output quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def endpoint(self) -> str:
        """Return the base URL to give OTEL_EXPORTER_OTLP_ENDPOINT."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _store(self, request: ExportTraceServiceRequest) -> None:
        spans = [
            ReceivedSpan(
                name=span.name,
                trace_id=span.trace_id.hex(),
                span_id=span.span_id.hex(),
                parent_span_id=span.parent_span_id.hex(),
                kind=span.kind,
                attributes=_attributes(list(span.attributes)),
                resource=_attributes(list(resource_spans.resource.attributes)),
            )
            for resource_spans in request.resource_spans
            for scope_spans in resource_spans.scope_spans
            for span in scope_spans.spans
        ]
        with self._lock:
            self._spans.extend(spans)

    def spans(self) -> list[ReceivedSpan]:
        """Return every span received so far."""
        with self._lock:
            return list(self._spans)

    def wait_for(
        self, found: Callable[[list[ReceivedSpan]], bool], *, timeout: float = 15.0
    ) -> list[ReceivedSpan]:
        """Return the spans received once `found(spans)` holds; raise after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            spans = self.spans()
            if found(spans):
                return spans
            time.sleep(0.02)
        names = sorted({span.name for span in self.spans()})
        raise TimeoutError(f"no matching spans after {timeout:.0f} s; received: {names}")
