"""The workflow builder as an engineer uses it, in real Chromium against real lab devices:
drag services from the palette onto the canvas, connect success and failure ports, see the
API's validation error, move and delete steps, save, reload; run it on devices picked in
the builder and watch the steps turn green and red live from the run's event stream; open a
step's results. And the workflows list: delete with a confirmation (refused while another
workflow uses it), viewers with no edit controls."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.sync_api import Locator, Page, expect

from netweave.lab import LabThread
from tests.fixtures.api import LiveApi
from tests.fixtures.browser import shot, sign_in, sign_out
from tests.fixtures.database import TEST_ADMIN_PASSWORD


def status(value: str) -> re.Pattern[str]:
    return re.compile(rf"\bstatus-{value}\b")


def seed(live_api: LiveApi, lab: LabThread) -> list[str]:
    """Lab devices and services: one that succeeds on IOS, a check that fails there (slowly:
    it retries once after 4 s, so it is seen running), a fallback, and a few others."""
    ios = [d for d in lab.devices if d.spec.platform == "cisco_ios"]
    with httpx.Client(
        base_url=live_api.url, headers={"X-API-KEY": live_api.key}, timeout=30
    ) as client:
        client.post(
            "/api/v1/credentials",
            json={
                "name": "lab",
                "username": "netweave",
                "password": "netweave",
                "enable_secret": "netweave",
                "scope": {"networks": ["127.0.0.0/8"]},
            },
        ).raise_for_status()
        for device in lab.devices:
            client.post(
                "/api/v1/devices",
                json={
                    "name": device.name,
                    "host": device.host,
                    "port": device.port,
                    "platform": device.spec.platform,
                    "credential": "lab",
                    "site": "lab",
                },
            ).raise_for_status()
        services = [
            {
                "name": "Show version",
                "type": "netmiko_commands",
                "description": "The software version of the device",
                "inputs": {"commands": ["show version"]},
            },
            {
                "name": "Expect NX-OS",
                "type": "data_validation",
                "description": "Fails on IOS: the version is not NX-OS",
                "inputs": {
                    "step": "show-version",
                    "checks": [{"kind": "regex", "match": "NX-OS", "path": "text"}],
                },
                "options": {"retries": 1, "retry_delay": 4},
            },
            {
                "name": "Collect diagnostics",
                "type": "netmiko_commands",
                "inputs": {"commands": ["show clock"]},
            },
            {"name": "Backup config", "type": "config_backup"},
            {"name": "TCP reachability", "type": "reachability", "inputs": {"kind": "tcp"}},
            {
                "name": "Push NTP servers",
                "type": "netmiko_config",
                "inputs": {"config": "ntp server 10.0.0.1"},
            },
        ]
        for service in services:
            client.post("/api/v1/services", json=service).raise_for_status()
    return [d.name for d in ios]


def drop(page: Page, name: str, canvas: Locator, x: float, y: float) -> Locator:
    """Drag a palette service onto the canvas at (x, y) of the canvas (HTML5 drag and drop)."""
    page.get_by_role("listitem", name=f"Service {name}").drag_to(
        canvas, target_position={"x": x, "y": y}
    )
    step = canvas.get_by_role("group", name=f"Step {name}")
    expect(step).to_be_visible()
    return step


def connect(page: Page, source: str, kind: str, target: Locator) -> None:
    """Drag from a step's success/failure port onto another step (pointer events)."""
    page.get_by_role("button", name=f"Connect {source} on {kind}").hover()
    page.mouse.down()
    box = target.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=12)
    page.mouse.up()


