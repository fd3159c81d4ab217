"""Errors the runtime raises or records on jobs."""


class JobError(Exception):
    """Base class of the runtime's own errors."""


class UnknownTaskError(JobError):
    """No handler is registered under the job's task name (never retried)."""


class JobTimeoutError(JobError, TimeoutError):
    """The handler ran longer than the job's timeout (ends the job as TIMEOUT)."""


class JobStalledError(JobError):
    """A running job sent no heartbeat for ``stall_timeout``: its worker is gone."""


class JobDecodeError(JobError):
    """A stored job could not be decoded (never retried)."""


class JobInterruptedError(JobError):
    """The handler was interrupted (cancelled, or raised SystemExit/KeyboardInterrupt)."""


NON_RETRYABLE: tuple[type[BaseException], ...] = (UnknownTaskError, JobDecodeError)


class ResultNotStorableError(JobError, ValueError):
    """The handler's result cannot be stored (for example not JSON-serialisable)."""


NON_RETRYABLE = (*NON_RETRYABLE, ResultNotStorableError)


class StorageError(RuntimeError):
    """A store could not do what was asked; the message names the store
    (its ``describe()``) and the cause."""


class StorageUnavailableError(StorageError):
    """The store cannot be reached or opened now (connection refused or lost,
    file cannot be opened). Lifecycle writes that hit it may be retried."""
