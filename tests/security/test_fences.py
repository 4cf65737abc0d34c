"""Pool fences that hold (issue 13, item 5): an operator an admin fenced to pools cannot
widen the fence (pool definitions), move devices across it, save automations aimed
outside it, nor aim a device's stored credential at another port. Real API, real lab."""

from __future__ import annotations

import time
from typing import Any

import httpx
from fastapi.testclient import TestClient

from netweave.core.events.messages import SyslogMessage
from netweave.core.runtime import Runtime
from netweave.lab import LabDevice, LabThread
from tests.api.test_access_scopes import _operator, _two_ios

SITE = "fenced-site"  # pool-in holds its static member and every device of this site
CLOCK = {"name": "Clock", "type": "netmiko_commands", "inputs": {"commands": ["show clock"]}}


class Fence:
    def __init__(self, admin: TestClient, op: TestClient, user_id: int) -> None:
        self.admin, self.op, self.user_id = admin, op, user_id

    def device_id(self, name: str) -> int:
        found = self.admin.get("/api/v1/devices", params={"name": name}).json()["items"]
        return int(next(d["id"] for d in found if d["name"] == name))

    def pool(self, name: str) -> dict[str, Any]:
        found = self.admin.get("/api/v1/pools", params={"name": name}).json()["items"]
        return dict(next(p for p in found if p["name"] == name))


def _setup(runtime: Runtime, admin: TestClient, lab: LabThread, name: str) -> Fence:
    """Credential (admin, scoped to the lab's loopback), the two lab devices, pool-in
    (inside + the site filter), pool-out (outside), an operator fenced to pool-in."""
    inside, outside = _two_ios(lab)
    credential = {
        "name": "lab",
        "username": "netweave",
        "password": "netweave",
        "enable_secret": "netweave",
        "scope": {"networks": ["127.0.0.0/8"]},
    }
    made = admin.post("/api/v1/credentials", json=credential)
    assert made.status_code == 201, made.text
    for device in (inside, outside):
        body = {
            "name": device.name,
            "host": device.host,
            "port": device.port,
            "platform": "cisco_ios",
            "credential": "lab",
        }
        assert admin.post("/api/v1/devices", json=body).status_code == 201
    pool_in = {"name": "pool-in", "devices": [inside.name], "device_filter": {"site": SITE}}
    assert admin.post("/api/v1/pools", json=pool_in).status_code == 201
    pool_out = {"name": "pool-out", "devices": [outside.name]}
    assert admin.post("/api/v1/pools", json=pool_out).status_code == 201
    assert admin.post("/api/v1/services", json=CLOCK).status_code == 201
    user_id, key = _operator(runtime, name)
    fenced = admin.put(f"/api/v1/users/{user_id}/pools", json={"pools": ["pool-in"]})
    assert fenced.status_code == 200 and fenced.json()["restricted"] is True
    return Fence(admin, TestClient(admin.app, headers={"X-API-KEY": key}), user_id)


def _refused(answer: httpx.Response, *names: str) -> None:
    assert answer.status_code == 403, answer.text
    for name in names:
        assert name in answer.json()["detail"], answer.text


def test_fenced_operator_cannot_redraw_pools_to_take_in_any_device(
    runtime: Runtime, admin: TestClient, lab: LabThread
) -> None:
    inside, outside = _two_ios(lab)
    fence = _setup(runtime, admin, lab, "pool-op")
    own = fence.pool("pool-in")
    other = fence.pool("pool-out")

    _refused(fence.op.patch(f"/api/v1/pools/{own['id']}", json={"devices": [outside.name]}))
    widened = {"device_filter": {"name": outside.name}}
    _refused(fence.op.patch(f"/api/v1/pools/{own['id']}", json=widened), "pool-in")
    _refused(fence.op.patch(f"/api/v1/pools/{own['id']}", json={"clear_filter": True}))
    _refused(fence.op.post("/api/v1/pools", json={"name": "mine", "devices": [outside.name]}))
    _refused(fence.op.delete(f"/api/v1/pools/{other['id']}"))

    assert fence.pool("pool-in")["devices"] == [inside.name]
    assert fence.pool("pool-in")["device_filter"]["site"] == SITE
    assert fence.pool("pool-out")["id"] == other["id"]
    assert not fence.admin.get("/api/v1/pools", params={"name": "mine"}).json()["items"]
    job = {"driver": "netmiko", "connection_args": {"host": outside.name}, "command": "show clock"}
    _refused(fence.op.post("/device/exec", json=job), outside.name)
    # an unfenced operator still manages pools
    fence.admin.put(f"/api/v1/users/{fence.user_id}/pools", json={"pools": []})
    assert fence.op.post("/api/v1/pools", json={"name": "mine"}).status_code == 201
    fence.op.close()