def test_build_save_reload_and_run_live(
    live_api: LiveApi, page: Page, lab: LabThread, tmp_path: Path
) -> None:
    ios = seed(live_api, lab)
    page.set_viewport_size({"width": 1536, "height": 900})
    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Workflows").click()
    expect(page.get_by_role("heading", name="Workflows")).to_be_visible()
    page.get_by_role("link", name="New workflow").click()

    builder = page.get_by_role("region", name="Workflow builder")
    canvas = builder.get_by_role("region", name="Workflow canvas")
    expect(canvas.get_by_text("Drop services here")).to_be_visible()
    shot(page, tmp_path, "workflow-new")
    palette = builder.get_by_role("complementary", name="Palette")
    palette.get_by_label("Search the palette").fill("show")
    expect(palette.get_by_role("listitem")).to_have_count(1)
    palette.get_by_label("Search the palette").fill("")
    expect(palette.get_by_role("list", name="Services").get_by_role("listitem")).to_have_count(6)
    builder.get_by_label("Workflow name").fill("Upgrade readiness")
    builder.get_by_role("button", name="Details").click()
    builder.get_by_label("Description").fill("Is the fleet ready for the NX-OS upgrade?")
    builder.get_by_role("button", name="Details").click()  # closed again
    expect(builder.get_by_label("Description")).to_have_count(0)

    box = canvas.bounding_box()
    assert box is not None
    width, height = box["width"], box["height"]
    version = drop(page, "Show version", canvas, width * 0.34, height * 0.45)
    check = drop(page, "Expect NX-OS", canvas, width * 0.6, height * 0.45)
    diagnostics = drop(page, "Collect diagnostics", canvas, width * 0.78, height * 0.75)
    extra = drop(page, "TCP reachability", canvas, width * 0.34, height * 0.2)
    shot(page, tmp_path, "workflow-dropped")
    # unsaved changes: leaving asks first, in the page (cancelled: still here)
    builder.get_by_role("link", name="Workflows").click()
    leave = page.get_by_role("alertdialog", name="Leave without saving?")
    expect(leave).to_contain_text("unsaved changes")
    leave.get_by_role("button", name="Cancel").click()
    expect(leave).to_have_count(0)
    expect(canvas.get_by_role("group", name="Step Show version")).to_be_visible()

    # a step selected and deleted with the keyboard
    extra.click()
    details = builder.get_by_role("complementary", name="Details")
    expect(details.get_by_role("link", name="TCP reachability")).to_have_attribute(
        "href", re.compile(r"^#/services/\d+$")
    )
    page.keyboard.press("Delete")
    expect(canvas.get_by_role("group", name="Step TCP reachability")).to_have_count(0)

    # a step moved by dragging it: its position is saved with the workflow
    before = diagnostics.bounding_box()
    assert before is not None
    page.mouse.move(before["x"] + 60, before["y"] + 20)
    page.mouse.down()
    page.mouse.move(before["x"] + 60 - 40, before["y"] + 20 + 30, steps=8)
    page.mouse.up()
    after = diagnostics.bounding_box()
    assert after is not None and after["y"] > before["y"] + 20 and after["x"] < before["x"] - 20

    start = canvas.get_by_label("Start", exact=True)
    end = canvas.get_by_label("End", exact=True)
    connect(page, "start", "success", version)
    connect(page, "show-version", "success", check)
    connect(page, "expect-nx-os", "failure", diagnostics)
    expect(canvas.locator('[data-edge="expect-nx-os:failure"]')).to_have_count(1)
    # not connected to end yet: the API refuses it and says why
    builder.get_by_role("button", name="Save").click()
    problem = builder.get_by_role("alert")
    expect(problem).to_contain_text("end cannot be reached from start")
    expect(end).to_have_class(re.compile(r"\bflagged\b"))
    shot(page, tmp_path, "workflow-validation-error")
    connect(page, "expect-nx-os", "success", end)
    connect(page, "collect-diagnostics", "success", end)
    # a refused connection (into start) changes nothing
    connect(page, "collect-diagnostics", "failure", start)
    expect(canvas.locator("g.wf-edge")).to_have_count(5)
    # an edge selected by clicking its curve, deleted with the keyboard
    connect(page, "collect-diagnostics", "failure", end)
    expect(canvas.locator("g.wf-edge")).to_have_count(6)
    x, y = canvas.locator('[data-edge="collect-diagnostics:failure"] .wf-edge-hit').evaluate(
        """path => {
            const middle = path.getPointAtLength(path.getTotalLength() / 2);
            const point = middle.matrixTransform(path.getScreenCTM());
            return [point.x, point.y];
        }"""
    )
    page.mouse.click(x, y)
    connection = builder.get_by_role("region", name="Connection")
    expect(connection).to_contain_text("on failure")
    expect(connection).to_contain_text("Collect diagnostics")
    page.keyboard.press("Delete")
    expect(canvas.locator('[data-edge="collect-diagnostics:failure"]')).to_have_count(0)
    expect(canvas.locator("g.wf-edge")).to_have_count(5)
    expect(canvas.locator("g.wf-edge.failure")).to_have_count(1)
    builder.get_by_role("button", name="Save").click()
    expect(builder.get_by_role("status").filter(has_text="All changes saved")).to_be_visible()
    expect(page).to_have_url(re.compile(r"#/workflows/\d+$"))
    shot(page, tmp_path, "workflow-saved")

    page.reload()
    builder = page.get_by_role("region", name="Workflow builder")
    canvas = builder.get_by_role("region", name="Workflow canvas")
    expect(builder.get_by_label("Workflow name")).to_have_value("Upgrade readiness")
    builder.get_by_role("button", name="Details").click()
    expect(builder.get_by_label("Description")).to_have_value(
        "Is the fleet ready for the NX-OS upgrade?"
    )
    page.keyboard.press("Escape")
    expect(canvas.get_by_role("group")).to_have_count(3)
    expect(canvas.locator("g.wf-edge")).to_have_count(5)
    for edge in (
        "start:success",
        "show-version:success",
        "expect-nx-os:success",
        "expect-nx-os:failure",
        "collect-diagnostics:success",
    ):
        expect(canvas.locator(f'[data-edge="{edge}"]')).to_have_count(1)
    version = canvas.get_by_role("group", name="Step Show version")
    check = canvas.get_by_role("group", name="Step Expect NX-OS")
    diagnostics = canvas.get_by_role("group", name="Step Collect diagnostics")
    moved = diagnostics.bounding_box()
    checked = check.bounding_box()
    assert moved is not None and checked is not None
    assert moved["y"] > checked["y"] + 40  # still below, where it was dragged
    zoom = canvas.get_by_label("Zoom level")
    fitted = zoom.inner_text()
    canvas.get_by_role("button", name="Zoom out").click()
    expect(zoom).not_to_have_text(fitted)
    canvas.get_by_role("button", name="Fit to screen").click()
    expect(zoom).to_have_text(fitted)

    # run it from the builder on the two IOS devices
    builder.get_by_role("button", name="▶ Run").click()
    setup = builder.get_by_role("form", name="Run the workflow")
    setup.get_by_label("Search devices").fill("ios")
    for name in ios:
        setup.get_by_role("checkbox", name=name).check()
    expect(setup.get_by_label("Chosen devices")).to_contain_text(ios[0])
    shot(page, tmp_path, "workflow-targets")
    setup.get_by_role("button", name="Run on 2 devices").click()

    # live: the first step is done while the check still runs (it retries after 4 s)
    expect(version).to_have_class(status("success"), timeout=20_000)
    expect(check).to_have_class(status("running"))
    expect(diagnostics).to_have_class(status("pending"))
    expect(version.get_by_label("2 succeeded, 0 failed, 0 running")).to_be_visible()
    expect(canvas.locator('[data-edge="show-version:success"]')).to_have_class(re.compile("taken"))
    shot(page, tmp_path, "workflow-running")
    # then it fails on both, and the failure edge's step runs
    expect(check).to_have_class(status("failure"), timeout=30_000)
    expect(check.get_by_label("0 succeeded, 2 failed, 0 running")).to_be_visible()
    expect(diagnostics).to_have_class(status("success"), timeout=30_000)
    expect(builder.get_by_label("Run status").first).to_have_text("success", timeout=30_000)
    expect(canvas.get_by_label("End", exact=True)).to_contain_text("2 reached")
    expect(canvas.locator('[data-edge="expect-nx-os:failure"]')).to_have_class(re.compile("taken"))
    expect(canvas.locator('[data-edge="expect-nx-os:success"]')).to_have_class(re.compile("idle"))
    shot(page, tmp_path, "workflow-run-done")

    # a step's results per device
    check.click()
    results = builder.get_by_role("region", name="Step results")
    expect(results.get_by_role("heading", name="Expect NX-OS")).to_be_visible()
    devices = results.get_by_role("list", name="Results per device")
    expect(devices.get_by_role("listitem")).to_have_count(2)
    devices.get_by_role("button", name=re.compile(ios[0])).click()
    expect(results.get_by_role("list", name="Checks")).to_contain_text("NX-OS")
    expect(results.get_by_text("2 attempts")).to_have_count(2)
    diagnostics.click()
    expect(results.get_by_role("heading", name="Collect diagnostics")).to_be_visible()
    results.get_by_role("list", name="Results per device").get_by_role(
        "button", name=re.compile(ios[1])
    ).click()
    expect(results.get_by_label("Output of show clock")).not_to_be_empty()
    shot(page, tmp_path, "workflow-step-results")
    results.get_by_role("button", name="← All steps").click()
    builder.get_by_role("link", name="Open the full run page").click()
    expect(page.get_by_role("region", name="Run Upgrade readiness")).to_be_visible()


