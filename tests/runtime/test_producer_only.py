"""A manager that is never started is a producer: it enqueues into SQLite, a
second manager (its own connection, with workers) runs the jobs, and the
producer's ``wait_for_job``, queries, cancel and retry see the same store."""

from __future__ import annotations

from uno.jobs import JobStatus

from .support import RuntimeCase, fast_worker, status_of


def _never_here(*args: object) -> None:
    raise AssertionError("the producer ran a job")


class ProducerOnlyTests(RuntimeCase):
    storage_kind = "sqlite"

    async def asyncSetUp(self) -> None:
        await super().asyncSetUp()
        self.producer = self.manager()
        self.producer.register_task("double", _never_here)
        self.producer.register_task("shaky", _never_here, max_retries=0)  # the job carries it
        self.attempts = 0
        self.consumer = self.manager(storage=self.new_storage(), workers=[fast_worker()])
        self.consumer.register_task("double", lambda n: n * 2)
        self.consumer.register_task("shaky", self._shaky, max_retries=0)

    def _shaky(self) -> str:
        self.attempts += 1
        if self.attempts == 1:
            raise ConnectionError("first attempt drops")
        return "second attempt works"

    async def test_producer_enqueues_and_sees_completion_of_a_job_run_elsewhere(self) -> None:
        self.assertIsNot(self.producer.storage, self.consumer.storage)
        job_id = await self.enqueue_ok(self.producer, "double", args=[21])
        async with self.consumer:
            job = await self.producer.wait_for_job(job_id, timeout=5)
        self.assertFalse(self.producer.running)
        self.assertEqual((job.status, job.result), (JobStatus.COMPLETED, 42))
        self.assertEqual(job.worker_id, self.consumer.workers[0].name)
        completed = (await self.producer.get_completed_jobs()).value
        self.assertEqual([j.id for j in completed], [job_id])

    async def test_producer_queries_and_cancels_before_a_worker_exists(self) -> None:
        keep = await self.enqueue_ok(self.producer, "double", args=[1])
        drop = await self.enqueue_ok(self.producer, "double", args=[2])
        self.assertEqual((await self.producer.get_queue_length("default")).value, 2)
        self.assertTrue((await self.producer.cancel_job(drop)).is_success)
        self.assertEqual((await self.producer.get_queue_names()).value, {"default"})
        async with self.consumer:
            await self.producer.wait_for_job(keep, timeout=5)
        self.assertEqual(await status_of(self.consumer, drop), JobStatus.CANCELLED)
        self.assertEqual((await self.job(self.producer, keep)).result, 2)

    async def test_producer_retries_a_job_that_failed_in_the_worker(self) -> None:
        job_id = await self.enqueue_ok(self.producer, "shaky")
        async with self.consumer:
            failed = await self.producer.wait_for_job(job_id, timeout=5)
            self.assertEqual((failed.status, failed.error),
                             (JobStatus.FAILED, "ConnectionError: first attempt drops"))
            self.assertEqual([j.id for j in (await self.producer.get_failed_jobs()).value],
                             [job_id])
            self.assertTrue((await self.producer.retry_job(job_id)).is_success)
            job = await self.producer.wait_for_job(job_id, timeout=5)
        self.assertEqual((job.status, job.result, self.attempts),
                         (JobStatus.COMPLETED, "second attempt works", 2))

    async def test_producer_pauses_a_queue_the_worker_then_skips(self) -> None:
        self.assertTrue((await self.producer.pause_queue("default")).is_success)
        job_id = await self.enqueue_ok(self.producer, "double", args=[5])
        async with self.consumer:
            with self.assertRaises(TimeoutError):
                await self.producer.wait_for_job(job_id, timeout=0.3)
            await self.producer.resume_queue("default")
            job = await self.producer.wait_for_job(job_id, timeout=5)
        self.assertEqual(job.result, 10)
