"""topology_discovery through the API on a lab ring: links found from both ends are made
once, a re-run keeps them, a neighbour outside the inventory is reported, a renamed one is
met by its management address, and remove_stale drops a link that is gone."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from netweave.lab import LabDevice, LabThread, build_specs, ring_links
from netweave.services.builtin.interface_names import canonical_interface
from netweave.services.builtin.topology import (
    LLDPCLI_NEIGHBORS,
    SOURCES,
    name_candidates,
    neighbor_of,
    parse_neighbors,
)
from tests.fixtures.database import ONE_BACKEND

PLATFORMS = ("cisco_ios", "cisco_ios", "arista_eos", "juniper_junos", "cisco_ios")


@pytest.fixture(scope="module")
def ring() -> Iterator[LabThread]:
    """topo-ios-001 - ios-002 - eos-003 - junos-004 - ios-005 - back to ios-001, each on its
    own address (127.1.0.x, one port) so that management addresses tell devices apart."""
    probe = socket.socket()
    probe.bind(("127.1.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    specs = build_specs(
        5, platforms=PLATFORMS, prefix="topo", address_mode="addresses", base_port=port
    )
    with LabThread(specs, links=ring_links(specs)) as running:
        yield running


def _inventory(client: TestClient, devices: list[LabDevice]) -> list[str]:
    """The lab's credential and ``devices`` (not the whole ring) in the inventory."""
    credential = {"name": "lab", "username": "netweave", "password": "netweave"}
    credential |= {"enable_secret": "netweave", "scope": {"networks": ["127.0.0.0/8"]}}
    assert client.post("/api/v1/credentials", json=credential).status_code == 201
    for device in devices:
        body = {"name": device.name, "host": device.host, "port": device.port}
        body |= {"platform": device.spec.platform, "credential": "lab"}
        assert client.post("/api/v1/devices", json=body).status_code == 201
    return [device.name for device in devices]


