"""Services and workflows through the API: validation on save, references, YAML
export/import, per-run mode, sub-workflows, payload passing, stop and restart."""

from __future__ import annotations

import time
from itertools import pairwise

import yaml
from fastapi.testclient import TestClient

from netweave.db.models import Role
from netweave.lab import Fault, LabThread
from tests.core.automation.conftest import add_inventory
from tests.fixtures.api import ClientFactory


def _service(client: TestClient, name: str, type_: str, inputs: dict, **options: object) -> None:
    body = {"name": name, "type": type_, "inputs": inputs, "options": options}
    response = client.post("/api/v1/services", json=body)
    assert response.status_code == 201, response.text


def _chain(*steps: str, failure: dict[str, str] | None = None) -> dict:
    nodes = [{"id": s.split(":")[0], "ref": s.split(":")[1]} for s in steps]
    ids = ["start", *[n["id"] for n in nodes], "end"]
    edges = [{"source": a, "target": b} for a, b in pairwise(ids)]
    for source, target in (failure or {}).items():
        edges.append({"source": source, "target": target, "kind": "failure"})
    return {"nodes": nodes, "edges": edges}


def test_bad_services_and_graphs_are_refused_naming_the_field(admin: TestClient) -> None:
    unknown = admin.post("/api/v1/services", json={"name": "x", "type": "nope"})
    assert unknown.status_code == 422 and unknown.json()["detail"].startswith("type: unknown")
    missing = admin.post("/api/v1/services", json={"name": "x", "type": "netmiko_commands"})
    assert missing.status_code == 422 and "inputs.commands" in missing.json()["detail"]
    typo = admin.post(
        "/api/v1/services",
        json={"name": "x", "type": "netmiko_commands", "inputs": {"commands": ["a"], "cmd": 1}},
    )
    assert typo.status_code == 422 and "inputs.cmd" in typo.json()["detail"]
    bad_option = admin.post(
        "/api/v1/services",
        json={"name": "x", "type": "reachability", "options": {"retries": 99}},
    )
    assert bad_option.status_code == 422 and "retries" in bad_option.text
    _service(admin, "Ping", "reachability", {})
    duplicate = admin.post("/api/v1/services", json={"name": "Ping", "type": "reachability"})
    assert duplicate.status_code == 409

    cases = [
        (_chain("a:Nothing"), "no service named 'Nothing'"),
        ({"nodes": [{"id": "a", "ref": "Ping"}], "edges": []}, "no edge leaves start"),
        (
            {
                "nodes": [{"id": "a", "ref": "Ping"}],
                "edges": [{"source": "start", "target": "a"}, {"source": "a", "target": "a"}],
            },
            "end cannot be reached",
        ),
        (
            {
                "nodes": [{"id": "a", "ref": "Ping"}, {"id": "b", "ref": "Ping"}],
                "edges": [
                    {"source": "start", "target": "a"},
                    {"source": "a", "target": "b"},
                    {"source": "b", "target": "a"},
                    {"source": "b", "target": "end", "kind": "failure"},
                ],
            },
            "a loop would never end",
        ),
    ]
    for graph, message in cases:
        response = admin.post("/api/v1/workflows", json={"name": "wf", "graph": graph})
        assert response.status_code == 422, response.text
        assert message in response.json()["detail"], response.json()
        assert response.json()["detail"].startswith("graph.")


