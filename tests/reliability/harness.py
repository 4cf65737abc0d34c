"""Shared pieces of the reliability tests: real infrastructure a test may break (a private
PostgreSQL server, a small tmpfs), an API client on any runtime, and waiting for jobs."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from netweave.api.app import create_app
from netweave.core.access import tokens, users
from netweave.core.access.schemas import ApiKeyCreate
from netweave.core.jobs.schemas import JobRead
from netweave.core.runtime import Runtime
from netweave.db.models import Role
from tests.fixtures.ports import free_port

TERMINAL = ("finished", "failed")


def admin_key(runtime: Runtime, name: str = "reliability") -> str:
    with runtime.transaction() as session:
        admin = users.find_user(session, runtime.settings.admin_username)
        assert admin is not None
        principal = tokens.Principal(admin.id, admin.username, Role.admin, "test")
        _, key = tokens.create_api_key(session, principal, ApiKeyCreate(name=name))
    return key


def api_client(runtime: Runtime, key: str | None = None) -> TestClient:
    """The real app on ``runtime``; a server error is an answer here, not an exception."""
    return TestClient(
        create_app(runtime),
        headers={"X-API-KEY": key or admin_key(runtime)},
        raise_server_exceptions=False,
    )


def exec_body(device: Any, command: str | list[str] = "show clock", **extra: Any) -> dict[str, Any]:
    """A NetPulse exec request for a lab device, logging in with the lab's account."""
    return {
        "connection_args": {
            "host": device.host,
            "port": device.port,
            "username": device.spec.username,
            "password": device.spec.password,
            "device_type": device.spec.platform,
        },
        "command": command,
        **extra,
    }


def submit(client: TestClient, body: dict[str, Any]) -> str:
    response = client.post("/device/exec", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def settle(runtime: Runtime, ids: Iterable[str], timeout: float = 60) -> list[JobRead]:
    """The jobs once all are terminal, or as they are when ``timeout`` runs out (the caller
    asserts on their states: a bound to wait, not a timing assertion)."""
    wanted = list(ids)
    deadline = time.monotonic() + timeout
    while True:
        jobs = [runtime.jobs.get(job_id) for job_id in wanted]
        if all(job.status in TERMINAL for job in jobs) or time.monotonic() > deadline:
            return jobs
        time.sleep(0.2)


def wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


def assert_api_answers(client: TestClient, ids: Iterable[str]) -> None:
    """/health is ok and the job list holds every accepted job."""
    health = client.get("/health")
    assert health.status_code == 200 and health.json()["status"] == "ok", health.text
    listed = client.get("/jobs", params={"limit": 1000})
    assert listed.status_code == 200, listed.text
    missing = set(ids) - {job["id"] for job in listed.json()}
    assert not missing, f"accepted jobs missing from /jobs: {missing}"


def error_of(job: JobRead) -> tuple[str, str]:
    assert job.result is not None and job.result.error is not None, job
    return job.result.error.type, job.result.error.message


class PrivatePostgres:
    """A PostgreSQL server of the test's own (Debian's binaries, run as ``postgres``) on a
    free port and a temporary directory, so it can be restarted and stopped for real. The
    system server on 5432 is never touched."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found:
            raise RuntimeError("no PostgreSQL binaries under /usr/lib/postgresql/*/bin")
        self.bin = Path(found[-1]).parent
        self.dir = Path(tempfile.mkdtemp(prefix="netweave-pg-"))
        shutil.chown(self.dir, "postgres")
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self._as_postgres(
            "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync"
        )

    @property
    def data(self) -> Path:
        return self.dir / "data"

    def _as_postgres(self, program: str, *args: str) -> None:
        command = ["runuser", "-u", "postgres", "--", str(self.bin / program), *args]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def _ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.dir / "server.log")
        self._as_postgres("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", *args)

    def start(self) -> None:
        self._ctl("start")

    def stop(self) -> None:
        self._ctl("-m", "fast", "stop")

    def restart(self) -> None:
        """``pg_ctl restart -m fast``: every open connection is cut."""
        self._ctl("-m", "fast", "restart")

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._ctl("-m", "immediate", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


class SmallDisk:
    """A tmpfs of ``size`` mounted for the test (we run as root), filled and freed at will."""

    def __init__(self, size: str = "8m") -> None:
        self.path = Path(tempfile.mkdtemp(prefix="netweave-disk-"))
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(self.path)],
            check=True,
            capture_output=True,
        )
        self.filler = self.path / "filler"

    def free_bytes(self) -> int:
        stats = os.statvfs(self.path)
        return stats.f_bavail * stats.f_frsize

    def fill(self, leave: int = 0) -> None:
        """Grow the filler file until only ``leave`` bytes are free (0: none at all)."""
        with open(self.filler, "ab", buffering=0) as handle:
            chunk = b"\0" * 65536
            while self.free_bytes() > leave:
                try:
                    handle.write(chunk[: max(4096, min(65536, self.free_bytes() - leave))])
                except OSError:
                    break

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def unmount(self) -> None:
        subprocess.run(["umount", "-l", str(self.path)], check=False, capture_output=True)
        shutil.rmtree(self.path, ignore_errors=True)