def _run(
    client: TestClient, name: str, targets: list[str], inputs: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Run service ``name`` (created with ``inputs`` when given) on ``targets``; the run
    with its results per device (``by_device``)."""
    if inputs is not None:
        body = {"name": name, "type": "topology_discovery", "inputs": inputs}
        created = client.post("/api/v1/services", json=body)
        assert created.status_code == 201, created.text
    run = client.post(f"/api/v1/run/{name}", json={"targets": {"devices": targets}, "wait": 120})
    assert run.status_code == 201, run.text
    data = run.json()
    results = client.get(f"/api/v1/runs/{data['id']}/results").json()
    data["by_device"] = {r["device"]: r for r in results}
    return data


def _links(client: TestClient) -> set[tuple[str, str, str, str]]:
    page = client.get("/api/v1/links", params={"limit": 200}).json()
    return {
        (i["source"], i["source_interface"], i["destination"], i["destination_interface"])
        for i in page["items"]
    }


def test_links_found_from_both_ends_are_made_once(admin: TestClient, ring: LabThread) -> None:
    ios1, ios2, eos3, junos4, ios5 = ring.devices
    names = _inventory(admin, [ios1, ios2, eos3, junos4])  # ios-005 is not in the inventory
    # renamed (its inventory name stays): its neighbours meet it by its management address
    assert ring.configure(ios2.name, ["hostname edge-2"]) == ""
    try:
        first = _run(admin, "Discover", names, {"protocols": "both"})
        again = _run(admin, "Discover", names)
    finally:
        ring.configure(ios2.name, [f"hostname {ios2.name}"])
    assert first["status"] == "success", first["by_device"]
    expected = {  # each found from both ends, made once, its ends in name order
        (ios1.name, "GigabitEthernet0/0", ios2.name, "GigabitEthernet0/0"),
        (eos3.name, "Ethernet1", ios2.name, "GigabitEthernet0/1"),
        (eos3.name, "Ethernet2", junos4.name, "ge-0/0/0"),
    }
    assert _links(admin) == expected
    changes = admin.get("/api/v1/changelog", params={"object_type": "link"}).json()["items"]
    assert {c["actor"] for c in changes} == {f"run {first['id']}"}

    on_ios1 = first["by_device"][ios1.name]["result"]
    by_interface = {n["local_interface"]: n for n in on_ios1["neighbors"]}
    edge = by_interface["GigabitEthernet0/0"]
    assert edge["neighbor"] == "edge-2.lab.netweave.local"
    assert edge["device"] == ios2.name and sorted(edge["protocols"]) == ["cdp", "lldp"]
    assert edge["management_address"] == ios2.host
    assert [(n["neighbor"], n["local_interface"]) for n in on_ios1["unknown_neighbors"]] == [
        (f"{ios5.name}.lab.netweave.local", "GigabitEthernet0/1")
    ]
    assert by_interface["GigabitEthernet0/1"]["device"] is None
    assert on_ios1["neighbor_devices"] == [ios2.name]
    on_junos = first["by_device"][junos4.name]["result"]
    assert list(on_junos["skipped"]) == ["cdp"]  # Junos: LLDP only
    assert {n["device"] for n in on_junos["neighbors"]} == {eos3.name, None}
    made = [r["result"]["links"] for r in first["by_device"].values()]
    assert sum(len(m["created"]) for m in made) == 3
    assert sum(len(m["kept"]) for m in made) == 3  # the other end of each

    assert again["status"] == "success", again["by_device"]
    assert all(not r["result"]["links"]["created"] for r in again["by_device"].values())
    assert _links(admin) == expected


def test_remove_stale_drops_links_no_longer_seen(admin: TestClient, ring: LabThread) -> None:
    ios1, ios2, eos3, *_ = ring.devices
    names = _inventory(admin, [ios1, ios2, eos3])
    assert _run(admin, "Discover", names, {})["status"] == "success"
    bogus = {"source": ios1.name, "source_interface": "Gi0/3"}
    bogus |= {"destination": eos3.name, "destination_interface": "Ethernet4"}
    assert admin.post("/api/v1/links", json=bogus).status_code == 201
    before = _links(admin)
    report = _run(admin, "Report", [ios1.name], {"protocols": "cdp", "update_inventory": False})
    result = report["by_device"][ios1.name]["result"]
    assert result["links"] is None  # ios-005 (not in the inventory) speaks CDP too
    assert [n["device"] for n in result["neighbors"]] == [ios2.name, None]
    assert _links(admin) == before  # nothing changed

    port = "interface GigabitEthernet0/0"
    assert ring.configure(ios2.name, [port, " shutdown"]) == ""  # the far end goes down
    try:
        stale = _run(admin, "Prune", [ios1.name], {"remove_stale": True})
    finally:
        ring.configure(ios2.name, [port, " no shutdown"])
    assert stale["status"] == "success", stale["by_device"]
    removed = stale["by_device"][ios1.name]["result"]["links"]["removed"]
    assert sorted(removed) == [
        f"{ios1.name}:Gi0/3--{eos3.name}:Ethernet4",
        f"{ios1.name}:GigabitEthernet0/0--{ios2.name}:GigabitEthernet0/0",
    ]
    assert not any(ios1.name in (link[0], link[2]) for link in _links(admin))
    assert (eos3.name, "Ethernet1", ios2.name, "GigabitEthernet0/1") in _links(admin)


@ONE_BACKEND
def test_inputs_and_names(operator: TestClient) -> None:
    bad = {"name": "Bad", "type": "topology_discovery", "inputs": {"protocols": "ospf"}}
    refused = operator.post("/api/v1/services", json=bad)
    assert refused.status_code == 422 and "protocols" in refused.text
    good = {"name": "Good", "type": "topology_discovery", "inputs": {"protocols": "lldp"}}
    assert operator.post("/api/v1/services", json=good).status_code == 201  # not privileged
    assert [canonical_interface(n) for n in ("Gi0/1", "Gig 0/1", "Et1", "ge-0/0/1", "eth0")] == [
        "GigabitEthernet0/1",
        "GigabitEthernet0/1",
        "Ethernet1",
        "ge-0/0/1",
        "eth0",
    ]
    assert name_candidates("sw1.corp.example(FOX1234)") == [
        "sw1.corp.example(FOX1234)",
        "sw1.corp.example",
        "sw1",
    ]


def test_lldpcli_json0_rows() -> None:
    """lldpd's ``lldpcli -f json0 show neighbors`` (FRR and Linux hosts): a MAC port ID
    gives way to the port description, an ifname port ID is kept; what is not that JSON is
    an error naming the command and the output's first line."""
    port = {"id": [{"type": "mac", "value": "da:4a:9f:06:d2:9f"}], "descr": [{"value": "eth1"}]}
    chassis = {"name": [{"value": "r2.lab"}], "mgmt-ip": [{"value": "198.19.2.2"}]}
    chassis["capability"] = [
        {"type": "Bridge", "enabled": False},
        {"type": "Router", "enabled": True},
    ]
    named = {"id": [{"type": "ifname", "value": "swp3"}], "descr": [{"value": "uplink"}]}
    table = [{"name": "eth1", "chassis": [chassis], "port": [port]}]
    table.append({"name": "eth2", "chassis": [{"name": [{"value": "sw9"}]}], "port": [named]})
    text = "lldpcli -f json0 show neighbors\n" + json.dumps({"lldp": [{"interface": table}]})
    rows = parse_neighbors(SOURCES["frr"], LLDPCLI_NEIGHBORS, text)
    assert isinstance(rows, list)
    found = [neighbor_of(row, "lldp") for row in rows]
    assert [(n["local_interface"], n["neighbor"], n["neighbor_interface"]) for n in found] == [
        ("eth1", "r2.lab", "eth1"),
        ("eth2", "sw9", "swp3"),
    ]
    assert (found[0]["management_address"], found[0]["capabilities"]) == ("198.19.2.2", "Router")
    assert parse_neighbors(SOURCES["linux"], LLDPCLI_NEIGHBORS, '{"lldp": [{}]}') == []
    refused = parse_neighbors(SOURCES["frr"], LLDPCLI_NEIGHBORS, "\n% Unknown command: lldpcli\n")
    assert (
        refused == f"{LLDPCLI_NEIGHBORS}: no JSON object in the output: % Unknown command: lldpcli"
    )
    assert SOURCES["frr"].shell == "linux" and SOURCES["frr"].cdp is None
