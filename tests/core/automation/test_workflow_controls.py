"""Workflow controls on lab devices: prerequisite edges (parallel branches and a join that
waits for all its parents), disabled steps, skip conditions, waiting times, priority,
iteration devices, and a maximum of concurrent runs."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient

from netweave.lab import LabThread
from tests.core.automation.conftest import add_inventory
from tests.fixtures.database import ONE_BACKEND


def _service(client: TestClient, name: str, commands: list[str], **options: Any) -> None:
    body = {
        "name": name,
        "type": "netmiko_commands",
        "inputs": {"commands": commands},
        "options": options,
    }
    response = client.post("/api/v1/services", json=body)
    assert response.status_code == 201, response.text


def _results(client: TestClient, run_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/runs/{run_id}/results")
    assert response.status_code == 200, response.text
    return list(response.json())


def _wait(client: TestClient, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 90
    while True:
        run = client.get(f"/api/v1/runs/{run_id}").json()
        if run["status"] not in ("queued", "running", "stopping") or time.monotonic() > deadline:
            return dict(run)
        time.sleep(0.2)


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@ONE_BACKEND  # the walk and the controls are the same on both; admission (below) is SQL
def test_branches_join_skip_disabled_waits_and_iteration_devices(
    admin: TestClient, ios_lab: LabThread
) -> None:
    names = add_inventory(admin, ios_lab)[:4]
    _service(admin, "Version", ["show version"])
    _service(admin, "Clock", ["show clock"])
    graph = {
        "nodes": [
            {"id": "check", "ref": "Version", "wait_after": 1},
            {"id": "a", "ref": "Clock", "skip_if": f"device.name == '{names[0]}'"},
            {"id": "b", "ref": "Clock", "disabled": True},
            {"id": "peers", "ref": "Version", "iteration_devices": "vars.peers[device.name]"},
            {"id": "join", "ref": "Version", "priority": 5},
        ],
        "edges": [
            {"source": "start", "target": "check"},
            {"source": "check", "target": "a"},
            {"source": "check", "target": "b", "kind": "prerequisite"},
            {"source": "check", "target": "peers", "kind": "prerequisite"},
            {"source": "a", "target": "join", "kind": "prerequisite"},
            {"source": "b", "target": "join", "kind": "prerequisite"},
            {"source": "peers", "target": "join", "kind": "prerequisite"},
            {"source": "join", "target": "end"},
        ],
    }
    created = admin.post("/api/v1/workflows", json={"name": "Controls", "graph": graph})
    assert created.status_code == 201, created.text
    stored = {n["id"]: n for n in created.json()["graph"]["nodes"]}
    assert stored["b"]["disabled"] is True and "disabled" not in stored["a"]
    peers = {names[0]: [names[1], names[2]], names[1]: [], names[2]: [names[3]], names[3]: []}
    run = admin.post(
        "/api/v1/run/Controls",
        json={"targets": {"devices": names}, "variables": {"peers": peers}, "wait": 120},
    ).json()
    assert run["status"] == "success", run
    results = _results(admin, run["id"])
    by = {(r["step"], r["device"]): r for r in results}
    # the join ran once per device, after every parent
    for name in names:
        join = by[("join", name)]
        assert [r["step"] for r in results if r["device"] == name].count("join") == 1
        for parent in ("a", "b"):
            assert _at(by[(parent, name)]["ended_at"]) <= _at(join["started_at"])
        # wait_after on check: nothing after it starts within a second of its end
        after = _at(by[("check", name)]["ended_at"])
        assert (_at(by[("a", name)]["started_at"]) - after).total_seconds() >= 1
        disabled = by[("b", name)]
        assert disabled["result"]["state"] == "skipped" and disabled["attempts"] == 0
        assert disabled["success"] is True
    skipped = by[("a", names[0])]
    assert skipped["result"]["state"] == "skipped" and skipped["attempts"] == 0
    assert "attempts" in by[("a", names[1])] and by[("a", names[1])]["attempts"] == 1
    # iteration devices: the step ran on each device's peers, not on the device itself
    peers_ran = sorted(r["device"] for r in results if r["step"] == "peers" and r["attempts"])
    assert peers_ran == sorted([names[1], names[2], names[3]])
    none = [r for r in results if r["step"] == "peers" and not r["attempts"]]
    assert {r["device"] for r in none} == {names[1], names[3]}
    assert all(r["result"]["reason"] == "iteration devices: none" for r in none)
    steps = run["summary"]["devices"][names[0]]["path"]
    assert steps[0]["step"] == "check" and steps[-1]["step"] == "join"

    exported = admin.get("/api/v1/automations/export", params={"names": ["Controls"]})
    assert "kind: prerequisite" in exported.text and "iteration_devices:" in exported.text


@ONE_BACKEND
def test_a_bad_expression_fails_that_device_and_bad_syntax_is_refused(
    admin: TestClient, ios_lab: LabThread
) -> None:
    names = add_inventory(admin, ios_lab)[:2]
    _service(admin, "Version", ["show version"])
    bad = {
        "nodes": [{"id": "v", "ref": "Version", "skip_if": "device.name =="}],
        "edges": [{"source": "start", "target": "v"}, {"source": "v", "target": "end"}],
    }
    response = admin.post("/api/v1/workflows", json={"name": "Bad", "graph": bad})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("graph.nodes[0].skip_if: not a Jinja expression")
    unknown = {
        "nodes": [{"id": "v", "ref": "Version", "iteration_devices": "['no-such-device']"}],
        "edges": [{"source": "start", "target": "v"}, {"source": "v", "target": "end"}],
    }
    assert admin.post("/api/v1/workflows", json={"name": "U", "graph": unknown}).status_code == 201
    run = admin.post("/api/v1/run/U", json={"targets": {"devices": names}, "wait": 60}).json()
    assert run["status"] == "failure", run
    results = _results(admin, run["id"])
    assert len(results) == 2
    assert all("not in the inventory: no-such-device" in r["result"]["error"] for r in results)


def test_max_runs_queues_the_next_run_until_one_ends(admin: TestClient, ios_lab: LabThread) -> None:
    names = add_inventory(admin, ios_lab)[:2]
    _service(admin, "Slow", ["show version"])
    graph = {
        "nodes": [{"id": "s", "ref": "Slow", "wait_before": 1.5}],
        "edges": [{"source": "start", "target": "s"}, {"source": "s", "target": "end"}],
    }
    body = {"name": "One at a time", "graph": graph, "options": {"max_runs": 1}}
    assert admin.post("/api/v1/workflows", json=body).status_code == 201
    first = admin.post("/api/v1/run/One at a time", json={"targets": {"devices": names}}).json()
    second = admin.post("/api/v1/run/One at a time", json={"targets": {"devices": names}}).json()
    assert admin.get(f"/api/v1/runs/{second['id']}").json()["status"] == "queued"
    third = admin.post("/api/v1/run/One at a time", json={"targets": {"devices": names}}).json()
    stopped = admin.post(f"/api/v1/runs/{third['id']}/stop")
    assert stopped.status_code == 200, stopped.text
    ends = {}
    for run in (first, second, third):
        ends[run["id"]] = _wait(admin, run["id"])
    assert ends[first["id"]]["status"] == ends[second["id"]]["status"] == "success"
    assert ends[third["id"]]["status"] == "stopped"  # stopped while queued: never ran
    assert _results(admin, third["id"]) == []
    assert _at(ends[second["id"]]["started_at"]) >= _at(ends[first["id"]]["ended_at"])


@ONE_BACKEND
def test_a_once_for_all_step_runs_once_for_every_device_that_came(
    admin: TestClient, ios_lab: LabThread
) -> None:
    names = add_inventory(admin, ios_lab)[:5]
    source = "result['names'] = sorted(d['name'] for d in devices)\n"
    body = {
        "name": "Who",
        "type": "python_snippet",
        "inputs": {"source": source},
        "options": {"run_method": "once"},
    }
    assert admin.post("/api/v1/services", json=body).status_code == 201
    _service(admin, "Version", ["show version"])
    graph = {
        "nodes": [
            {"id": "v", "ref": "Version"},
            {"id": "all", "ref": "Who"},
            {"id": "peers", "ref": "Who", "iteration_devices": "vars.peers[device.name]"},
        ],
        "edges": [
            {"source": "start", "target": "v"},
            {"source": "v", "target": "all"},
            {"source": "all", "target": "peers"},
            {"source": "peers", "target": "end"},
        ],
    }
    assert admin.post("/api/v1/workflows", json={"name": "Once", "graph": graph}).status_code == 201
    peers = {names[0]: [names[3]], names[1]: [names[3], names[4]], names[2]: []}
    run = admin.post(
        "/api/v1/run/Once",
        json={"targets": {"devices": names[:3]}, "variables": {"peers": peers}, "wait": 120},
    ).json()
    assert run["status"] == "success", run
    results = _results(admin, run["id"])
    once = [r for r in results if r["step"] == "all"]
    assert len(once) == 1 and once[0]["result"]["names"] == sorted(names[:3])
    iterated = [r for r in results if r["step"] == "peers"]
    assert len(iterated) == 1 and iterated[0]["result"]["names"] == sorted(names[3:5])
    assert all(run["summary"]["devices"][n]["outcome"] == "success" for n in names[:3])
