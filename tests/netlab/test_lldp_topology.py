"""Topology discovery from real LLDP: lldpd runs on every cable of the lab; the routers' own
login lands in vtysh (no LLDP there), so ``topology_discovery`` reads ``lldpcli -f json0 show
neighbors`` in the Linux shell with the ``shell_credential`` login, and the links it records
are the lab's cables, once each, as the topology view gets them."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from netweave.netlab import RealLab
from tests.fixtures.api import LiveApi
from tests.fixtures.browser import sign_in
from tests.fixtures.database import ONE_BACKEND, TEST_ADMIN_PASSWORD
from tests.fixtures.netlab import add_frr_inventory

pytestmark = ONE_BACKEND
NETLAB_TOPOLOGY = "ring:3"

DRAWN_EDGES = """(el) => el._cyreg.cy.edges().map(
    (e) => [e.source().data('label'), e.target().data('label')].sort().join('-')).sort()"""
Cable = frozenset[tuple[str, str]]  # its two ends, (device, interface) each


def _run(client: TestClient, service: str, targets: list[str]) -> dict[str, dict[str, Any]]:
    run = client.post(f"/api/v1/run/{service}", json={"targets": {"devices": targets}, "wait": 120})
    assert run.status_code == 201, run.text
    results = client.get(f"/api/v1/runs/{run.json()['id']}/results").json()
    return {r["device"]: r for r in results}


def _service(client: TestClient, name: str, inputs: dict[str, Any]) -> None:
    body = {"name": name, "type": "topology_discovery", "inputs": inputs}
    created = client.post("/api/v1/services", json=body)
    assert created.status_code == 201, created.text


def test_lldp_neighbours_become_the_labs_cables(
    admin: TestClient, frr_lab: RealLab, live_api: LiveApi, page: Page
) -> None:
    names = add_frr_inventory(admin, frr_lab)
    shell = frr_lab.devices()[0]
    credential = {
        "name": "frr-shell",
        "username": shell["shell_username"],
        "password": shell["password"],
        "scope": {"networks": [f"{frr_lab.management}.0/24"]},
    }
    assert admin.post("/api/v1/credentials", json=credential).status_code == 201
    _service(admin, "LLDP", {"protocols": "lldp", "shell_credential": "frr-shell"})
    _service(admin, "LLDP unknown login", {"protocols": "lldp", "shell_credential": "nope"})
    _service(admin, "LLDP in vtysh", {"protocols": "lldp"})  # the device's own login
    elsewhere = credential | {"name": "elsewhere", "scope": {"networks": ["127.0.0.0/8"]}}
    assert admin.post("/api/v1/credentials", json=elsewhere).status_code == 201
    _service(admin, "LLDP out of scope", {"protocols": "lldp", "shell_credential": "elsewhere"})

    by_device = _run(admin, "LLDP", names)
    assert all(r["success"] for r in by_device.values()), by_device
    r1 = by_device["r1"]["result"]
    assert r1["neighbor_devices"] == ["r2", "r3", "s1"] and r1["errors"] == {}, r1
    spoke = next(n for n in r1["neighbors"] if n["device"] == "s1")
    assert (spoke["local_interface"], spoke["neighbor_interface"]) == ("eth3", "eth1")
    assert spoke["management_address"] == f"{frr_lab.management}.4"
    assert spoke["capabilities"] == "Router" and spoke["protocols"] == ["lldp"]

    cables: set[Cable] = {
        frozenset(
            {(c["source"], c["source_interface"]), (c["destination"], c["destination_interface"])}
        )
        for c in frr_lab.links()
    }
    listed = admin.get("/api/v1/links", params={"limit": 100}).json()["items"]
    found = [
        frozenset(
            {(i["source"], i["source_interface"]), (i["destination"], i["destination_interface"])}
        )
        for i in listed
    ]
    assert len(found) == len(cables) == 4 and set(found) == cables  # one link per cable

    view = admin.get("/api/v1/network/topology").json()  # what the topology view draws
    named = {d["id"]: d["name"] for d in view["nodes"]}
    drawn = {
        frozenset(
            {
                (named[i["source"]], i["source_interface"]),
                (named[i["target"]], i["target_interface"]),
            }
        )
        for i in view["edges"]
    }
    assert drawn == cables and sorted(named.values()) == sorted(names)
    # and drawn in the browser's topology view (Cytoscape), from the same server's data
    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Topology").click()
    shown = page.get_by_role("region", name="Network topology")
    expect(shown.get_by_label("Topology summary")).to_have_text("4 devices · 4 links")
    graph = shown.get_by_role("img", name="Topology graph")
    expect(graph.locator("canvas").first).to_be_visible()
    edges = graph.evaluate(DRAWN_EDGES)
    assert edges == sorted("-".join(sorted((a, b))) for a, _, b, _ in frr_lab.plan.cables())

    again = _run(admin, "LLDP", ["r2"])["r2"]["result"]["links"]  # a re-run makes none
    assert again["created"] == [] and len(again["kept"]) == 2

    unknown = _run(admin, "LLDP unknown login", ["r1"])["r1"]
    assert not unknown["success"]
    assert unknown["result"]["error"] == "shell_credential: no credential named 'nope'"
    refused = _run(admin, "LLDP out of scope", ["r1"])["r1"]  # never offered to r1
    assert not refused["success"], refused
    assert "credential 'elsewhere' may not be offered" in refused["result"]["error"]
    in_vtysh = _run(admin, "LLDP in vtysh", ["r1"])["r1"]  # vtysh has no lldpcli
    assert not in_vtysh["success"]
    assert "% Unknown command" in in_vtysh["result"]["errors"]["lldp"], in_vtysh
