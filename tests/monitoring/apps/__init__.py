"""Programs the monitoring tests run in subprocesses."""
