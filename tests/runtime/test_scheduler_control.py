"""What the console asks of the ``Scheduler``: list and get schedules with their
next run, disable (no runs, nothing counted missed), enable (from the next due
time after now), remove; unknown names are failures that name them."""

from __future__ import annotations

from datetime import timedelta

from uno.jobs import CronSchedule, IntervalSchedule, JobManager, Scheduler

from .support import RuntimeCase


class SchedulerControlTests(RuntimeCase):
    def scheduled_manager(self) -> JobManager:
        m = self.manager(scheduler=Scheduler(self.storage))

        @m.task()
        async def tick() -> None:
            return None

        return m

    async def test_schedules_are_listed_by_name_with_their_next_run(self) -> None:
        m = self.scheduled_manager()
        await m.scheduler.add_schedule("b-nightly", "tick", CronSchedule("0 3 * * *"))
        await m.scheduler.add_schedule("a-often", "tick", IntervalSchedule(seconds=30))
        self.assertEqual([s.name for s in m.scheduler.list_schedules()], ["a-often", "b-nightly"])
        nightly = m.scheduler.get_schedule("b-nightly")
        self.assertEqual((nightly.next_run.hour, nightly.next_run.minute), (3, 0))
        self.assertTrue(nightly.enabled)
        self.assertIsNone(m.scheduler.get_schedule("missing"))

    async def test_a_disabled_schedule_does_not_run_and_enabling_starts_from_now(self) -> None:
        m = self.scheduled_manager()
        await m.scheduler.add_schedule("often", "tick", IntervalSchedule(seconds=1))
        entry = m.scheduler.get_schedule("often")
        first_due = entry.next_run
        self.assertTrue((await m.scheduler.disable_schedule("often")).value)
        self.assertEqual(await m.scheduler.run_due(first_due + timedelta(seconds=5)), 0)
        self.assertEqual((entry.run_count, entry.missed_runs), (0, 0))
        self.assertFalse(m.scheduler.get_health_details()["schedules"]["often"]["enabled"])
        self.assertTrue((await m.scheduler.enable_schedule("often")).value)
        self.assertGreaterEqual(entry.next_run, first_due)
        self.assertEqual(await m.scheduler.run_due(entry.next_run), 1)
        self.assertEqual(entry.missed_runs, 0)

    async def test_unknown_schedules_are_failures_naming_them(self) -> None:
        m = self.scheduled_manager()
        for call in (m.scheduler.enable_schedule, m.scheduler.disable_schedule):
            result = await call("ghost")
            self.assertTrue(result.is_failure)
            self.assertIn("ghost", result.error)
        self.assertFalse((await m.scheduler.remove_schedule("ghost")).value)


class CronNeverFiresTest(RuntimeCase):
    async def test_a_cron_expression_that_names_no_date_is_a_value_error(self) -> None:
        with self.assertRaisesRegex(ValueError, "never fires"):
            CronSchedule("0 0 31 2 *")
