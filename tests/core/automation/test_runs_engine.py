"""Run-engine behaviour: targets by pool and query, parallelism limits, interrupted runs,
scheduled backups firing once across servers, and e-mail notifications over real SMTP."""

from __future__ import annotations

import socketserver
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from fastapi.testclient import TestClient

from netweave.core.automation.backups import BackupSchedule
from netweave.core.runtime import Runtime
from netweave.db.models import Run
from netweave.lab import Fault, LabThread
from tests.core.automation.conftest import add_inventory


def test_targets_by_pool_and_query_and_parallel_limit(
    admin: TestClient, ios_lab: LabThread
) -> None:
    names = add_inventory(admin, ios_lab)
    pool = admin.post("/api/v1/pools", json={"name": "core", "devices": names[:2]})
    assert pool.status_code == 201, pool.text
    body = {
        "name": "Clock",
        "type": "netmiko_commands",
        "inputs": {"commands": ["show clock"]},
        "options": {"max_parallel": 1},
    }
    assert admin.post("/api/v1/services", json=body).status_code == 201
    run = admin.post(
        "/api/v1/run/Clock",
        json={
            "targets": {"pools": ["core"], "query": {"name": "sw-ios-01?"}, "devices": [names[3]]},
            "wait": 120,
        },
    ).json()
    assert run["status"] == "success", run
    expected = set(names[:2]) | {n for n in names if n.startswith("sw-ios-01")} | {names[3]}
    assert set(run["targets"]) == expected
    results = admin.get(f"/api/v1/runs/{run['id']}/results").json()
    spans = sorted((r["started_at"], r["ended_at"]) for r in results)
    for (_, ended), (started, _) in pairwise(spans):
        assert started >= ended  # max_parallel 1: one device at a time
    missing = admin.post("/api/v1/run/Clock", json={"targets": {"pools": ["nope"]}})
    assert missing.status_code == 404 and missing.json()["detail"].startswith("targets.pools[0]")
    nobody = admin.post("/api/v1/run/Clock", json={"targets": {"query": {"site": "mars"}}})
    assert nobody.status_code == 422 and nobody.json()["detail"] == "targets: no target devices"
    assert admin.post("/api/v1/run/Nothing", json={}).status_code == 404


def test_a_run_whose_process_died_ends_interrupted(runtime: Runtime) -> None:
    runs = runtime.runs  # recovers at start: nothing to do yet
    stale = datetime.now(UTC) - timedelta(minutes=5)
    with runtime.transaction() as session:
        session.add(
            Run(
                id=str(uuid.uuid4()),
                name="ghost",
                kind="workflow",
                status="running",
                definition={"graph": {}, "steps": {}},
                heartbeat_at=stale,
            )
        )
        session.add(
            Run(
                id=str(uuid.uuid4()),
                name="alive",
                kind="workflow",
                status="running",
                definition={"graph": {}, "steps": {}},
                heartbeat_at=datetime.now(UTC),
            )
        )
    assert runs.recover() == 1
    listed, _ = runs.list_runs(name=None, device=None, status=None, limit=10, offset=0)
    statuses = {r.name: r.status for r in listed}
    assert statuses == {"ghost": "interrupted", "alive": "running"}


def test_scheduled_backup_fires_once_per_period_across_servers(
    runtime: Runtime, admin: TestClient, ios_lab: LabThread
) -> None:
    add_inventory(admin, ios_lab)
    other = Runtime.open(runtime.settings, migrate=False, bootstrap=False)
    try:
        schedules = [BackupSchedule(r.sessions, r.runs, 3600) for r in (runtime, other)]
        fired: list[str | None] = []
        barrier = threading.Barrier(2)

        def tick(schedule: BackupSchedule) -> None:
            barrier.wait()
            fired.append(schedule.tick())

        threads = [threading.Thread(target=tick, args=(s,)) for s in schedules]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        launched = [f for f in fired if f]
        assert len(launched) == 1, fired
        assert all(s.tick() is None for s in schedules)  # same period: nobody fires again
        run = runtime.runs.wait(launched[0], 120)
        assert run.status == "success" and run.trigger == "schedule"
        assert len(run.targets) == 20
    finally:
        other.close()


class _Smtp(socketserver.StreamRequestHandler):
    messages: list[str] = []

    def handle(self) -> None:
        self.wfile.write(b"220 test ESMTP\r\n")
        data = False
        lines: list[str] = []
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode().rstrip("\r\n")
            if data:
                if line == ".":
                    data = False
                    _Smtp.messages.append("\n".join(lines))
                    self.wfile.write(b"250 queued\r\n")
                else:
                    lines.append(line)
                continue
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.wfile.write(b"250 test\r\n")
            elif verb == "DATA":
                data = True
                self.wfile.write(b"354 go\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp() -> Iterator[int]:
    _Smtp.messages = []
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Smtp)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def test_failure_notification_by_email(
    runtime: Runtime, admin: TestClient, ios_lab: LabThread, smtp: int
) -> None:
    runtime.runs.notifier.smtp_host, runtime.runs.notifier.smtp_port = "127.0.0.1", smtp
    names = add_inventory(admin, ios_lab)
    ios_lab.set_fault(names[0], Fault("refuse_auth"))
    try:
        body = {
            "name": "Version",
            "type": "netmiko_commands",
            "inputs": {"commands": ["show version"]},
            "options": {"notification": {"email": ["noc@example.com"], "when": "failure"}},
        }
        assert admin.post("/api/v1/services", json=body).status_code == 201
        ok = admin.post(
            "/api/v1/run/Version", json={"targets": {"devices": names[1:2]}, "wait": 60}
        )
        assert ok.json()["status"] == "success"
        bad = admin.post(
            "/api/v1/run/Version", json={"targets": {"devices": names[:2]}, "wait": 60}
        )
        assert bad.json()["status"] == "failure"
        deadline = time.monotonic() + 10
        while not _Smtp.messages and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(_Smtp.messages) == 1  # the successful run sent nothing
        message = _Smtp.messages[0]
        assert "Subject: [NetWeave] Version: failure" in message
        assert "To: noc@example.com" in message and "failure 1, success 1" in message
        result = admin.get(f"/api/v1/runs/{bad.json()['id']}/results", params={"device": names[0]})
        assert result.json()[0]["result"]["error"].startswith("authentication")
    finally:
        ios_lab.clear_fault(names[0])
