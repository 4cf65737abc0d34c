"""Two ``netweave scheduler`` processes on one database: each due time fires once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from fastapi.testclient import TestClient
from sqlalchemy import select

from netweave.core.runtime import Runtime
from netweave.db.models import Run, TaskFiring
from netweave.lab import LabThread


def test_two_scheduler_processes_fire_each_slot_once(
    runtime: Runtime, admin: TestClient, lab: LabThread
) -> None:
    device = lab.devices[0]
    admin.post(
        "/api/v1/devices",
        json={"name": device.name, "host": device.host, "port": device.port, "platform": "linux"},
    )
    body = {
        "name": "Ping",
        "type": "reachability",
        "inputs": {"kind": "tcp", "count": 1},
        "options": {"targets": {"devices": [device.name]}},
    }
    assert admin.post("/api/v1/services", json=body).status_code == 201
    task = admin.post(
        "/api/v1/tasks",
        json={"name": "tick", "automation": "Ping", "kind": "cron", "cron": "* * * * * */2"},
    ).json()
    env = {
        **os.environ,
        "NETWEAVE_DATABASE_URL": runtime.settings.effective_database_url,
        "NETWEAVE_DATA_DIR": str(runtime.settings.data_dir),
        "NETWEAVE_MODE": "dev",
    }
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "netweave.cli.main", "scheduler", "--every", "0.1"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with runtime.sessions() as session:
                fired = session.scalars(
                    select(TaskFiring).where(TaskFiring.status == "fired")
                ).all()
                done = session.scalars(
                    select(Run).where(Run.creator == "task:tick", Run.status == "success")
                ).all()
            if len(fired) >= 4 and len(done) >= 4:
                break
            time.sleep(0.2)
        admin.post(f"/api/v1/tasks/{task['id']}/pause")
    finally:
        outputs = []
        for process in processes:
            process.send_signal(signal.SIGTERM)
            outputs.append(process.communicate(timeout=30)[0])
    assert all(p.returncode == 0 for p in processes), outputs
    with runtime.sessions() as session:
        fired = session.scalars(select(TaskFiring).where(TaskFiring.status == "fired")).all()
        runs = session.scalars(select(Run).where(Run.creator == "task:tick")).all()
    dues = [f.due_at for f in fired]
    assert len(fired) >= 4 and len(dues) == len(set(dues))
    assert {f.run_id for f in fired} == {r.id for r in runs}  # one run per due time
    assert len({f.scheduler for f in fired}) >= 1 and all("up" in o for o in outputs)
