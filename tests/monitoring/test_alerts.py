"""AlertManager: sync and async conditions, "for" durations, firing once until
resolved, log records, the alerts gauge, callbacks, and conditions that raise."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from datetime import timedelta

from uno.core.monitoring.alerts import Alert, AlertManager

from .support import MonitoringCase, eventually, gauge_points, key


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class AlertTests(MonitoringCase):
    async def asyncSetUp(self) -> None:
        await super().asyncSetUp()
        self.clock = FakeClock()
        self.alerts = AlertManager(metrics=self.metrics, clock=self.clock)
        self.later(self.alerts.stop_monitoring)
        self.holds = False

    def condition(self) -> bool:
        return self.holds

    def gauge(self) -> dict:
        return gauge_points(self.reader, "uno_jobs.alerts")

    async def test_a_sync_condition_fires_and_resolves(self) -> None:
        self.alerts.add_alert("backlog", self.condition, "queue backlog", "error")
        self.assertEqual(self.gauge(), {key(alert="backlog", severity="error"): 0})
        self.assertEqual(await self.alerts.evaluate(), {})
        self.holds = True
        with self.assertLogs("uno.jobs.alerts", logging.ERROR) as logs:
            active = await self.alerts.evaluate()
        self.assertEqual(list(active), ["backlog"])
        self.assertIsInstance(active["backlog"], Alert)
        record = logs.records[0]
        self.assertEqual((record.alert_name, record.alert_severity, record.alert_state),
                         ("backlog", "error", "firing"))
        self.assertIn("queue backlog", record.getMessage())
        self.assertEqual(self.gauge(), {key(alert="backlog", severity="error"): 1})

        self.holds = False
        with self.assertLogs("uno.jobs.alerts", logging.INFO) as logs:
            await self.alerts.evaluate()
        self.assertEqual(logs.records[0].levelno, logging.INFO)
        self.assertEqual(logs.records[0].alert_state, "resolved")
        self.assertEqual(self.alerts.active_alerts, {})
        self.assertEqual(self.gauge(), {key(alert="backlog", severity="error"): 0})

    async def test_an_async_condition(self) -> None:
        async def unhealthy() -> bool:
            await asyncio.sleep(0)
            return True

        self.alerts.add_alert("async", unhealthy, "async condition", severity="warning")
        with self.assertLogs("uno.jobs.alerts", logging.WARNING):
            await self.alerts.evaluate()
        self.assertIn("async", self.alerts.active_alerts)

    async def test_a_condition_returning_an_awaitable_from_a_lambda(self) -> None:
        async def check() -> bool:
            return True

        self.alerts.add_alert("lambda", lambda: check(), "lambda", "info")
        with self.assertLogs("uno.jobs.alerts", logging.INFO):
            await self.alerts.evaluate()
        self.assertIn("lambda", self.alerts.active_alerts)

    async def test_fires_once_until_resolved(self) -> None:
        fired: list[str] = []
        self.alerts.add_alert("once", self.condition, "m", "critical",
                              on_fire=lambda alert: fired.append(alert.name))
        self.holds = True
        with self.assertLogs("uno.jobs.alerts", logging.DEBUG) as logs:
            for _ in range(4):
                await self.alerts.evaluate()
        self.assertEqual(len(logs.records), 1)
        self.assertEqual(logs.records[0].levelno, logging.CRITICAL)
        self.assertEqual(fired, ["once"])
        self.holds = False
        await self.alerts.evaluate()
        self.holds = True
        await self.alerts.evaluate()
        self.assertEqual(fired, ["once", "once"])

    async def test_for_duration_delays_firing(self) -> None:
        self.alerts.add_alert("slow", self.condition, "m", for_duration=timedelta(minutes=2))
        self.holds = True
        await self.alerts.evaluate()
        self.clock.now += 119
        await self.alerts.evaluate()
        self.assertEqual(self.alerts.active_alerts, {})
        self.clock.now += 1
        await self.alerts.evaluate()
        self.assertIn("slow", self.alerts.active_alerts)

    async def test_a_break_in_the_condition_restarts_the_for_duration(self) -> None:
        self.alerts.add_alert("slow", self.condition, "m", for_duration=timedelta(seconds=60))
        self.holds = True
        await self.alerts.evaluate()
        self.clock.now += 50
        self.holds = False
        await self.alerts.evaluate()
        self.holds = True
        await self.alerts.evaluate()
        self.clock.now += 50
        await self.alerts.evaluate()
        self.assertEqual(self.alerts.active_alerts, {})

    async def test_a_raising_condition_is_logged_not_fatal_and_does_not_fire(self) -> None:
        def broken() -> bool:
            raise ZeroDivisionError("bad maths")

        self.alerts.add_alert("broken", broken, "m", "critical")
        self.alerts.add_alert("fine", lambda: True, "m")
        with self.assertLogs("uno.jobs.alerts", logging.WARNING) as logs:
            active = await self.alerts.evaluate()
        self.assertEqual(list(active), ["fine"])
        error = [r for r in logs.records if r.alert_name == "broken"][0]
        self.assertEqual(error.alert_state, "error")
        self.assertIn("bad maths", error.getMessage())
        self.assertIn("ZeroDivisionError", self.alerts.alerts["broken"].last_error)

    async def test_a_firing_alert_keeps_firing_while_its_condition_raises(self) -> None:
        state = {"value": True}

        def flaky() -> bool:
            if state["value"] is None:
                raise ConnectionError("metrics store down")
            return state["value"]

        self.alerts.add_alert("flaky", flaky, "m")
        with self.assertLogs("uno.jobs.alerts"):
            await self.alerts.evaluate()
            state["value"] = None
            await self.alerts.evaluate()
        self.assertIn("flaky", self.alerts.active_alerts)

    async def test_callbacks_sync_async_and_raising(self) -> None:
        events: list[tuple[str, bool]] = []

        async def async_callback(alert: Alert) -> None:
            events.append(("async", alert.firing))

        def raising(alert: Alert) -> None:
            raise RuntimeError("pager offline")

        self.alerts.add_alert("a", self.condition, "m", on_fire=[raising, async_callback],
                              on_resolve=lambda alert: events.append(("resolve", alert.firing)))
        self.alerts.add_callback(lambda alert: events.append(("any", alert.firing)))
        self.holds = True
        with self.assertLogs("uno.jobs.alerts", logging.ERROR) as logs:
            await self.alerts.evaluate()
        self.assertTrue(any("pager offline" in line for line in logs.output))
        self.holds = False
        await self.alerts.evaluate()
        self.assertEqual(events, [("async", True), ("any", True), ("resolve", False),
                                  ("any", False)])

    async def test_start_monitoring_evaluates_at_once_then_on_the_interval(self) -> None:
        calls: list[int] = []
        self.alerts.add_alert("count", lambda: calls.append(1) and False, "m")
        await self.alerts.start_monitoring(interval=timedelta(seconds=0.02))
        self.assertEqual(len(calls), 1)
        await eventually(lambda: len(calls) >= 3, what="periodic evaluations")
        await self.alerts.stop_monitoring()
        await self.alerts.stop_monitoring()
        seen = len(calls)
        await asyncio.sleep(0.06)
        self.assertEqual(len(calls), seen)

    async def test_contract_positional_signature_and_validation(self) -> None:
        alert = self.alerts.add_alert("p", lambda: False, "message", "critical")
        self.assertEqual((alert.name, alert.message, alert.severity), ("p", "message", "critical"))
        with self.assertRaises(ValueError):
            self.alerts.add_alert("p", lambda: False, "again")
        with self.assertRaises(ValueError):
            self.alerts.add_alert("q", lambda: False, "m", severity="apocalyptic")
        self.assertTrue(self.alerts.remove_alert("p"))
        self.assertFalse(self.alerts.remove_alert("p"))

    def test_alert_manager_alone_finds_the_job_metrics_default(self) -> None:
        code = ("from uno.core.monitoring.alerts import AlertManager\n"
                "alerts = AlertManager()\n"
                "alerts.add_alert('x', lambda: False, 'm')\n"
                "print(type(alerts.metrics).__name__)")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             timeout=60, check=True).stdout
        self.assertEqual(out.strip(), "JobMetrics")

    async def test_default_metrics_are_the_process_default(self) -> None:
        manager = AlertManager()
        manager.add_alert("x", lambda: False, "m")
        self.assertIs(manager.metrics, self.metrics)
        self.assertEqual(self.gauge(), {key(alert="x", severity="warning"): 0})
