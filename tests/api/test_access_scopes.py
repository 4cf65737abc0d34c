"""Per-pool access: an operator restricted to pools acts (jobs, runs, terminals) only on the
devices of those pools — real jobs on the lab's devices, a real WebSocket terminal."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from fastapi.testclient import TestClient

from netweave.core.access import tokens, users
from netweave.core.access.schemas import ApiKeyCreate, UserCreate
from netweave.core.runtime import Runtime
from netweave.db.models import Role
from netweave.lab import LabDevice, LabThread
from tests.api.test_terminal import open_term, refusal, seed, ws_url
from tests.fixtures.api import LiveApi

LOGIN = {"username": "netweave", "password": "netweave", "secret": "netweave"}
ClientFactory = Callable[[Role], TestClient]


def _two_ios(lab: LabThread) -> tuple[LabDevice, LabDevice]:
    inside, outside = [d for d in lab.devices if d.spec.platform == "cisco_ios"][:2]
    return inside, outside


def _inventory(admin: TestClient, inside: LabDevice, outside: LabDevice) -> None:
    assert (
        admin.post(
            "/api/v1/credentials",
            json={
                "name": "lab",
                "username": "netweave",
                "password": "netweave",
                "enable_secret": "netweave",
                "scope": {"networks": ["127.0.0.0/8"]},
            },
        ).status_code
        == 201
    )
    for device in (inside, outside):
        created = admin.post(
            "/api/v1/devices",
            json={
                "name": device.name,
                "host": device.host,
                "port": device.port,
                "platform": "cisco_ios",
                "credential": "lab",
            },
        )
        assert created.status_code == 201, created.text
    for pool, device in (("pool-in", inside), ("pool-out", outside)):
        made = admin.post("/api/v1/pools", json={"name": pool, "devices": [device.name]})
        assert made.status_code == 201, made.text


def _operator(runtime: Runtime, name: str) -> tuple[int, str]:
    with runtime.transaction() as session:
        user = users.create_user(
            session,
            UserCreate(username=name, password="a-long-enough-password", role=Role.operator),
        )
        principal = tokens.Principal(user.id, user.username, Role.operator, "test")
        _, key = tokens.create_api_key(session, principal, ApiKeyCreate(name="scoped"))
        return user.id, key


def _exec(client: TestClient, host: str, **extra: object) -> httpx.Response:
    body = {
        "driver": "netmiko",
        "connection_args": {"host": host, **extra},
        "command": "show clock",
    }
    return client.post("/device/exec", json=body)


def test_restricted_operator_acts_only_inside_their_pools(
    runtime: Runtime, admin: TestClient, lab: LabThread
) -> None:
    inside, outside = _two_ios(lab)
    _inventory(admin, inside, outside)
    user_id, key = _operator(runtime, "scoped-op")
    scoped = TestClient(admin.app, headers={"X-API-KEY": key})

    unrestricted = admin.get(f"/api/v1/users/{user_id}/pools").json()
    assert unrestricted["pools"] == [] and unrestricted["restricted"] is False
    missing = admin.put(f"/api/v1/users/{user_id}/pools", json={"pools": ["nope"]})
    assert missing.status_code == 404 and missing.json()["field"] == "pools[0]"
    assert scoped.put(f"/api/v1/users/{user_id}/pools", json={"pools": []}).status_code == 403
    restricted = admin.put(f"/api/v1/users/{user_id}/pools", json={"pools": ["pool-in"]})
    assert restricted.status_code == 200
    assert restricted.json() == {
        "user_id": user_id,
        "username": "scoped-op",
        "role": "operator",
        "pools": ["pool-in"],
        "restricted": True,
        "missing_pools": 0,
    }

    # jobs: by inventory name, by address (+ port), in bulk, the synchronous test
    job = _exec(scoped, inside.name)
    assert job.status_code == 201, job.text
    done = scoped.get(f"/jobs/{job.json()['id']}", params={"wait": 30}).json()
    assert done["status"] == "finished", done
    refused = _exec(scoped, outside.name)
    assert refused.status_code == 403
    detail = refused.json()["detail"]
    assert outside.name in detail and "pool-in" in detail and inside.name not in detail
    by_address = _exec(scoped, outside.host, port=outside.port, **LOGIN)
    assert by_address.status_code == 403
    assert f"{outside.host}:{outside.port}" in by_address.json()["detail"]
    assert _exec(scoped, inside.host, port=inside.port, **LOGIN).status_code == 201
    before = len(scoped.get("/jobs").json())
    bulk = scoped.post(
        "/device/bulk",
        json={
            "driver": "netmiko",
            "devices": [{"host": inside.name}, {"host": outside.name}],
            "command": "show clock",
        },
    )
    assert bulk.status_code == 403 and outside.name in bulk.json()["detail"]
    assert len(scoped.get("/jobs").json()) == before  # nothing queued for the inside device
    probe = scoped.post(
        "/device/test", json={"driver": "netmiko", "connection_args": {"host": outside.name}}
    )
    assert probe.status_code == 403 and outside.name in probe.json()["detail"]

    # runs: a service, the device page's backup, a trigger fired with the operator's key
    service = {"name": "Clock", "type": "netmiko_commands", "inputs": {"commands": ["show clock"]}}
    assert admin.post("/api/v1/services", json=service).status_code == 201
    run_out = scoped.post("/api/v1/run/Clock", json={"targets": {"pools": ["pool-in", "pool-out"]}})
    assert run_out.status_code == 403 and outside.name in run_out.json()["detail"]
    run_in = scoped.post("/api/v1/run/Clock", json={"targets": {"pools": ["pool-in"]}, "wait": 30})
    assert run_in.status_code == 201 and run_in.json()["status"] == "success", run_in.text
    outside_id = admin.get("/api/v1/devices", params={"name": outside.name}).json()["items"][0][
        "id"
    ]
    backup = scoped.post(f"/api/v1/devices/{outside_id}/configs/backup", params={"wait": 0})
    assert backup.status_code == 403 and outside.name in backup.json()["detail"]
    trigger = {"name": "hook", "automation": "Clock", "device_path": "device"}
    assert admin.post("/api/v1/triggers", json=trigger).status_code == 201
    fired = scoped.post("/api/v1/triggers/hook/fire", json={"device": outside.name})
    assert fired.status_code == 403 and outside.name in fired.json()["detail"]
    assert (
        admin.post("/api/v1/triggers/hook/fire", json={"device": outside.name}).status_code == 201
    )

    # refusals are audited with the user's name; an empty set lifts the restriction
    audit = admin.get(
        "/api/v1/audit/auth-failures", params={"kind": "forbidden", "username": "scoped-op"}
    ).json()
    assert any(
        outside.name in row["reason"] and row["path"] == "/device/exec" for row in audit["items"]
    )
    assert (
        admin.put(f"/api/v1/users/{user_id}/pools", json={"pools": []}).json()["restricted"]
        is False
    )
    assert _exec(scoped, outside.name).status_code == 201
    scoped.close()


def test_restriction_fails_closed_when_its_pools_are_deleted_and_never_binds_admins(
    runtime: Runtime, admin: TestClient, lab: LabThread
) -> None:
    inside, outside = _two_ios(lab)
    _inventory(admin, inside, outside)
    user_id, key = _operator(runtime, "orphan-op")
    admin.put(f"/api/v1/users/{user_id}/pools", json={"pools": ["pool-in"]})
    pool_id = admin.get("/api/v1/pools", params={"name": "pool-in"}).json()["items"][0]["id"]
    assert admin.delete(f"/api/v1/pools/{pool_id}").status_code == 204
    left = admin.get(f"/api/v1/users/{user_id}/pools").json()
    assert left["pools"] == [] and left["missing_pools"] == 1 and left["restricted"] is True
    with TestClient(admin.app, headers={"X-API-KEY": key}) as scoped:
        refused = _exec(scoped, inside.name)
        assert refused.status_code == 403 and "since deleted" in refused.json()["detail"]

    admin_id = admin.get("/api/v1/auth/me").json()["user"]["id"]
    own = admin.put(f"/api/v1/users/{admin_id}/pools", json={"pools": ["pool-out"]}).json()
    assert own["pools"] == ["pool-out"] and own["restricted"] is False
    assert _exec(admin, inside.name).status_code == 201


def test_restricted_operator_terminal(live_api: LiveApi, lab: LabThread) -> None:
    inside, outside = _two_ios(lab)
    ids = seed(live_api, [(d.name, d.host, d.port) for d in (inside, outside)])
    user_id, key = _operator(live_api.runtime, "term-op")
    with httpx.Client(base_url=live_api.url, headers={"X-API-KEY": live_api.key}) as client:
        client.post("/api/v1/pools", json={"name": "pool-in", "devices": [inside.name]})
        answer = client.put(f"/api/v1/users/{user_id}/pools", json={"pools": ["pool-in"]})
        assert answer.status_code == 200
    headers = {"X-API-KEY": key}
    code, reason = refusal(ws_url(live_api, ids[outside.name]), additional_headers=headers)
    assert code == 4403 and outside.name in reason and "pool-in" in reason
    with open_term(ws_url(live_api, ids[inside.name]), additional_headers=headers) as term:
        assert term.wait_event("connected")["device"] == inside.name
