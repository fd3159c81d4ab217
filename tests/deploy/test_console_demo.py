"""examples/console_demo.py as written: its workers run the burst of jobs and
the console shows the failures, the paused queue, both workers and schedules."""

from __future__ import annotations

import importlib.util
import time
import unittest

from fastapi.testclient import TestClient

from .support import EXAMPLES


class ConsoleDemoTest(unittest.TestCase):
    def test_console_shows_the_demo_traffic(self) -> None:
        spec = importlib.util.spec_from_file_location("console_demo", EXAMPLES / "console_demo.py")
        demo = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(demo)
        with TestClient(demo.app) as client:
            deadline = time.monotonic() + 15
            while (len(client.get("/jobs/jobs?status=failed").json()) < 3
                   or not client.get("/jobs/queues/reports").json()["paused"]):
                self.assertLess(time.monotonic(), deadline, client.get("/jobs/queues").text)
                time.sleep(0.05)
            self.assertEqual({w["name"] for w in client.get("/jobs/workers").json()},
                             {"mailer-1", "batch-1"})
            page = client.get("/jobs/ui").text
            for text in ("550 mailbox unavailable", "nightly-report", "batch-1", "resume"):
                self.assertIn(text, page)
