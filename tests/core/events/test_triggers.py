"""REST triggers: an external system fires a workflow with a payload, using an API key
that can do nothing else."""

from __future__ import annotations

from fastapi.testclient import TestClient

from netweave.core.runtime import Runtime
from netweave.db.models import Role
from netweave.lab import LabThread
from tests.core.automation.conftest import add_inventory
from tests.fixtures.api import ClientFactory


def test_a_scoped_key_fires_a_trigger_with_its_payload(
    runtime: Runtime, admin: TestClient, client_as: ClientFactory, lab: LabThread
) -> None:
    names = add_inventory(admin, lab)
    ios = next(d for d in lab.devices if d.spec.platform == "cisco_ios")
    body = {
        "name": "Grep",
        "type": "netmiko_commands",
        "inputs": {"commands": ["show running-config | include {{ vars.pattern }}"]},
        "options": {"validation": [{"kind": "text", "match": "{{ vars.pattern }}"}]},
    }
    assert admin.post("/api/v1/services", json=body).status_code == 201
    trigger = {
        "name": "ticket",
        "automation": "Grep",
        "variables": {"pattern": "alert.match", "ticket": "id"},
        "device_path": "alert.host",
    }
    assert admin.post("/api/v1/triggers", json=trigger).status_code == 201
    operator = client_as(Role.operator)
    key = operator.post("/api/v1/api-keys", json={"name": "itsm", "scope": "trigger"}).json()
    assert key["scope"] == "trigger"
    external = TestClient(operator.app, headers={"X-API-KEY": key["key"]})

    fired = external.post(
        "/api/v1/triggers/ticket/fire",
        json={"id": "INC-42", "alert": {"host": ios.name, "match": "ntp server"}},
    )
    assert fired.status_code == 201, fired.text
    run = runtime.runs.wait(fired.json()["id"], 60)
    assert run.status == "success", run.summary
    assert run.trigger == "rest" and run.targets == [ios.name]
    assert run.variables["ticket"] == "INC-42"
    result = admin.get(f"/api/v1/runs/{run.id}/results").json()[0]
    assert "ntp server" in result["result"]["text"]

    # by address when it is unique; clear errors otherwise
    by_host = external.post(
        "/api/v1/triggers/ticket/fire", json={"alert": {"host": "nowhere", "match": "x"}}
    )
    assert by_host.status_code == 404 and "payload.alert.host" in by_host.json()["detail"]
    missing = external.post("/api/v1/triggers/ticket/fire", json={"id": 1})
    assert missing.status_code == 422 and missing.json()["detail"].startswith("payload.alert.host")
    assert external.post("/api/v1/triggers/nope/fire", json={}).status_code == 404

    # the scoped key can do nothing else
    assert external.get("/api/v1/devices").status_code == 403
    assert external.post("/api/v1/run/Grep", json={}).status_code == 403
    assert external.get("/api/v1/triggers").status_code == 403
    minted = external.post("/api/v1/api-keys", json={"name": "escalate"})
    assert minted.status_code == 403  # it cannot mint itself a full key either
    viewer = client_as(Role.viewer)
    assert viewer.post("/api/v1/triggers/ticket/fire", json={}).status_code == 403
    admin.patch("/api/v1/triggers/ticket", json={"enabled": False})
    disabled = external.post(
        "/api/v1/triggers/ticket/fire", json={"alert": {"host": ios.name, "match": "x"}}
    )
    assert disabled.status_code == 409
    listed = admin.get("/api/v1/triggers").json()
    assert listed[0]["fired"] == 1 and names
