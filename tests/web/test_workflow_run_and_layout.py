"""Issue 15, items 1, 2 and the Run panel's variables, in real Chromium: the seeded "VLAN
change" workflow (default targets ``{pools: [...]}``) runs from the builder without a page
error and "Run again" shows a filled panel; its steps do not overlap; the Auto-layout button
(and loading a stored layout whose steps overlap) separates the cards; the Run panel asks
for the ``vars.*`` the templates read, and the run receives them."""

from __future__ import annotations

import re
from itertools import combinations
from typing import Any

import httpx
from playwright.sync_api import Locator, Page, expect

from netweave.cli.demo import seed_inventory
from netweave.cli.demo_automation import seed_automations
from netweave.lab import LabThread
from tests.fixtures.api import LiveApi
from tests.fixtures.browser import sign_in
from tests.fixtures.database import TEST_ADMIN_PASSWORD

FINAL = re.compile(r"^(success|failure|stopped|error|interrupted)$")


def _client(live_api: LiveApi) -> httpx.Client:
    return httpx.Client(base_url=live_api.url, headers={"X-API-KEY": live_api.key}, timeout=30)


def _boxes(canvas: Locator, ids: list[str]) -> dict[str, dict[str, float]]:
    found = {}
    for ident in ids:
        node = canvas.locator(f'[data-node-id="{ident}"]')
        expect(node).to_be_visible()
        box = node.bounding_box()
        assert box is not None
        found[ident] = box
    return found


def _overlapping(boxes: dict[str, dict[str, float]]) -> list[tuple[str, str]]:
    pairs = []
    for (a, first), (b, second) in combinations(boxes.items(), 2):
        if (
            first["x"] < second["x"] + second["width"]
            and second["x"] < first["x"] + first["width"]
            and first["y"] < second["y"] + second["height"]
            and second["y"] < first["y"] + first["height"]
        ):
            pairs.append((a, b))
    return pairs


def _latest_run(live_api: LiveApi, name: str) -> dict[str, Any]:
    with _client(live_api) as client:
        runs = client.get("/api/v1/runs", params={"limit": 1, "name": name}).json()["items"]
    assert runs, f"no run of {name}"
    return dict(runs[0])


def _open_builder(page: Page, live_api: LiveApi, name: str) -> Locator:
    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Workflows").click()
    page.get_by_role("link", name=name, exact=True).click()
    builder = page.get_by_role("region", name="Workflow builder")
    expect(builder.get_by_label("Workflow name")).to_have_value(name)
    return builder


def test_vlan_change_runs_from_the_builder_and_run_again_is_filled(
    live_api: LiveApi, page: Page, fault_lab: LabThread
) -> None:
    seed_inventory(live_api.runtime, [device.spec for device in fault_lab.devices])
    seed_automations(live_api.runtime)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_viewport_size({"width": 1536, "height": 900})
    builder = _open_builder(page, live_api, "VLAN change")
    canvas = builder.get_by_role("region", name="Workflow canvas")

    # item 2: the seeded steps (and start/end) do not cover each other
    ids = ["start", "backup", "push", "validate", "rollback", "end"]
    assert _overlapping(_boxes(canvas, ids)) == []
    expect(builder.get_by_role("status").filter(has_text="All changes saved")).to_be_visible()

    # item 1: the default targets are a pool: the panel shows them and does not crash
    builder.get_by_role("button", name="▶ Run").click()
    setup = builder.get_by_role("form", name="Run the workflow")
    expect(setup.get_by_label("Default targets")).to_contain_text("pool lab-cisco_ios")
    vlan = setup.get_by_label("vlan", exact=True)
    expect(vlan).to_be_visible()
    expect(setup.get_by_label("vlan_name", exact=True)).to_be_visible()
    vlan.fill("42")
    setup.get_by_role("button", name="Run on the default targets").click()
    # it pushes configuration: confirmed after its dry run (test_workflow_change_confirmation)
    confirm = page.get_by_role("alertdialog", name="Run VLAN change").get_by_role(
        "button", name="Run VLAN change on"
    )
    expect(confirm).to_be_enabled()
    confirm.click()
    expect(builder.get_by_label("Run status").first).to_have_text(FINAL, timeout=120_000)
    run = _latest_run(live_api, "VLAN change")
    assert run["variables"] == {"vlan": 42}
    assert run["targets"] == [d.name for d in fault_lab.devices if d.spec.platform == "cisco_ios"]

    # "Run again": the same filled panel, and the default targets can be changed
    builder.get_by_role("button", name="Run again").click()
    setup = builder.get_by_role("form", name="Run the workflow")
    expect(setup.get_by_role("group", name="Devices")).to_be_visible()
    expect(setup.get_by_label("Default targets")).to_contain_text("pool lab-cisco_ios")
    expect(setup.get_by_label("vlan", exact=True)).to_have_value("")
    setup.get_by_role("button", name="Change the default targets for this run").click()
    expect(setup.get_by_label("Chosen pools").get_by_role("button")).to_have_text(
        ["lab-cisco_ios ✕"]
    )
    setup.get_by_role("button", name="Remove lab-cisco_ios").click()
    setup.get_by_role("button", name="Add an inventory query").click()
    setup.get_by_label("Platform").fill("cisco_ios")
    expect(setup.get_by_role("button", name="Run on a query")).to_be_enabled()
    setup.get_by_role("button", name="Cancel").click()
    assert errors == []


