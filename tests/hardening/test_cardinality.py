"""Metric attributes are bounded: no job ids, no free-form error messages.
10,000 jobs with distinct ids (half of them failing, each with a distinct
message) leave exactly the metric streams that 10 such jobs left — in the
default mode and with the messaging semantic-convention metrics opted in."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any
from unittest import mock

from plugin.support import PluginCase, fast_worker
from uno.jobs import JobManager

JOBS = 10_000
Stream = tuple[str, tuple[tuple[str, Any], ...]]


class CardinalityTests(PluginCase):
    instrument_options = {"collection_interval": 0.05, "health_check_interval": 0.05}
    semconv_opt_in = ""
    expected_metrics = {"uno_jobs.job_completed", "uno_jobs.job_failed", "uno_jobs.queue_length"}

    def setUp(self) -> None:
        patch = mock.patch.dict(os.environ, {"OTEL_SEMCONV_STABILITY_OPT_IN": self.semconv_opt_in})
        patch.start()
        self.addCleanup(patch.stop)
        super().setUp()

    async def asyncSetUp(self) -> None:
        asyncio.get_running_loop().set_debug(False)  # IsolatedAsyncioTestCase's: 3x slower
        # unittest keeps finished test cases: do not keep 20,000 spans for the session
        self.addCleanup(self.memory_exporter.clear)

    def streams(self) -> set[Stream]:
        """(metric name, attributes) of every data point of one collection."""
        return {(name, attributes) for name, points in self.points().items()
                for attributes in points}

    async def run_batch(self, manager: JobManager, first: int, count: int) -> None:
        ids = []
        for n in range(first, first + count):
            result = await manager.enqueue("ok" if n % 2 else "broken", args=[n],
                                           job_id=f"order-{n:05d}")
            ids.append(result.value)
        for job_id in ids:
            await manager.wait_for_job(job_id, timeout=60)
        await asyncio.sleep(0.25)  # several gauge and health refreshes

    async def test_metric_streams_do_not_grow_with_job_ids_or_error_messages(self) -> None:
        quiet = logging.getLogger("hardening.cardinality")  # 5,000 failure records: not here
        quiet.propagate, quiet.disabled = False, True
        manager = self.manager(workers=[fast_worker(name="w1", concurrency=50)], logger=quiet)

        @manager.task(max_retries=0)
        async def ok(n: int) -> int:
            return n

        @manager.task(max_retries=0)
        async def broken(n: int) -> None:
            raise ValueError(f"order {n} rejected for customer #{n * 7919}")

        await manager.start()
        await self.run_batch(manager, 0, 10)
        after_ten = self.streams()
        await self.run_batch(manager, 10, JOBS)
        after_all = self.streams()

        self.assertEqual(after_all, after_ten)
        values = {str(value) for _name, attributes in after_all for _key, value in attributes}
        self.assertFalse({v for v in values if "order" in v or "customer" in v}, values)
        names = {name for name, _attributes in after_all}
        self.assertLessEqual(self.expected_metrics, names)


class MessagingCardinalityTests(CardinalityTests):
    semconv_opt_in = "messaging/dup"
    expected_metrics = {"messaging.process.duration", "messaging.client.sent.messages",
                        "uno_jobs.job_failed"}
