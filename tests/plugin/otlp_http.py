"""An in-test OTLP/HTTP (protobuf) receiver on a free loopback port, built on
``opentelemetry-proto``: it decodes every export request and keeps it.

    with OtlpHttpReceiver() as receiver:
        env = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, ...}
        ... run the instrumented program ...
    receiver.spans(), receiver.metric_points("uno_jobs.job_enqueued"), receiver.logs()
"""

from __future__ import annotations

import gzip
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

_ROUTES = {
    "/v1/traces": (ExportTraceServiceRequest, ExportTraceServiceResponse),
    "/v1/metrics": (ExportMetricsServiceRequest, ExportMetricsServiceResponse),
    "/v1/logs": (ExportLogsServiceRequest, ExportLogsServiceResponse),
}


def value_of(any_value: Any) -> Any:
    kind = any_value.WhichOneof("value")
    return getattr(any_value, kind) if kind else None


def attributes_of(message: Any) -> dict[str, Any]:
    return {a.key: value_of(a.value) for a in message.attributes}


@dataclass(frozen=True)
class Span:
    name: str
    kind: int  # 4 PRODUCER, 5 CONSUMER
    trace_id: str
    span_id: str
    parent_span_id: str
    status_code: int  # 2 ERROR
    attributes: dict[str, Any] = field(default_factory=dict)
    events: tuple[str, ...] = ()


@dataclass(frozen=True)
class Log:
    body: str
    trace_id: str
    span_id: str
    attributes: dict[str, Any] = field(default_factory=dict)


class OtlpHttpReceiver:
    def __init__(self) -> None:
        self.requests: dict[str, list[Any]] = {path: [] for path in _ROUTES}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def endpoint(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> OtlpHttpReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                route = _ROUTES.get(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if route is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                request_type, response_type = route
                with receiver._lock:
                    receiver.requests[self.path].append(request_type.FromString(body))
                payload = response_type().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    def _received(self, path: str) -> list[Any]:
        with self._lock:
            return list(self.requests[path])

    def spans(self) -> list[Span]:
        return [Span(s.name, s.kind, s.trace_id.hex(), s.span_id.hex(), s.parent_span_id.hex(),
                     s.status.code, attributes_of(s), tuple(e.name for e in s.events))
                for request in self._received("/v1/traces")
                for resource in request.resource_spans for scope in resource.scope_spans
                for s in scope.spans]

    def metric_points(self, name: str) -> list[tuple[dict[str, Any], Any]]:
        """(attributes, data point) of every export of metric ``name``."""
        found = []
        for request in self._received("/v1/metrics"):
            for resource in request.resource_metrics:
                for scope in resource.scope_metrics:
                    for metric in scope.metrics:
                        if metric.name != name:
                            continue
                        data = getattr(metric, metric.WhichOneof("data"))
                        found += [(attributes_of(p), p) for p in data.data_points]
        return found

    def logs(self) -> list[Log]:
        return [Log(str(value_of(r.body)), r.trace_id.hex(), r.span_id.hex(), attributes_of(r))
                for request in self._received("/v1/logs")
                for resource in request.resource_logs for scope in resource.scope_logs
                for r in scope.log_records]
