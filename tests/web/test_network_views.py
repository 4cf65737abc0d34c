"""The network views in real headless Chromium: the 2D map (clusters, popups, the built-in
offline base layer when the tiles cannot be reached), the 3D globe (WebGL drawn, a point
clicked) and the logical topology (nodes, double-click → properties and SSH link). Nothing
may be fetched from anywhere but this server: the tiles are pointed at an unreachable local
port, and every request the page makes is checked."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Page, Request, expect

from tests.fixtures.api import LiveApi
from tests.fixtures.browser import shot, sign_in
from tests.fixtures.database import TEST_ADMIN_PASSWORD

UNREACHABLE_TILES = "http://127.0.0.1:9/tiles/{z}/{x}/{y}.png"  # the discard port: refused

# name, platform, site, latitude, longitude
PARIS = [
    (f"par-{n}", "cisco_ios", "PAR", 48.8566 + n * 0.004, 2.3522 + n * 0.004) for n in range(5)
]
CITIES = [
    ("lon-core", "arista_eos", "LON", 51.5072, -0.1276),
    ("nyc-core", "juniper_junos", "NYC", 40.7128, -74.006),
    ("sfo-core", "arista_eos", "SFO", 37.7749, -122.4194),
    ("tyo-core", "juniper_junos", "TYO", 35.6762, 139.6503),
    ("syd-core", "linux", "SYD", -33.8688, 151.2093),
    ("jnb-core", "cisco_ios", "JNB", -26.2041, 28.0473),
]
BACKBONE = [
    ("par-0", "lon-core"),
    ("lon-core", "nyc-core"),
    ("nyc-core", "sfo-core"),
    ("sfo-core", "tyo-core"),  # across the antimeridian
    ("tyo-core", "syd-core"),
    ("syd-core", "jnb-core"),
    ("jnb-core", "par-0"),
]


@pytest.fixture
def network(live_api: LiveApi) -> Iterator[dict[str, int]]:
    """11 located devices, one linked device without coordinates, one unlinked one."""
    ids: dict[str, int] = {}
    with httpx.Client(
        base_url=live_api.url, headers={"X-API-KEY": live_api.key}, timeout=30
    ) as client:
        rows = [*PARIS, *CITIES, ("lab-box", "linux", "PAR", None, None)]
        rows.append(("par-spare", "linux", "PAR", 48.85, 2.30))
        for number, (name, platform, site, lat, lon) in enumerate(rows):
            body: dict[str, object] = {
                "name": name,
                "host": f"10.20.0.{number + 1}",
                "platform": platform,
                "vendor": platform.split("_")[0].capitalize(),
                "site": site,
            }
            if lat is not None:
                body |= {"latitude": lat, "longitude": lon}
            response = client.post("/api/v1/devices", json=body)
            assert response.status_code == 201, response.text
            ids[name] = response.json()["id"]
        links = [(f"par-{n}", "par-0") for n in range(1, 5)] + BACKBONE + [("par-1", "lab-box")]
        used: dict[str, int] = {}
        for source, destination in links:
            ports = []
            for device in (source, destination):
                used[device] = used.get(device, 0) + 1
                ports.append(f"Gi0/{used[device]}")
            response = client.post(
                "/api/v1/links",
                json={
                    "source": source,
                    "destination": destination,
                    "source_interface": ports[0],
                    "destination_interface": ports[1],
                },
            )
            assert response.status_code == 201, response.text
        client.post("/api/v1/pools", json={"name": "cores", "device_filter": {"name": "*-core"}})
    live_api.runtime.settings.map_tile_url = UNREACHABLE_TILES
    yield ids


@pytest.fixture
def requests_seen(page: Page) -> list[str]:
    seen: list[str] = []

    def record(request: Request) -> None:
        seen.append(request.url)

    page.on("request", record)
    return seen


def _only_local(requests: list[str]) -> None:
    assert requests
    foreign = [url for url in requests if urlsplit(url).hostname not in ("127.0.0.1", None)]
    assert foreign == []


def test_map_clusters_popups_and_offline_base_layer(
    live_api: LiveApi,
    network: dict[str, int],
    page: Page,
    requests_seen: list[str],
    tmp_path: Path,
) -> None:
    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Map").click()
    view = page.get_by_role("region", name="Network map")
    expect(view.get_by_label("Map summary")).to_have_text(
        "12 devices · 11 links · 1 without coordinates"
    )
    # the tiles' port refuses: the built-in countries take over, and say so
    expect(view.get_by_role("status")).to_contain_text("Offline map")
    expect(view.get_by_label("Offline map (built in)")).to_be_checked()
    expect(view.get_by_label(re.compile(r"Map tiles \(127\.0\.0\.1:9\)"))).not_to_be_checked()
    countries = view.locator(".leaflet-nw-countries-pane svg path")
    expect(countries.nth(150)).to_be_attached()  # world-atlas: ~240 countries drawn
    # at world zoom Paris' six devices and London's cluster; the far cities are markers
    expect(view.locator(".marker-cluster").filter(has_text=re.compile(r"^7$"))).to_be_visible()
    marker = view.get_by_role("button", name="nyc-core")
    expect(marker).to_be_visible()
    shot(page, tmp_path, "network-map")
    marker.click()
    popup = view.locator(".leaflet-popup")
    expect(popup.get_by_role("heading", name="nyc-core")).to_be_visible()
    expect(popup).to_have_css("opacity", "1")  # faded in
    expect(popup).to_contain_text("10.20.0.7:22")
    expect(popup).to_contain_text("juniper_junos")
    expect(popup).to_contain_text("Gi0/1 → lon-core Gi0/2")
    nyc = network["nyc-core"]
    expect(popup.get_by_role("link", name="Open device nyc-core")).to_have_attribute(
        "href", f"#/devices/{nyc}"
    )
    expect(popup.get_by_role("link", name="SSH to nyc-core")).to_have_attribute(
        "href", f"#/devices/{nyc}/terminal"
    )
    shot(page, tmp_path, "network-map-popup")
    # find a device inside the cluster: the map zooms in and opens its popup
    view.get_by_label("Find device").fill("par-3")
    view.get_by_role("button", name="Find").click()
    expect(popup.get_by_role("heading", name="par-3")).to_be_visible()
    expect(popup).to_have_css("opacity", "1")
    expect(view.get_by_role("button", name="par-4")).to_be_visible()  # the cluster opened up
    shot(page, tmp_path, "network-map-zoomed")
    _only_local(requests_seen)
    assert any("/tiles/" in url for url in requests_seen)  # the configured tiles were tried


def test_globe_draws_points_and_opens_a_clicked_device(
    live_api: LiveApi,
    network: dict[str, int],
    page: Page,
    requests_seen: list[str],
    tmp_path: Path,
) -> None:
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Globe").click()
    view = page.get_by_role("region", name="Network globe")
    legend = view.get_by_role("group", name="Globe legend")
    expect(legend).to_contain_text("12 devices on the globe · 11 links · 1 without coordinates")
    expect(legend.get_by_role("list", name="Platforms")).to_contain_text("cisco_ios6")
    globe = view.get_by_role("img", name="3D globe of devices and links")
    canvas = globe.locator("canvas").first
    expect(canvas).to_be_visible()
    # WebGL really drew: ocean, land and points, not one flat background colour
    colours = canvas.evaluate(
        """(canvas) => {
            const copy = document.createElement('canvas');
            copy.width = 96; copy.height = 96;
            const ctx = copy.getContext('2d');
            ctx.drawImage(canvas, 0, 0, 96, 96);
            const data = ctx.getImageData(0, 0, 96, 96).data;
            const seen = new Set();
            for (let i = 0; i < data.length; i += 4) seen.add(data[i] >> 4 << 8 | data[i+1] >> 4 << 4 | data[i+2] >> 4);
            return seen.size;
        }"""
    )
    assert colours > 20, console
    shot(page, tmp_path, "network-globe")
    # find a device: the globe turns to it and opens its card
    view.get_by_label("Find device").fill("syd-core")
    view.get_by_role("button", name="Find").click()
    panel = view.get_by_role("complementary", name="Device details")
    expect(panel.get_by_role("heading", name="syd-core")).to_be_visible()
    panel.get_by_role("button", name="Close details").click()
    expect(panel).to_have_count(0)
    # the point now sits in the middle of the canvas: hovering shows its name, a click on
    # it opens the card (the globe raycasts the pointer on its next frame)
    box = globe.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    tip = globe.locator(".nw-globe-tip")
    for step in range(60):
        page.mouse.move(x + step % 2, y)
        if tip.is_visible() and "syd-core" in tip.inner_text():
            break
        page.wait_for_timeout(250)  # not a timing assertion: the camera may still be turning
    expect(tip).to_contain_text("syd-core")
    page.mouse.down()
    page.mouse.up()
    expect(panel.get_by_role("heading", name="syd-core")).to_be_visible()
    syd = network["syd-core"]
    expect(panel.get_by_role("link", name="SSH to syd-core")).to_have_attribute(
        "href", f"#/devices/{syd}/terminal"
    )
    shot(page, tmp_path, "network-globe-device")
    _only_local(requests_seen)


def test_topology_filters_and_double_click_opens_properties(
    live_api: LiveApi,
    network: dict[str, int],
    page: Page,
    requests_seen: list[str],
    tmp_path: Path,
) -> None:
    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Topology").click()
    view = page.get_by_role("region", name="Network topology")
    # every linked device (lab-box has no coordinates but a link); par-spare has no link
    expect(view.get_by_label("Topology summary")).to_have_text("12 devices · 12 links")
    graph = view.get_by_role("img", name="Topology graph")
    expect(graph.locator("canvas").first).to_be_visible()
    nodes = graph.evaluate("(el) => el._cyreg.cy.nodes().not('.site').length")
    assert nodes == 12  # what Cytoscape draws is what the summary says
    shot(page, tmp_path, "network-topology")

    view.get_by_label("Find device").fill("par-1")
    view.get_by_role("button", name="Find").click()
    box = graph.bounding_box()
    assert box is not None
    page.mouse.dblclick(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    panel = view.get_by_role("complementary", name="Device properties")
    expect(panel.get_by_role("heading", name="par-1")).to_be_visible()
    expect(panel).to_contain_text("10.20.0.2:22")
    expect(panel).to_contain_text("netmiko")  # the driver: read from the device itself
    expect(panel).to_contain_text("Links (2)")
    expect(panel).to_contain_text("lab-box")
    par1 = network["par-1"]
    expect(panel.get_by_role("link", name="SSH to par-1")).to_have_attribute(
        "href", f"#/devices/{par1}/terminal"
    )
    expect(panel.get_by_role("link", name="Open device par-1")).to_have_attribute(
        "href", f"#/devices/{par1}"
    )
    shot(page, tmp_path, "network-topology-device")
    panel.get_by_role("button", name="Close properties").click()

    # a site: all its devices, linked or not
    view.get_by_label("Site filter").select_option("PAR")
    expect(view.get_by_label("Topology summary")).to_have_text("7 devices · 5 links")
    view.get_by_label("Site filter").select_option("")
    view.get_by_label("Pool filter").select_option("cores")
    expect(view.get_by_label("Topology summary")).to_have_text("6 devices · 5 links")
    view.get_by_label("Colour by").select_option("site")
    expect(view.get_by_role("list", name="Colours (site)")).to_contain_text("TYO1")
    view.get_by_role("button", name="Fit").click()
    shot(page, tmp_path, "network-topology-pool")
    _only_local(requests_seen)
