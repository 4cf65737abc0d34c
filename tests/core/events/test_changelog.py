"""The changelog records who created, changed, deleted and ran what — secrets never."""

from __future__ import annotations

from fastapi.testclient import TestClient

from netweave.db.models import Role
from netweave.lab import LabThread
from tests.fixtures.api import ClientFactory


def test_changes_and_runs_are_recorded_with_their_actor(
    admin: TestClient, client_as: ClientFactory, lab: LabThread
) -> None:
    operator = client_as(Role.operator)
    cred = admin.post(  # credentials are admin-only (issue 13, credential scopes)
        "/api/v1/credentials",
        json={
            "name": "c1",
            "username": "u",
            "password": "s3cret-pass",
            "enable_secret": "en-s3cret",
            "scope": {"networks": ["127.0.0.0/8"]},
        },
    )
    assert cred.status_code == 201
    device = lab.devices[0]
    made = operator.post(
        "/api/v1/devices",
        json={
            "name": "r1",
            "host": device.host,
            "port": device.port,
            "platform": "linux",
            "credential": "c1",
        },
    ).json()
    operator.patch(f"/api/v1/devices/{made['id']}", json={"site": "paris"})
    admin.patch(f"/api/v1/credentials/{cred.json()['id']}", json={"password": "new-s3cret"})
    body = {"name": "Ping", "type": "reachability", "inputs": {"kind": "tcp", "count": 1}}
    assert operator.post("/api/v1/services", json=body).status_code == 201
    run = operator.post("/api/v1/run/Ping", json={"targets": {"devices": ["r1"]}, "wait": 30})
    assert run.json()["status"] == "success"
    operator.delete(f"/api/v1/devices/{made['id']}")

    log = admin.get("/api/v1/changelog", params={"limit": 100}).json()
    entries = [(e["actor"], e["action"], e["object_type"], e["object_name"]) for e in log["items"]]
    by_admin = next(e["actor"] for e in log["items"] if e["object_name"] == "c1")
    actor = next(e["actor"] for e in log["items"] if e["object_name"] == "r1")
    assert actor.startswith("operator-") and by_admin != actor
    for expected in [
        (by_admin, "create", "credential", "c1"),
        (actor, "create", "device", "r1"),
        (actor, "update", "device", "r1"),
        (by_admin, "update", "credential", "c1"),
        (actor, "create", "service", "Ping"),
        (actor, "run", "run", "Ping"),
        (actor, "delete", "device", "r1"),
    ]:
        assert expected in entries, (expected, entries)
    site = next(e for e in log["items"] if e["action"] == "update" and e["object_type"] == "device")
    assert site["changes"]["site"] == {"from": "", "to": "paris"}
    text = str(log)
    assert "s3cret" not in text  # secrets never copied, only marked
    password = next(
        e for e in log["items"] if e["action"] == "update" and e["object_type"] == "credential"
    )
    assert password["changes"] == {"password_enc": "***"}
    only_runs = admin.get("/api/v1/changelog", params={"action": "run"}).json()
    assert only_runs["total"] == 1 and only_runs["items"][0]["changes"]["trigger"] == "api"
    mine = admin.get("/api/v1/changelog", params={"actor": actor, "object_type": "device"}).json()
    assert mine["total"] == 3
