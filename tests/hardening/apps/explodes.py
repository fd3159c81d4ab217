"""A module that raises when imported: ``OTEL_PYTHON_UNO_JOBS_REDACT_HOOK=
tests.hardening.apps.explodes:redact`` must cost a warning, not the application."""

raise RuntimeError("this module cannot be imported")


def redact(name: str, value: object) -> object:  # never reached
    return value
