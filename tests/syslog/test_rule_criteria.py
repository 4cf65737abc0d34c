"""Rule criteria, rate limits and retention, fed straight into the ingest path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from netweave.core.events.messages import SyslogMessage
from netweave.core.runtime import Runtime
from netweave.db.models import RuleFiring, SyslogEntry
from netweave.lab import LabThread
from tests.core.automation.conftest import add_inventory


def _message(
    text: str,
    *,
    host: str = "",
    program: str = "",
    severity: int = 3,
    facility: int = 23,
    source: str = "192.0.2.1",
) -> SyslogMessage:
    return SyslogMessage(
        facility,
        severity,
        text,
        hostname=host,
        program=program,
        source=source,
        received_at=datetime.now(UTC),
    )


def _statuses(runtime: Runtime, rule: str) -> list[str]:
    with runtime.sessions() as session:
        rows = session.scalars(select(RuleFiring.status).order_by(RuleFiring.id))
        return list(rows)


def test_criteria_rate_limit_and_retention(
    runtime: Runtime, admin: TestClient, lab: LabThread
) -> None:
    names = add_inventory(admin, lab)
    ios = [d.name for d in lab.devices if d.spec.platform == "cisco_ios"]
    eos = [d.name for d in lab.devices if d.spec.platform == "arista_eos"]
    body = {
        "name": "Noop",
        "type": "data_validation",
        "inputs": {"step": "x", "checks": [{"kind": "text", "match": "x"}]},
    }
    assert admin.post("/api/v1/services", json=body).status_code == 201
    assert admin.post("/api/v1/pools", json={"name": "arista", "devices": eos}).status_code == 201
    rule = {
        "name": "config changed",
        "automation": "Noop",
        "match": {
            "pool": "arista",
            "facilities": [23],
            "max_severity": 5,
            "program": "SYS-5-*",
            "regex": r"Configured from (?P<via>\w+)",
        },
        "dedup_window": 0,
        "rate_limit": 2,
    }
    assert admin.post("/api/v1/event-rules", json=rule).status_code == 201
    events = runtime.events
    batch = [
        _message("Configured from console", host=eos[0], program="SYS-5-CONFIG_I"),  # fires
        _message("Configured from vty", host=ios[0], program="SYS-5-CONFIG_I"),  # not in pool
        _message("Configured from vty", host=eos[0], program="SYS-5-CONFIG_I", severity=6),
        _message("Configured from vty", host=eos[0], program="SYS-5-CONFIG_I", facility=1),
        _message("Configured from vty", host=eos[0], program="LINK-3-UPDOWN"),
        _message("Reloaded", host=eos[0], program="SYS-5-CONFIG_I"),  # regex misses
        _message("Configured from snmp", host=eos[1], program="SYS-5-CONFIG_I"),  # fires
        _message("Configured from api", host=eos[1], program="SYS-5-CONFIG_I"),  # rate limited
    ]
    assert events.ingest(batch) == len(batch)
    assert _statuses(runtime, "config changed") == ["fired", "fired", "rate_limited"]
    firings = admin.get("/api/v1/event-rules/config changed/firings").json()
    assert {f["groups"]["via"] for f in firings if f["status"] == "fired"} == {"console", "snmp"}
    assert {f["device"] for f in firings} == {eos[0], eos[1]}
    # messages map to devices by hostname, program (Cisco origin-id) or a unique address
    found = admin.get("/api/v1/syslog", params={"device": eos[0]}).json()
    assert found["total"] == 5
    unique = next(d for d in lab.devices if d.name == names[-1])
    with runtime.transaction() as session:
        from netweave.db.models import Device

        session.execute(update(Device).where(Device.name == unique.name).values(host="192.0.2.77"))
    with runtime.sessions() as session:  # (the index notices inventory changes within 5 s)
        events.refresh(session, force=True)
    events.ingest([_message("hello", source="192.0.2.77"), _message("tagged", program=ios[1])])
    by_source = admin.get("/api/v1/syslog", params={"q": "hello"}).json()["items"][0]
    assert by_source["device"] == unique.name
    by_tag = admin.get("/api/v1/syslog", params={"q": "tagged"}).json()["items"][0]
    assert by_tag["device"] == ios[1]

    # retention: what is older than the setting goes
    with runtime.transaction() as session:
        session.execute(
            update(SyslogEntry)
            .where(SyslogEntry.message == "hello")
            .values(received_at=datetime.now(UTC) - timedelta(days=31))
        )
    assert events.purge() == 1
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(SyslogEntry)) == len(batch) + 1
