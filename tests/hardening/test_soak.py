"""A short soak: 20,000 jobs (one in ten failing once, then retried) through
the instrumented runtime on SDK providers that drop everything. After a
5,000-job warm-up the live Python objects (``sys.getallocatedblocks``) and the
RSS stay flat — a leak of one object per job would add 15,000 blocks — and
the plugin's in-flight state is empty after every batch.
``benchmarks/soak.py`` runs the same workload for 200,000 jobs."""

from __future__ import annotations

import logging
import unittest
from unittest import mock

from .soak import Sample, Soak

JOBS, WARM_UP = 20_000, 5_000
MAX_BLOCK_GROWTH = 1_000  # < 0.07 objects per job after warm-up
MAX_RSS_GROWTH = 4 << 20


class SoakTests(unittest.IsolatedAsyncioTestCase):
    def setUp(self) -> None:
        # pytest's capture handlers keep every record (2,000 "retrying" warnings here)
        handlers = mock.patch.object(logging.getLogger(), "handlers", [])
        handlers.start()
        self.addCleanup(handlers.stop)
        self.soak = Soak()
        self.addCleanup(self.soak.close)

    async def test_memory_is_flat_after_warm_up_and_in_flight_state_empties(self) -> None:
        warm: list[Sample] = []
        in_flight_after_batches: set[int] = set()

        def on_batch(sample: Sample) -> None:
            in_flight_after_batches.add(sample.in_flight)
            if sample.jobs == WARM_UP:
                warm.append(sample)

        [last] = await self.soak.run(JOBS, keep=False, on_batch=on_batch)
        [warmed] = warm

        self.assertEqual(last.jobs, JOBS)
        self.assertEqual(in_flight_after_batches, {0})
        recorder = self.soak.instrumentor.recorder
        self.assertEqual(len(recorder.in_flight), 0)
        self.assertEqual(recorder.in_flight._abandoned, {})
        self.assertLess(last.blocks - warmed.blocks, MAX_BLOCK_GROWTH,
                        f"{warmed.blocks} objects after {WARM_UP} jobs, {last.blocks} after {JOBS}")
        self.assertLess(last.rss_bytes - warmed.rss_bytes, MAX_RSS_GROWTH,
                        f"RSS {warmed.rss_bytes >> 20} MiB -> {last.rss_bytes >> 20} MiB")
