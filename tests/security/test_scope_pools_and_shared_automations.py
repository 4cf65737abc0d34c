"""Two confused-deputy routes around scopes and fences (issue 13, items 4 and 5):

- a pool named in a credential's scope admits its members' addresses, so whoever adds a
  device (or an address) to it widens the credential: only an admin may;
- a fenced operator editing a service an unfenced user's task runs would act outside its
  fence by proxy: it changes only the services and workflows it created, and "run now" on
  someone else's task runs with the caller's fence."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient

from netweave.core.access import tokens, users
from netweave.core.access.schemas import ApiKeyCreate, UserCreate
from netweave.core.runtime import Runtime
from netweave.db.models import Role
from netweave.lab import LabThread
from tests.api.test_access_scopes import _operator, _two_ios

ATTACKER = "127.66.0.1"  # an address the operator controls, outside the credential's networks


def _operator_client(runtime: Runtime, admin: TestClient, name: str) -> TestClient:
    with runtime.transaction() as session:
        user = users.create_user(
            session,
            UserCreate(username=name, password="a-long-enough-password", role=Role.operator),
        )
        principal = tokens.Principal(user.id, user.username, Role.operator, "test")
        _, key = tokens.create_api_key(session, principal, ApiKeyCreate(name="op"))
    return TestClient(admin.app, headers={"X-API-KEY": key})


def _pool_scoped_credential(admin: TestClient, lab: LabThread) -> tuple[str, int]:
    """Credential 'core' scoped only to pool 'core' (static member + the site filter)."""
    inside, _ = _two_ios(lab)
    made = admin.post(
        "/api/v1/devices",
        json={"name": "core-1", "host": inside.host, "port": inside.port, "platform": "cisco_ios"},
    )
    assert made.status_code == 201, made.text
    pool = admin.post(
        "/api/v1/pools",
        json={"name": "core", "devices": ["core-1"], "device_filter": {"site": "core-site"}},
    )
    assert pool.status_code == 201, pool.text
    credential = {
        "name": "core",
        "username": "netweave",
        "password": "netweave",
        "scope": {"pools": ["core"]},
    }
    assert admin.post("/api/v1/credentials", json=credential).status_code == 201
    return "core", int(pool.json()["id"])


def _refused(answer: httpx.Response, *words: str) -> None:
    assert answer.status_code == 403, answer.text
    detail = answer.json()["detail"]
    for word in words:
        assert word in detail, detail


def test_operator_cannot_widen_a_pool_scoped_credential_through_the_pool(
    runtime: Runtime, admin: TestClient, lab: LabThread
) -> None:
    _, pool_id = _pool_scoped_credential(admin, lab)
    op = _operator_client(runtime, admin, "pool-widener")
    attacker = {"name": "evil", "host": ATTACKER, "port": 22, "platform": "cisco_ios"}

    # 1. a device matching the pool's filter, pointing at the attacker: refused, not stored
    _refused(op.post("/api/v1/devices", json={**attacker, "site": "core-site"}), "core", ATTACKER)
    assert not admin.get("/api/v1/devices", params={"name": "evil"}).json()["items"]

    # 2. a device created outside the pool, then moved in by its site: refused, unchanged
    made = op.post("/api/v1/devices", json=attacker)
    assert made.status_code == 201, made.text
    evil_id = made.json()["id"]
    _refused(op.patch(f"/api/v1/devices/{evil_id}", json={"site": "core-site"}), "core")
    assert admin.get(f"/api/v1/devices/{evil_id}").json()["site"] in ("", None)

    # 3. the pool itself widened to take the attacker in: refused, unchanged
    _refused(op.patch(f"/api/v1/pools/{pool_id}", json={"devices": ["core-1", "evil"]}), "core")
    _refused(op.patch(f"/api/v1/pools/{pool_id}", json={"device_filter": {"name": "evil"}}))
    assert admin.get(f"/api/v1/pools/{pool_id}").json()["devices"] == ["core-1"]

    # 4. the pool's own member re-aimed at the attacker: refused, unchanged
    core_id = admin.get("/api/v1/devices", params={"name": "core-1"}).json()["items"][0]["id"]
    _refused(op.patch(f"/api/v1/devices/{core_id}", json={"host": ATTACKER}), "core")
    assert admin.get(f"/api/v1/devices/{core_id}").json()["host"] != ATTACKER

    # so the credential is never offered to the attacker by an inline job either
    job = {
        "driver": "netmiko",
        "connection_args": {"host": ATTACKER, "port": 22},
        "credential": {"name": "core"},
        "command": "show clock",
    }
    _refused(op.post("/device/exec", json=job), "core")

    # operators still edit what does not touch the scope; an admin may widen it on purpose
    assert op.patch(f"/api/v1/devices/{evil_id}", json={"site": "lab"}).status_code == 200
    widened = admin.patch(f"/api/v1/devices/{evil_id}", json={"site": "core-site"})
    assert widened.status_code == 200, widened.text
    op.close()


def test_fenced_operator_cannot_edit_a_service_others_run_outside_its_fence(
    runtime: Runtime, admin: TestClient, lab: LabThread
) -> None:
    inside, outside = _two_ios(lab)
    credential = {
        "name": "lab",
        "username": "netweave",
        "password": "netweave",
        "enable_secret": "netweave",
        "scope": {"networks": ["127.0.0.0/8"]},
    }
    assert admin.post("/api/v1/credentials", json=credential).status_code == 201
    for device in (inside, outside):
        body = {
            "name": device.name,
            "host": device.host,
            "port": device.port,
            "platform": "cisco_ios",
            "credential": "lab",
        }
        assert admin.post("/api/v1/devices", json=body).status_code == 201
    assert admin.post("/api/v1/pools", json={"name": "in", "devices": [inside.name]}).is_success
    # the admin's service, run by the admin's task on the device outside the fence
    shared = {
        "name": "Show",
        "type": "netmiko_commands",
        "inputs": {"commands": ["show clock"]},
        "options": {"targets": {"devices": [outside.name]}},
    }
    made = admin.post("/api/v1/services", json=shared)
    assert made.status_code == 201, made.text
    service_id = made.json()["id"]
    workflow = {
        "name": "Flow",
        "graph": {
            "nodes": [{"id": "s", "ref": "Show"}],
            "edges": [{"source": "start", "target": "s"}, {"source": "s", "target": "end"}],
        },
    }
    flow = admin.post("/api/v1/workflows", json=workflow)
    assert flow.status_code == 201, flow.text

    user_id, key = _operator(runtime, "fenced-editor")
    assert admin.put(f"/api/v1/users/{user_id}/pools", json={"pools": ["in"]}).is_success
    op = TestClient(admin.app, headers={"X-API-KEY": key})

    evil = {"inputs": {"commands": ["reload"]}}
    _refused(op.patch(f"/api/v1/services/{service_id}", json=evil), "Show", "admin")
    _refused(op.delete(f"/api/v1/services/{service_id}"), "Show")
    _refused(op.patch(f"/api/v1/workflows/{flow.json()['id']}", json={"description": "x"}))
    _refused(op.delete(f"/api/v1/workflows/{flow.json()['id']}"), "Flow")
    kept = admin.get(f"/api/v1/services/{service_id}").json()
    assert kept["inputs"]["commands"] == ["show clock"]

    # its own service, aimed inside its fence, it edits and deletes freely
    own = {"name": "Mine", "type": "netmiko_commands", "inputs": {"commands": ["show clock"]}}
    mine = op.post("/api/v1/services", json=own)
    assert mine.status_code == 201, mine.text
    edited = op.patch(
        f"/api/v1/services/{mine.json()['id']}", json={"inputs": {"commands": ["show version"]}}
    )
    assert edited.status_code == 200, edited.text
    assert op.delete(f"/api/v1/services/{mine.json()['id']}").status_code == 204

    # nor does "run now" on the admin's task run it outside the fence with the admin's rights
    task = {"name": "t", "automation": "Show", "kind": "interval", "interval_seconds": 3600}
    made_task = admin.post("/api/v1/tasks", json={**task, "paused": True})
    assert made_task.status_code == 201, made_task.text
    _refused(op.post(f"/api/v1/tasks/{made_task.json()['id']}/run"), outside.name)
    assert op.get(f"/api/v1/tasks/{made_task.json()['id']}/firings").json() == []
    op.close()
