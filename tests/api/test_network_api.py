"""The network views' read endpoints: located devices and their links (map, globe), the
logical topology with its site/pool filters, the UI's read-only settings, and the demo's
network."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from netweave.cli.demo_network import demo_links
from netweave.core.runtime import Runtime
from netweave.foundation.settings import (
    DEFAULT_MAP_TILE_ATTRIBUTION,
    DEFAULT_MAP_TILE_URL,
    Settings,
)
from netweave.lab import build_specs

# name, site, latitude, longitude (None: not located)
DEVICES = [
    ("par-core", "PAR", 48.8566, 2.3522),
    ("par-edge", "PAR", 48.86, 2.36),
    ("lon-core", "LON", 51.5072, -0.1276),
    ("nyc-core", "NYC", 40.7128, -74.006),
    ("lab-box", "PAR", None, None),
    ("spare", "NYC", 40.72, -74.0),
]
LINKS = [
    ("par-core", "Gi0/1", "par-edge", "Gi0/0"),
    ("par-core", "Gi0/2", "lon-core", "Et1"),
    ("lon-core", "Et2", "nyc-core", "ge-0/0/0"),
    ("par-edge", "Gi0/3", "lab-box", "eth0"),  # to a device without coordinates
]


def _seed(admin: TestClient) -> dict[str, int]:
    ids = {}
    for name, site, lat, lon in DEVICES:
        body: dict[str, object] = {
            "name": name,
            "host": f"10.9.0.{len(ids) + 1}",
            "port": 2200 + len(ids),
            "platform": "arista_eos" if name.startswith("lon") else "cisco_ios",
            "vendor": "Arista" if name.startswith("lon") else "Cisco",
            "site": site,
        }
        if lat is not None:
            body |= {"latitude": lat, "longitude": lon}
        response = admin.post("/api/v1/devices", json=body)
        assert response.status_code == 201, response.text
        ids[name] = response.json()["id"]
    for source, src_if, destination, dst_if in LINKS:
        response = admin.post(
            "/api/v1/links",
            json={
                "source": source,
                "destination": destination,
                "source_interface": src_if,
                "destination_interface": dst_if,
            },
        )
        assert response.status_code == 201, response.text
    response = admin.post("/api/v1/pools", json={"name": "core", "devices": ["par-core"]})
    assert response.status_code == 201, response.text
    response = admin.post(
        "/api/v1/pools", json={"name": "cores", "device_filter": {"name": "*-core"}}
    )
    assert response.status_code == 201, response.text
    return ids


def test_geo_lists_located_devices_and_the_links_between_them(
    admin: TestClient, viewer: TestClient
) -> None:
    ids = _seed(admin)
    data = viewer.get("/api/v1/network/geo").json()  # a viewer may look
    names = [d["name"] for d in data["devices"]]
    assert names == ["lon-core", "nyc-core", "par-core", "par-edge", "spare"]
    assert data["unlocated"] == 1  # lab-box
    par = next(d for d in data["devices"] if d["name"] == "par-core")
    assert par == {
        "id": ids["par-core"],
        "name": "par-core",
        "host": "10.9.0.1",
        "port": 2200,
        "platform": "cisco_ios",
        "vendor": "Cisco",
        "model": "",
        "site": "PAR",
        "lat": 48.8566,
        "lon": 2.3522,
    }
    pairs = {(link["source"], link["target"]) for link in data["links"]}
    assert pairs == {
        (ids["par-core"], ids["par-edge"]),
        (ids["par-core"], ids["lon-core"]),
        (ids["lon-core"], ids["nyc-core"]),
    }  # not par-edge -- lab-box: lab-box has no coordinates
    link = next(link for link in data["links"] if link["target"] == ids["nyc-core"])
    assert (link["source_interface"], link["target_interface"]) == ("Et2", "ge-0/0/0")

    paris = viewer.get("/api/v1/network/geo", params={"site": "PAR"}).json()
    assert [d["name"] for d in paris["devices"]] == ["par-core", "par-edge"]
    assert paris["unlocated"] == 1
    assert len(paris["links"]) == 1  # both ends must be in the selection
    cores = viewer.get("/api/v1/network/geo", params={"pool": "cores"}).json()
    assert [d["name"] for d in cores["devices"]] == ["lon-core", "nyc-core", "par-core"]
    assert len(cores["links"]) == 2


def test_topology_nodes_are_linked_devices_or_the_whole_selection(
    admin: TestClient, viewer: TestClient
) -> None:
    ids = _seed(admin)
    data = viewer.get("/api/v1/network/topology").json()
    assert [n["name"] for n in data["nodes"]] == [
        "lab-box",
        "lon-core",
        "nyc-core",
        "par-core",
        "par-edge",
    ]  # "spare" has no link; lab-box has one (no coordinates needed here)
    assert len(data["edges"]) == 4
    assert next(n for n in data["nodes"] if n["name"] == "lab-box")["lat"] is None
    edge = next(e for e in data["edges"] if e["target"] == ids["lab-box"])
    assert (edge["source"], edge["source_interface"], edge["target_interface"]) == (
        ids["par-edge"],
        "Gi0/3",
        "eth0",
    )
    assert data["sites"] == ["LON", "NYC", "PAR"]
    assert data["pools"] == ["core", "cores"]

    nyc = viewer.get("/api/v1/network/topology", params={"site": "NYC"}).json()
    assert [n["name"] for n in nyc["nodes"]] == ["nyc-core", "spare"]  # unlinked "spare" too
    assert nyc["edges"] == []
    paris = viewer.get("/api/v1/network/topology", params={"site": "P*"}).json()
    assert {n["name"] for n in paris["nodes"]} == {"par-core", "par-edge", "lab-box"}
    assert len(paris["edges"]) == 2
    cores = viewer.get("/api/v1/network/topology", params={"pool": "cores"}).json()
    assert {n["name"] for n in cores["nodes"]} == {"par-core", "lon-core", "nyc-core"}
    assert len(cores["edges"]) == 2
    both = viewer.get("/api/v1/network/topology", params={"pool": "cores", "site": "PAR"}).json()
    assert [n["name"] for n in both["nodes"]] == ["par-core"]


def test_unknown_pool_and_missing_authentication(
    admin: TestClient, anon_client: TestClient
) -> None:
    _seed(admin)
    for view in ("geo", "topology"):
        response = admin.get(f"/api/v1/network/{view}", params={"pool": "nope"})
        assert response.status_code == 404
        assert "nope" in response.json()["detail"]
        assert anon_client.get(f"/api/v1/network/{view}").status_code == 401
    assert anon_client.get("/api/v1/ui/settings").status_code == 401


def test_empty_inventory_answers_empty_views(viewer: TestClient) -> None:
    assert viewer.get("/api/v1/network/geo").json() == {
        "devices": [],
        "links": [],
        "unlocated": 0,
    }
    assert viewer.get("/api/v1/network/topology").json() == {
        "nodes": [],
        "edges": [],
        "sites": [],
        "pools": [],
        "unlinked": 0,
    }


def test_ui_settings_expose_the_tile_layer_read_only(runtime: Runtime, viewer: TestClient) -> None:
    assert viewer.get("/api/v1/ui/settings").json() == {
        "map_tile_url": DEFAULT_MAP_TILE_URL,
        "map_tile_attribution": DEFAULT_MAP_TILE_ATTRIBUTION,
    }
    runtime.settings.map_tile_url = "http://tiles.example.net/{z}/{x}/{y}.png"
    runtime.settings.map_tile_attribution = "Example tiles"
    assert viewer.get("/api/v1/ui/settings").json() == {
        "map_tile_url": "http://tiles.example.net/{z}/{x}/{y}.png",
        "map_tile_attribution": "Example tiles",
    }
    assert viewer.post("/api/v1/ui/settings", json={}).status_code == 405


def test_tile_url_setting_is_checked() -> None:
    assert Settings().map_tile_url == DEFAULT_MAP_TILE_URL
    assert "openstreetmap.org" in Settings().map_tile_attribution
    assert Settings(map_tile_url="").map_tile_url == ""  # offline map only
    assert Settings(map_tile_url="/tiles/{z}/{x}/{y}.png").map_tile_url.startswith("/tiles")
    with pytest.raises(ValidationError, match=r"must contain \{x\}"):
        Settings(map_tile_url="https://tiles.example.net/{z}/{y}.png")
    with pytest.raises(ValidationError, match="http"):
        Settings(map_tile_url="javascript:alert(1)//{z}{x}{y}")


def test_demo_network_joins_every_site_and_a_backbone() -> None:
    specs = build_specs(24, base_port=10022, address_mode="addresses")
    links = demo_links(specs)
    names = [link.name for link in links]
    assert len(names) == len(set(names))
    linked = {link.source for link in links} | {link.destination for link in links}
    assert linked == {spec.name for spec in specs}  # nobody left alone on the map
    backbone = [link for link in links if link.description.startswith("backbone")]
    assert len(backbone) == 14
    ports: dict[str, set[str]] = {}
    for link in links:
        for device, port in (
            (link.source, link.source_interface),
            (link.destination, link.destination_interface),
        ):
            assert port not in ports.setdefault(device, set()), (device, port)
            ports[device].add(port)
    ios = next(link for link in links if link.source == "lab-ios-001")
    assert ios.source_interface == "GigabitEthernet0/0"
