"""Issue 17 item 1 in the builder, in real Chromium: a prerequisite edge drawn from a step's
⇉ port (dotted, its own colour, in the legend), a step with a skip condition and waits, a
disabled step with a priority, and the workflow's max_runs option are set in the builder,
saved, stored by the API (GET), in the YAML export, drawn again after a reload; and a run
shows the skipped and disabled steps as skipped, with the reason, not as failed."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import httpx
import yaml
from playwright.sync_api import Locator, Page, expect

from tests.fixtures.api import LiveApi
from tests.fixtures.browser import shot, sign_in
from tests.fixtures.database import TEST_ADMIN_PASSWORD

SKIP_IF = "device.platform == 'cisco_ios'"


def seed(live_api: LiveApi) -> str:
    """Three TCP reachability services and one device: the live server itself on loopback
    (its port answers a TCP connect, so the step that runs succeeds without a lab)."""
    port = urlparse(live_api.url).port
    with httpx.Client(
        base_url=live_api.url, headers={"X-API-KEY": live_api.key}, timeout=30
    ) as client:
        client.post(
            "/api/v1/devices",
            json={"name": "edge-1", "host": "127.0.0.1", "port": port, "platform": "cisco_ios"},
        ).raise_for_status()
        for name in ("Collect facts", "Check NTP", "Legacy cleanup"):
            client.post(
                "/api/v1/services",
                json={"name": name, "type": "reachability", "inputs": {"kind": "tcp", "count": 1}},
            ).raise_for_status()
    return "edge-1"


def drop(page: Page, name: str, canvas: Locator, x: float, y: float) -> Locator:
    page.get_by_role("listitem", name=f"Service {name}").drag_to(
        canvas, target_position={"x": x, "y": y}
    )
    step = canvas.get_by_role("group", name=re.compile(f"^Step {name}"))
    expect(step).to_be_visible()
    return step


def connect(page: Page, port: str, target: Locator) -> None:
    """Drag from a port ("Connect <id> on success", "... as prerequisite") onto a step."""
    page.get_by_role("button", name=port).hover()
    page.mouse.down()
    box = target.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=10)
    page.mouse.up()


def line_style(canvas: Locator, edge: str) -> tuple[str, str]:
    """The drawn edge's stroke colour and dash pattern (computed)."""
    line = canvas.locator(f'[data-edge="{edge}"] .wf-edge-line')
    expect(line).to_have_count(1)
    stroke, dashes = line.evaluate(
        "el => { const s = getComputedStyle(el); return [s.stroke, s.strokeDasharray]; }"
    )
    return str(stroke), str(dashes)


