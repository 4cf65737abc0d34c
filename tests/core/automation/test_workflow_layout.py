"""The builder's layout through the API: every step's x, y and where start and end are
drawn are saved with the graph, updated in place, exported and imported; a bad layout is
refused naming the field; a graph without a layout stays as it was."""

from __future__ import annotations

import yaml
from fastapi.testclient import TestClient


def _graph(layout: dict | None = None) -> dict:
    graph: dict = {
        "nodes": [
            {"id": "ping", "ref": "Ping", "x": 320.5, "y": 140},
            {"id": "again", "ref": "Ping", "label": "Ping again", "x": 620, "y": -40.25},
        ],
        "edges": [
            {"source": "start", "target": "ping"},
            {"source": "ping", "target": "end"},
            {"source": "ping", "target": "again", "kind": "failure"},
            {"source": "again", "target": "end"},
        ],
    }
    if layout is not None:
        graph["layout"] = layout
    return graph


def test_layout_is_saved_updated_and_exported(admin: TestClient) -> None:
    service = admin.post("/api/v1/services", json={"name": "Ping", "type": "reachability"})
    assert service.status_code == 201, service.text
    layout = {"start": {"x": 40, "y": 150}, "end": {"x": 980, "y": 150}}
    created = admin.post("/api/v1/workflows", json={"name": "Laid out", "graph": _graph(layout)})
    assert created.status_code == 201, created.text
    workflow_id = created.json()["id"]

    graph = admin.get(f"/api/v1/workflows/{workflow_id}").json()["graph"]
    assert graph["layout"] == {"start": {"x": 40.0, "y": 150.0}, "end": {"x": 980.0, "y": 150.0}}
    positions = {n["id"]: (n["x"], n["y"], n["label"]) for n in graph["nodes"]}
    assert positions == {"ping": (320.5, 140.0, ""), "again": (620.0, -40.25, "Ping again")}
    assert {(e["source"], e["target"], e["kind"]) for e in graph["edges"]} == {
        ("start", "ping", "success"),
        ("ping", "end", "success"),
        ("ping", "again", "failure"),
        ("again", "end", "success"),
    }

    moved = _graph({"start": {"x": -10, "y": 0}, "end": {"x": 700, "y": 300}})
    moved["nodes"][0]["x"] = 111
    patched = admin.patch(f"/api/v1/workflows/{workflow_id}", json={"graph": moved})
    assert patched.status_code == 200, patched.text
    assert patched.json()["graph"]["layout"]["end"] == {"x": 700.0, "y": 300.0}
    assert patched.json()["graph"]["nodes"][0]["x"] == 111.0

    exported = admin.get("/api/v1/automations/export", params={"names": ["Laid out"]})
    document = yaml.safe_load(exported.text)
    assert document["automations"][-1]["graph"]["layout"]["start"] == {"x": -10.0, "y": 0.0}
    text = exported.text.replace("Laid out", "Laid out copy").replace("name: Ping\n", "name: P2\n")
    text = text.replace("ref: Ping", "ref: P2")
    imported = admin.post(
        "/api/v1/automations/import", content=text, headers={"Content-Type": "application/yaml"}
    )
    assert imported.status_code == 200, imported.text
    copy = imported.json()[-1]
    assert copy["name"] == "Laid out copy"
    assert copy["graph"]["layout"] == {
        "start": {"x": -10.0, "y": 0.0},
        "end": {"x": 700.0, "y": 300.0},
    }


def test_bad_layouts_are_refused_and_no_layout_is_kept_out(admin: TestClient) -> None:
    assert (
        admin.post("/api/v1/services", json={"name": "Ping", "type": "reachability"}).status_code
        == 201
    )
    middle = admin.post(
        "/api/v1/workflows",
        json={"name": "wf", "graph": _graph({"middle": {"x": 1, "y": 2}})},
    )
    assert middle.status_code == 422 and "graph.layout.middle" in middle.json()["detail"]
    no_y = admin.post(
        "/api/v1/workflows", json={"name": "wf", "graph": _graph({"start": {"x": 1}})}
    )
    assert no_y.status_code == 422 and "graph.layout.start.y" in no_y.json()["detail"]
    assert admin.get("/api/v1/workflows", params={"name": "wf"}).json()["total"] == 0

    plain = admin.post("/api/v1/workflows", json={"name": "wf", "graph": _graph()})
    assert plain.status_code == 201, plain.text
    assert "layout" not in plain.json()["graph"]  # a graph saved without one stays as it was
