"""``Scheduler``: interval and cron schedules create jobs on time, missed runs
are counted, two schedulers on one store enqueue each run once, health details."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from uno.jobs import CronSchedule, IntervalSchedule, JobManager, JobStatus, Scheduler

from .support import RuntimeCase, eventually, fast_worker

NOON = datetime(2030, 1, 2, 12, 7, 30, tzinfo=UTC)


class ScheduleTests(RuntimeCase):
    def test_interval_schedule_ticks_on_a_grid_shared_by_every_process(self) -> None:
        schedule = IntervalSchedule(seconds=30, minutes=1, hours=1)
        self.assertEqual(schedule.interval, timedelta(hours=1, minutes=1, seconds=30))
        five = IntervalSchedule(minutes=5)
        self.assertEqual(five.next_after(NOON), NOON.replace(minute=10, second=0))
        self.assertEqual(five.next_after(NOON.replace(minute=10, second=0)),
                         NOON.replace(minute=15, second=0))
        fast = IntervalSchedule(seconds=0.2)
        now = datetime.now(UTC)
        tick = fast.next_after(now)
        self.assertTrue(timedelta(0) < tick - now <= timedelta(seconds=0.2))
        later = [fast.next_after(tick + timedelta(seconds=s)) for s in (0, 0.01, 0.199999)]
        self.assertEqual(later, [tick + timedelta(seconds=0.2)] * 3,
                         "moments in one interval share the next tick")

    def test_interval_schedule_rejects_empty_or_negative_intervals(self) -> None:
        for options in ({}, {"seconds": 0}, {"seconds": -1}, {"minutes": "5"},
                        {"hours": True}):
            with self.subTest(options), self.assertRaisesRegex(ValueError, "IntervalSchedule"):
                IntervalSchedule(**options)

    def test_cron_schedule_validates_expression(self) -> None:
        for bad in ("", "* * * *", "61 * * * *", "every minute", None):
            with self.subTest(bad), self.assertRaisesRegex(ValueError, "invalid cron expression"):
                CronSchedule(bad)

    def test_cron_schedule_next_time_is_utc(self) -> None:
        quarter = CronSchedule("*/15 * * * *")
        self.assertEqual(quarter.next_after(NOON), NOON.replace(minute=15, second=0))
        nightly = CronSchedule("0 3 * * *").next_after(NOON)
        self.assertEqual(nightly, datetime(2030, 1, 3, 3, 0, tzinfo=UTC))
        self.assertEqual(nightly.utcoffset(), timedelta(0))
        on_the_dot = NOON.replace(minute=15, second=0)
        self.assertEqual(quarter.next_after(on_the_dot), on_the_dot + timedelta(minutes=15))


class SchedulerTests(RuntimeCase):
    def scheduled_manager(self, *, workers=None, storage=None) -> JobManager:
        storage = storage or self.storage
        m = self.manager(workers=workers, storage=storage, scheduler=Scheduler(storage))

        @m.task()
        async def tick(label: str = "") -> str:
            return label

        return m

    async def test_interval_schedule_creates_jobs_on_time(self) -> None:
        m = self.scheduled_manager(workers=[fast_worker()])
        added = await m.scheduler.add_schedule("ticker", "tick", IntervalSchedule(seconds=0.2),
                                               args=["hi"])
        self.assertEqual(added.value, "ticker")
        async with m:
            await asyncio.sleep(1.1)
        completed = (await m.get_completed_jobs()).value
        # stop() ends the scheduler, then the workers: a run enqueued at the very
        # end may still wait, so the schedule's count is of every job it stored
        jobs = completed + (await m.get_pending_jobs()).value
        self.assertTrue(3 <= len(completed) <= len(jobs) <= 7,
                        f"{len(completed)} of {len(jobs)} runs done in 1.1 s at 0.2 s intervals")
        self.assertLessEqual(len(jobs) - len(completed), 1, "only the last run may wait")
        self.assertEqual(m.scheduler.schedules["ticker"].run_count, len(jobs))
        dues = []
        for job in sorted(jobs, key=lambda job: job.created_at):
            prefix, _, due = job.id.rpartition(":ticker:")
            self.assertEqual(prefix, "schedule", job.id)
            dues.append(datetime.fromisoformat(due))
            self.assertGreaterEqual(job.created_at, dues[-1], "enqueued before it was due")
            self.assertEqual(job.metadata, {"schedule": "ticker"})
            if job.status is JobStatus.COMPLETED:
                self.assertEqual(job.result, "hi")
        steps = [(b - a) / timedelta(seconds=0.2) for a, b in zip(dues, dues[1:], strict=False)]
        self.assertTrue(all(step >= 1 and step == int(step) for step in steps), steps)

    async def test_schedule_can_target_another_queue(self) -> None:
        m = self.scheduled_manager()
        await m.scheduler.add_schedule("q", "tick", IntervalSchedule(seconds=1),
                                       queue_name="reports")
        entry = m.scheduler.schedules["q"]
        self.assertEqual(await m.scheduler.run_due(entry.next_run), 1)
        self.assertEqual([j.queue_name for j in (await m.get_pending_jobs()).value], ["reports"])

    async def test_missed_runs_are_counted_and_only_the_latest_is_enqueued(self) -> None:
        m = self.scheduled_manager()
        await m.scheduler.add_schedule("every-second", "tick", IntervalSchedule(seconds=1))
        entry = m.scheduler.schedules["every-second"]
        first_due = entry.next_run
        late = first_due + timedelta(seconds=4.5)  # due at +0, +1, +2, +3, +4
        self.assertEqual(await m.scheduler.run_due(late), 1)
        self.assertEqual((entry.run_count, entry.missed_runs), (1, 4))
        self.assertEqual(entry.next_run, first_due + timedelta(seconds=5))
        self.assertAlmostEqual(entry.last_lag, 0.5, places=3)
        pending = (await m.get_pending_jobs()).value
        latest = (first_due + timedelta(seconds=4)).isoformat()
        self.assertEqual([j.id for j in pending], [f"schedule:every-second:{latest}"])
        self.assertEqual(await m.scheduler.run_due(late), 0)  # nothing due again yet

    async def test_two_schedulers_on_one_store_enqueue_each_run_once(self) -> None:
        first = self.scheduled_manager()
        second = self.scheduled_manager(storage=self.new_storage())
        for name, schedule in (("interval", lambda: IntervalSchedule(seconds=10)),
                               ("cron", lambda: CronSchedule("* * * * *"))):
            await first.scheduler.add_schedule(name, "tick", schedule())
            await asyncio.sleep(0.05)  # the second process starts a little later
            await second.scheduler.add_schedule(name, "tick", schedule())
        later = datetime.now(UTC) + timedelta(minutes=1, seconds=5)
        self.assertEqual(await first.scheduler.run_due(later), 2)
        self.assertEqual(await second.scheduler.run_due(later), 0)
        pending = (await first.get_pending_jobs()).value
        self.assertEqual(sorted(j.metadata["schedule"] for j in pending), ["cron", "interval"])
        details = second.scheduler.get_health_details()["schedules"]
        self.assertEqual([details[name]["run_count"] for name in ("interval", "cron")], [0, 0])
        self.assertEqual([details[name]["last_error"] for name in ("interval", "cron")],
                         [None, None], "a run another scheduler enqueued is not an error")

    async def test_two_running_schedulers_on_one_store_do_not_double_runs(self) -> None:
        first = self.scheduled_manager(workers=[fast_worker()])
        second = self.scheduled_manager(storage=self.new_storage())
        await first.scheduler.add_schedule("shared", "tick", IntervalSchedule(seconds=0.2))
        await asyncio.sleep(0.07)
        await second.scheduler.add_schedule("shared", "tick", IntervalSchedule(seconds=0.2))
        async with first, second:
            await asyncio.sleep(1.1)
        runs = [s.scheduler.schedules["shared"].run_count for s in (first, second)]
        stored = await self.storage.count_by_queue_and_status()
        total = sum(stored.values())
        self.assertEqual(sum(runs), total)
        self.assertTrue(3 <= total <= 7, f"{total} jobs from two schedulers of one 0.2 s "
                                         f"schedule over 1.1 s ({runs})")

    async def test_add_schedule_rejects_unknown_task_and_bad_schedule(self) -> None:
        m = self.scheduled_manager()
        unknown = await m.scheduler.add_schedule("x", "nope", IntervalSchedule(seconds=1))
        self.assertIn("unknown task 'nope'", unknown.error)
        bad = await m.scheduler.add_schedule("x", "tick", "*/5 * * * *")
        self.assertIn("schedule must be an IntervalSchedule or CronSchedule", bad.error)
        nameless = await m.scheduler.add_schedule("", "tick", IntervalSchedule(seconds=1))
        self.assertIn("schedule name must be a non-empty string", nameless.error)
        self.assertEqual(m.scheduler.schedules, {})
        self.assertTrue((await m.scheduler.remove_schedule("x")).is_success)

    async def test_health_details_and_state(self) -> None:
        m = self.scheduled_manager()
        scheduler = m.scheduler
        await scheduler.add_schedule("nightly", "tick", CronSchedule("0 3 * * *"))
        self.assertFalse(scheduler.running or scheduler.is_healthy())
        async with m:
            self.assertTrue(scheduler.running)
            self.assertTrue(scheduler.is_healthy())
            details = scheduler.get_health_details()
        self.assertEqual((details["running"], details["healthy"]), (True, True))
        self.assertIsNotNone(details["last_tick"])
        nightly = details["schedules"]["nightly"]
        self.assertEqual(nightly["task_name"], "tick")
        self.assertEqual(nightly["schedule"], "CronSchedule('0 3 * * *')")
        self.assertEqual((nightly["run_count"], nightly["missed_runs"]), (0, 0))
        next_run = datetime.fromisoformat(nightly["next_run"])
        self.assertEqual((next_run.hour, next_run.minute, next_run.utcoffset()),
                         (3, 0, timedelta(0)))
        self.assertFalse(scheduler.running or scheduler.is_healthy())

    async def test_scheduler_without_a_manager_cannot_start(self) -> None:
        with self.assertRaisesRegex(RuntimeError, "Scheduler needs a JobManager"):
            await Scheduler(self.storage).start()

    async def test_scheduled_jobs_run_on_workers(self) -> None:
        m = self.scheduled_manager(workers=[fast_worker()])
        await m.scheduler.add_schedule("soon", "tick", IntervalSchedule(seconds=0.1),
                                       kwargs={"label": "ran"})
        async with m:

            async def completed_run() -> bool:
                return bool((await m.get_completed_jobs()).value)

            await eventually(completed_run, what="a completed scheduled run")
            job = (await m.get_completed_jobs()).value[0]
        self.assertTrue(job.id.startswith("schedule:soon:"))
        self.assertEqual((job.status, job.result), (JobStatus.COMPLETED, "ran"))


class SQLiteSchedulerTests(SchedulerTests):
    storage_kind = "sqlite"


class PostgresSchedulerTests(SchedulerTests):
    storage_kind = "postgres"


class RedisSchedulerTests(SchedulerTests):
    storage_kind = "redis"
