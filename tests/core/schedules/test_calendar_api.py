"""What the scheduling UI asks of the API: a timing's next firings before saving it (and its
errors naming the field), retargeting a task, and a calendar range that links each event to
its task — runs, future firings, and the firings that started nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from netweave.core.runtime import Runtime
from netweave.core.schedules.timing import Timing, describe, describe_cron
from netweave.db.models import TaskFiring

NOOP = {
    "type": "data_validation",
    "inputs": {"step": "x", "checks": [{"kind": "text", "match": "x"}]},
}


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_preview_lists_the_next_firings_in_words(viewer: TestClient) -> None:
    weekdays = viewer.post(
        "/api/v1/tasks/preview",
        json={"kind": "cron", "cron": "30 8 * * 1-5", "timezone": "Europe/Paris", "count": 7},
    )
    assert weekdays.status_code == 200, weekdays.text
    body = weekdays.json()
    assert body["summary"] == "at 08:30 on Monday to Friday (Europe/Paris)"
    local = [_when(t).astimezone(ZoneInfo("Europe/Paris")) for t in body["next"]]
    assert len(local) == 7 and local == sorted(local)
    assert all((t.hour, t.minute, t.weekday() < 5) == (8, 30, True) for t in local)
    assert local[0] > datetime.now(UTC)

    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    every = viewer.post(
        "/api/v1/tasks/preview",
        json={"kind": "interval", "interval_seconds": 900, "start_at": _iso(start)},
    ).json()
    assert every["summary"] == "every 15 minutes"
    assert [_when(t) for t in every["next"]] == [
        start + timedelta(minutes=15 * n) for n in range(5)
    ]

    ended = viewer.post(
        "/api/v1/tasks/preview",
        json={
            "kind": "interval",
            "interval_seconds": 3600,
            "end_at": _iso(start + timedelta(minutes=1)),
        },
    ).json()
    assert len(ended["next"]) == 2  # in the next two hours, then the end

    past = viewer.post(
        "/api/v1/tasks/preview", json={"kind": "once", "start_at": "2001-01-01T00:00:00Z"}
    ).json()
    assert past == {"next": [], "summary": "once"}

    for timing, field in (
        ({"kind": "cron", "cron": "61 * * * *"}, "cron"),
        ({"kind": "cron", "cron": "0 2 * * *", "timezone": "Mars/Olympus"}, "timezone"),
        ({"kind": "interval", "interval_seconds": 0}, "interval_seconds"),
    ):
        bad = viewer.post("/api/v1/tasks/preview", json=timing)
        assert bad.status_code == 422, timing
        assert [e["field"] for e in bad.json()["errors"]] == [field]
    needs = viewer.post("/api/v1/tasks/preview", json={"kind": "once"})
    assert needs.status_code == 422 and "start_at" in needs.json()["detail"]


def test_cron_and_timings_in_words() -> None:
    cases = {
        "0 2 * * *": "at 02:00 every day",
        "*/5 * * * *": "every 5 minutes",
        "*/1 * * * *": "every minute",
        "15 * * * *": "every hour at minute 15",
        "0 */6 * * *": "every 6 hours at minute 0",
        "0 8,18 * * sat,sun": "at 08:00, 18:00 on Saturday, Sunday",
        "0 3 1,15 * *": "at 03:00 on day 1,15 of the month",
        "0 0 1 7 *": "at 00:00 on day 1 of the month in July",
        "0 2 L * *": "on cron 0 2 L * *",
        "* * * * * */2": "on cron * * * * * */2",
    }
    assert {expression: describe_cron(expression) for expression in cases} == cases
    assert describe(Timing(kind="interval", interval_seconds=5400)) == "every 90 minutes"
    assert describe(Timing(kind="interval", interval_seconds=86400)) == "every day"
    assert describe(Timing(kind="cron", cron="0 2 * * *", timezone="UTC")) == (
        "at 02:00 every day (UTC)"
    )


def test_retarget_a_task_and_see_it_in_the_calendar(
    runtime: Runtime, admin: TestClient, viewer: TestClient
) -> None:
    for name in ("Noop", "Other"):
        assert admin.post("/api/v1/services", json={"name": name, **NOOP}).status_code == 201
    device = {"name": "r1", "host": "192.0.2.1", "platform": "cisco_ios"}
    assert admin.post("/api/v1/devices", json=device).status_code == 201
    when = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    body = {
        "name": "audit",
        "automation": "Nope",
        "targets": {"devices": ["r1"]},
        "kind": "once",
        "start_at": _iso(when),
    }
    missing = admin.post("/api/v1/tasks", json=body)
    assert missing.status_code == 404 and missing.json()["field"] == "automation"
    task = admin.post("/api/v1/tasks", json={**body, "automation": "Noop"}).json()
    assert task["summary"] == "once"
    moved = admin.patch(f"/api/v1/tasks/{task['id']}", json={"automation": "Other"})
    assert moved.status_code == 200 and moved.json()["automation"] == "Other"
    gone = admin.patch(f"/api/v1/tasks/{task['id']}", json={"automation": "Nope"})
    assert gone.status_code == 404 and gone.json()["field"] == "automation"
    past = admin.patch(
        f"/api/v1/tasks/{task['id']}",
        json={"timing": {"kind": "once", "start_at": "2001-01-01T00:00:00Z"}},
    )
    assert past.status_code == 422 and past.json()["field"] == "timing.start_at"
    assert viewer.patch(f"/api/v1/tasks/{task['id']}", json={"automation": "Noop"}).status_code == (
        403
    )

    ran = admin.post(f"/api/v1/tasks/{task['id']}/run")
    assert ran.status_code == 201, ran.text
    run_id = ran.json()["run_id"]
    runtime.runs.wait(run_id, 60)
    yesterday = datetime.now(UTC) - timedelta(days=1)
    with runtime.transaction() as session:  # a firing missed while the scheduler was down
        session.add(TaskFiring(task_id=task["id"], due_at=yesterday, status="skipped"))
    window = {
        "from": _iso(datetime.now(UTC) - timedelta(days=3)),
        "to": _iso(datetime.now(UTC) + timedelta(days=7)),
    }
    events = viewer.get("/api/v1/calendar", params=window).json()
    by_kind = {(e["kind"], e["status"]): e for e in events}
    assert set(by_kind) == {("run", "failure"), ("firing", "skipped"), ("firing", "scheduled")}
    run = by_kind[("run", "failure")]  # the check has no step to look at: it fails
    assert (run["run_id"], run["task"], run["task_id"], run["title"]) == (
        run_id,
        "audit",
        task["id"],
        "Other",
    )
    skipped = by_kind[("firing", "skipped")]
    assert (skipped["task_id"], _when(skipped["start"])) == (task["id"], yesterday)
    future = by_kind[("firing", "scheduled")]
    assert (future["task_id"], future["title"], _when(future["start"])) == (
        task["id"],
        "Other",
        when,
    )
    starts = [_when(e["start"]) for e in events]
    assert starts == sorted(starts)
    # another range: only what falls in it
    later = {"from": _iso(when + timedelta(hours=1)), "to": _iso(when + timedelta(days=30))}
    assert viewer.get("/api/v1/calendar", params=later).json() == []
