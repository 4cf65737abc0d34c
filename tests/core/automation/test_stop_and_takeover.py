"""A stop that stops (a step hung mid-command is interrupted, not retried, and every device's
state is recorded) on both executors, and runs that outlive their server: ``serve`` killed
with SIGKILL mid-run, another ``serve`` on the same database takes the run over."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from netweave.api.app import create_app
from netweave.core.access import tokens, users
from netweave.core.access.schemas import ApiKeyCreate
from netweave.core.runtime import Runtime
from netweave.db.models import Job, Role
from netweave.lab import Fault, LabThread
from netweave.sessions import SessionPool
from tests.core.automation.conftest import add_inventory
from tests.fixtures.ports import free_port as _free_port
from tests.fixtures.workers import ClusterRuntime


def _until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:g} s: {what}")
        time.sleep(0.1)


def _api_key(runtime: Runtime) -> str:
    with runtime.transaction() as session:
        admin = users.find_user(session, runtime.settings.admin_username)
        assert admin is not None
        principal = tokens.Principal(admin.id, admin.username, Role.admin, "test")
        _, key = tokens.create_api_key(session, principal, ApiKeyCreate(name="runs"))
    return key


@pytest.fixture
def client(engine_runtime: Runtime) -> Iterator[TestClient]:
    """An admin client of the runtime under test (local threads, or an rq worker node)."""
    with TestClient(
        create_app(engine_runtime), headers={"X-API-KEY": _api_key(engine_runtime)}
    ) as made:
        yield made


def _pool(runtime: Runtime) -> SessionPool:
    if isinstance(runtime, ClusterRuntime) and runtime.worker is not None:
        return runtime.worker.jobs.pool
    return runtime.jobs.pool


def _two_step_workflow(client: TestClient, retries: int = 3) -> None:
    options = {"retries": retries, "retry_delay": 2, "timeout": 60}
    for name, command in (("Clock", "show clock"), ("Version", "show version")):
        body = {
            "name": name,
            "type": "netmiko_commands",
            "inputs": {"commands": [command]},
            "options": options,
        }
        assert client.post("/api/v1/services", json=body).status_code == 201
    graph = {
        "nodes": [
            {"id": "clock", "ref": "Clock", "kind": "service"},
            {"id": "version", "ref": "Version", "kind": "service"},
        ],
        "edges": [
            {"source": "start", "target": "clock"},
            {"source": "clock", "target": "version"},
            {"source": "version", "target": "end"},
        ],
    }
    created = client.post("/api/v1/workflows", json={"name": "Two", "graph": graph})
    assert created.status_code == 201, created.text


def _jobs(runtime: Runtime, run_id: str) -> list[tuple[str, str, int]]:
    with runtime.sessions() as session:
        rows = session.execute(
            select(Job.request, Job.status, Job.attempts).where(Job.run_id == run_id)
        ).all()
    return [(r["step"], status, attempts) for r, status, attempts in rows]


def test_stop_interrupts_a_hung_step_without_retrying_it(
    engine_runtime: Runtime, client: TestClient, ios_lab: LabThread
) -> None:
    runtime = engine_runtime
    runtime.settings.worker_threads = 1  # one job at a time: the next one waits, queued
    names = add_inventory(client, ios_lab)[:2]
    healthy, hanging = names
    _two_step_workflow(client)
    targets = {"targets": {"devices": names}, "mode": "per_device"}
    warm = client.post("/api/v1/run/Two", json={**targets, "wait": 90}).json()
    assert warm["status"] == "success", warm  # pooled sessions: the hang comes mid-command
    pool = _pool(runtime)
    aborted = pool.stats()["aborted"]
    ios_lab.set_fault(hanging, Fault("hang"))
    try:
        run = client.post("/api/v1/run/Two", json=targets).json()
        results = f"/api/v1/runs/{run['id']}/results"

        def hung_and_waiting() -> bool:
            jobs = _jobs(runtime, run["id"])
            return any(s == "started" for _, s, _ in jobs) and len(jobs) == 3

        # the healthy device's clock ran; the hung one's clock is on the device; the
        # healthy device's version waits behind it (one worker thread)
        _until(hung_and_waiting, 60, "a step hung with the next one queued")
        assert client.post(f"/api/v1/runs/{run['id']}/stop").status_code == 200
        final: dict[str, Any] = {}

        def ended() -> bool:
            final.update(client.get(f"/api/v1/runs/{run['id']}").json())
            return final["status"] not in ("running", "stopping")

        _until(ended, 20, "the run ended")  # retries alone would take minutes
        assert final["status"] == "stopped", final
        assert final["summary"]["counts"] == {"stopped": 2}
        assert final["summary"]["devices"][hanging]["at"] == "clock"
        by_device = {(r["device"], r["step"]): r for r in client.get(results).json()}
        assert by_device[(healthy, "clock")]["success"] is True  # finished: its own result
        assert by_device[(healthy, "version")]["result"]["state"] == "canceled"
        assert by_device[(healthy, "version")]["attempts"] == 0  # never started
        stopped = by_device[(hanging, "clock")]
        assert stopped["result"]["state"] == "stopped" and stopped["success"] is False
        assert stopped["attempts"] == 1  # retries: 3, but a stopped step is never retried
        assert "stopped" in stopped["logs"]
        jobs = _jobs(runtime, run["id"])
        assert sorted(s for _, s, _ in jobs) == ["canceled", "canceled", "finished"]
        assert all(attempts <= 1 for _, _, attempts in jobs)  # no job ran twice
        _until(lambda: pool.stats()["aborted"] == aborted + 1, 15, "the session was aborted")
        device = ios_lab.lab.device(hanging)
        _until(lambda: not device.connections, 15, "the device saw its session close")
    finally:
        ios_lab.clear_fault(hanging)
    again = client.post(
        f"/api/v1/runs/{run['id']}/restart", json={"start_at": "clock", "wait": 90}
    ).json()
    assert again["status"] == "success", again  # the device works again, on a new session


# -- a run outlives its server ----------------------------------------------------------------


LEASE = 6  # seconds (default 15): the killed server's runs are free sooner


class _Server:
    """``netweave serve`` as a child process on the test's database."""

    def __init__(self, runtime: Runtime) -> None:
        self.port = _free_port()
        settings = runtime.settings
        env = {
            **os.environ,
            "NETWEAVE_DATABASE_URL": settings.effective_database_url,
            "NETWEAVE_DATA_DIR": str(settings.data_dir),
            "NETWEAVE_MODE": "dev",
            "NETWEAVE_SYSLOG_PORT": str(_free_port()),
            "NETWEAVE_SYSLOG_HOST": "127.0.0.1",
            "NETWEAVE_CONFIG_BACKUP_INTERVAL": "0",
            "NETWEAVE_RUN_LEASE_SECONDS": str(LEASE),
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("NETWEAVE_ADMIN_PASSWORD", None)
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - the child's output
            prefix="netweave-serve-", suffix=".log", delete=False
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "netweave.cli.main", "serve", "--port", str(self.port)],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 90) -> None:
        def healthy() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited: {self.output()}")
            try:
                return httpx.get(f"{self.url}/health", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        _until(healthy, timeout, "serve answers /health")

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


def test_a_killed_server_s_runs_are_taken_over_by_the_next_one(
    runtime: Runtime, admin: TestClient, ios_lab: LabThread
) -> None:
    names = add_inventory(admin, ios_lab)[:3]
    _two_step_workflow(admin, retries=0)
    slow = names[2]
    ios_lab.set_fault(slow, Fault("slow", delay=2.0))
    key = {"X-API-KEY": _api_key(runtime)}
    servers = [_Server(runtime)]
    try:
        first = servers[0]
        first.wait_ready()
        body = {"targets": {"devices": names}, "mode": "per_device"}
        walking = httpx.post(f"{first.url}/api/v1/run/Two", json=body, headers=key).json()
        stopping = httpx.post(f"{first.url}/api/v1/run/Two", json=body, headers=key).json()
        assert walking["status"] == stopping["status"] == "running"

        def under_way() -> bool:
            got = httpx.get(f"{first.url}/api/v1/runs/{walking['id']}/results", headers=key).json()
            return len(got) >= 1

        _until(under_way, 60, "the first results")
        first.kill()  # SIGKILL: no goodbye, its leases simply stop being renewed
        # stopped while nobody runs it, before the next server starts (a loaded machine may
        # take longer than the lease to start it: it would take the run over first)
        assert runtime.runs.stop(stopping["id"]).status in ("stopping", "stopped")
        second = _Server(runtime)
        servers.append(second)
        second.wait_ready()
        final: dict[str, dict[str, Any]] = {}

        def taken_over() -> bool:
            for run in (walking, stopping):
                got = httpx.get(f"{second.url}/api/v1/runs/{run['id']}", headers=key).json()
                final[run["id"]] = got
            return all(r["status"] not in ("running", "stopping") for r in final.values())

        _until(taken_over, 60, "both runs were taken over")  # after the lease, a look per 1.5 s
        assert final[stopping["id"]]["status"] == "stopped", final[stopping["id"]]
        resumed = final[walking["id"]]
        assert resumed["status"] in ("success", "interrupted"), resumed
        if resumed["status"] == "interrupted":  # a step was on a device when it died
            assert "restart it from a step" in (resumed["error"] or "")
            again = httpx.post(
                f"{second.url}/api/v1/runs/{walking['id']}/restart",
                json={"start_at": "clock", "wait": 60},
                headers=key,
                timeout=90,
            ).json()
            assert again["status"] == "success", again
        with runtime.sessions() as session:  # nothing of theirs is left running anywhere
            left = session.scalars(
                select(Job.status).where(
                    Job.run_id.in_([walking["id"], stopping["id"]]),
                    Job.status.in_(("queued", "started")),
                )
            ).all()
        assert not left
    finally:
        ios_lab.clear_fault(slow)
        for server in servers:
            server.close()