def test_fenced_operator_cannot_move_devices_or_links_across_its_fence(
    runtime: Runtime, admin: TestClient, lab: LabThread
) -> None:
    inside, outside = _two_ios(lab)
    fence = _setup(runtime, admin, lab, "device-op")
    outside_id = fence.device_id(outside.name)

    # devices outside: no edit, no delete
    _refused(
        fence.op.patch(f"/api/v1/devices/{outside_id}", json={"site": SITE}),
        outside.name,
        "pool-in",
    )
    _refused(fence.op.delete(f"/api/v1/devices/{outside_id}"), outside.name)
    assert fence.admin.get(f"/api/v1/devices/{outside_id}").json()["site"] in (None, "")

    # created outside: refused and rolled back; created inside (the live filter): kept
    stray = {"name": "stray", "host": "127.0.0.2", "port": 22, "platform": "cisco_ios"}
    _refused(fence.op.post("/api/v1/devices", json=stray), "stray")
    assert not fence.admin.get("/api/v1/devices", params={"name": "stray"}).json()["items"]
    kept = {**stray, "name": "kept", "site": SITE}
    assert fence.op.post("/api/v1/devices", json=kept).status_code == 201
    kept_id = fence.device_id("kept")

    # edited so that it leaves the fence: refused, nothing changed
    _refused(fence.op.patch(f"/api/v1/devices/{kept_id}", json={"site": "elsewhere"}), "kept")
    assert fence.admin.get(f"/api/v1/devices/{kept_id}").json()["site"] == SITE
    edited = fence.op.patch(f"/api/v1/devices/{kept_id}", json={"model": "c1111"})
    assert edited.status_code == 200 and edited.json()["model"] == "c1111"

    # links: not to a device outside, neither made nor removed
    across = {"source": inside.name, "destination": outside.name}
    _refused(fence.op.post("/api/v1/links", json=across), outside.name)
    made = fence.admin.post("/api/v1/links", json=across)
    assert made.status_code == 201
    _refused(fence.op.delete(f"/api/v1/links/{made.json()['id']}"), outside.name)
    _refused(
        fence.op.patch(f"/api/v1/links/{made.json()['id']}", json={"description": "x"}),
        outside.name,
    )
    assert fence.admin.get(f"/api/v1/links/{made.json()['id']}").status_code == 200
    within = fence.op.post("/api/v1/links", json={"source": inside.name, "destination": "kept"})
    assert within.status_code == 201, within.text
    moved = fence.op.patch(
        f"/api/v1/links/{within.json()['id']}", json={"destination": outside.name}
    )
    _refused(moved, outside.name)

    # an import may write anything: refused
    csv = f"name,host,port,platform,site\n{outside.name},{outside.host},{outside.port},cisco_ios,{SITE}\n"
    imported = fence.op.post(
        "/api/v1/inventory/import",
        files={"file": ("devices.csv", csv.encode(), "text/csv")},
    )
    _refused(imported, "pool-in")
    assert fence.admin.get(f"/api/v1/devices/{outside_id}").json()["site"] in (None, "")
    assert fence.op.delete(f"/api/v1/devices/{kept_id}").status_code == 204
    fence.op.close()