def test_references_export_import_and_rename(admin: TestClient, client_as: ClientFactory) -> None:
    _service(admin, "Ping", "reachability", {"kind": "tcp"}, retries=1)
    _service(admin, "Facts", "napalm_getters", {"getters": ["get_facts"]})
    inner = admin.post("/api/v1/workflows", json={"name": "Inner", "graph": _chain("p:Ping")})
    assert inner.status_code == 201
    outer = admin.post(
        "/api/v1/workflows",
        json={
            "name": "Outer",
            "graph": {
                "nodes": [
                    {"id": "sub", "ref": "Inner", "kind": "workflow"},
                    {"id": "f", "ref": "Facts"},
                ],
                "edges": [
                    {"source": "start", "target": "sub"},
                    {"source": "sub", "target": "f"},
                    {"source": "f", "target": "end"},
                ],
            },
        },
    )
    assert outer.status_code == 201, outer.text
    ping_id = admin.get("/api/v1/services", params={"name": "Ping"}).json()["items"][0]["id"]
    in_use = admin.delete(f"/api/v1/services/{ping_id}")
    assert in_use.status_code == 409 and "Inner" in in_use.json()["detail"]

    exported = admin.get("/api/v1/automations/export", params={"names": ["Outer"]})
    assert exported.status_code == 200
    document = yaml.safe_load(exported.text)
    assert [a["name"] for a in document["automations"]] == ["Ping", "Inner", "Facts", "Outer"]
    assert document["automations"][0]["options"] == {"retries": 1}

    # renaming a service follows into the graphs that use it
    renamed = admin.patch(f"/api/v1/services/{ping_id}", json={"name": "TCP check"})
    assert renamed.status_code == 200
    inner_row = admin.get("/api/v1/workflows", params={"name": "Inner"}).json()["items"][0]
    assert inner_row["graph"]["nodes"][0]["ref"] == "TCP check"

    # import into an empty name space (names changed), then replace in place
    text = exported.text.replace("Outer", "Outer2").replace("Inner", "Inner2")
    text = text.replace("name: Ping", "name: Ping2").replace("ref: Ping", "ref: Ping2")
    text = text.replace("name: Facts", "name: Facts2").replace("ref: Facts", "ref: Facts2")
    viewer = client_as(Role.viewer)
    assert (
        viewer.post(
            "/api/v1/automations/import", content=text, headers={"Content-Type": "application/yaml"}
        ).status_code
        == 403
    )
    imported = admin.post(
        "/api/v1/automations/import", content=text, headers={"Content-Type": "application/yaml"}
    )
    assert imported.status_code == 200, imported.text
    assert [a["name"] for a in imported.json()] == ["Ping2", "Inner2", "Facts2", "Outer2"]
    again = admin.post(
        "/api/v1/automations/import", content=text, headers={"Content-Type": "application/yaml"}
    )
    assert again.status_code == 409 and again.json()["detail"].startswith("automations[0].name")
    replaced = admin.post(
        "/api/v1/automations/import",
        params={"replace": True},
        content=text.replace("retries: 1", "retries: 3"),
        headers={"Content-Type": "application/yaml"},
    )
    assert replaced.status_code == 200
    ping2 = admin.get("/api/v1/services", params={"name": "Ping2"}).json()["items"][0]
    assert ping2["options"]["retries"] == 3
    broken = admin.post(
        "/api/v1/automations/import",
        content="automations:\n  - name: Z\n    kind: service\n    type: reachability\n    inputs: {port: 0}\n",
        headers={"Content-Type": "application/yaml"},
    )
    assert broken.status_code == 422 and "automations[0].inputs.port" in broken.json()["detail"]
    assert admin.get("/api/v1/services", params={"name": "Z"}).json()["total"] == 0
    not_yaml = admin.post(
        "/api/v1/automations/import", content="a: [", headers={"Content-Type": "application/yaml"}
    )
    assert not_yaml.status_code == 422 and not_yaml.json()["detail"].startswith("body:")


def test_per_run_mode_sub_workflows_and_payload(admin: TestClient, ios_lab: LabThread) -> None:
    names = add_inventory(admin, ios_lab)[:4]
    _service(admin, "Version", "netmiko_commands", {"commands": ["show version"]})
    _service(
        admin,
        "Check version",
        "data_validation",
        {"step": "version", "checks": [{"kind": "regex", "match": "Cisco IOS", "path": "text"}]},
    )
    _service(
        admin,
        "Hostname",
        "netmiko_commands",
        {"commands": ["show running-config | include hostname {{ device.name }}"]},
        validation=[{"kind": "text", "match": "hostname {{ device.name }}"}],
    )
    inner = _chain("version:Version", "check:Check version")
    assert (
        admin.post("/api/v1/workflows", json={"name": "Audit", "graph": inner}).status_code == 201
    )
    outer = {
        "nodes": [
            {"id": "audit", "ref": "Audit", "kind": "workflow"},
            {"id": "host", "ref": "Hostname"},
        ],
        "edges": [
            {"source": "start", "target": "audit"},
            {"source": "audit", "target": "host"},
            {"source": "host", "target": "end"},
        ],
    }
    assert (
        admin.post("/api/v1/workflows", json={"name": "Full audit", "graph": outer}).status_code
        == 201
    )
    for mode in ("per_device", "per_run"):
        run = admin.post(
            "/api/v1/run/Full audit",
            json={"targets": {"devices": names}, "mode": mode, "wait": 60},
        ).json()
        assert run["status"] == "success", run
        assert run["mode"] == mode
        if mode == "per_device":
            assert run["summary"]["counts"] == {"success": 4}
            path = run["summary"]["devices"][names[0]]["path"]
            assert [p["step"] for p in path] == ["audit/version", "audit/check", "host"]
        else:
            assert run["summary"]["counts"] == {"success": 1}
            assert run["summary"]["steps"]["host"] == {"success": 1}
        results = admin.get(f"/api/v1/runs/{run['id']}/results").json()
        checks = [r for r in results if r["step"] == "audit/check"]
        assert len(checks) == 4 and all(r["success"] for r in checks)
        assert checks[0]["result"]["checks"][0]["detail"].startswith("regex 'Cisco IOS'")
    history = admin.get("/api/v1/runs", params={"device": names[0]}).json()
    assert history["total"] == 2
    by_name = admin.get("/api/v1/runs", params={"name": "Full audit", "status": "success"}).json()
    assert by_name["total"] == 2


