"""What only the PostgreSQL store does: its schema (created once however many
processes start together, nothing outside it touched), its name in messages,
wake-ups through LISTEN/NOTIFY, URLs, and jobs that complete while
``pg_terminate_backend`` kills its connections mid-run."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from urllib.parse import urlsplit

import asyncpg

from postgres_support import DSN, drop_schema, new_schema, require_postgres
from uno.jobs import Job, JobStatus, PostgresJobStorage
from uno.jobs.errors import StorageError, StorageUnavailableError
from uno.jobs.job import utcnow
from uno.jobs.storage.postgres_schema import MIGRATIONS
from uno.jobs.storage.url import storage_from_url

from .support import RuntimeCase, fast_worker


class PostgresStoreTests(RuntimeCase):
    storage_kind = "postgres"

    async def admin(self) -> asyncpg.Connection:
        conn = await asyncpg.connect(DSN)
        self.addAsyncCleanup(conn.close)
        return conn

    async def test_processes_starting_together_create_the_schema_once(self) -> None:
        stores = [self.new_storage() for _ in range(5)]
        await asyncio.gather(*(store.open() for store in stores))
        admin = await self.admin()
        versions = await admin.fetch(f"SELECT version FROM {self.pg_schema}.migrations"
                                     " ORDER BY version")
        self.assertEqual([row[0] for row in versions], [1, 2, 3])

    async def test_a_schema_of_version_2_is_upgraded_and_its_jobs_read_as_before(self) -> None:
        await self.storage.open()
        admin, s = await self.admin(), self.pg_schema
        await admin.execute(f"ALTER TABLE {s}.jobs DROP COLUMN started_at;"
                            f" DELETE FROM {s}.migrations WHERE version = 3")
        done = Job(task_name="t", status=JobStatus.COMPLETED, started_at=utcnow())
        await self.storage.add(done)
        await self.storage.add(Job(task_name="t"))
        upgraded = self.new_storage()
        self.assertEqual(await upgraded.get(done.id), done)
        now = utcnow()
        claimed = await upgraded.claim_next(["default"], "w", now)
        self.assertEqual((claimed.status, claimed.started_at), (JobStatus.RUNNING, now))
        self.assertEqual(await upgraded.get(claimed.id), claimed)

    async def test_nothing_outside_its_schema_is_touched(self) -> None:
        admin = await self.admin()
        outside = ("SELECT table_schema, table_name FROM information_schema.tables"
                   " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
                   " AND table_schema NOT LIKE 'test\\_%'"  # other tests' own schemas,
                   " AND table_schema NOT LIKE 'uno\\_test\\_%'")  # tests/stores', benchmarks'
        before = set(await admin.fetch(outside))
        await self.storage.add(Job(task_name="t"))
        self.assertEqual(set(await admin.fetch(outside)), before)
        tables = {row[0] for row in await admin.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = $1",
            self.pg_schema)}
        self.assertEqual(tables, {"migrations", "jobs", "queues", "paused_queues", "leases"})

    async def test_describe_names_the_store_without_its_password(self) -> None:
        store = PostgresJobStorage("postgresql://app:s3cret@db.internal:6543/jobs", "work")
        self.assertEqual(store.describe(), "postgresql://app@db.internal:6543/jobs (schema work)")

    async def test_a_key_value_dsn_is_not_shown(self) -> None:
        store = PostgresJobStorage("host=db user=app password=s3cret dbname=jobs")
        self.assertEqual(store.describe(), "postgresql (schema uno_jobs)")

    async def test_a_schema_it_may_not_create_is_a_storage_error(self) -> None:
        admin = await self.admin()
        role = f"r_{self.pg_schema}"
        await admin.execute(f"CREATE ROLE {role} LOGIN")
        self.addAsyncCleanup(admin.execute, f"DROP ROLE {role}")
        url = urlsplit(DSN)
        store = PostgresJobStorage(url._replace(netloc=f"{role}@{url.hostname}:{url.port or 5432}"
                                                ).geturl(), schema=self.pg_schema)
        with self.assertRaises(StorageError) as caught:
            await store.open()
        self.assertNotIsInstance(caught.exception, StorageUnavailableError)
        self.assertIn("cannot create or migrate the schema", str(caught.exception))
        await store.close()

    async def test_bad_schema_name_is_refused(self) -> None:
        for bad in ("Upper", "drop table x;", "pg_jobs", ""):
            with self.assertRaises(ValueError):
                PostgresJobStorage(DSN, schema=bad)

    async def test_unreachable_server_is_unavailable_naming_the_store(self) -> None:
        store = PostgresJobStorage("postgresql://postgres@127.0.0.1:1/postgres")
        with self.assertRaises(StorageUnavailableError) as caught:
            await store.ping()
        self.assertIn("postgresql://postgres@127.0.0.1:1/postgres (schema uno_jobs)",
                      str(caught.exception))
        await store.close()

    async def test_urls_make_postgres_stores(self) -> None:
        for url in ("postgresql://postgres@127.0.0.1:5432/postgres",
                    "postgres://postgres@127.0.0.1:5432/postgres?schema=other"):
            store = storage_from_url(url)
            self.assertIsInstance(store, PostgresJobStorage)
        self.assertEqual(store.schema, "other")
        self.assertNotIn("schema=", store.dsn)

    async def test_an_enqueue_in_another_process_wakes_idle_workers(self) -> None:
        woken = asyncio.Event()
        listening = self.new_storage()
        listening.on_work_available(woken.set)
        await listening.open()
        await asyncio.wait_for(woken.wait(), 5)  # once when it starts listening
        woken.clear()
        await self.new_storage().add(Job(task_name="t"))  # another connection, as elsewhere
        await asyncio.wait_for(woken.wait(), 5)

    async def notifications_of(self, write) -> list[str]:  # noqa: ANN001 - a coroutine function
        """The payloads NOTIFY sent on the schema's channel while ``write()`` ran."""
        heard: list[str] = []
        admin = await self.admin()
        await admin.add_listener(f"{self.pg_schema}_work", lambda *args: heard.append(args[3]))
        await write()
        await admin.execute("SELECT 1")  # a round trip after the commit: its NOTIFYs are in
        await asyncio.sleep(0.1)
        return heard

    async def test_a_batch_notifies_the_queues_it_fills_and_only_those(self) -> None:
        store = self.new_storage()
        await store.open()
        jobs = [Job(task_name="t", queue_name=f"q{n % 2}") for n in range(100)]
        running = Job(task_name="t", queue_name="busy", status=JobStatus.RUNNING)
        heard = await self.notifications_of(lambda: store.add_many([*jobs, running]))
        self.assertEqual(sorted(heard), ["q0", "q1"])
        heard = await self.notifications_of(lambda: store.add(Job(task_name="t")))
        self.assertEqual(heard, ["default"])
        retried = jobs[0]
        retried.status = JobStatus.RUNNING
        await store.update(retried)
        retried.status = JobStatus.RETRYING
        self.assertEqual(await self.notifications_of(lambda: store.update(retried)), ["q0"])

    async def test_a_schema_of_the_first_version_is_upgraded_in_place(self) -> None:
        admin = await self.admin()
        async with admin.transaction():  # what a store of the first release created
            await admin.execute(f"CREATE SCHEMA {self.pg_schema}; CREATE TABLE"
                                f" {self.pg_schema}.migrations (version integer PRIMARY KEY,"
                                " applied_at timestamptz NOT NULL DEFAULT now())")
            await admin.execute(MIGRATIONS[0][1].format(s=self.pg_schema,
                                                        channel=f"{self.pg_schema}_work"))
            await admin.execute(f"INSERT INTO {self.pg_schema}.migrations VALUES (1)")
            old = Job(task_name="t")
            await admin.execute(f"INSERT INTO {self.pg_schema}.jobs (id, queue_name, status,"
                                " priority, due_at, updated_at, data) VALUES"
                                " ($1, 'default', 'pending', 20, now(), now(), $2)",
                                old.id, json.dumps(old.to_dict()))
        store = self.new_storage()
        heard = await self.notifications_of(lambda: store.add_many([Job(task_name="t")]))
        self.assertEqual(heard, ["default"])
        self.assertEqual((await store.get(old.id)).to_dict() | {"updated_at": None},
                         old.to_dict() | {"updated_at": None})  # (the column's time is now())
        triggers = {row[0] for row in await admin.fetch(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = $1::regclass",
            f"{self.pg_schema}.jobs")}
        self.assertEqual(triggers, {"jobs_notify_work", "jobs_notify_added",
                                    "jobs_remember_queue"})

    async def test_wake_ups_resume_after_the_listening_connection_is_killed(self) -> None:
        storage, app = self.named_storage()
        woken = asyncio.Event()
        storage.on_work_available(woken.set)
        await storage.open()
        await asyncio.wait_for(woken.wait(), 5)
        woken.clear()
        await self.terminate(app)
        await asyncio.wait_for(woken.wait(), 10)  # listening again (and waking, just in case)
        woken.clear()
        await self.new_storage().add(Job(task_name="t"))
        await asyncio.wait_for(woken.wait(), 5)

    def named_storage(self) -> tuple[PostgresJobStorage, str]:
        """A store on the test's schema whose sessions carry their own application_name."""
        app = f"uno_jobs_{self.pg_schema}"
        storage = PostgresJobStorage(f"{DSN}?application_name={app}", schema=self.pg_schema)
        self._storages.append(storage)
        return storage, app

    async def terminate(self, app: str) -> int:
        """``pg_terminate_backend`` on every session of ``app``; how many there were."""
        admin = await self.admin()
        return await admin.fetchval("SELECT count(pg_terminate_backend(pid))"
                                    " FROM pg_stat_activity WHERE application_name = $1", app)

    async def test_jobs_complete_while_their_connections_are_terminated(self) -> None:
        storage, app = self.named_storage()
        # a claim whose answer is lost goes back to pending after the stall timeout
        m = self.manager(storage=storage, workers=[fast_worker(concurrency=8)],
                         stall_timeout=timedelta(seconds=5))

        @m.task(max_retries=3)
        async def work(n: int) -> int:
            await asyncio.sleep(0.02)
            return n * 2

        async with m:
            ids = (await m.enqueue_many("work", [[n] for n in range(300)])).value
            for _ in range(3):
                await asyncio.sleep(0.15)
                self.assertGreater(await self.terminate(app), 0)
            jobs = [await self.finished(m, job_id, timeout=30) for job_id in ids]
        self.assertEqual({job.status for job in jobs}, {JobStatus.COMPLETED})
        self.assertEqual([job.result for job in jobs], [n * 2 for n in range(300)])


def test_one_store_serves_one_event_loop_after_another() -> None:
    storage = PostgresJobStorage(require_postgres(), schema=new_schema())
    job = Job(task_name="t")
    asyncio.run(storage.add(job))
    try:
        assert asyncio.run(storage.get(job.id)) == job  # a second asyncio.run, as a script does
    finally:
        asyncio.run(storage.close())
        asyncio.run(drop_schema(storage.schema))
