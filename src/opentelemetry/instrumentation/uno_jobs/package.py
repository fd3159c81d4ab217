"""What the instrumentation instruments: the ``uno.jobs`` runtime, shipped in
the ``uno-jobs-otel`` distribution."""

_instruments = ("uno-jobs-otel >= 0.1",)
