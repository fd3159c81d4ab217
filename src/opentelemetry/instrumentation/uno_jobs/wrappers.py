"""The wrappers of ``JobManager`` methods: each checks that instrumentation is
enabled, calls into the recorder (or the per-manager background work) around the
wrapped call, and returns what the wrapped call returned. Errors of the
instrumentation are reported, never raised into the runtime; errors of the
runtime are re-raised untouched.

    names = install(recorder, managers)   # wraps every method of the table
    uninstall(names)                       # unwraps them
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry.instrumentation.uno_jobs.batch_producer import end_batch, start_batch
from opentelemetry.instrumentation.uno_jobs.logs import LogBridge
from opentelemetry.instrumentation.uno_jobs.producer import EnqueueCall, EnqueueRecorder
from opentelemetry.instrumentation.uno_jobs.recorder import JobRecorder
from opentelemetry.instrumentation.uno_jobs.running_managers import RunningManagers
from opentelemetry.instrumentation.uno_jobs.utils import guarded, report_error
from opentelemetry.instrumentation.utils import is_instrumentation_enabled, unwrap
from wrapt import wrap_function_wrapper

if TYPE_CHECKING:
    from uno.jobs.manager import JobManager

MODULE, CLASS = "uno.jobs.manager", "JobManager"
Wrapper = Callable[[Callable[..., Awaitable[Any]], Any, tuple[Any, ...], dict[str, Any]],
                   Awaitable[Any]]


def _job(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return args[0] if args else kwargs.get("job")


def _second(args: tuple[Any, ...], kwargs: dict[str, Any], name: str) -> Any:
    return args[1] if len(args) > 1 else kwargs.get(name)


async def _read_job(kind: str, manager: JobManager, job_id: Any) -> Any:
    try:
        return await manager.storage.get(job_id)
    except Exception as exc:
        report_error(kind, exc)
        return None


async def _guarded_async(kind: str, awaitable: Awaitable[Any]) -> None:
    try:
        await awaitable
    except Exception as exc:
        report_error(kind, exc)


def make_wrappers(recorder: JobRecorder, managers: RunningManagers,
                  log_bridge: LogBridge | None = None) -> dict[str, Wrapper]:
    """``JobManager`` method name -> wrapper. With ``log_bridge``, the logger of
    each manager seen (enqueue, start, an adopted manager's job) is bridged."""
    cover_logger = log_bridge.cover if log_bridge is not None else (lambda _logger: None)

    def sending(kind: str, start: Callable[..., EnqueueCall],
                end: Callable[[EnqueueRecorder, EnqueueCall, Any], None]) -> Wrapper:
        """enqueue / enqueue_many: the PRODUCER span is current while the wrapped
        call stores the job(s), and ends with its result; ``start(producer,
        manager, args, kwargs)`` and ``end(producer, call, result)``."""
        logs_kind = f"{kind} (logs)"

        async def wrapper(wrapped, instance, args, kwargs):
            if not is_instrumentation_enabled():
                return await wrapped(*args, **kwargs)
            guarded(logs_kind, cover_logger, instance.logger)
            try:
                call = start(recorder.producer, instance, args, kwargs)
            except Exception as exc:
                report_error(f"{kind} (start)", exc)
                return await wrapped(*args, **kwargs)
            try:
                result = await wrapped(*call.args, **call.kwargs)
            except BaseException as exc:
                guarded(f"{kind} (raised)", recorder.producer.raised, call, exc)
                raise
            try:
                end(recorder.producer, call, result)
            except Exception as exc:
                report_error(f"{kind} (end)", exc)
            return result

        return wrapper


    async def start_job(wrapped, instance, args, kwargs):
        if not is_instrumentation_enabled():
            return await wrapped(*args, **kwargs)
        job = _job(args, kwargs)
        if not managers.is_tracking(instance):  # not started, or started before instrument()
            guarded("start_job (adopt)", managers.adopt, instance)
            guarded("start_job (logs)", cover_logger, instance.logger)
        try:
            attempt = recorder.start_attempt(instance, job, _second(args, kwargs, "worker_name"))
        except Exception as exc:
            report_error("start_job (start)", exc)
            return await wrapped(*args, **kwargs)
        try:
            result = await wrapped(*args, **kwargs)
        except BaseException as exc:
            guarded("start_job (raised)", recorder.start_raised, job, attempt, exc)
            raise
        try:
            recorder.attempt_started(attempt, result)
        except Exception as exc:
            report_error("start_job (end)", exc)
        return result

    def finishing(kind: str, method: str, name: str, begin: str = "begin_finish") -> Wrapper:
        """complete_job / fail_job: the attempt's span is current while the
        wrapped call runs and ends after it; if the call raises (complete_job's
        ``ResultNotStorableError``: fail_job follows) the span stays open."""

        async def wrapper(wrapped, instance, args, kwargs):
            if not is_instrumentation_enabled():
                return await wrapped(*args, **kwargs)
            try:
                finish = getattr(recorder, begin)(_job(args, kwargs))
            except Exception as exc:
                report_error(f"{kind} (start)", exc)
                return await wrapped(*args, **kwargs)
            try:
                result = await wrapped(*args, **kwargs)
            except BaseException:
                guarded(f"{kind} (raised)", recorder.finish_raised, finish)
                raise
            try:
                getattr(recorder, method)(finish, result, _second(args, kwargs, name))
            except Exception as exc:
                report_error(f"{kind} (end)", exc)
            return result

        return wrapper

    def counted(kind: str, method: str) -> Wrapper:
        """cancel_job / retry_job: the job is read first (one storage read; these
        calls are rare) for its queue and task, and its trace context is current
        while the call runs, so the runtime's log record joins the job's trace."""

        async def wrapper(wrapped, instance, args, kwargs):
            if not is_instrumentation_enabled():
                return await wrapped(*args, **kwargs)
            job = await _read_job(kind, instance, args[0] if args else kwargs.get("job_id"))
            token = guarded(kind, recorder.enter_job_context, job) if job is not None else None
            try:
                result = await wrapped(*args, **kwargs)
            finally:
                if token is not None:
                    guarded(kind, otel_context.detach, token)
            if job is not None and getattr(result, "is_success", False):
                guarded(kind, getattr(recorder, method), job)
            return result

        return wrapper

    async def start(wrapped, instance, args, kwargs):
        if not is_instrumentation_enabled():
            return await wrapped(*args, **kwargs)
        guarded("start (logs)", cover_logger, instance.logger)
        result = await wrapped(*args, **kwargs)
        await _guarded_async("start", managers.started(instance))
        return result

    async def stop(wrapped, instance, args, kwargs):
        if not is_instrumentation_enabled():
            return await wrapped(*args, **kwargs)
        await _guarded_async("stop", managers.stopping(instance))
        result = await wrapped(*args, **kwargs)
        guarded("stop", managers.stopped, instance)
        guarded("stop", recorder.in_flight.end_for_manager, instance)
        return result

    return {
        "enqueue": sending("enqueue", lambda producer, *call: producer.start(*call),
                           lambda producer, *ended: producer.end(*ended)),
        "enqueue_many": sending("enqueue_many", start_batch, end_batch),
        "start_job": start_job,
        "complete_job": finishing("complete_job", "completed", "result"),
        "fail_job": finishing("fail_job", "failed", "error", begin="begin_fail"),
        "cancel_job": counted("cancel_job", "cancelled"),
        "retry_job": counted("retry_job", "requeued"),
        "start": start,
        "stop": stop,
    }


def install(recorder: JobRecorder, managers: RunningManagers,
            log_bridge: LogBridge | None = None) -> list[str]:
    """Wrap every method of the table; the names wrapped, for ``uninstall``."""
    installed = []
    for name, wrapper in make_wrappers(recorder, managers, log_bridge).items():
        wrap_function_wrapper(MODULE, f"{CLASS}.{name}", wrapper)
        installed.append(name)
    return installed


def uninstall(names: list[str]) -> None:
    from uno.jobs.manager import JobManager  # noqa: PLC0415 - imported by install()

    for name in reversed(names):
        unwrap(JobManager, name)
