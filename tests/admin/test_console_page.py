"""The console page in a real headless Chromium against a real uvicorn server:
it renders the counts the store holds, a failed job's row links to its trace,
clicking retry moves that job to pending (actions on) and there is no retry
button with actions off; a cross-site form cannot forge an action."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path
from typing import Any, ClassVar

import httpx
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from .browser import ARTIFACTS, chromium, serve
from .support import REMOTE_WORKER, TRACE_ID, TRACE_URL, console_app, make_manager


class ConsolePageCase(unittest.TestCase):
    store = "memory"
    options: ClassVar[dict[str, Any]] = {}

    def setUp(self) -> None:
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        self.manager = make_manager(self.store, Path(directory.name))
        self.app = console_app(self.manager, seeded=True, trace_url=TRACE_URL, **self.options)
        self.base_url = self.enter(serve(self.app))
        self.browser = self.enter(chromium())
        self.page = self.browser.new_page(viewport={"width": 1400, "height": 900})
        self.seeded = self.app.state.seeded

    def enter(self, context: Any) -> Any:
        value = context.__enter__()
        self.addCleanup(context.__exit__, None, None, None)
        return value

    def open_console(self) -> None:
        self.page.goto(f"{self.base_url}/jobs/ui?refresh=0")

    def cell(self, queue: str, status: str) -> str:
        return self.page.locator(f'tr[data-queue="{queue}"] td[data-status="{status}"]'
                                 ).inner_text()

    def api_status(self, job_id: str) -> str:
        return httpx.get(f"{self.base_url}/jobs/jobs/{job_id}").json()["status"]

    def failed_row(self) -> Any:
        return self.page.locator(f'#failures tr[data-job-id="{self.seeded.failed_id}"]')


class ActionsOnPageTest(ConsolePageCase):
    options: ClassVar[dict[str, Any]] = {"actions": True}

    def test_counts_trace_link_and_retry(self) -> None:
        self.open_console()
        self.assertEqual([self.cell("emails", s) for s in ("pending", "completed", "failed")],
                         ["3", "1", "1"])
        self.assertEqual(self.cell("reports", "running"), "1")
        self.assertIn(REMOTE_WORKER, self.page.locator("#workers").inner_text())
        self.assertIn("nightly", self.page.locator("#schedules").inner_text())
        row = self.failed_row()
        self.assertIn("smtp.example.com refused", row.inner_text())
        self.assertEqual(row.locator("a.trace").get_attribute("href"),
                         TRACE_URL.replace("{trace_id}", TRACE_ID))
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"console-{self.store}.png"), full_page=True)

        row.locator("button.retry").click()
        self.page.locator("#failures .empty").wait_for()  # the page reloaded without it
        self.assertEqual(self.api_status(self.seeded.failed_id), "pending")
        self.assertEqual(self.cell("emails", "pending"), "4")
        self.assertEqual(self.cell("emails", "failed"), "0")

    def test_job_page_shows_attempts_and_error(self) -> None:
        self.open_console()
        self.failed_row().locator("a.job").click()
        self.page.wait_for_url(f"**/jobs/ui/jobs/{self.seeded.failed_id}**")
        details = self.page.locator("#job").inner_text()
        self.assertIn("1 of 1", self.page.locator("dd.attempts").inner_text())
        self.assertIn("ConnectionError: smtp.example.com refused the connection", details)
        self.assertEqual(self.page.locator("#job a.trace").get_attribute("href"),
                         TRACE_URL.replace("{trace_id}", TRACE_ID))
        self.page.screenshot(path=str(ARTIFACTS / f"console-job-{self.store}.png"),
                             full_page=True)

    def test_a_cross_site_form_cannot_retry(self) -> None:
        target = f"{self.base_url}/jobs/jobs/{self.seeded.failed_id}/retry"
        evil = FastAPI()

        @evil.get("/")
        def attack() -> HTMLResponse:
            return HTMLResponse(f'<form id="f" method="post" action="{target}"></form>'
                                '<script>document.getElementById("f").submit()</script>')

        with serve(evil) as evil_url:
            self.page.goto(evil_url)
            self.page.wait_for_url(target)
            self.assertIn("cross-origin request refused", self.page.content())
        self.assertEqual(self.api_status(self.seeded.failed_id), "failed")

    def test_the_page_refreshes_itself(self) -> None:
        self.page.goto(f"{self.base_url}/jobs/ui")
        refresh = self.page.locator('meta[http-equiv="refresh"]').get_attribute("content")
        self.assertEqual(refresh, "5")


class SQLiteActionsOnPageTest(ActionsOnPageTest):
    store = "sqlite"


class ActionsOffPageTest(ConsolePageCase):
    def test_no_action_buttons(self) -> None:
        self.open_console()
        self.assertEqual(self.cell("emails", "failed"), "1")
        self.assertEqual(self.failed_row().locator("a.trace").get_attribute("href"),
                         TRACE_URL.replace("{trace_id}", TRACE_ID))
        self.assertEqual(self.page.locator("button[data-action]").count(), 0)
        self.assertEqual(self.failed_row().locator("button.retry").count(), 0)
        self.assertIn("actions off", self.page.locator("header").inner_text())


if __name__ == "__main__":
    unittest.main()