def test_stop_restart_events_and_compare(admin: TestClient, ios_lab: LabThread) -> None:
    names = add_inventory(admin, ios_lab)[:3]
    slow = ios_lab.devices[2]
    _service(admin, "Clock", "netmiko_commands", {"commands": ["show clock"]})
    _service(admin, "Version", "netmiko_commands", {"commands": ["show version"]})
    graph = _chain("clock:Clock", "version:Version")
    assert admin.post("/api/v1/workflows", json={"name": "Two", "graph": graph}).status_code == 201
    ios_lab.set_fault(slow.name, Fault("slow", delay=1.5))
    try:
        run = admin.post("/api/v1/run/Two", json={"targets": {"devices": names}}).json()
        assert run["status"] == "running"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # wait until the fast devices are past step 1
            results = admin.get(f"/api/v1/runs/{run['id']}/results").json()
            if sum(1 for r in results if r["step"] == "clock") >= 2:
                break
            time.sleep(0.1)
        stopped = admin.post(f"/api/v1/runs/{run['id']}/stop")
        assert stopped.status_code == 200
        final = admin.get(f"/api/v1/runs/{run['id']}").json()
        deadline = time.monotonic() + 30
        while (
            final["status"] not in ("stopped", "success", "failure") and time.monotonic() < deadline
        ):
            time.sleep(0.2)
            final = admin.get(f"/api/v1/runs/{run['id']}").json()
        assert final["status"] == "stopped", final
        assert final["summary"]["counts"].get("stopped", 0) >= 1
        assert admin.post(f"/api/v1/runs/{run['id']}/stop").status_code == 409
    finally:
        ios_lab.clear_fault(slow.name)

    restarted = admin.post(
        f"/api/v1/runs/{run['id']}/restart", json={"start_at": "version", "wait": 60}
    )
    assert restarted.status_code == 201, restarted.text
    second = restarted.json()
    assert second["status"] == "success" and second["parent_id"] == run["id"]
    assert second["start_at"] == "version"
    results = admin.get(f"/api/v1/runs/{second['id']}/results").json()
    copied = [r for r in results if r["copied"]]
    fresh = [r for r in results if not r["copied"]]
    assert {r["step"] for r in copied} <= {"clock", "version"} and copied
    assert {r["step"] for r in fresh} == {"version"} and len(fresh) == 3
    bad = admin.post(f"/api/v1/runs/{run['id']}/restart", json={"start_at": "nowhere"})
    assert bad.status_code == 422 and bad.json()["detail"].startswith("start_at")

    with admin.stream("GET", f"/api/v1/runs/{second['id']}/events") as stream:
        events = [line for line in stream.iter_lines() if line.startswith("event:")]
    assert events.count("event: result") == len(results)
    assert events[-1] == "event: end"

    one, two = fresh[0]["id"], fresh[1]["id"]
    diff = admin.get("/api/v1/results/compare", params={"first": one, "second": two}).json()
    assert diff["diff"].startswith("--- result")
    same = admin.get("/api/v1/results/compare", params={"first": one, "second": one}).json()
    assert same["diff"] == ""
    assert admin.get("/api/v1/results/999999").status_code == 404
