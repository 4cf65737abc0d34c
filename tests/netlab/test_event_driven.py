"""Event-driven automation on real FRR: a link goes down, both routers' ospfd log the
adjacency leaving Full, the log arrives as real UDP syslog from each router's management
address, an event rule matches it and starts a diagnostic workflow on exactly the router that
logged it and the neighbor its message names (found by the router-id it captured, matched to
the inventory's ``loopback`` custom field through ``iteration_devices``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient

from netweave.core.runtime import Runtime
from netweave.netlab import RealLab
from netweave.syslog import SyslogServer
from tests.fixtures.database import ONE_BACKEND
from tests.fixtures.netlab import add_frr_inventory

pytestmark = ONE_BACKEND
NETLAB_TOPOLOGY = "ring:3"
# FRR 8.4 with log-adjacency-changes detail, e.g. "AdjChg: Nbr 198.18.255.1, NbrIP 198.18.0.0
# (default) on eth1:198.18.0.1: Full -> Deleted (KillNbr)": the adjacency leaving Full
ADJACENCY_DOWN = (
    r"AdjChg: Nbr (?P<neighbor>\d+\.\d+\.\d+\.\d+),.* on (?P<interface>[^:\s]+)\S*: Full -> "
)
T = TypeVar("T")


def _until(check: Callable[[], T | None], what: str, timeout: float = 20.0) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


@pytest.fixture
def syslog_server(runtime: Runtime, frr_lab: RealLab) -> Iterator[SyslogServer]:
    """NetWeave's syslog receiver on the host's end of the lab's management network (the
    routers reach that address only), the lab's FRR logs sent to it."""
    server = SyslogServer(runtime.events, frr_lab.host_address, 0, tcp=False).start()
    assert server.udp_port
    frr_lab.start_syslog((frr_lab.host_address, server.udp_port))
    yield server
    server.stop()


def _diagnostic_automation(admin: TestClient) -> None:
    service = {
        "name": "OSPF diagnostics",
        "type": "netmiko_commands",
        "inputs": {"commands": ["show ip ospf neighbor", "show ip route"]},
    }
    assert admin.post("/api/v1/services", json=service).status_code == 201
    # the router the rule targets, and the neighbor its message names (by router-id)
    both = "[device.name, {'custom_fields': {'loopback': vars.neighbor}}]"
    graph = {
        "nodes": [{"id": "diagnose", "ref": "OSPF diagnostics", "iteration_devices": both}],
        "edges": [
            {"source": "start", "target": "diagnose"},
            {"source": "diagnose", "target": "end"},
        ],
    }
    created = admin.post("/api/v1/workflows", json={"name": "Adjacency down", "graph": graph})
    assert created.status_code == 201, created.text
    rule = {
        "name": "ospf adjacency down",
        "automation": "Adjacency down",
        "match": {"program": "ospfd", "regex": ADJACENCY_DOWN},
        "dedup_window": 300,
    }
    created = admin.post("/api/v1/event-rules", json=rule)
    assert created.status_code == 201, created.text


def test_link_down_runs_diagnostics_on_the_router_and_its_neighbor(
    runtime: Runtime, admin: TestClient, frr_lab: RealLab, syslog_server: SyslogServer
) -> None:
    add_frr_inventory(admin, frr_lab)
    loopbacks = {d["name"]: d["loopback"].split("/")[0] for d in frr_lab.devices()}
    for device in admin.get("/api/v1/devices").json()["items"]:
        patched = admin.patch(
            f"/api/v1/devices/{device['id']}",
            json={"custom_fields": {"loopback": loopbacks[device["name"]]}},
        )
        assert patched.status_code == 200, patched.text
    _diagnostic_automation(admin)

    r2 = frr_lab.router("r2")
    eth1 = next(i for i in r2.plan.interfaces if i.name == "eth1")
    peer = eth1.peer_router  # r1 in the ring
    expected = {"r2": (loopbacks[peer], "eth1"), peer: (loopbacks["r2"], eth1.peer_interface)}
    sent = time.monotonic()
    r2.ip("link", "set", "eth1", "down")
    try:
        # both ends log the adjacency going: each end's rule fires once, for that end
        def ours(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
            """This cable's firings (a busy machine may make another adjacency flap)."""
            return [
                r for r in rows
                if r["device"] in expected
                and (r["groups"] or {}).get("neighbor") == expected[r["device"]][0]
            ]  # fmt: skip

        def fired() -> list[dict[str, Any]] | None:
            rows = ours(admin.get("/api/v1/event-rules/ospf adjacency down/firings").json())
            done = [r for r in rows if r["run_id"]]
            return rows if len(done) >= 2 else None

        firings = _until(fired, "both ends' adjacency-down messages fired the rule")
        print(f"link down → both runs started: {time.monotonic() - sent:.2f} s")
        assert sorted(f["status"] for f in firings) == ["fired", "fired"], firings
        by_sender = {f["device"]: f for f in firings}
        assert {
            name: (f["groups"]["neighbor"], f["groups"]["interface"])
            for name, f in by_sender.items()
        } == expected
        for sender, firing in by_sender.items():
            run = runtime.runs.wait(firing["run_id"], 60)
            assert run.status == "success", run.summary
            assert run.trigger == "syslog" and run.targets == [sender]
            results = admin.get(f"/api/v1/runs/{run.id}/results").json()
            ran = {r["device"]: r for r in results if r["step"] == "diagnose" and r["attempts"]}
            assert set(ran) == {"r2", peer}, results  # exactly the router and its neighbor
            for name, result in ran.items():
                outputs = {o["command"]: o["stdout"] for o in result["result"]["outputs"]}
                neighbors, routes = outputs["show ip ospf neighbor"], outputs["show ip route"]
                assert "Neighbor ID" in neighbors
                assert loopbacks["r3"] in neighbors  # the ring's other way is still Full
                if name != sender:
                    # the other end's ospfd may not have processed its carrier loss yet
                    # when its diagnostics run (its own firing's run shows it gone)
                    continue
                gone, interface = expected[name]  # the other end's router-id, the downed port
                assert gone not in neighbors, neighbors
                assert f" {interface}:" not in neighbors  # nothing left on the downed link
                assert f"directly connected, {interface}," not in routes, routes
                assert f"{loopbacks['r3']}/32" in routes
    finally:
        r2.ip("link", "set", "eth1", "up")
    assert frr_lab.wait_converged(60), "the ring did not converge again"
    again = ours(admin.get("/api/v1/event-rules/ospf adjacency down/firings").json())
    assert len(again) == 2, again  # the adjacency coming back matched nothing
