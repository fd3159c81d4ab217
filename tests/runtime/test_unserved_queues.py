"""A started manager whose workers serve none of the queues a registered task
uses says so once, naming the task and the queue; ``AsyncWorker()`` keeps its
contract default; ``load_app`` finds the app's own manager."""

from __future__ import annotations

import logging
import sys
import types

from uno.jobs import AsyncWorker, InMemoryJobStorage, JobManager
from uno.jobs.worker_app import declared_queues, load_app

from .support import RuntimeCase, fast_worker


class UnservedQueueWarningTests(RuntimeCase):
    async def test_one_warning_names_the_task_and_its_queue(self) -> None:
        m = self.manager(workers=[fast_worker(queues=["default"])])
        m.register_task("send", lambda: None, queue="emails")
        m.register_task("tick", lambda: None)
        with self.assertLogs("uno.jobs", level="WARNING") as logs:
            await m.start()
        self.assertEqual(len(logs.records), 1, logs.output)
        self.assertIn("task 'send' uses queue 'emails'", logs.output[0])

    async def test_no_warning_when_every_queue_is_served_or_for_a_producer(self) -> None:
        served = self.manager(workers=[fast_worker(queues=["emails", "default"])])
        served.register_task("send", lambda: None, queue="emails")
        producer = self.manager()
        producer.register_task("send", lambda: None, queue="emails")
        with self.assertNoLogs("uno.jobs", level="WARNING"):
            await served.start()
            await producer.start()

    def test_async_worker_without_queues_serves_default(self) -> None:
        self.assertEqual(AsyncWorker().queues, ["default"])


class LoadAppTests(RuntimeCase):
    def module(self, name: str, **values: object) -> str:
        module = types.ModuleType(name)
        vars(module).update(values)
        sys.modules[name] = module
        self.addCleanup(sys.modules.pop, name, None)
        return name

    def test_the_apps_own_manager_is_returned_as_configured(self) -> None:
        manager = JobManager(InMemoryJobStorage(), logger=logging.getLogger("app.jobs"))
        manager.register_task("send", lambda: None, queue="emails")
        self.assertIs(load_app(self.module("app_one", manager=manager)), manager)
        self.assertEqual(declared_queues(manager), ["emails"])

    def test_several_managers_need_a_name(self) -> None:
        first, second = JobManager(InMemoryJobStorage()), JobManager(InMemoryJobStorage())
        first.register_task("a", lambda: None)
        name = self.module("app_two", first=first, second=second)
        with self.assertRaisesRegex(ValueError, "several JobManagers .first, second.: name one "
                                                "with --app app_two:NAME"):
            load_app(name)
        self.assertIs(load_app(f"{name}:first"), first)
        with self.assertRaisesRegex(ValueError, "'app_two:nope' is not a JobManager"):
            load_app(f"{name}:nope")
