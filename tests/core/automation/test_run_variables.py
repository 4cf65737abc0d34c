"""The run variables a service or workflow reads (``vars.*`` in its templates), through the
API: required and optional (with a default) names, every step of a workflow and its
sub-workflows, the iteration variable left out; the seeded "VLAN change" workflow asks for
``vlan`` and its stored step positions do not overlap in the builder."""

from __future__ import annotations

from itertools import combinations

import yaml
from fastapi.testclient import TestClient

from netweave.cli.demo_automation import DEMO_AUTOMATIONS
from netweave.core.automation.variables import template_variables

STEP_W, STEP_H = 250, 78  # a step card as the builder draws it (web/src/workflow/model.ts)


def _create(client: TestClient, path: str, body: dict) -> int:
    response = client.post(path, json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _names(client: TestClient, path: str) -> dict[str, tuple[bool, list[str]]]:
    response = client.get(path)
    assert response.status_code == 200, response.text
    return {v["name"]: (v["required"], v["used_by"]) for v in response.json()["variables"]}


def test_template_variables_required_and_optional() -> None:
    found = template_variables(
        "vlan {{ vars.vlan }}\n"
        " name {{ vars.vlan_name | default('users') }}\n"
        "{% if vars.mtu is defined %} mtu {{ vars.mtu }}{% endif %}\n"
        "{{ vars['site'] }} {{ vars.get('owner', 'noc') }} {{ device.name }}"
    )
    assert found == {
        "vlan": True,
        "vlan_name": False,
        "mtu": False,
        "site": True,
        "owner": False,
    }
    assert template_variables("no template here") == {}
    assert template_variables("{{ vars.broken ") == {}  # a syntax error is reported on run


def test_service_and_workflow_variables_over_the_api(admin: TestClient, viewer: TestClient) -> None:
    push = _create(
        admin,
        "/api/v1/services",
        {
            "name": "Push VLAN",
            "type": "netmiko_config",
            "inputs": {"config": "vlan {{ vars.vlan }}\n name {{ vars.vlan_name | default('x') }}"},
        },
    )
    check = _create(
        admin,
        "/api/v1/services",
        {
            "name": "Check VLAN",
            "type": "netmiko_commands",
            "inputs": {"commands": ["show vlan id {{ vars.vlan }}", "show clock"]},
            "options": {
                "validation": [{"kind": "regex", "match": "{{ vars.expect | default('ok') }}"}],
                "iteration": {"values": [1, 2], "variable": "round"},
            },
        },
    )
    looped = _create(
        admin,
        "/api/v1/services",
        {
            "name": "Looped",
            "type": "netmiko_commands",
            "inputs": {"commands": ["show interface {{ vars.round }} {{ vars.extra }}"]},
            "options": {"iteration": {"values": ["a"], "variable": "round"}},
        },
    )
    plain = _create(
        admin,
        "/api/v1/services",
        {"name": "Plain", "type": "netmiko_commands", "inputs": {"commands": ["show clock"]}},
    )

    assert _names(viewer, f"/api/v1/services/{push}/variables") == {
        "vlan": (True, ["Push VLAN"]),
        "vlan_name": (False, ["Push VLAN"]),
    }
    assert _names(admin, f"/api/v1/services/{check}/variables") == {
        "vlan": (True, ["Check VLAN"]),
        "expect": (False, ["Check VLAN"]),
    }
    # the iteration variable is set by the service itself: not asked for
    assert _names(admin, f"/api/v1/services/{looped}/variables") == {"extra": (True, ["Looped"])}
    assert _names(admin, f"/api/v1/services/{plain}/variables") == {}

    inner = _create(
        admin,
        "/api/v1/workflows",
        {
            "name": "Inner",
            "graph": {
                "nodes": [{"id": "loop", "ref": "Looped"}],
                "edges": [
                    {"source": "start", "target": "loop"},
                    {"source": "loop", "target": "end"},
                ],
            },
        },
    )
    outer = _create(
        admin,
        "/api/v1/workflows",
        {
            "name": "Outer",
            "graph": {
                "nodes": [
                    {"id": "push", "ref": "Push VLAN"},
                    {"id": "check", "ref": "Check VLAN"},
                    {"id": "inner", "ref": "Inner", "kind": "workflow"},
                ],
                "edges": [
                    {"source": "start", "target": "push"},
                    {"source": "push", "target": "check"},
                    {"source": "check", "target": "inner"},
                    {"source": "inner", "target": "end"},
                ],
            },
        },
    )
    assert _names(admin, f"/api/v1/workflows/{inner}/variables") == {"extra": (True, ["Looped"])}
    assert _names(viewer, f"/api/v1/workflows/{outer}/variables") == {
        "vlan": (True, ["Push VLAN", "Check VLAN"]),
        "vlan_name": (False, ["Push VLAN"]),
        "expect": (False, ["Check VLAN"]),
        "extra": (True, ["Looped"]),
    }

    # a service id is not a workflow id, and an unknown id is a 404 naming the field
    wrong = admin.get(f"/api/v1/workflows/{push}/variables")
    assert wrong.status_code == 404 and "id" in wrong.text
    assert admin.get("/api/v1/services/999999/variables").status_code == 404


def test_seeded_vlan_change_variables_and_layout(admin: TestClient) -> None:
    imported = admin.post(
        "/api/v1/automations/import",
        content=DEMO_AUTOMATIONS,
        headers={"Content-Type": "application/yaml"},
    )
    assert imported.status_code == 200, imported.text
    workflow = next(row for row in imported.json() if row["name"] == "VLAN change")
    found = _names(admin, f"/api/v1/workflows/{workflow['id']}/variables")
    assert found == {
        "vlan": (False, ["Push VLAN", "Validate VLAN"]),
        "vlan_name": (False, ["Push VLAN"]),
    }

    graph = yaml.safe_load(DEMO_AUTOMATIONS)["automations"][-1]["graph"]
    boxes = [(n["id"], n["x"], n["y"], STEP_W, STEP_H) for n in graph["nodes"]]
    for name in ("start", "end"):
        at = graph["layout"][name]
        boxes.append((name, at["x"], at["y"], 132, 52))
    for (a, ax, ay, aw, ah), (b, bx, by, bw, bh) in combinations(boxes, 2):
        apart = ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay
        assert apart, f"{a} and {b} overlap in the seeded layout"