def test_controls_and_prerequisite_edges_saved_exported_drawn_and_run(
    live_api: LiveApi, page: Page, tmp_path: Path
) -> None:
    device = seed(live_api)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_viewport_size({"width": 1600, "height": 900})
    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Workflows").click()
    page.get_by_role("link", name="New workflow").click()
    builder = page.get_by_role("region", name="Workflow builder")
    canvas = builder.get_by_role("region", name="Workflow canvas")
    expect(canvas.get_by_text("Drop services here")).to_be_visible()
    builder.get_by_label("Workflow name").fill("Parallel audit")

    facts = drop(page, "Collect facts", canvas, 330, 250)
    cleanup = drop(page, "Legacy cleanup", canvas, 620, 250)
    ntp = drop(page, "Check NTP", canvas, 620, 560)
    end = canvas.get_by_label("End", exact=True)
    connect(page, "Connect start on success", facts)
    connect(page, "Connect collect-facts on success", cleanup)
    connect(page, "Connect collect-facts as prerequisite", ntp)
    connect(page, "Connect legacy-cleanup on success", end)
    connect(page, "Connect check-ntp on success", end)
    prerequisite = canvas.locator('[data-edge="collect-facts:prerequisite:check-ntp"]')
    expect(prerequisite).to_have_class(re.compile(r"\bprerequisite\b"))
    expect(canvas.locator("g.wf-edge")).to_have_count(5)
    # a selected edge's kind can be changed (and back)
    x, y = prerequisite.locator(".wf-edge-hit").evaluate(
        """path => {
            const middle = path.getPointAtLength(path.getTotalLength() / 2);
            const point = middle.matrixTransform(path.getScreenCTM());
            return [point.x, point.y];
        }"""
    )
    page.mouse.click(x, y)
    connection = builder.get_by_role("region", name="Connection")
    expect(connection).to_contain_text("then also")
    connection.get_by_label("Connection kind").select_option("failure")
    expect(canvas.locator('[data-edge="collect-facts:failure"]')).to_have_count(1)
    expect(prerequisite).to_have_count(0)
    connection.get_by_label("Connection kind").select_option("prerequisite")
    expect(prerequisite).to_have_count(1)
    expect(canvas.locator("g.wf-edge.failure")).to_have_count(0)
    builder.get_by_role("button", name="Close the panel").click()

    # the skip condition (and a wait) on one step, disabled and a priority on another
    ntp.click()
    controls = builder.get_by_role("group", name="Step controls")
    controls.get_by_label("Skip condition").fill(SKIP_IF)
    controls.get_by_label("Wait before (s)").fill("0.5")
    expect(ntp.get_by_role("listitem")).to_have_count(2)  # the skip and wait badges
    expect(ntp.get_by_role("listitem").first).to_have_attribute("title", re.compile("Skipped"))
    builder.get_by_role("button", name="Close the panel").click()  # it covered part of the canvas
    cleanup.click()
    controls.get_by_label("Disabled").check()
    controls.get_by_label("Priority").fill("5")
    expect(cleanup).to_have_class(re.compile(r"\bdisabled\b"))
    # the workflow's run options: max_runs comes from ServiceOptions' schema
    builder.get_by_role("button", name="Details").click()
    options = builder.get_by_role("group", name="Run options")
    options.get_by_label("Max Runs").fill("2")
    builder.get_by_role("button", name="Auto-layout").click()
    builder.get_by_role("button", name="Save").click()
    expect(builder.get_by_role("status").filter(has_text="All changes saved")).to_be_visible()
    expect(page).to_have_url(re.compile(r"#/workflows/\d+$"))
    workflow_id = int(page.url.rsplit("/", 1)[1])

    with httpx.Client(
        base_url=live_api.url, headers={"X-API-KEY": live_api.key}, timeout=30
    ) as client:
        stored = client.get(f"/api/v1/workflows/{workflow_id}").json()
        exported = client.get("/api/v1/automations/export", params={"names": "Parallel audit"})
    assert stored["options"]["max_runs"] == 2
    nodes = {node["id"]: node for node in stored["graph"]["nodes"]}
    assert nodes["check-ntp"]["skip_if"] == SKIP_IF
    # the stored graph may leave out values at their default
    assert nodes["check-ntp"].get("skip_outcome", "success") == "success"
    assert nodes["check-ntp"]["wait_before"] == 0.5
    assert not nodes["check-ntp"].get("disabled")
    assert nodes["legacy-cleanup"]["disabled"] is True
    assert nodes["legacy-cleanup"]["priority"] == 5
    edges = {(e["source"], e["target"], e["kind"]) for e in stored["graph"]["edges"]}
    assert ("collect-facts", "check-ntp", "prerequisite") in edges
    assert ("collect-facts", "legacy-cleanup", "success") in edges
    exported.raise_for_status()
    document = yaml.safe_load(exported.text)
    item = next(a for a in document["automations"] if a["name"] == "Parallel audit")
    assert item["options"]["max_runs"] == 2
    exported_nodes = {node["id"]: node for node in item["graph"]["nodes"]}
    assert exported_nodes["check-ntp"]["skip_if"] == SKIP_IF
    assert exported_nodes["legacy-cleanup"]["disabled"] is True
    assert {"source": "collect-facts", "target": "check-ntp", "kind": "prerequisite"} in item[
        "graph"
    ]["edges"]

    # after a reload: drawn from what was stored, the prerequisite edge dotted and purple
    page.reload()
    builder = page.get_by_role("region", name="Workflow builder")
    canvas = builder.get_by_role("region", name="Workflow canvas")
    expect(builder.get_by_label("Workflow name")).to_have_value("Parallel audit")
    expect(builder.get_by_role("status").filter(has_text="All changes saved")).to_be_visible()
    expect(canvas.locator("g.wf-edge")).to_have_count(5)
    pre_stroke, pre_dashes = line_style(canvas, "collect-facts:prerequisite:check-ntp")
    ok_stroke, ok_dashes = line_style(canvas, "collect-facts:success")
    assert pre_stroke != ok_stroke and pre_dashes not in ("none", ok_dashes)
    expect(canvas.get_by_role("list", name="Edge kinds")).to_contain_text("Prerequisite")
    cleanup = canvas.get_by_role("group", name="Step Legacy cleanup (disabled)")
    expect(cleanup).to_have_class(re.compile(r"\bdisabled\b"))
    expect(cleanup.get_by_role("listitem")).to_have_count(2)  # off, priority
    ntp = canvas.get_by_role("group", name="Step Check NTP")
    ntp.click()
    expect(builder.get_by_label("Skip condition")).to_have_value(SKIP_IF)
    expect(builder.get_by_role("group", name="Prerequisite of")).to_have_count(1)
    canvas.get_by_role("button", name="Fit to screen").click()
    shot(page, tmp_path, "workflow-controls", full_page=False)
    builder.get_by_role("button", name="Details").click()
    expect(builder.get_by_role("group", name="Run options").get_by_label("Max Runs")).to_have_value(
        "2"
    )

    # a run: the skipped step and the disabled one show as skipped, the reason on the device
    builder.get_by_role("button", name="▶ Run").click()
    setup = builder.get_by_role("form", name="Run the workflow")
    setup.get_by_label("Search devices").fill(device)
    setup.get_by_role("checkbox", name=device).check()
    setup.get_by_role("button", name="Run on 1 device").click()
    expect(builder.get_by_label("Run status").first).to_have_text("success", timeout=30_000)
    facts = canvas.get_by_role("group", name="Step Collect facts")
    expect(facts).to_have_class(re.compile(r"\bstatus-success\b"))
    expect(ntp).to_have_class(re.compile(r"\bstatus-skipped\b"))
    expect(ntp.get_by_label("1 succeeded, 0 failed, 0 running, 1 skipped")).to_be_visible()
    expect(cleanup).to_have_class(re.compile(r"\bstatus-skipped\b"))
    for edge in ("collect-facts:prerequisite:check-ntp", "legacy-cleanup:success"):
        expect(canvas.locator(f'[data-edge="{edge}"]')).to_have_class(re.compile(r"\btaken\b"))
    ntp.click()
    results = builder.get_by_role("region", name="Step results")
    listed = results.get_by_role("list", name="Results per device").get_by_role("listitem")
    expect(listed).to_have_count(1)
    expect(listed.first).to_contain_text("skipped")
    expect(listed.first.get_by_label("Skip reason")).to_contain_text(f"{SKIP_IF} is true")
    cleanup.click()
    expect(results.get_by_label("Skip reason")).to_contain_text("disabled")
    shot(page, tmp_path, "workflow-controls-run")
    assert errors == []