def test_fenced_operator_cannot_save_automations_aimed_outside_its_pools(
    runtime: Runtime, admin: TestClient, lab: LabThread
) -> None:
    inside, outside = _two_ios(lab)
    fence = _setup(runtime, admin, lab, "saver-op")
    op = fence.op
    out = {"devices": [outside.name]}
    timing = {"kind": "interval", "interval_seconds": 3600, "paused": True}

    task = {"name": "t-out", "automation": "Clock", "targets": out, **timing}
    _refused(op.post("/api/v1/tasks", json=task), outside.name)
    by_pool = {**task, "name": "t-pool", "targets": {"pools": ["pool-out"]}}
    _refused(op.post("/api/v1/tasks", json=by_pool), outside.name)
    trigger = {"name": "hook-out", "automation": "Clock", "targets": out}
    _refused(op.post("/api/v1/triggers", json=trigger), outside.name)
    service = {**CLOCK, "name": "Clock-out", "options": {"targets": out}}
    _refused(op.post("/api/v1/services", json=service), outside.name)
    workflow = {
        "name": "wf-out",
        "graph": {
            "nodes": [{"id": "a", "ref": "Clock"}],
            "edges": [
                {"source": "start", "target": "a"},
                {"source": "a", "target": "end"},
            ],
        },
        "options": {"targets": out},
    }
    _refused(op.post("/api/v1/workflows", json=workflow), outside.name)
    own = op.post("/api/v1/services", json={**CLOCK, "name": "Own clock"})
    assert own.status_code == 201, own.text
    _refused(
        op.patch(f"/api/v1/services/{own.json()['id']}", json={"options": {"targets": out}}),
        outside.name,
    )
    yaml = (
        "automations:\n  - kind: service\n    name: Clock-yaml\n    type: netmiko_commands\n"
        "    inputs: {commands: [show clock]}\n"
        f"    options: {{targets: {{devices: [{outside.name}]}}}}\n"
    )
    imported = op.post(
        "/api/v1/automations/import", content=yaml, headers={"Content-Type": "application/yaml"}
    )
    _refused(imported, outside.name)
    assert not fence.admin.get("/api/v1/services", params={"name": "Clock-yaml"}).json()["items"]
    # a rule with no pool criterion fires on every device's messages
    for match in ({}, {"pool": "pool-out"}, {"devices": [inside.name]}):
        rule = {"name": "r", "automation": "Clock", "match": match}
        answer = op.post("/api/v1/event-rules", json=rule)
        _refused(answer, "pool-in")
        assert answer.json()["field"] == "match.pool"

    inside_task = {**task, "name": "t-in", "targets": {"pools": ["pool-in"]}}
    saved = op.post("/api/v1/tasks", json=inside_task)
    assert saved.status_code == 201, saved.text
    moved = op.patch(f"/api/v1/tasks/{saved.json()['id']}", json={"targets": out})
    _refused(moved, outside.name)
    assert fence.admin.get(f"/api/v1/tasks/{saved.json()['id']}").json()["targets"] == {
        "pools": ["pool-in"]
    }
    rule = {"name": "r-in", "automation": "Clock", "match": {"pool": "pool-in"}}
    assert op.post("/api/v1/event-rules", json=rule).status_code == 201
    widened = op.patch("/api/v1/event-rules/r-in", json={"match": {}})
    _refused(widened, "pool-in")
    assert fence.admin.get("/api/v1/event-rules/r-in").json()["match"] == {"pool": "pool-in"}
    assert (
        op.post(
            "/api/v1/triggers",
            json={**trigger, "name": "hook-in", "targets": {"devices": [inside.name]}},
        ).status_code
        == 201
    )
    fence.op.close()


def _firings(admin: TestClient, rule: str, count: int) -> list[dict[str, Any]]:
    """The rule's firings once ``count`` of them have finished launching (run or error)."""
    deadline = time.monotonic() + 30
    while True:
        rows = admin.get(f"/api/v1/event-rules/{rule}/firings").json()
        done = [r for r in rows if r["run_id"] or r["status"] == "error"]
        if len(done) >= count or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


def _syslog(device: LabDevice) -> SyslogMessage:
    return SyslogMessage(
        facility=23, severity=3, message="%LINK-3-UPDOWN: down", hostname=device.name
    )


def test_event_rule_fires_as_its_saver_and_is_refused_once_its_fence_moves(
    runtime: Runtime, admin: TestClient, lab: LabThread
) -> None:
    inside, _ = _two_ios(lab)
    fence = _setup(runtime, admin, lab, "rule-op")
    rule = {
        "name": "on-down",
        "automation": "Clock",
        "match": {"pool": "pool-in"},
        "dedup_window": 0,
    }
    assert fence.op.post("/api/v1/event-rules", json=rule).status_code == 201

    assert runtime.events.ingest([_syslog(inside)]) == 1
    first = _firings(admin, "on-down", 1)
    assert len(first) == 1 and first[0]["run_id"], first

    # the admin moves the operator's fence: the saved rule no longer acts on pool-in
    moved = admin.put(f"/api/v1/users/{fence.user_id}/pools", json={"pools": ["pool-out"]})
    assert moved.status_code == 200
    assert runtime.events.ingest([_syslog(inside)]) == 1
    rows = _firings(admin, "on-down", 2)
    refused = [r for r in rows if r["status"] == "error"]
    assert len(refused) == 1 and not refused[0]["run_id"], rows
    assert inside.name in refused[0]["error"] and "rule-op" in refused[0]["error"]
    fence.op.close()