def test_workflows_list_last_run_and_viewer(
    live_api: LiveApi, page: Page, lab: LabThread, tmp_path: Path
) -> None:
    ios = seed(live_api, lab)
    with httpx.Client(
        base_url=live_api.url, headers={"X-API-KEY": live_api.key}, timeout=30
    ) as client:
        client.post(
            "/api/v1/services", json={"name": "Ping", "type": "reachability"}
        ).raise_for_status()
        chain = {
            "nodes": [{"id": "ping", "ref": "Ping"}],
            "edges": [{"source": "start", "target": "ping"}, {"source": "ping", "target": "end"}],
        }
        client.post(
            "/api/v1/workflows",
            json={"name": "Inner check", "description": "used by another", "graph": chain},
        ).raise_for_status()
        outer = {  # made through the API, without positions: the builder lays it out
            "nodes": [
                {"id": "inner", "ref": "Inner check", "kind": "workflow"},
                {"id": "again", "ref": "Ping"},
            ],
            "edges": [
                {"source": "start", "target": "inner"},
                {"source": "inner", "target": "again"},
                {"source": "inner", "target": "end", "kind": "failure"},
                {"source": "again", "target": "end"},
            ],
        }
        client.post(
            "/api/v1/workflows", json={"name": "Outer audit", "graph": outer}
        ).raise_for_status()
        client.post(
            "/api/v1/workflows", json={"name": "Scratch", "graph": chain}
        ).raise_for_status()
        run = client.post(
            "/api/v1/run/Outer audit", json={"targets": {"devices": ios}, "wait": 60}
        ).json()
        assert run["status"] == "success", run
        client.post(
            "/api/v1/users",
            json={"username": "wf-viewer", "password": "viewer-pass-1", "role": "viewer"},
        ).raise_for_status()

    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Workflows").click()
    table = page.get_by_role("table", name="Workflows table")
    expect(table.get_by_role("row")).to_have_count(4)
    expect(table.get_by_role("row", name=re.compile("Outer audit"))).to_contain_text(
        "2 (1 sub-workflow)"
    )
    page.get_by_role("button", name="Delete Inner check").click()
    page.get_by_role("button", name="Confirm delete Inner check").click()
    expect(page.get_by_role("alert")).to_contain_text("used by workflow(s) Outer audit")
    expect(table.get_by_role("row")).to_have_count(4)
    page.get_by_role("button", name="Delete Scratch").click()
    shot(page, tmp_path, "workflow-list")
    page.get_by_role("button", name="Confirm delete Scratch").click()
    expect(table.get_by_role("row")).to_have_count(3)
    expect(table).not_to_contain_text("Scratch")

    # a workflow made through the API opens laid out, its sub-workflow step marked as such
    table.get_by_role("link", name="Outer audit").click()
    canvas = page.get_by_role("region", name="Workflow canvas")
    inner = canvas.get_by_role("group", name="Step Inner check")
    expect(inner).to_contain_text("Sub-workflow")
    again = canvas.get_by_role("group", name="Step Ping").bounding_box()
    placed = inner.bounding_box()
    assert again is not None and placed is not None and again["x"] > placed["x"] + 100
    expect(
        page.get_by_role("complementary", name="Palette").get_by_role("list", name="Workflows")
    ).to_contain_text("Inner check")
    # its last run drawn on it: the sub-workflow step counts as one step, left on success
    page.get_by_role("button", name=re.compile("^Last run")).click()
    expect(inner).to_have_class(status("success"))
    expect(inner.get_by_label("2 succeeded, 0 failed, 0 running")).to_be_visible()
    expect(canvas.get_by_role("group", name="Step Ping")).to_have_class(status("success"))
    expect(canvas.locator('[data-edge="inner:success"]')).to_have_class(re.compile("taken"))
    expect(canvas.locator('[data-edge="inner:failure"]')).to_have_class(re.compile("idle"))
    inner.click()
    results = page.get_by_role("region", name="Step results")
    listed = results.get_by_role("list", name="Results per device").get_by_role("listitem")
    expect(listed).to_have_count(2)
    expect(listed.first).to_contain_text("ping")  # the step inside the sub-workflow
    shot(page, tmp_path, "workflow-sub-workflow-run")
    sign_out(page)

    sign_in(page, live_api.url, "wf-viewer", "viewer-pass-1")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Workflows").click()
    expect(page.get_by_role("table", name="Workflows table").get_by_role("row")).to_have_count(3)
    expect(page.get_by_role("link", name="New workflow")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^Delete"))).to_have_count(0)
    page.get_by_role("link", name="Outer audit").click()
    builder = page.get_by_role("region", name="Workflow builder")
    expect(builder.get_by_role("group", name="Step Inner check")).to_be_visible()
    expect(builder.get_by_label("Workflow name")).to_be_disabled()
    expect(builder.get_by_role("complementary", name="Palette")).to_have_count(0)
    expect(builder.get_by_role("button", name="Save")).to_have_count(0)
    expect(builder.get_by_role("button", name="▶ Run")).to_have_count(0)
