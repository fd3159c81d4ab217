"""Tests of the uno.jobs runtime (GitHub issue #2)."""
