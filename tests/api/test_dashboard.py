"""The dashboard's numbers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from netweave.core.runtime import Runtime
from netweave.db.models import Device, Run


def test_counts_series_and_failures(runtime: Runtime, admin: TestClient) -> None:
    now = datetime.now(UTC)
    with runtime.transaction() as session:
        for number in range(5):
            session.add(
                Device(
                    name=f"r{number}",
                    host=f"10.0.0.{number + 1}",
                    platform="cisco_ios" if number < 3 else "arista_eos",
                    vendor="Cisco" if number < 3 else "Arista",
                    site="lyon",
                )
            )
        for days_ago, status in ((0, "success"), (0, "failure"), (1, "success"), (20, "failure")):
            session.add(
                Run(
                    id=str(uuid.uuid4()),
                    name=f"job-{days_ago}-{status}",
                    kind="service",
                    status=status,
                    definition={},
                    created_at=now - timedelta(days=days_ago),
                    started_at=now - timedelta(days=days_ago),
                    summary={"counts": {"failure": 2}} if status == "failure" else {},
                )
            )
    data = admin.get("/api/v1/dashboard").json()
    assert data["devices"] == 5
    assert data["by_platform"] == {"cisco_ios": 3, "arista_eos": 2}
    assert data["by_site"] == {"lyon": 5}
    assert data["runs_by_status"] == {"failure": 2, "success": 2}
    days = data["runs_per_day"]
    assert len(days) == 14 and days[-1]["day"] == now.date().isoformat()
    assert (days[-1]["success"], days[-1]["failure"]) == (1, 1)
    assert days[-2]["success"] == 1
    assert sum(d["failure"] for d in days) == 1  # the 20-day-old failure is outside the window
    assert [f["name"] for f in data["recent_failures"]] == ["job-0-failure", "job-20-failure"]
    assert data["recent_failures"][0]["failed"] == 2
    assert data["engine"]["executor"] == "local" and "queue_depth" in data["engine"]
