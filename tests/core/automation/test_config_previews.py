"""Issue 15, item 3 (API side): every built-in type that changes device configuration says
which inputs make a run of it a dry run (``preview_inputs`` in /service-types), that dry run
changes nothing on the device, and a rollback preview is a run named as a preview."""

from __future__ import annotations

from fastapi.testclient import TestClient

from netweave.lab import LabThread
from tests.core.automation.conftest import add_inventory


def test_config_types_name_their_dry_run_inputs(admin: TestClient) -> None:
    types = {t["name"]: t for t in admin.get("/api/v1/service-types").json()}
    assert types["netmiko_config"]["preview_inputs"] == {"dry_run": True}
    assert types["napalm_config"]["preview_inputs"] == {"action": "dry_run"}
    assert types["config_restore"]["preview_inputs"] == {"dry_run": True}
    for read_only in ("netmiko_commands", "config_backup", "napalm_getters"):
        assert types[read_only]["preview_inputs"] is None, read_only
    one = admin.get("/api/v1/service-types/netmiko_config").json()
    assert one["preview_inputs"] == {"dry_run": True}


def test_preview_inputs_change_nothing_and_rollback_previews_are_named(
    admin: TestClient, ios_lab: LabThread
) -> None:
    names = add_inventory(admin, ios_lab)
    name = names[3]
    device = ios_lab.device(name)
    original = device.running_config()
    ident = admin.get("/api/v1/devices", params={"name": name}).json()["items"][0]["id"]
    types = {t["name"]: t for t in admin.get("/api/v1/service-types").json()}
    for kind, config in (("netmiko_config", "vlan 312"), ("napalm_config", "ntp server 10.3.1.2")):
        created = admin.post(
            "/api/v1/services", json={"name": kind, "type": kind, "inputs": {"config": config}}
        )
        assert created.status_code == 201, created.text
        run = admin.post(
            f"/api/v1/run/{kind}",
            json={
                "targets": {"devices": [name]},
                "inputs": types[kind]["preview_inputs"],
                "wait": 60,
            },
        ).json()
        assert run["status"] == "success", run
        result = admin.get(f"/api/v1/runs/{run['id']}/results").json()[0]["result"]
        assert result["committed"] is False
        assert config in (result.get("diff") or "\n".join(result.get("rendered", [])))
        assert device.running_config() == original, kind

    assert admin.post(f"/api/v1/devices/{ident}/configs/backup").json()["status"] == "success"
    pushed = admin.post(
        f"/api/v1/devices/{ident}/configs/push", json={"config": "logging host 10.3.1.3"}
    ).json()
    assert pushed["name"] == "configuration preview"
    assert device.running_config() == original
    admin.post(
        f"/api/v1/devices/{ident}/configs/push",
        json={"config": "logging host 10.3.1.3", "dry_run": False},
    )
    assert admin.post(f"/api/v1/devices/{ident}/configs/backup").json()["status"] == "success"
    changed = device.running_config()
    preview = admin.post(
        f"/api/v1/devices/{ident}/configs/rollback", json={"version": 1, "dry_run": True}
    ).json()
    assert preview["name"] == "Configuration rollback preview"
    result = admin.get(f"/api/v1/runs/{preview['id']}/results").json()[0]["result"]
    assert "-logging host 10.3.1.3" in result["diff"] and result["changed"] is False
    assert device.running_config() == changed
    real = admin.post(f"/api/v1/devices/{ident}/configs/rollback", json={"version": 1}).json()
    assert real["name"] == "Configuration rollback" and real["status"] == "success", real
    assert device.running_config() == original
