"""Issue 15 item 4: bulk delete and bulk run on every table, not only devices. Each bulk
request is one transaction applying the single action's checks to every object (role, pool
fences, ownership of automations, in-use refusals): one refusal names the object and
nothing of the batch is kept."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from netweave.core.access import scopes, users
from netweave.core.runtime import Runtime
from netweave.db.models import Role

ClientFactory = Callable[[Role], TestClient]


def _made(answer: Any) -> dict[str, Any]:
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def _names(client: TestClient, path: str) -> set[str]:
    answer = client.get(path).json()
    return {row["name"] for row in (answer if isinstance(answer, list) else answer["items"])}


def _fence(runtime: Runtime, client_as: ClientFactory, pools: list[str]) -> tuple[TestClient, str]:
    """A new operator restricted to ``pools``, and its username."""
    client = client_as(Role.operator)
    with runtime.transaction() as session:
        user = max(
            (u for u in users.list_users(session) if u.role == Role.operator), key=lambda u: u.id
        )
        scopes.set_pools(session, user.id, pools)
        return client, user.username


def _device(client: TestClient, name: str, host: str) -> None:
    body = {"name": name, "host": host, "platform": "cisco_ios"}
    _made(client.post("/api/v1/devices", json=body))


def _graph(*refs: str, sub: bool = False) -> dict[str, Any]:
    kind = "workflow" if sub else "service"
    nodes = [{"id": f"n{i}", "ref": ref, "kind": kind} for i, ref in enumerate(refs)]
    chain = ["start", *(n["id"] for n in nodes), "end"]
    edges = [{"source": a, "target": b} for a, b in itertools.pairwise(chain)]
    return {"nodes": nodes, "edges": edges}


def test_bulk_delete_is_all_or_nothing_with_each_objects_checks(
    admin: TestClient, client_as: ClientFactory, runtime: Runtime
) -> None:
    _device(admin, "r1", "10.0.0.1")
    _device(admin, "r2", "10.0.0.2")
    lab = _made(admin.post("/api/v1/pools", json={"name": "lab", "devices": ["r1"]}))
    spare = _made(admin.post("/api/v1/pools", json={"name": "spare"}))
    viewer = client_as(Role.viewer)
    fenced, fenced_name = _fence(runtime, client_as, ["lab"])

    ping = {"type": "reachability", "inputs": {"kind": "tcp", "port": 9}}
    theirs = _made(admin.post("/api/v1/services", json={"name": "Theirs", **ping}))
    mine = _made(fenced.post("/api/v1/services", json={"name": "Mine", **ping}))
    used = _made(admin.post("/api/v1/services", json={"name": "Used", **ping}))
    sub = _made(admin.post("/api/v1/workflows", json={"name": "Sub", "graph": _graph("Used")}))
    parent = _made(
        admin.post("/api/v1/workflows", json={"name": "Top", "graph": _graph("Sub", sub=True)})
    )

    # a fenced operator: one service it did not create refuses the batch, naming it
    refused = fenced.post("/api/v1/services/bulk-delete", json={"ids": [mine["id"], theirs["id"]]})
    assert refused.status_code == 403, refused.text
    assert "'Theirs'" in refused.json()["detail"] and refused.json()["field"] == "ids"
    # ... and pools are not its to delete at all
    refused = fenced.post("/api/v1/pools/bulk-delete", json={"ids": [lab["id"]]})
    assert refused.status_code == 403 and "'lab'" in refused.json()["detail"]
    assert {"Mine", "Theirs"} <= _names(admin, "/api/v1/services")
    assert _names(admin, "/api/v1/pools") == {"lab", "spare"}

    # in use by a workflow outside the batch: 409 naming it, nothing deleted
    in_use = admin.post("/api/v1/services/bulk-delete", json={"ids": [theirs["id"], used["id"]]})
    assert in_use.status_code == 409, in_use.text
    assert "'Used'" in in_use.json()["detail"] and "Sub" in in_use.json()["detail"]
    assert {"Theirs", "Used"} <= _names(admin, "/api/v1/services")

    # a viewer may not; unknown ids are named (all of them), before anything is done
    body = {"ids": [spare["id"]]}
    assert viewer.post("/api/v1/pools/bulk-delete", json=body).status_code == 403
    unknown = admin.post("/api/v1/pools/bulk-delete", json={"ids": [spare["id"], 999998, 999999]})
    assert unknown.status_code == 404 and unknown.json()["field"] == "ids"
    assert "999998, 999999" in unknown.json()["detail"]
    twice = admin.post("/api/v1/pools/bulk-delete", json={"ids": [spare["id"], spare["id"]]})
    assert twice.status_code == 422 and "ids" in twice.text
    assert admin.post("/api/v1/pools/bulk-delete", json={"ids": []}).status_code == 422

    # a workflow and the sub-workflow it uses go together, in any order
    both = admin.post("/api/v1/workflows/bulk-delete", json={"ids": [sub["id"], parent["id"]]})
    assert both.status_code == 200, both.text
    assert both.json() == {"count": 2, "names": ["Top", "Sub"]}
    done = fenced.post("/api/v1/services/bulk-delete", json={"ids": [mine["id"]]})
    assert done.status_code == 200 and done.json()["names"] == ["Mine"]
    done = admin.post("/api/v1/services/bulk-delete", json={"ids": [theirs["id"], used["id"]]})
    assert done.status_code == 200 and done.json()["count"] == 2
    assert _names(admin, "/api/v1/services") == set()
    assert _names(admin, "/api/v1/workflows") == set()
    gone = admin.post("/api/v1/pools/bulk-delete", json={"ids": [lab["id"], spare["id"]]})
    assert gone.status_code == 200 and _names(admin, "/api/v1/pools") == set()
    # the changelog records each delete as a single delete does, with who did it
    log = admin.get("/api/v1/changelog", params={"action": "delete", "limit": 100}).json()
    deleted = {(r["object_type"], r["object_name"], r["actor"]) for r in log["items"]}
    assert ("service", "Mine", fenced_name) in deleted
    assert {("service", "Theirs", "admin"), ("service", "Used", "admin")} <= deleted
    assert {("workflow", "Sub", "admin"), ("workflow", "Top", "admin")} <= deleted
    assert {("pool", "lab", "admin"), ("pool", "spare", "admin")} <= deleted


def test_bulk_delete_by_name_and_on_the_other_tables(
    admin: TestClient, operator: TestClient, client_as: ClientFactory
) -> None:
    _device(admin, "r1", "10.0.0.1")
    _device(admin, "r2", "10.0.0.2")
    link = _made(admin.post("/api/v1/links", json={"source": "r1", "destination": "r2"}))
    check = {"type": "reachability", "inputs": {"kind": "tcp", "port": 9}}
    _made(admin.post("/api/v1/services", json={"name": "Check", **check}))
    tasks = [
        _made(
            admin.post(
                "/api/v1/tasks",
                json={
                    "name": f"t{i}",
                    "automation": "Check",
                    "kind": "interval",
                    "interval_seconds": 86400,
                    "paused": True,
                },
            )
        )
        for i in (1, 2)
    ]
    for name in ("down", "up"):
        rule = {"name": name, "automation": "Check", "match": {"regex": name.upper()}}
        _made(admin.post("/api/v1/event-rules", json=rule))
    vault = {"name": "v", "username": "u", "password": "p", "scope": {"networks": ["10.0.0.0/8"]}}
    credential = _made(admin.post("/api/v1/credentials", json=vault))
    front = _made(
        admin.post(
            "/api/v1/bastions", json={"name": "front", "host": "10.1.0.1", "credential": "v"}
        )
    )
    behind = {"name": "behind", "host": "10.1.0.2", "via": "front", "credential": "v"}
    back = _made(admin.post("/api/v1/bastions", json=behind))

    # rules are named as their single routes name them; an unknown one is named
    missing = operator.post("/api/v1/event-rules/bulk-delete", json={"names": ["down", "nope"]})
    assert missing.status_code == 404 and "'nope'" in missing.json()["detail"]
    assert _names(admin, "/api/v1/event-rules") == {"down", "up"}
    gone = operator.post("/api/v1/event-rules/bulk-delete", json={"names": ["up", "down"]})
    assert gone.status_code == 200 and gone.json() == {"count": 2, "names": ["up", "down"]}

    ids = {"ids": [t["id"] for t in tasks]}
    assert client_as(Role.viewer).post("/api/v1/tasks/bulk-delete", json=ids).status_code == 403
    assert operator.post("/api/v1/tasks/bulk-delete", json=ids).json()["count"] == 2
    assert operator.post("/api/v1/links/bulk-delete", json={"ids": [link["id"]]}).status_code == 200
    assert _names(admin, "/api/v1/tasks") == _names(admin, "/api/v1/links") == set()

    # credentials and bastions: admins only, as one by one; a bastion before the one
    # behind it is fine in one batch
    one = {"ids": [credential["id"]]}
    used = admin.post("/api/v1/credentials/bulk-delete", json=one)
    assert used.status_code == 409 and "'v'" in used.json()["detail"]
    both = {"ids": [front["id"], back["id"]]}
    assert operator.post("/api/v1/bastions/bulk-delete", json=both).status_code == 403
    assert admin.post("/api/v1/bastions/bulk-delete", json=both).status_code == 200
    assert operator.post("/api/v1/credentials/bulk-delete", json=one).status_code == 403
    assert admin.post("/api/v1/credentials/bulk-delete", json=one).status_code == 200
    assert _names(admin, "/api/v1/bastions") == _names(admin, "/api/v1/credentials") == set()


def _final(client: TestClient, run_id: str) -> str:
    deadline = time.monotonic() + 30  # a bound on a loaded machine, not a timing
    while time.monotonic() < deadline:
        status = client.get(f"/api/v1/runs/{run_id}").json()["status"]
        if status not in ("queued", "running", "stopping"):
            return str(status)
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not end")


def test_bulk_run_starts_each_once_on_its_defaults_or_none(
    admin: TestClient, operator: TestClient, client_as: ClientFactory, runtime: Runtime
) -> None:
    _device(admin, "r1", "127.0.0.1")
    _device(admin, "r2", "127.0.0.2")
    _made(admin.post("/api/v1/pools", json={"name": "lab", "devices": ["r1"]}))
    probe = {"type": "reachability", "inputs": {"kind": "tcp", "port": 9, "timeout": 1}}
    on = {"options": {"targets": {"devices": ["r1"]}}}
    ping = _made(admin.post("/api/v1/services", json={"name": "Ping", **probe, **on}))
    wide = {"options": {"targets": {"devices": ["r2"]}}}
    far = _made(admin.post("/api/v1/services", json={"name": "Far", **probe, **wide}))
    bare = _made(admin.post("/api/v1/services", json={"name": "Bare", **probe}))
    config = {"config": "ntp server 10.0.0.9", "dry_run": False}
    push = {"name": "Push", "type": "netmiko_config", "inputs": config, **on}
    pushes = _made(admin.post("/api/v1/services", json=push))
    preview = {**push, "name": "Preview", "inputs": {**config, "dry_run": True}}
    previews = _made(admin.post("/api/v1/services", json=preview))
    flow = {"name": "Flow", "graph": _graph("Ping"), **on}
    flows = _made(admin.post("/api/v1/workflows", json=flow))
    change = {"name": "Change", "graph": _graph("Ping", "Push"), **on}
    changes = _made(admin.post("/api/v1/workflows", json=change))

    def runs() -> int:
        return int(admin.get("/api/v1/runs").json()["total"])

    # a configuration change is refused from a batch (its page confirms it with a diff)
    refused = operator.post("/api/v1/services/bulk-run", json={"ids": [ping["id"], pushes["id"]]})
    assert refused.status_code == 409, refused.text
    assert "'Push'" in refused.json()["detail"] and "changes configuration" in refused.text
    refused = operator.post("/api/v1/workflows/bulk-run", json={"ids": [changes["id"]]})
    assert refused.status_code == 409 and "(Push)" in refused.json()["detail"]
    # no default targets: named; a fenced operator's batch reaching outside its pools: 403
    bare_run = operator.post("/api/v1/services/bulk-run", json={"ids": [ping["id"], bare["id"]]})
    assert bare_run.status_code == 422 and "'Bare'" in bare_run.json()["detail"]
    fenced, _ = _fence(runtime, client_as, ["lab"])
    outside = fenced.post("/api/v1/services/bulk-run", json={"ids": [ping["id"], far["id"]]})
    assert outside.status_code == 403 and "'Far'" in outside.json()["detail"]
    assert (
        client_as(Role.viewer)
        .post("/api/v1/workflows/bulk-run", json={"ids": [flows["id"]]})
        .status_code
        == 403
    )
    assert runs() == 0  # nothing of a refused batch started

    # a dry-run service and read-only ones run, each once on its own default targets
    started = operator.post("/api/v1/services/bulk-run", json={"ids": [ping["id"], previews["id"]]})
    assert started.status_code == 201, started.text
    assert [(r["name"], r["targets"]) for r in started.json()] == [
        ("Ping", ["r1"]),
        ("Preview", ["r1"]),
    ]
    workflow = fenced.post("/api/v1/workflows/bulk-run", json={"ids": [flows["id"]]})
    assert workflow.status_code == 201 and workflow.json()[0]["name"] == "Flow"
    for run in (*started.json(), *workflow.json()):
        assert _final(admin, run["id"]) in ("success", "failure")
    assert runs() == 3
