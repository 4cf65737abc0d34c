"""Configuration management per device: on-demand backups into a versioned history,
diffs, search, push with a preview, rollback to any version (NAPALM and Netmiko)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from netweave.db.models import Role
from netweave.lab import LabThread
from tests.core.automation.conftest import add_inventory
from tests.fixtures.api import ClientFactory


def _device_id(client: TestClient, name: str) -> int:
    return int(client.get("/api/v1/devices", params={"name": name}).json()["items"][0]["id"])


def test_history_diff_search_push_and_rollback(
    admin: TestClient, client_as: ClientFactory, ios_lab: LabThread
) -> None:
    names = add_inventory(admin, ios_lab)
    name = names[10]
    device = ios_lab.device(name)
    ident = _device_id(admin, name)
    original = device.running_config()

    first = admin.post(f"/api/v1/devices/{ident}/configs/backup").json()
    assert first["status"] == "success", first
    again = admin.post(f"/api/v1/devices/{ident}/configs/backup").json()
    assert again["status"] == "success"
    assert len(admin.get(f"/api/v1/devices/{ident}/configs").json()) == 1  # unchanged: no v2

    preview = admin.post(
        f"/api/v1/devices/{ident}/configs/push", json={"config": "ntp server 10.7.7.7"}
    ).json()
    assert preview["status"] == "success"
    result = admin.get(f"/api/v1/runs/{preview['id']}/results").json()[0]
    assert "+ntp server 10.7.7.7" in result["result"]["diff"]
    assert "ntp server 10.7.7.7" not in device.running_config()

    pushed = admin.post(
        f"/api/v1/devices/{ident}/configs/push",
        json={"config": "ntp server 10.7.7.7\nlogging host 10.8.8.8", "dry_run": False},
    ).json()
    assert pushed["status"] == "success", pushed
    assert "logging host 10.8.8.8" in device.running_config()
    admin.post(f"/api/v1/devices/{ident}/configs/backup")
    history = admin.get(f"/api/v1/devices/{ident}/configs").json()
    assert [v["version"] for v in history] == [2, 1]

    diff = admin.get(f"/api/v1/devices/{ident}/configs/diff", params={"first": 1}).text
    assert "+ntp server 10.7.7.7" in diff and "+logging host 10.8.8.8" in diff
    content = admin.get(f"/api/v1/devices/{ident}/configs/2").json()["content"]
    assert "logging host 10.8.8.8" in content
    hits = admin.get("/api/v1/configs/search", params={"q": "logging host"}).json()
    assert [(h["device"], h["version"], h["line"]) for h in hits] == [
        (name, 2, "logging host 10.8.8.8")
    ]
    regex = admin.get("/api/v1/configs/search", params={"q": r"^ntp server 10\.7", "regex": True})
    assert [h["device"] for h in regex.json()] == [name]
    bad = admin.get("/api/v1/configs/search", params={"q": "(", "regex": True})
    assert bad.status_code == 422 and bad.json()["detail"].startswith("q:")

    viewer = client_as(Role.viewer)
    assert (
        viewer.post(f"/api/v1/devices/{ident}/configs/rollback", json={"version": 1}).status_code
        == 403
    )
    assert (
        admin.post(f"/api/v1/devices/{ident}/configs/rollback", json={"version": 9}).status_code
        == 404
    )

    dry = admin.post(
        f"/api/v1/devices/{ident}/configs/rollback", json={"version": 1, "dry_run": True}
    ).json()
    dry_result = admin.get(f"/api/v1/runs/{dry['id']}/results").json()[0]["result"]
    assert "-logging host 10.8.8.8" in dry_result["diff"]
    assert "logging host 10.8.8.8" in device.running_config()

    back = admin.post(
        f"/api/v1/devices/{ident}/configs/rollback", json={"version": 1, "method": "netmiko"}
    ).json()
    assert back["status"] == "success", admin.get(f"/api/v1/runs/{back['id']}/results").json()
    assert device.running_config() == original
    forward = admin.post(
        f"/api/v1/devices/{ident}/configs/rollback", json={"version": 2, "method": "napalm"}
    ).json()
    assert forward["status"] == "success"
    assert "logging host 10.8.8.8" in device.running_config()
    restore = admin.post(f"/api/v1/devices/{ident}/configs/rollback", json={"version": 1}).json()
    assert restore["status"] == "success"
    assert device.running_config() == original  # the shared lab is left as found
