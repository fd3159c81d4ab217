"""A namespace of its own for one test on each store — a SQLite file, a
PostgreSQL schema, a Redis key prefix — and what the tests do to it server-side.

    ns = namespace_for("postgres", tmp_path)  # postgresql://...?schema=uno_test_1a2b3c4d
    storage = storage_from_url(ns.url)
    ns.kill_connections_of(worker.pid)        # pg_terminate_backend / CLIENT KILL
    ns.drop()                                 # DROP SCHEMA ... CASCADE / DEL prefix*

Server addresses come from ``UNO_JOBS_TEST_PG_DSN`` and ``UNO_JOBS_TEST_REDIS_URL``.
A process's server connections are found by its client ports (``/proc/PID/fd``
sockets), so nothing else on the server is touched.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

PG_DSN = os.environ.get("UNO_JOBS_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("UNO_JOBS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def with_query(url: str, **params: str) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"{url}{'&' if '?' in url else '?'}{query}"


def client_ports(pid: int, server_port: int) -> set[int]:
    """Local ports of ``pid``'s established TCP connections to ``server_port``."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    ports = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
            to_server = int(remote.rsplit(":", 1)[1], 16) == server_port
            if inode in inodes and state == "01" and to_server:
                ports.add(int(local.rsplit(":", 1)[1], 16))
    return ports


@dataclass(frozen=True)
class Namespace:
    kind: str  # "sqlite" | "postgres" | "redis"
    url: str  # what storage_from_url and the worker CLI get
    name: str  # the file, schema or key prefix
    server: str = ""  # the server's URL without the namespace

    def drop(self) -> None:
        if self.kind == "postgres":
            psql(self.server, f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE')
        elif self.kind == "redis":
            client = redis_client(self.server)
            keys = list(client.scan_iter(match=f"{self.name}*", count=1000))
            for start in range(0, len(keys), 1000):
                client.delete(*keys[start:start + 1000])
            client.close()

    def kill_connections_of(self, pid: int) -> int:
        """Close every connection ``pid`` holds to the server; answer how many."""
        ports = client_ports(pid, urlsplit(self.server).port or DEFAULT_PORTS[self.kind])
        if not ports:
            return 0
        if self.kind == "postgres":
            listed = ",".join(map(str, sorted(ports)))
            return int(psql(self.server, "SELECT count(pg_terminate_backend(pid)) FROM "
                                         f"pg_stat_activity WHERE client_port IN ({listed})"))
        client = redis_client(self.server)
        killed = 0
        for entry in client.client_list():
            if int(entry["addr"].rsplit(":", 1)[1]) in ports:
                killed += client.client_kill_filter(_id=entry["id"])
        client.close()
        return killed


DEFAULT_PORTS = {"postgres": 5432, "redis": 6379}


def namespace_for(kind: str, tmp_path: Path) -> Namespace:
    name = f"uno_test_{uuid.uuid4().hex[:10]}"
    if kind == "sqlite":
        path = tmp_path / "jobs.db"
        return Namespace(kind, f"sqlite:///{path}", str(path))
    if kind == "postgres":
        return Namespace(kind, with_query(PG_DSN, schema=name), name, PG_DSN)
    if kind == "redis":
        return Namespace(kind, with_query(REDIS_URL, prefix=name), name, REDIS_URL)
    raise ValueError(f"unknown store kind {kind!r}")


def psql(dsn: str, sql: str) -> str:
    done = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                           "-d", dsn, "-c", sql], capture_output=True, text=True, timeout=30)
    if done.returncode:
        raise RuntimeError(f"psql failed: {done.stderr.strip()}")
    return done.stdout.strip()


def redis_client(url: str):  # noqa: ANN201 - redis is an optional dependency
    import redis  # noqa: PLC0415

    return redis.Redis.from_url(url)
