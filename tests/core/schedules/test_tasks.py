"""Scheduled tasks: validation, exactly one firing per due time with two schedulers,
misfire policies, pause/resume/run now, and the calendar of past and future runs."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from netweave.core.runtime import Runtime
from netweave.core.schedules.firing import TaskFirer
from netweave.db.models import Run, Task, TaskFiring
from netweave.lab import LabThread
from netweave.scheduler import SchedulerLoop


def _ping(admin: TestClient, lab: LabThread) -> None:
    device = lab.devices[0]
    assert (
        admin.post(
            "/api/v1/devices",
            json={
                "name": device.name,
                "host": device.host,
                "port": device.port,
                "platform": "linux",
            },
        ).status_code
        == 201
    )
    body = {
        "name": "Ping",
        "type": "reachability",
        "inputs": {"kind": "tcp", "count": 1},
        "options": {"targets": {"devices": [device.name]}},
    }
    assert admin.post("/api/v1/services", json=body).status_code == 201


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_bad_tasks_are_refused_naming_the_field(admin: TestClient, lab: LabThread) -> None:
    _ping(admin, lab)
    soon = _iso(datetime.now(UTC) + timedelta(hours=1))
    cases = [
        ({"kind": "cron", "cron": "61 * * * *"}, "cron"),
        ({"kind": "cron", "cron": "0 2 * * *", "timezone": "Mars/Olympus"}, "timezone"),
        ({"kind": "once"}, "start_at"),
        ({"kind": "once", "start_at": "2026-12-01T02:00:00"}, "time zone offset"),
        ({"kind": "once", "start_at": "2001-01-01T00:00:00Z"}, "start_at: the date is in the past"),
        ({"kind": "interval"}, "interval_seconds"),
        ({"kind": "weekly", "start_at": soon}, "kind"),
    ]
    for timing, where in cases:
        response = admin.post("/api/v1/tasks", json={"name": "t", "automation": "Ping", **timing})
        assert response.status_code == 422, (timing, response.text)
        assert where in response.json()["detail"], (timing, response.json())
    missing = admin.post(
        "/api/v1/tasks", json={"name": "t", "automation": "Nope", "kind": "once", "start_at": soon}
    )
    assert missing.status_code == 404


def test_cron_fires_exactly_once_per_slot_with_two_schedulers(
    runtime: Runtime, admin: TestClient, lab: LabThread
) -> None:
    _ping(admin, lab)
    created = admin.post(
        "/api/v1/tasks",
        json={
            "name": "every-2s",
            "automation": "Ping",
            "kind": "cron",
            "cron": "* * * * * */2",
            "timezone": "Europe/Paris",
        },
    )
    assert created.status_code == 201, created.text
    task = created.json()
    assert task["next_fire_at"] is not None
    other = Runtime.open(runtime.settings, migrate=False, bootstrap=False)
    loops = [SchedulerLoop(r, every=0.05, name=f"s{i}") for i, r in enumerate((runtime, other))]

    def competed_for_three_slots() -> bool:
        """Three slots fired, and both schedulers were in the race (a loss, or both fired)."""
        firings = admin.get(f"/api/v1/tasks/{task['id']}/firings").json()
        fired = [f for f in firings if f["status"] == "fired"]
        races = sum(loop.firer.totals.lost_races for loop in loops)
        return len(fired) >= 3 and races + len({f["scheduler"] for f in fired}) >= 2

    try:
        for loop in loops:
            loop.start()
        deadline = time.monotonic() + 60  # a bound for a loaded machine; ends at the event
        while not competed_for_three_slots():
            assert time.monotonic() < deadline, "the two schedulers did not fire three slots"
            time.sleep(0.2)
        admin.post(f"/api/v1/tasks/{task['id']}/pause")
        for loop in loops:
            loop.stop()
    finally:
        other.close()
    firings = admin.get(f"/api/v1/tasks/{task['id']}/firings").json()
    fired = [f for f in firings if f["status"] == "fired"]
    assert len(fired) >= 2
    dues = [f["due_at"] for f in fired]
    assert len(dues) == len(set(dues))  # one firing per due time...
    assert all(datetime.fromisoformat(d.replace("Z", "+00:00")).second % 2 == 0 for d in dues)
    assert all(f["run_id"] for f in fired)  # ...and each started a run
    with runtime.sessions() as session:
        runs = session.scalar(
            select(func.count()).select_from(Run).where(Run.creator == "task:every-2s")
        )
    assert runs == len(fired)
    both = {f["scheduler"] for f in fired}
    races = sum(loop.firer.totals.lost_races for loop in loops)
    assert races + len(both) >= 2  # both schedulers were really competing


def _task_in_the_past(runtime: Runtime, admin: TestClient, name: str, misfire: str) -> int:
    start = datetime.now(UTC) + timedelta(hours=1)
    created = admin.post(
        "/api/v1/tasks",
        json={
            "name": name,
            "automation": "Ping",
            "kind": "interval",
            "interval_seconds": 60,
            "start_at": _iso(start),
            "misfire": misfire,
            "misfire_grace": 30,
        },
    )
    assert created.status_code == 201, created.text
    ident = created.json()["id"]
    back = datetime.now(UTC) - timedelta(minutes=10, seconds=30)
    with runtime.transaction() as session:  # as if the scheduler had been down for 10 minutes
        session.execute(
            update(Task)
            .where(Task.id == ident)
            .values(start_at=back, checked_until=back, next_fire_at=back + timedelta(seconds=60))
        )
    return int(ident)


@pytest.mark.parametrize(
    ("misfire", "fired", "skipped"), [("skip", 0, 10), ("run_once", 1, 9), ("run_all", 10, 0)]
)
def test_misfire_policies(
    runtime: Runtime, admin: TestClient, lab: LabThread, misfire: str, fired: int, skipped: int
) -> None:
    _ping(admin, lab)
    ident = _task_in_the_past(runtime, admin, f"late-{misfire}", misfire)
    firer = TaskFirer(runtime.sessions, runtime.runs, "test")
    report = firer.tick()
    assert (report.fired, report.skipped) == (fired, skipped)
    assert firer.tick().fired == 0  # nothing is owed twice
    task = admin.get(f"/api/v1/tasks/{ident}").json()
    next_fire = datetime.fromisoformat(task["next_fire_at"].replace("Z", "+00:00"))
    assert datetime.now(UTC) < next_fire <= datetime.now(UTC) + timedelta(seconds=61)


def test_pause_resume_run_now_and_calendar(
    runtime: Runtime, admin: TestClient, lab: LabThread
) -> None:
    _ping(admin, lab)
    now = datetime.now(UTC)
    created = admin.post(
        "/api/v1/tasks",
        json={
            "name": "nightly",
            "automation": "Ping",
            "kind": "cron",
            "cron": "0 2 * * *",
            "timezone": "America/New_York",
        },
    ).json()
    expected = created["next_fire_at"]
    local = datetime.fromisoformat(expected.replace("Z", "+00:00")).astimezone(
        __import__("zoneinfo").ZoneInfo("America/New_York")
    )
    assert (local.hour, local.minute) == (2, 0)
    paused = admin.post(f"/api/v1/tasks/{created['id']}/pause").json()
    assert paused["paused"] is True
    manual = admin.post(f"/api/v1/tasks/{created['id']}/run")
    assert manual.status_code == 201
    run_id = manual.json()["run_id"]
    assert runtime.runs.wait(run_id, 60).status == "success"
    window = {"from": _iso(now - timedelta(hours=1)), "to": _iso(now + timedelta(days=3))}
    events = admin.get("/api/v1/calendar", params=window).json()
    assert [e for e in events if e["kind"] == "run" and e["run_id"] == run_id]
    assert not [e for e in events if e["kind"] == "firing"]  # paused: no future firings
    admin.post(f"/api/v1/tasks/{created['id']}/resume")
    events = admin.get("/api/v1/calendar", params=window).json()
    future = [e for e in events if e["kind"] == "firing"]
    assert len(future) == 3 and all(e["task"] == "nightly" for e in future)
    past = [e for e in events if e["kind"] == "run"]
    assert past and past[0]["task"] == "nightly" and past[0]["status"] == "success"
    firings = admin.get(f"/api/v1/tasks/{created['id']}/firings").json()
    assert [f["status"] for f in firings] == ["manual"]
    bad = admin.get(
        "/api/v1/calendar", params={"from": "2026-01-01T00:00:00Z", "to": "2025-01-01T00:00:00Z"}
    )
    assert bad.status_code == 422 and bad.json()["detail"].startswith("to:")
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(TaskFiring)) == 1
