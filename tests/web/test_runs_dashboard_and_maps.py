"""Issue 15, items 6, 8 and 9 (last point), in real headless Chromium: a run's times and
its steps by name in walk order, the trigger of a run started from the UI, workflows on the
device page, the device page's tab in the URL, a clickable dashboard (tiles, recent failures,
every site, device jobs from the CLI, device vs terminal sessions), the map not retrying
unreachable tiles, devices at one place on the globe, unlinked devices on the topology, the
favicon and the import report's row count."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, Request, expect

from netweave.cli.run_local import CLI_PRINCIPAL
from netweave.core.jobs.schemas import BulkRequest
from tests.fixtures.api import LiveApi
from tests.fixtures.browser import shot, sign_in
from tests.fixtures.database import TEST_ADMIN_PASSWORD

UNREACHABLE_TILES = "http://127.0.0.1:9/tiles/{z}/{x}/{y}.png"  # the discard port: refused

CHECKS = {
    "nodes": [  # stored out of walk order, one step without a label
        {"id": "fix", "ref": "Ping", "label": "Fix"},
        {"id": "a", "ref": "Ping", "label": "First check"},
        {"id": "b", "ref": "Ping"},
    ],
    "edges": [
        {"source": "start", "target": "a"},
        {"source": "a", "target": "b"},
        {"source": "a", "target": "fix", "kind": "failure"},
        {"source": "b", "target": "end"},
        {"source": "fix", "target": "end"},
    ],
}


@pytest.fixture
def client(live_api: LiveApi) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=live_api.url, headers={"X-API-KEY": live_api.key}, timeout=60
    ) as opened:
        yield opened


def _post(client: httpx.Client, url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(url, json=body)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


@pytest.fixture
def automation(client: httpx.Client) -> dict[str, int]:
    """Two devices nothing answers on (port 9), a TCP check and a workflow of checks."""
    ids = {}
    for number in (1, 2):
        device = _post(
            client,
            "/api/v1/devices",
            {"name": f"d{number}", "host": f"127.0.0.{number}", "port": 9, "platform": "linux"},
        )
        ids[f"d{number}"] = device["id"]
    _post(
        client,
        "/api/v1/services",
        {"name": "Ping", "type": "reachability", "inputs": {"kind": "tcp", "port": 9}},
    )
    _post(client, "/api/v1/workflows", {"name": "Checks", "graph": CHECKS})
    return ids


def _cells(page: Page, table: str, column: int) -> list[str]:
    rows = page.get_by_role("table", name=table).locator("tbody tr")
    return [text.strip() for text in rows.locator(f"td:nth-child({column})").all_inner_texts()]


def test_run_page_has_times_step_names_in_walk_order_and_ui_trigger(
    live_api: LiveApi,
    client: httpx.Client,
    automation: dict[str, int],
    page: Page,
    tmp_path: Path,
) -> None:
    run = _post(client, "/api/v1/run/Checks", {"targets": {"devices": ["d2", "d1"]}, "wait": 60})
    assert run["status"] in ("success", "failure"), run
    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    page.goto(f"{live_api.url}/ui/#/runs/{run['id']}")
    view = page.get_by_role("region", name="Run Checks")
    timing = view.get_by_label("Timing")
    expect(timing).to_contain_text("Ended")
    expect(timing.locator("dd").nth(1)).not_to_have_text(re.compile(r"^(—|still running)$"))
    expect(timing.locator("dd").nth(2)).to_have_text(re.compile(r"^\d+(\.\d)? s$|min"))
    results = view.get_by_role("table", name="Results")
    expect(results.locator("tbody tr")).to_have_count(4)
    # walk order (first check, then the fix it failed to), by device; names, not step ids
    assert _cells(page, "Results", 2) == ["First check", "First check", "Fix", "Fix"]
    assert _cells(page, "Results", 3) == ["d1", "d2", "d1", "d2"]
    expect(view.get_by_role("table", name="Devices")).to_contain_text("First check")
    shot(page, tmp_path, "run-page-times-steps")

    # the runs list: when each ended and how long it took; this one came from the API
    page.goto(f"{live_api.url}/ui/#/runs")
    runs = page.get_by_role("table", name="Runs table")
    for title in ("Ended", "Duration"):
        expect(runs.get_by_role("columnheader", name=title)).to_be_visible()
    expect(runs.get_by_role("row").filter(has_text="Checks")).to_contain_text("api")

    # started from the browser: trigger "ui"
    page.goto(f"{live_api.url}/ui/#/devices/{automation['d1']}/run")
    panel = page.get_by_role("form", name="Run a service")
    panel.get_by_label("Service").select_option(label="Ping (reachability)")
    panel.get_by_role("button", name="Run on d1").click()
    started = page.get_by_role("region", name="Run Ping")
    expect(started.locator("p.meta")).to_contain_text(" · ui · by admin")
    runs_of_ping = client.get("/api/v1/runs", params={"name": "Ping"}).json()["items"]
    assert [r["trigger"] for r in runs_of_ping] == ["ui"]


def test_device_tab_is_in_the_url_and_workflows_run_from_the_device(
    live_api: LiveApi,
    client: httpx.Client,
    automation: dict[str, int],
    page: Page,
    tmp_path: Path,
) -> None:
    ident = automation["d1"]
    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    page.goto(f"{live_api.url}/ui/#/devices/{ident}")
    view = page.get_by_role("region", name="Device d1")
    view.get_by_role("tab", name="Configuration").click()
    expect(page).to_have_url(re.compile(rf"#/devices/{ident}/configs$"))
    page.reload()
    expect(view.get_by_role("tab", name="Configuration")).to_have_attribute("aria-selected", "true")
    view.get_by_role("tab", name="Runs").click()
    expect(page).to_have_url(re.compile(rf"#/devices/{ident}/runs$"))
    page.go_back()
    expect(view.get_by_role("tab", name="Configuration")).to_have_attribute("aria-selected", "true")
    page.go_back()
    expect(view.get_by_role("tab", name="Properties")).to_have_attribute("aria-selected", "true")

    # the run tab lists workflows too (beside services), and asks before running one
    view.get_by_role("tab", name="Run a service or workflow").click()
    expect(page).to_have_url(re.compile(rf"#/devices/{ident}/run$"))
    services = view.get_by_role("form", name="Run a service").get_by_label("Service")
    expect(services.locator("option", has_text="Ping (reachability)")).to_have_count(1)
    flows = view.get_by_role("form", name="Run a workflow")
    flows.get_by_label("Workflow").select_option(label="Checks")
    expect(flows.get_by_label("Workflow steps")).to_contain_text("First check → Ping → Fix")
    flows.get_by_role("button", name="Run workflow on d1").click()
    dialog = page.get_by_role("alertdialog", name="Run Checks on d1")
    shot(page, tmp_path, "device-run-workflow")
    dialog.get_by_role("button", name="Run Checks").click()
    run = page.get_by_role("region", name="Run Checks")
    expect(run.locator("p.meta")).to_contain_text(" · ui · ")
    expect(run.get_by_role("table", name="Devices")).to_contain_text("d1")
    listed = client.get("/api/v1/runs", params={"name": "Checks"}).json()["items"]
    assert [(r["trigger"], r["targets"]) for r in listed] == [("ui", ["d1"])]


def test_dashboard_is_clickable_shows_every_site_cli_jobs_and_both_sessions(
    live_api: LiveApi, client: httpx.Client, page: Page, tmp_path: Path
) -> None:
    for number in range(10):
        _post(
            client,
            "/api/v1/devices",
            {
                "name": f"s{number}",
                "host": f"127.0.1.{number + 1}",
                "port": 9,
                "platform": "linux",
                "site": f"site-{number:02d}",
            },
        )
    _post(
        client,
        "/api/v1/services",
        {"name": "Ping", "type": "reachability", "inputs": {"kind": "tcp", "port": 9}},
    )
    failed = _post(client, "/api/v1/run/Ping", {"targets": {"devices": ["s0"]}, "wait": 60})
    assert failed["status"] == "failure", failed
    request = BulkRequest.model_validate(
        {"connection_args": {}, "devices": [{"host": "s1"}], "command": ["uptime"]}
    )
    jobs, refused = live_api.runtime.jobs.submit_bulk(request, CLI_PRINCIPAL)  # `netweave run`
    assert len(jobs) == 1 and not refused

    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    board = page.get_by_role("region", name="Dashboard")
    expect(board.get_by_role("link", name=re.compile("cached device sessions"))).to_have_count(0)
    expect(board.get_by_text("cached device sessions")).to_be_visible()
    expect(board.get_by_role("link", name=re.compile("open terminal sessions"))).to_have_attribute(
        "href", "#/terminal-sessions"
    )
    expect(board.get_by_text("device jobs (14 days)")).to_be_visible()
    jobs_chart = board.get_by_role("figure", name="Device jobs per day")
    expect(jobs_chart).to_contain_text("1 from CLI (netweave run)")

    sites = board.get_by_role("figure", name="Devices by site")
    expect(sites.locator(".bar")).to_have_count(8)
    sites.get_by_role("button", name="+2 more").click()
    expect(sites.locator(".bar")).to_have_count(10)
    shot(page, tmp_path, "dashboard-clickable")
    sites.get_by_role("link", name="site-09").click()
    expect(page).to_have_url(re.compile(r"#/devices/site/site-09$"))
    narrowed = page.get_by_role("table", name=re.compile("Devices"))
    expect(narrowed.locator("tbody tr")).to_have_count(1)
    expect(narrowed).to_contain_text("s9")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    board.get_by_role("link", name=re.compile("failed runs")).click()
    expect(page).to_have_url(re.compile(r"#/runs/status/failure$"))
    expect(page.get_by_role("table", name=re.compile("Runs")).locator("tbody tr")).to_have_count(1)

    page.go_back()
    failures = board.get_by_role("figure", name="Recent failures")
    failures.get_by_role("link", name="Ping").click()
    expect(page).to_have_url(re.compile(rf"#/runs/{failed['id']}$"))
    expect(page.get_by_role("region", name="Run Ping")).to_be_visible()

    # the terminal sessions page says what it lists, and what the dashboard's other count is
    page.goto(f"{live_api.url}/ui/#/terminal-sessions")
    expect(page.get_by_label("About terminal sessions")).to_contain_text("cached device sessions")


def test_map_stops_asking_for_unreachable_tiles(
    live_api: LiveApi, client: httpx.Client, page: Page
) -> None:
    _post(
        client,
        "/api/v1/devices",
        {
            "name": "par",
            "host": "10.9.0.1",
            "platform": "linux",
            "latitude": 48.85,
            "longitude": 2.35,
        },
    )
    live_api.runtime.settings.map_tile_url = UNREACHABLE_TILES
    tiles: list[str] = []

    def record(request: Request) -> None:
        if "/tiles/" in request.url:
            tiles.append(request.url)

    page.context.on("request", record)
    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    page.goto(f"{live_api.url}/ui/#/map")
    view = page.get_by_role("region", name="Network map")
    expect(view.get_by_role("status")).to_contain_text("Offline map")
    expect(view.get_by_label("Offline map (built in)")).to_be_checked()
    assert 1 <= len(tiles) <= 2, tiles  # one probe, not a screenful of tiles

    # another visit, in another tab: the tiles are not tried again for a while
    tiles.clear()
    other = page.context.new_page()
    other.goto(f"{live_api.url}/ui/#/map")
    again = other.get_by_role("region", name="Network map")
    expect(again.get_by_role("status")).to_contain_text("did not load a moment ago")
    expect(again.locator(".leaflet-nw-countries-pane svg path").nth(100)).to_be_attached()
    assert tiles == []
    other.close()


def test_globe_draws_devices_at_one_place_as_one_point_with_their_count(
    live_api: LiveApi, client: httpx.Client, page: Page, tmp_path: Path
) -> None:
    for number, (lat, lon) in enumerate([(48.85, 2.35)] * 3 + [(-33.87, 151.21)]):
        _post(
            client,
            "/api/v1/devices",
            {
                "name": f"g{number}",
                "host": f"10.8.0.{number + 1}",
                "platform": "linux",
                "site": "PAR" if number < 3 else "SYD",
                "latitude": lat,
                "longitude": lon,
            },
        )
    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Globe").click()
    view = page.get_by_role("region", name="Network globe")
    legend = view.get_by_role("group", name="Globe legend")
    expect(legend).to_contain_text("4 devices on the globe")
    expect(legend.get_by_label("Grouped points")).to_contain_text("3 devices share a place")
    view.get_by_label("Find device").fill("g1")
    view.get_by_role("button", name="Find").click()
    panel = view.get_by_role("complementary", name="Device details")
    expect(panel.get_by_role("heading", name="g1")).to_be_visible()
    here = panel.get_by_role("group", name="Devices at the same place")
    expect(here.get_by_role("button")).to_have_text(["g0", "g2"])
    panel.get_by_role("button", name="Close details").click()
    # the point in the middle is the group: its tip names the count and every device
    globe = view.get_by_role("img", name="3D globe of devices and links")
    box = globe.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    tip = globe.locator(".nw-globe-tip")
    for step in range(60):
        page.mouse.move(x + step % 2, y)
        if tip.is_visible() and "3 devices" in tip.inner_text():
            break
        page.wait_for_timeout(250)  # not a timing assertion: the camera may still be turning
    expect(tip).to_contain_text("3 devices")
    expect(tip).to_contain_text("g0, g1, g2")
    shot(page, tmp_path, "globe-grouped")


def test_topology_says_and_shows_devices_without_links(
    live_api: LiveApi, client: httpx.Client, page: Page
) -> None:
    for name in ("t1", "t2", "lonely"):
        _post(
            client,
            "/api/v1/devices",
            {"name": name, "host": f"10.7.0.{len(name)}", "platform": "linux"},
        )
    _post(client, "/api/v1/links", {"source": "t1", "destination": "t2"})
    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Topology").click()
    view = page.get_by_role("region", name="Network topology")
    expect(view.get_by_label("Topology summary")).to_have_text("2 devices · 1 links")
    note = view.get_by_label("Devices without links")
    expect(note).to_contain_text("1 device without links not shown")
    note.get_by_role("button", name="Show them").click()
    expect(view.get_by_label("Topology summary")).to_have_text("3 devices · 1 links")
    graph = view.get_by_role("img", name="Topology graph")
    expect(graph.locator("canvas").first).to_be_visible()
    view.get_by_label("Find device").fill("lonely")
    view.get_by_role("button", name="Find").click()
    selected = graph.evaluate("(el) => el._cyreg.cy.nodes(':selected').map((n) => n.data('label'))")
    assert selected == ["lonely"]
    note.get_by_role("button", name="Hide them").click()
    expect(view.get_by_label("Topology summary")).to_have_text("2 devices · 1 links")


def test_favicon_is_served(live_api: LiveApi, page: Page) -> None:
    answer = httpx.get(f"{live_api.url}/favicon.ico")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/x-icon"
    assert answer.content[:4] == b"\x00\x00\x01\x00"  # an icon resource
    failed: list[str] = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    icon = page.locator("link[rel=icon]").first.get_attribute("href")
    assert icon is not None
    assert httpx.get(f"{live_api.url}{icon}").status_code == 200
    assert [url for url in failed if "favicon" in url] == []


def test_import_report_counts_rows_not_problems(
    live_api: LiveApi, client: httpx.Client, page: Page, tmp_path: Path
) -> None:
    workbook = load_workbook(
        io.BytesIO(client.get("/api/v1/inventory/export", params={"format": "xlsx"}).content)
    )
    sheet = workbook["devices"]
    header = [cell.value for cell in sheet[1]]

    def add(**values: object) -> None:
        sheet.append([values.get(str(column)) for column in header])

    add(name="ok-1", host="10.6.0.1", platform="linux", port=22)
    add(name="two-problems", host="bad host", platform="linux", port=99999)
    add(name="one-problem", host="10.6.0.3", platform="linux", port=99999)
    bad = tmp_path / "two-bad-rows.xlsx"
    workbook.save(bad)
    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    page.goto(f"{live_api.url}/ui/#/devices")
    devices = page.get_by_role("region", name="Devices")
    devices.get_by_label("Import file").set_input_files(str(bad))
    report = devices.get_by_role("figure", name="Import errors")
    expect(report.locator("tbody tr")).to_have_count(3)
    expect(report).to_contain_text("2 bad rows (3 problems)")
    expect(report).not_to_contain_text("3 bad row")
