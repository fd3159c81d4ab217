"""Every admin route through real HTTP (TestClient), on the in-memory and the
SQLite store: what it answers for a store with known contents, and a 4xx with
a JSON detail for bad input — never a 500."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from uno.jobs.job import JobStatus

from .support import REMOTE_WORKER, TRACE_ID, TRACE_URL, console_app, make_manager, seed


class ConsoleApiCase(unittest.TestCase):
    store = "memory"
    options: dict[str, Any] = {"trace_url": TRACE_URL}

    def setUp(self) -> None:
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        self.manager = make_manager(self.store, Path(directory.name))
        self.client = TestClient(console_app(self.manager, **self.options))
        self.client.__enter__()
        self.addCleanup(self.client.__exit__, None, None, None)
        self.seeded = self.client.portal.call(seed, self.manager)

    def get(self, url: str, status: int = 200) -> Any:
        response = self.client.get(url)
        self.assertEqual(response.status_code, status, response.text)
        return response.json()

    def post(self, url: str, status: int = 200, **kwargs: Any) -> Any:
        response = self.client.post(url, **kwargs)
        self.assertEqual(response.status_code, status, response.text)
        return response.json()

    def stored_status(self, job_id: str) -> str:
        return self.get(f"/jobs/jobs/{job_id}")["status"]


class ReadRoutes:
    """The read-only routes; mixed into one TestCase per store."""

    def test_info_counts_what_the_store_holds(self: Any) -> None:
        info = self.get("/jobs/info")
        self.assertEqual((info["total_jobs"], info["queue_count"], info["schedule_count"]),
                         (6, 2, 2))
        self.assertEqual(info["jobs_by_status"]["pending"], 3)
        self.assertEqual(info["worker_count"], 2)  # the local worker and the remote holder
        self.assertFalse(info["actions_enabled"])

    def test_queue_shows_counts_by_status_and_the_oldest_wait(self: Any) -> None:
        emails = self.get("/jobs/queues/emails")
        self.assertEqual({k: v for k, v in emails["by_status"].items() if v},
                         {"pending": 3, "completed": 1, "failed": 1})
        self.assertEqual((emails["waiting"], emails["total"], emails["paused"]), (3, 5, False))
        self.assertGreaterEqual(emails["oldest_waiting_seconds"], 0)
        self.assertIsNone(self.get("/jobs/queues/reports")["oldest_waiting_seconds"])

    def test_todays_queues_route_keeps_its_shape(self: Any) -> None:
        queues = self.get("/jobs/queues")["queues"]
        self.assertEqual(sorted(queues), ["emails", "reports"])
        self.assertEqual(queues["emails"]["waiting"], 3)
        self.assertEqual(queues["reports"]["by_status"]["running"], 1)

    def test_unknown_queue_is_404(self: Any) -> None:
        self.assertIn("nope", self.get("/jobs/queues/nope", 404)["detail"])

    def test_jobs_are_listed_newest_first(self: Any) -> None:
        ids = [job["id"] for job in self.get("/jobs/jobs")]
        seeded = self.seeded
        self.assertEqual(ids, [seeded.running_id, *reversed(seeded.pending_ids),
                               seeded.completed_id, seeded.failed_id])

    def test_jobs_filter_by_status_queue_and_task(self: Any) -> None:
        failed = self.get("/jobs/jobs?status=failed")
        self.assertEqual([job["id"] for job in failed], [self.seeded.failed_id])
        self.assertEqual(len(self.get("/jobs/jobs?status=FAILED,completed")), 2)
        self.assertEqual(len(self.get("/jobs/jobs?queue_name=emails&status=pending")), 3)
        self.assertEqual([j["id"] for j in self.get("/jobs/jobs?task_name=build_report")],
                         [self.seeded.running_id])
        self.assertEqual(self.get("/jobs/jobs?queue_name=nowhere"), [])

    def test_jobs_page_through_limit_and_offset(self: Any) -> None:
        everything = [job["id"] for job in self.get("/jobs/jobs")]
        page = [job["id"] for job in self.get("/jobs/jobs?limit=2&offset=1")]
        self.assertEqual(page, everything[1:3])
        self.assertEqual(self.get("/jobs/jobs?limit=0"), [])

    def test_bad_listing_input_is_422_with_a_detail(self: Any) -> None:
        detail = self.get("/jobs/jobs?status=exploded", 422)["detail"]
        self.assertIn("exploded", detail)
        self.assertIn("pending", detail)  # lists the valid names
        for query in ("limit=-1", "offset=-5", "limit=abc", "limit=100000",
                      "offset=99999999999999999999999"):
            self.assertTrue(self.get(f"/jobs/jobs?{query}", 422)["detail"], query)

    def test_a_failed_job_has_its_attempts_error_timings_and_trace(self: Any) -> None:
        job = self.get(f"/jobs/jobs/{self.seeded.failed_id}")
        self.assertEqual((job["status"], job["attempts"], job["retry_count"]), ("failed", 1, 0))
        self.assertIn("smtp.example.com refused", job["error"])
        self.assertEqual(job["trace_id"], TRACE_ID)
        self.assertEqual(job["trace_url"], f"http://jaeger.test:16686/trace/{TRACE_ID}")
        self.assertGreaterEqual(job["run_seconds"], 0)
        self.assertGreaterEqual(job["wait_seconds"], 0)
        self.assertEqual(job["worker_id"], "local-mailer")

    def test_args_kwargs_and_result_stay_hidden_by_default(self: Any) -> None:
        job = self.get(f"/jobs/jobs/{self.seeded.failed_id}")
        self.assertFalse(job["payloads_shown"])
        self.assertEqual((job["args"], job["kwargs"], job["result"]), (None, None, None))
        self.assertNotIn("s3cret", self.client.get(f"/jobs/jobs/{self.seeded.failed_id}").text)
        self.assertNotIn("s3cret", self.client.get(f"/jobs/{self.seeded.failed_id}").text)

    def test_a_job_without_trace_context_has_no_trace_id(self: Any) -> None:
        job = self.get(f"/jobs/jobs/{self.seeded.completed_id}")
        self.assertEqual((job["trace_id"], job["trace_url"]), (None, None))

    def test_unknown_job_is_404_on_every_path(self: Any) -> None:
        self.assertIn("no-such-job", self.get("/jobs/jobs/no-such-job", 404)["detail"])
        self.assertIn("no-such-job", self.get("/jobs/no-such-job", 404)["detail"])
        page = self.client.get("/jobs/ui/jobs/no-such-job")
        self.assertEqual((page.status_code, page.headers["content-type"][:9]), (404, "text/html"))
        self.assertIn("no job with id &#39;no-such-job&#39;", page.text)

    def test_old_job_path_still_answers(self: Any) -> None:
        job = self.get(f"/jobs/{self.seeded.completed_id}")
        self.assertEqual((job["id"], job["status"]), (self.seeded.completed_id, "completed"))

    def test_workers_include_other_processes_holding_jobs(self: Any) -> None:
        workers = {w["name"]: w for w in self.get("/jobs/workers")}
        self.assertEqual(set(workers), {"local-mailer", REMOTE_WORKER})
        local, remote = workers["local-mailer"], workers[REMOTE_WORKER]
        self.assertEqual((local["local"], local["queues"], local["concurrency"]),
                         (True, ["emails"], 10))
        self.assertEqual((remote["local"], remote["running_jobs"], remote["queues"]),
                         (False, 1, ["reports"]))
        self.assertGreaterEqual(remote["heartbeat_age_seconds"], 0)
        self.assertEqual(self.get(f"/jobs/workers/{REMOTE_WORKER}")["active_jobs"], 1)
        self.assertIn("ghost", self.get("/jobs/workers/ghost", 404)["detail"])

    def test_schedules_show_their_next_run(self: Any) -> None:
        schedules = {s["id"]: s for s in self.get("/jobs/schedules")}
        self.assertEqual(set(schedules), {"digest", "nightly"})
        self.assertEqual(schedules["nightly"]["schedule_type"], "cron")
        self.assertTrue(schedules["nightly"]["next_run_at"].endswith("03:00:00Z"))
        digest = self.get("/jobs/schedules/digest")
        self.assertEqual((digest["schedule_type"], digest["enabled"]), ("interval", True))
        self.assertIsNotNone(digest["next_run_at"])
        self.assertIn("weekly", self.get("/jobs/schedules/weekly", 404)["detail"])

    def test_mutating_routes_do_not_exist_without_actions(self: Any) -> None:
        job_id = self.seeded.failed_id
        for method, url in (("post", f"/jobs/jobs/{job_id}/retry"),
                            ("post", f"/jobs/jobs/{job_id}/cancel"), ("post", "/jobs/jobs"),
                            ("post", "/jobs/queues/emails/pause"),
                            ("post", "/jobs/queues/emails/clear"), ("post", "/jobs/schedules"),
                            ("post", "/jobs/schedules/digest/disable"),
                            ("delete", "/jobs/schedules/digest")):
            response = getattr(self.client, method)(url)
            self.assertIn(response.status_code, (404, 405), f"{method} {url}")
        self.assertEqual(self.stored_status(job_id), "failed")
        self.assertEqual(self.get("/jobs/queues/emails")["waiting"], 3)

    def test_openapi_documents_every_route_with_its_model(self: Any) -> None:
        paths = self.get("/openapi.json")["paths"]
        for path in ("/jobs/info", "/jobs/queues/{queue_name}", "/jobs/jobs",
                     "/jobs/jobs/{job_id}", "/jobs/workers", "/jobs/workers/{worker_name}",
                     "/jobs/schedules", "/jobs/schedules/{schedule_id}", "/jobs/health",
                     "/jobs/metrics", "/jobs/queues", "/jobs/{job_id}"):
            self.assertIn(path, paths)
        schema = paths["/jobs/jobs/{job_id}"]["get"]["responses"]["200"]["content"]
        self.assertIn("JobDetail", str(schema))


class MemoryReadTest(ReadRoutes, ConsoleApiCase):
    store = "memory"


class SQLiteReadTest(ReadRoutes, ConsoleApiCase):
    store = "sqlite"


class ActionRoutes:
    """The mutating routes with ``make_router(actions=True)``."""

    options = {"actions": True, "trace_url": TRACE_URL}

    def test_retry_puts_a_failed_job_back_to_pending(self: Any) -> None:
        answer = self.post(f"/jobs/jobs/{self.seeded.failed_id}/retry")
        self.assertEqual(answer["status"], "pending")
        self.assertEqual(self.stored_status(self.seeded.failed_id), "pending")

    def test_actions_in_the_wrong_state_are_409_and_say_why(self: Any) -> None:
        detail = self.post(f"/jobs/jobs/{self.seeded.pending_ids[0]}/retry", 409)["detail"]
        self.assertIn("pending", detail)
        detail = self.post(f"/jobs/jobs/{self.seeded.completed_id}/cancel", 409)["detail"]
        self.assertIn("completed and cannot be cancelled", detail)
        self.assertEqual(self.stored_status(self.seeded.completed_id), "completed")

    def test_cancel_a_waiting_job(self: Any) -> None:
        job_id = self.seeded.pending_ids[0]
        self.assertEqual(self.post(f"/jobs/jobs/{job_id}/cancel")["status"], "cancelled")
        self.assertEqual(self.stored_status(job_id), "cancelled")

    def test_actions_on_unknown_jobs_and_queues_are_404(self: Any) -> None:
        for url in ("/jobs/jobs/ghost/retry", "/jobs/jobs/ghost/cancel",
                    "/jobs/queues/ghost/pause", "/jobs/queues/ghost/resume",
                    "/jobs/queues/ghost/clear", "/jobs/schedules/ghost/enable",
                    "/jobs/schedules/ghost/disable"):
            self.assertIn("ghost", self.post(url, 404)["detail"], url)
        self.assertEqual(self.client.delete("/jobs/schedules/ghost").status_code, 404)

    def test_pause_resume_and_clear_a_queue(self: Any) -> None:
        self.post("/jobs/queues/emails/pause")
        self.assertTrue(self.get("/jobs/queues/emails")["paused"])
        self.post("/jobs/queues/emails/resume")
        self.assertFalse(self.get("/jobs/queues/emails")["paused"])
        self.assertEqual(self.post("/jobs/queues/emails/clear")["jobs_cleared"], 3)
        self.assertEqual(self.get("/jobs/queues/emails")["waiting"], 0)

    def test_create_a_job(self: Any) -> None:
        answer = self.post("/jobs/jobs", 201, json={
            "task_name": "build_report", "args": ["2026-12-02"], "priority": "HIGH",
            "tags": ["manual"], "timeout_seconds": 30})
        job = self.get(f"/jobs/jobs/{answer['job_id']}")
        self.assertEqual((job["status"], job["queue_name"], job["priority"], job["tags"]),
                         ("pending", "reports", "HIGH", ["manual"]))

    def test_bad_job_bodies_are_422(self: Any) -> None:
        self.assertIn("ghost_task", self.post("/jobs/jobs", 422,
                                              json={"task_name": "ghost_task"})["detail"])
        for body in ({"task_name": "build_report", "priority": "URGENT"},
                     {"task_name": "build_report", "max_retries": -1},
                     {"args": []}, {"task_name": "build_report", "args": "not-a-list"},
                     {"task_name": "build_report", "retry_delay_seconds": 1e308},
                     {"task_name": "build_report", "timeout_seconds": 0},
                     {"task_name": "build_report", "queue_name": ""},
                     {"task_name": "build_report", "scheduled_at": "2030-01-01T00:00:00"}):
            self.assertTrue(self.post("/jobs/jobs", 422, json=body)["detail"], body)

    def test_create_enable_disable_and_delete_schedules(self: Any) -> None:
        self.post("/jobs/schedules", 201, json={
            "name": "hourly", "task_name": "build_report", "schedule_type": "cron",
            "schedule_params": {"expression": "0 * * * *"}, "args": ["today"]})
        self.post("/jobs/schedules", 201, json={
            "name": "often", "task_name": "send_email", "schedule_type": "interval",
            "schedule_params": {"seconds": 30}, "enabled": False})
        self.assertTrue(self.get("/jobs/schedules/hourly")["next_run_at"].endswith(":00:00Z"))
        often = self.get("/jobs/schedules/often")
        self.assertEqual((often["enabled"], often["next_run_at"]), (False, None))
        self.post("/jobs/schedules/often/enable")
        self.assertIsNotNone(self.get("/jobs/schedules/often")["next_run_at"])
        self.post("/jobs/schedules/hourly/disable")
        self.assertFalse(self.get("/jobs/schedules/hourly")["enabled"])
        self.assertEqual(self.client.delete("/jobs/schedules/hourly").status_code, 200)
        self.get("/jobs/schedules/hourly", 404)

    def test_bad_schedules_are_4xx_with_the_reason(self: Any) -> None:
        base = {"name": "bad", "task_name": "build_report"}
        detail = self.post("/jobs/schedules", 422, json={
            **base, "schedule_type": "cron", "schedule_params": {"expression": "61 * * *"}})
        self.assertIn("invalid cron expression", detail["detail"])
        detail = self.post("/jobs/schedules", 422, json={
            **base, "schedule_type": "cron", "schedule_params": {"expression": "0 0 31 2 *"}})
        self.assertIn("never fires", detail["detail"])
        for params in ({"seconds": -5}, {"weeks": 1}, {}, {"seconds": "soon"},
                       {"seconds": 1e308}, {"expression": "* * * * *"}):
            self.post("/jobs/schedules", 422, json={
                **base, "schedule_type": "interval", "schedule_params": params})
        self.post("/jobs/schedules", 422, json={**base, "schedule_type": "hourly",
                                                "schedule_params": {}})
        self.post("/jobs/schedules", 422, json={
            **base, "task_name": "ghost", "schedule_type": "interval",
            "schedule_params": {"minutes": 1}})
        detail = self.post("/jobs/schedules", 409, json={
            **base, "name": "digest", "schedule_type": "interval",
            "schedule_params": {"minutes": 1}})["detail"]
        self.assertIn("already exists", detail)
        self.get("/jobs/schedules/bad", 404)

    def test_cross_site_posts_are_refused(self: Any) -> None:
        job_id = self.seeded.failed_id
        for headers in ({"Origin": "https://evil.example"},
                        {"Referer": "https://evil.example/page"},
                        {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}):
            response = self.client.post(f"/jobs/jobs/{job_id}/retry", headers=headers)
            self.assertEqual(response.status_code, 403, headers)
            self.assertIn("refused", response.json()["detail"])
        self.assertEqual(self.stored_status(job_id), "failed")
        self.post(f"/jobs/jobs/{job_id}/retry", headers={"Origin": "http://testserver"})
        self.assertEqual(self.stored_status(job_id), "pending")

    def test_same_site_behind_a_proxy_that_forwards_the_host(self: Any) -> None:
        self.post(f"/jobs/jobs/{self.seeded.failed_id}/retry",
                  headers={"Host": "127.0.0.1:8000", "X-Forwarded-Host": "jobs.example.com",
                           "Origin": "https://jobs.example.com"})
        self.assertEqual(self.stored_status(self.seeded.failed_id), "pending")

    def test_info_says_actions_are_on(self: Any) -> None:
        self.assertTrue(self.get("/jobs/info")["actions_enabled"])


class MemoryActionTest(ActionRoutes, ConsoleApiCase):
    store = "memory"


class SQLiteActionTest(ActionRoutes, ConsoleApiCase):
    store = "sqlite"


class StatusNamesTest(unittest.TestCase):
    def test_every_status_is_a_valid_filter(self) -> None:
        from uno.jobs.admin.read_routes import parse_status

        self.assertEqual(parse_status(",".join(s.value for s in JobStatus)), list(JobStatus))
        self.assertIsNone(parse_status(" "))


if __name__ == "__main__":
    unittest.main()