def test_auto_layout_separates_overlapping_steps(live_api: LiveApi, page: Page) -> None:
    with _client(live_api) as client:
        for name in ("Alpha", "Beta", "Gamma"):
            created = client.post(
                "/api/v1/services",
                json={"name": name, "type": "reachability", "inputs": {"kind": "tcp"}},
            )
            assert created.status_code == 201, created.text
        graph = {
            "nodes": [
                {"id": "a", "ref": "Alpha", "x": 300, "y": 200},
                {"id": "b", "ref": "Beta", "x": 420, "y": 210},
                {"id": "c", "ref": "Gamma", "x": 480, "y": 230},
            ],
            "edges": [
                {"source": "start", "target": "a"},
                {"source": "a", "target": "b"},
                {"source": "a", "target": "c", "kind": "failure"},
                {"source": "b", "target": "end"},
                {"source": "c", "target": "end"},
            ],
            "layout": {"start": {"x": 100, "y": 210}, "end": {"x": 560, "y": 215}},
        }
        created = client.post("/api/v1/workflows", json={"name": "Crowded", "graph": graph})
        assert created.status_code == 201, created.text
        workflow_id = created.json()["id"]
    page.set_viewport_size({"width": 1536, "height": 900})
    builder = _open_builder(page, live_api, "Crowded")
    canvas = builder.get_by_role("region", name="Workflow canvas")
    ids = ["start", "a", "b", "c", "end"]

    # the stored layout overlaps: it is laid out again on load, as an unsaved change
    assert _overlapping(_boxes(canvas, ids)) == []
    expect(builder.get_by_role("status").filter(has_text="Unsaved changes")).to_be_visible()
    builder.get_by_role("button", name="Save").click()
    expect(builder.get_by_role("status").filter(has_text="All changes saved")).to_be_visible()
    with _client(live_api) as client:
        stored = client.get(f"/api/v1/workflows/{workflow_id}").json()["graph"]
    xs = {node["id"]: node["x"] for node in stored["nodes"]}
    assert xs["a"] + 250 <= min(xs["b"], xs["c"])  # the next column, a card's width away

    # drag Gamma onto Beta: they overlap; Auto-layout separates them again
    beta = _boxes(canvas, ["b"])["b"]
    gamma = canvas.get_by_role("group", name="Step Gamma")
    gamma.hover()
    page.mouse.down()
    page.mouse.move(beta["x"] + 20, beta["y"] + beta["height"] / 2 + 5, steps=10)
    page.mouse.up()
    assert ("b", "c") in _overlapping(_boxes(canvas, ids))
    expect(builder.get_by_role("status").filter(has_text="Unsaved changes")).to_be_visible()
    builder.get_by_role("button", name="Auto-layout").click()
    # the same layout as the one saved: nothing left to save
    expect(builder.get_by_role("status").filter(has_text="All changes saved")).to_be_visible()
    assert _overlapping(_boxes(canvas, ids)) == []


def test_service_run_panel_asks_for_the_variables(
    live_api: LiveApi, page: Page, fault_lab: LabThread
) -> None:
    seed_inventory(live_api.runtime, [device.spec for device in fault_lab.devices])
    ios = next(d.name for d in fault_lab.devices if d.spec.platform == "cisco_ios")
    with _client(live_api) as client:
        created = client.post(
            "/api/v1/services",
            json={
                "name": "Show a VLAN",
                "type": "netmiko_commands",
                "inputs": {
                    "commands": ["show vlan id {{ vars.vlan }}", "{{ vars.extra | default('') }}"]
                },
                "options": {"targets": {"devices": [ios]}},
            },
        )
        assert created.status_code == 201, created.text
        service_id = created.json()["id"]
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    page.goto(f"{live_api.url}/ui/#/services/{service_id}")
    panel = page.get_by_role("form", name="Run a service")
    variables = panel.get_by_role("group", name="Variables")
    vlan = variables.get_by_label("vlan", exact=True)
    expect(vlan).to_have_attribute("required", "")
    expect(variables).to_contain_text("Required")
    extra = variables.get_by_label("extra", exact=True)
    expect(extra).not_to_have_attribute("required", "")
    expect(panel).to_contain_text(f"device {ios}")

    # the required field stops the run while empty (nothing is started)
    panel.get_by_role("button", name="Run", exact=True).click()
    assert vlan.evaluate("el => el.validity.valueMissing") is True
    with _client(live_api) as client:
        assert client.get("/api/v1/runs", params={"name": "Show a VLAN"}).json()["total"] == 0

    vlan.fill("42")
    panel.get_by_role("button", name="Run", exact=True).click()
    expect(page.get_by_role("region", name="Run Show a VLAN")).to_be_visible()
    run = _latest_run(live_api, "Show a VLAN")
    assert run["variables"] == {"vlan": 42}
    assert errors == []