def test_trigger_fires_only_inside_its_savers_fence_whoever_calls_it(
    runtime: Runtime, admin: TestClient, lab: LabThread
) -> None:
    inside, outside = _two_ios(lab)
    fence = _setup(runtime, admin, lab, "hook-op")
    hook = {"name": "hook", "automation": "Clock", "device_path": "device"}
    assert fence.op.post("/api/v1/triggers", json=hook).status_code == 201
    # the admin is unfenced, but the trigger was saved by a fenced operator
    _refused(admin.post("/api/v1/triggers/hook/fire", json={"device": outside.name}), outside.name)
    _refused(fence.op.post("/api/v1/triggers/hook/fire", json={"device": outside.name}))
    assert admin.get("/api/v1/triggers/hook").json()["fired"] == 0
    fired = admin.post("/api/v1/triggers/hook/fire", json={"device": inside.name})
    assert fired.status_code == 201, fired.text
    # a trigger saved without targets runs the automation's defaults: checked too
    clock_id = admin.get("/api/v1/services", params={"name": "Clock"}).json()["items"][0]["id"]
    defaults = {"options": {"targets": {"devices": [outside.name]}}}
    assert admin.patch(f"/api/v1/services/{clock_id}", json=defaults).status_code == 200
    bare = {"name": "bare", "automation": "Clock"}
    assert fence.op.post("/api/v1/triggers", json=bare).status_code == 201
    _refused(admin.post("/api/v1/triggers/bare/fire", json={}), outside.name)
    fence.op.close()


def test_inventory_name_cannot_aim_its_stored_credential_at_another_port(
    runtime: Runtime, admin: TestClient, lab: LabThread
) -> None:
    inside, outside = _two_ios(lab)
    fence = _setup(runtime, admin, lab, "port-op")
    for client in (fence.op, admin):
        args = {"host": inside.name, "port": outside.port}
        job = {"driver": "netmiko", "connection_args": args, "command": "show clock"}
        answer = client.post("/device/exec", json=job)
        assert answer.status_code == 422, answer.text
        assert answer.json()["field"] == "connection_args.port"
        probe = client.post("/device/test", json={"driver": "netmiko", "connection_args": args})
        assert probe.status_code == 422 and probe.json()["field"] == "connection_args.port"
    same = {"host": inside.name, "port": inside.port}
    job = {"driver": "netmiko", "connection_args": same, "command": "show clock"}
    assert fence.op.post("/device/exec", json=job).status_code == 201
    fence.op.close()


def test_fenced_operator_cannot_delete_or_pause_what_others_aimed_outside_its_pools(
    runtime: Runtime, admin: TestClient, lab: LabThread
) -> None:
    """Found by the bulk-delete work: deleting, pausing and resuming checked the role only,
    so a fenced operator could delete an admin's tasks, triggers and rules anywhere."""
    inside, outside = _two_ios(lab)
    fence = _setup(runtime, admin, lab, "remover-op")
    op = fence.op
    timing = {"kind": "interval", "interval_seconds": 3600, "paused": True}
    made = {}
    for name, targets in (("t-admin-out", {"devices": [outside.name]}), ("t-admin-default", None)):
        body = {"name": name, "automation": "Clock", **timing}
        if targets:
            body["targets"] = targets
        answer = admin.post("/api/v1/tasks", json=body)
        assert answer.status_code == 201, answer.text
        made[name] = answer.json()["id"]
    hook = {"name": "hook-admin-out", "automation": "Clock", "targets": {"devices": [outside.name]}}
    assert admin.post("/api/v1/triggers", json=hook).status_code == 201
    rule = {"name": "r-admin-any", "automation": "Clock", "match": {"regex": "LINK"}}
    assert admin.post("/api/v1/event-rules", json=rule).status_code == 201

    out_id = made["t-admin-out"]
    _refused(op.delete(f"/api/v1/tasks/{out_id}"), outside.name)
    _refused(op.post(f"/api/v1/tasks/{out_id}/resume"), outside.name)
    _refused(op.delete(f"/api/v1/tasks/{made['t-admin-default']}"), "t-admin-default", "admin")
    _refused(op.post("/api/v1/tasks/bulk-delete", json={"ids": list(made.values())}))
    _refused(op.delete("/api/v1/triggers/hook-admin-out"), outside.name)
    _refused(op.delete("/api/v1/event-rules/r-admin-any"), "match.pool")
    _refused(op.post("/api/v1/event-rules/bulk-delete", json={"names": ["r-admin-any"]}))
    tasks = admin.get("/api/v1/tasks").json()["items"]
    assert {t["name"] for t in tasks} >= set(made) and all(t["paused"] for t in tasks)
    assert admin.get("/api/v1/triggers/hook-admin-out").status_code == 200
    assert admin.get("/api/v1/event-rules/r-admin-any").status_code == 200

    # what it may save, it may remove: a task inside its pools, its own default-target task
    inside_task = {"name": "t-in", "automation": "Clock", "targets": {"devices": [inside.name]}}
    mine = op.post("/api/v1/tasks", json={**inside_task, **timing})
    assert mine.status_code == 201, mine.text
    assert op.post(f"/api/v1/tasks/{mine.json()['id']}/resume").status_code == 200
    assert op.delete(f"/api/v1/tasks/{mine.json()['id']}").status_code == 204
    assert admin.delete(f"/api/v1/tasks/{out_id}").status_code == 204  # admins: anything
