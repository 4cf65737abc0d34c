"""The issue's scenario, through the API alone: backup → push VLAN → validate with a show
command → on failure roll back, on 20 lab devices of which 3 silently refuse the VLAN."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from netweave.core.runtime import Runtime
from netweave.lab import LabThread
from tests.core.automation.conftest import add_inventory


@pytest.fixture
def runtime(engine_runtime: Runtime) -> Runtime:
    """On both executors: steps run in this process (local) or on an rq worker node."""
    return engine_runtime


VLAN_CONFIG = """vlan {{ vars.vlan }}
interface Vlan{{ vars.vlan }}
 description {{ vars.vlan_name }} for {{ device.name }}
"""


def build_change_workflow(client: TestClient) -> None:
    services: list[dict[str, Any]] = [
        {"name": "Backup config", "type": "config_backup"},
        {"name": "Push VLAN", "type": "netmiko_config", "inputs": {"config": VLAN_CONFIG}},
        {
            "name": "Validate VLAN",
            "type": "netmiko_commands",
            "inputs": {"commands": ["show running-config | include ^vlan"]},
            "options": {
                "validation": [{"kind": "regex", "match": "^vlan {{ vars.vlan }}$", "path": "text"}]
            },
        },
        {"name": "Roll back", "type": "config_restore", "inputs": {"from_step": "backup"}},
    ]
    for service in services:
        response = client.post("/api/v1/services", json=service)
        assert response.status_code == 201, response.text
    graph = {
        "nodes": [
            {"id": "backup", "ref": "Backup config"},
            {"id": "push", "ref": "Push VLAN"},
            {"id": "validate", "ref": "Validate VLAN"},
            {"id": "rollback", "ref": "Roll back"},
        ],
        "edges": [
            {"source": "start", "target": "backup"},
            {"source": "backup", "target": "push"},
            {"source": "push", "target": "validate"},
            {"source": "push", "target": "rollback", "kind": "failure"},
            {"source": "validate", "target": "end"},
            {"source": "validate", "target": "rollback", "kind": "failure"},
        ],
    }
    response = client.post("/api/v1/workflows", json={"name": "VLAN change", "graph": graph})
    assert response.status_code == 201, response.text


def test_vlan_change_with_rollback_on_20_devices(admin: TestClient, ios_lab: LabThread) -> None:
    names = add_inventory(admin, ios_lab)
    clients = ios_lab.devices[4:7]  # VTP clients: "vlan 100" is refused without a "%"
    for device in clients:
        assert device.ios_config is not None
        device.ios_config.set_line("vtp mode client")
    before = {d.name: d.running_config() for d in ios_lab.devices}
    build_change_workflow(admin)

    response = admin.post(
        "/api/v1/run/VLAN change",
        json={
            "targets": {"devices": names},
            "variables": {"vlan": 100, "vlan_name": "USERS"},
            "wait": 180,
        },
    )
    assert response.status_code == 201, response.text
    run = response.json()
    assert run["status"] == "failure", run
    summary = run["summary"]
    results = admin.get(f"/api/v1/runs/{run['id']}/results").json()
    assert summary["counts"] == {"success": 17, "failure": 3}, (
        summary,
        [(r["result"], r["logs"]) for r in results[:2]],
    )
    failed = {name for name, d in summary["devices"].items() if d["outcome"] == "failure"}
    assert failed == {d.name for d in clients}
    for name in failed:
        path = [(p["step"], p["success"]) for p in summary["devices"][name]["path"]]
        assert path == [("backup", True), ("push", True), ("validate", False), ("rollback", True)]
    assert summary["steps"]["rollback"] == {"success": 3}

    # the devices themselves: 17 changed, 3 back to exactly what they had
    for device in ios_lab.devices:
        running = device.running_config()
        if device in clients:
            assert running == before[device.name]
        else:
            assert "vlan 100" in running.splitlines()
            assert f" description USERS for {device.name}" in running

    # the rollback results carry the diff they undid
    rollbacks = admin.get(f"/api/v1/runs/{run['id']}/results", params={"step": "rollback"}).json()
    assert {r["device"] for r in rollbacks} == failed
    for result in rollbacks:
        assert result["success"] and result["result"]["method"] == "napalm"
        assert "-interface Vlan100" in result["result"]["diff"]
        assert result["result"]["remaining_diff"] == ""
    validations = admin.get(f"/api/v1/runs/{run['id']}/results", params={"step": "validate"}).json()
    assert sum(1 for v in validations if not v["success"]) == 3
    bad = next(v for v in validations if not v["success"])
    assert bad["result"]["validation"][0]["passed"] is False

    # the backup is version 1 of each device's history
    device_id = admin.get("/api/v1/devices", params={"name": clients[0].name}).json()["items"][0][
        "id"
    ]
    history = admin.get(f"/api/v1/devices/{device_id}/configs").json()
    assert [v["version"] for v in history] == [1]
    assert history[0]["run_id"] == run["id"]
