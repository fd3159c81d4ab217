"""OpenTelemetry instrumentation for the ``uno.jobs`` job runtime.

Zero code: ``opentelemetry-instrument python app.py`` loads it through the
``uno_jobs`` entry point. Every job then has a PRODUCER span ``enqueue {task}``
(its context written to ``job.metadata``) and, per attempt, a CONSUMER span
``process {task}`` in the same trace, current while the handler runs; the
``uno_jobs.*`` counters and histograms are recorded, every started manager
refreshes the queue/worker/health gauges, and the runtime's lifecycle log
records carry the job's span. Each retry's span links to the previous attempt's;
``uno_jobs.telemetry.dropped_spans`` counts the spans the SDK's batch span
processors drop. ``OTEL_SEMCONV_STABILITY_OPT_IN=messaging`` (or ``messaging/dup``)
switches to (or adds) the messaging semantic-convention metrics.

Usage
-----

.. code-block:: python

    import asyncio

    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor

    from opentelemetry.instrumentation.uno_jobs import UnoJobsInstrumentor
    from uno.jobs import AsyncWorker, InMemoryJobStorage, JobManager

    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    UnoJobsInstrumentor().instrument(tracer_provider=tracer_provider,
                                     meter_provider=MeterProvider())

    manager = JobManager(storage=InMemoryJobStorage(), worker_classes=[AsyncWorker])

    @manager.task()
    async def greet(name: str) -> str:
        return f"hello {name}"

    async def main() -> None:
        async with manager:
            job_id = (await manager.enqueue("greet", args=["ada"])).value
            await manager.wait_for_job(job_id, timeout=5)

    asyncio.run(main())
    UnoJobsInstrumentor().uninstrument()

Options (keyword arguments of ``instrument()``, each also an
``OTEL_PYTHON_UNO_JOBS_*`` environment variable, see ``environment_variables``):
``use_span_links``, ``capture_args``, ``capture_max_length``, ``redact``,
``monitoring``, ``collection_interval``, ``health_check_interval``,
``stall_timeout``, ``semconv_mode``, ``bridge_logs``, ``progress_logs``; and the providers
``tracer_provider``, ``meter_provider``, ``logger_provider``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor
from opentelemetry.instrumentation.uno_jobs.package import _instruments
from opentelemetry.instrumentation.uno_jobs.version import __version__
from opentelemetry.semconv.schemas import Schemas

if TYPE_CHECKING:
    from uno.jobs.manager import JobManager

__all__ = ["UnoJobsInstrumentor", "__version__"]


@dataclass
class _Installed:
    recorder: Any
    managers: Any
    log_bridge: Any
    wrapped: list[str]
    dropped_spans: Any = None


class UnoJobsInstrumentor(BaseInstrumentor):
    """Instruments ``uno.jobs.JobManager`` (managers created before too)."""

    _installed: _Installed | None = None

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    @property
    def recorder(self) -> Any:
        """The ``JobRecorder`` while instrumented (its ``in_flight`` attempts), else None."""
        return self._installed.recorder if self._installed is not None else None

    def monitoring_of(self, manager: JobManager) -> Any:
        """The ``ManagerMonitoring`` running for a started manager, else None."""
        return self._installed.managers.monitoring_of(manager) if self._installed else None

    def _instrument(self, **kwargs: Any) -> None:
        # imported here: `opentelemetry-instrument` imports this package early for its flags
        from opentelemetry.instrumentation.uno_jobs import wrappers  # noqa: PLC0415
        from opentelemetry.instrumentation.uno_jobs.config import UnoJobsConfig  # noqa: PLC0415
        from opentelemetry.instrumentation.uno_jobs.logs import LogBridge  # noqa: PLC0415
        from opentelemetry.instrumentation.uno_jobs.recorder import JobRecorder  # noqa: PLC0415
        from opentelemetry.instrumentation.uno_jobs.running_managers import (  # noqa: PLC0415
            RunningManagers,
        )
        from opentelemetry.instrumentation.uno_jobs.span_loss import DroppedSpans  # noqa: PLC0415

        from uno.jobs.monitoring import semconv  # noqa: PLC0415
        from uno.jobs.monitoring.job_metrics import (  # noqa: PLC0415
            JobMetrics,
            set_default_job_metrics,
        )

        config = UnoJobsConfig.from_options(kwargs)
        tracer = trace.get_tracer(__name__, __version__, kwargs.get("tracer_provider"),
                                  schema_url=Schemas.V1_27_0.value)
        metrics = JobMetrics(meter_provider=kwargs.get("meter_provider"))
        set_default_job_metrics(metrics)
        recorder = JobRecorder(tracer, metrics, config)
        managers = RunningManagers(recorder, metrics, config)
        bridge = (LogBridge.install(kwargs.get("logger_provider"), config.progress_logs)
                  if config.bridge_logs else None)
        dropped = DroppedSpans(kwargs.get("tracer_provider"))
        metrics.metrics_manager.observable_counter(semconv.TELEMETRY_DROPPED_SPANS,
                                                   self._read_dropped_spans)
        self._installed = _Installed(recorder, managers, bridge,
                                     wrappers.install(recorder, managers, bridge), dropped)

    def _read_dropped_spans(self) -> list[tuple[int, dict[str, str]]]:
        # bound to this singleton, not to one DroppedSpans: an SDK meter keeps the
        # callback of an observable's first registration across re-instrumentation
        installed = self._installed
        return installed.dropped_spans.read() if installed is not None else []

    def _uninstrument(self, **kwargs: Any) -> None:
        from opentelemetry.instrumentation.uno_jobs import wrappers  # noqa: PLC0415

        from uno.jobs.monitoring.job_metrics import set_default_job_metrics  # noqa: PLC0415

        installed, self._installed = self._installed, None
        if installed is None:
            return
        wrappers.uninstall(installed.wrapped)
        installed.managers.close()
        installed.recorder.in_flight.close()
        installed.dropped_spans.close()
        installed.recorder.metrics.metrics_manager.release()  # its gauges stop reporting
        if installed.log_bridge is not None:
            installed.log_bridge.remove()
        set_default_job_metrics(None)
