"""tests/plugin's in-test OTLP receiver, over gRPC: the protocol (and default)
of examples/zero_code.sh. Same decoded requests and readers (``spans()``,
``metric_points(name)``, ``logs()``); only the transport differs.

    with OtlpGrpcReceiver() as receiver:
        env = otlp_env(receiver.endpoint, protocol="grpc")
"""

from __future__ import annotations

from concurrent import futures
from typing import Any

import grpc
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1 import (
    metrics_service_pb2,
    metrics_service_pb2_grpc,
)
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from plugin.otlp_http import OtlpHttpReceiver  # tests/ is on sys.path under pytest


class OtlpGrpcReceiver(OtlpHttpReceiver):
    def __init__(self) -> None:
        super().__init__()
        self._grpc: Any = None
        self._port = 0

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def __enter__(self) -> OtlpGrpcReceiver:
        keep = self._keep

        class Traces(trace_service_pb2_grpc.TraceServiceServicer):
            def Export(self, request, context):
                return keep("/v1/traces", request, trace_service_pb2.ExportTraceServiceResponse)

        class Metrics(metrics_service_pb2_grpc.MetricsServiceServicer):
            def Export(self, request, context):
                return keep("/v1/metrics", request,
                            metrics_service_pb2.ExportMetricsServiceResponse)

        class Logs(logs_service_pb2_grpc.LogsServiceServicer):
            def Export(self, request, context):
                return keep("/v1/logs", request, logs_service_pb2.ExportLogsServiceResponse)

        self._grpc = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Traces(), self._grpc)
        metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(Metrics(), self._grpc)
        logs_service_pb2_grpc.add_LogsServiceServicer_to_server(Logs(), self._grpc)
        self._port = self._grpc.add_insecure_port("127.0.0.1:0")
        self._grpc.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._grpc.stop(grace=None)

    def _keep(self, path: str, request: Any, response_type: Any) -> Any:
        with self._lock:
            self.requests[path].append(request)
        return response_type()


__all__ = ["OtlpGrpcReceiver", "OtlpHttpReceiver"]
