"""NetWeave's TextFSM templates for FRR (platform ``frr``), looked up before ntc-templates:
the outputs under tests/netlab/outputs were captured from a real FRR 8.4 lab (ring:3, and
with r2's eth1 down), then one real run parses ``show ip ospf neighbor`` on every router."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from netweave.drivers.platforms.frr import FrrVtyshSSH
from netweave.netlab import RealLab
from netweave.services.builtin.parsing import ntc_parse, parse_output
from tests.fixtures.database import ONE_BACKEND
from tests.fixtures.netlab import add_frr_inventory

pytestmark = ONE_BACKEND
NETLAB_TOPOLOGY = "ring:3"
OUTPUTS = Path(__file__).with_name("outputs")


def _parse(command: str, capture: str) -> list[dict[str, Any]]:
    return ntc_parse("frr", command, (OUTPUTS / f"frr_{capture}.txt").read_text())


def test_ospf_neighbors_are_parsed_with_their_state_and_interface() -> None:
    rows = _parse("show ip ospf neighbor", "r1_show_ip_ospf_neighbor")
    by_id = {row["neighbor_id"]: row for row in rows}
    assert sorted(by_id) == ["198.18.255.2", "198.18.255.3", "198.18.255.4"]
    assert {row["state"] for row in rows} == {"Full/-"}
    assert by_id["198.18.255.2"] | {"uptime": "", "dead_time": ""} == {
        "neighbor_id": "198.18.255.2",
        "priority": "1",
        "state": "Full/-",
        "uptime": "",
        "dead_time": "",
        "address": "198.18.0.1",
        "interface": "eth1",
        "local_address": "198.18.0.0",
        "rxmtl": "2",
        "rqstl": "0",
        "dbsml": "0",
    }
    assert by_id["198.18.255.4"]["uptime"] == "8.797s"
    assert by_id["198.18.255.4"]["dead_time"] == "3.237s"
    down = _parse("sh ip ospf nei", "r2_eth1_down_show_ip_ospf_neighbor")  # abbreviated
    assert [(r["neighbor_id"], r["interface"]) for r in down] == [("198.18.255.3", "eth2")]


def test_bgp_peers_are_parsed_with_prefix_counts_or_their_state() -> None:
    rows = _parse("show ip bgp summary", "r1_show_ip_bgp_summary")
    assert {(r["router_id"], r["local_as"], r["vrf"], r["address_family"]) for r in rows} == {
        ("198.18.255.1", "65001", "default", "IPv4 Unicast")
    }
    peers = {r["bgp_neighbor"]: r for r in rows}
    assert {n: (p["neighbor_as"], p["description"]) for n, p in peers.items()} == {
        "198.18.0.1": ("65002", "r2"),
        "198.18.0.4": ("65003", "r3"),
        "198.18.0.6": ("65100", "s1"),
    }
    # Established: the received prefix count (r2's and r3's loopbacks... and s1's alone)
    assert [peers[n]["prefixes_received"] for n in sorted(peers)] == ["2", "2", "1"]
    assert all(p["state_pfxrcd"] == p["prefixes_received"] for p in rows)
    assert {p["prefixes_sent"] for p in rows} == {"4"}
    down = {
        r["bgp_neighbor"]: r for r in _parse("show bgp summary", "r2_eth1_down_show_ip_bgp_summary")
    }
    assert down["198.18.0.0"]["state_pfxrcd"] == "Active"  # r1, over the cable that is down
    assert down["198.18.0.0"]["prefixes_received"] == ""
    assert down["198.18.0.3"]["state_pfxrcd"] == down["198.18.0.3"]["prefixes_received"] == "3"


def test_routes_are_parsed_one_row_per_next_hop_with_protocol_codes() -> None:
    rows = _parse("show ip route", "r1_show_ip_route")
    assert len(rows) == 16
    assert Counter(r["protocol"] for r in rows) == {"O": 8, "C": 5, "B": 3}
    best = {f"{r['network']}/{r['prefix_length']}": r for r in rows if r["selected"] == ">"}
    assert best["198.18.255.4/32"]["protocol"] == "B"  # s1's loopback, learned over eBGP
    assert (best["198.18.255.4/32"]["distance"], best["198.18.255.4/32"]["metric"]) == ("20", "0")
    assert best["198.18.255.4/32"]["nexthop_ip"] == "198.18.0.6"
    assert best["198.18.255.4/32"]["nexthop_if"] == "eth3"
    connected = best["198.18.0.0/31"]
    assert (connected["protocol"], connected["fib"], connected["nexthop_if"]) == ("C", "*", "eth1")
    assert connected["distance"] == connected["nexthop_ip"] == ""  # no [distance/metric]
    ecmp = [r for r in rows if r["network"] == "198.18.0.2"]  # r2-r3 cable: two equal paths
    assert [(r["protocol"], r["metric"], r["nexthop_ip"], r["nexthop_if"]) for r in ecmp] == [
        ("O", "20", "198.18.0.1", "eth1"),
        ("O", "20", "198.18.0.4", "eth2"),
    ]
    assert all(r["fib"] == "*" for r in ecmp)
    # not selected (OSPF's copy of a connected or BGP-won prefix): no ">" and no "*"
    ospf_lo2 = next(r for r in rows if r["network"] == "198.18.255.2" and r["protocol"] == "O")
    assert (ospf_lo2["selected"], ospf_lo2["fib"], ospf_lo2["metric"]) == ("", "", "10")
    down = _parse("show ip route", "r2_eth1_down_show_ip_route")
    to_r1 = next(r for r in down if r["network"] == "198.18.0.0" and r["selected"])
    assert (to_r1["protocol"], to_r1["metric"], to_r1["nexthop_if"]) == ("O", "30", "eth2")


def test_interfaces_are_parsed_with_their_addresses() -> None:
    rows = {r["interface"]: r for r in _parse("show interface brief", "r1_show_interface_brief")}
    assert {n: r["ip_addresses"] for n, r in rows.items()} == {
        "eth1": ["198.18.0.0/31"],
        "eth2": ["198.18.0.5/31"],
        "eth3": ["198.18.0.7/31"],
        "lo": ["198.18.255.1/32"],
        "mgmt0": ["198.19.1.1/24"],
    }
    assert {r["status"] for r in rows.values()} == {"up"}
    assert {r["vrf"] for r in rows.values()} == {"default"}
    down = {
        r["interface"]: r["status"]
        for r in _parse("sh int br", "r2_eth1_down_show_interface_brief")
    }
    assert down == {"eth1": "down", "eth2": "up", "lo": "up", "mgmt0": "up"}


def test_running_config_gives_hostname_and_interfaces() -> None:
    rows = {r["interface"]: r for r in _parse("show run", "r1_show_running-config")}
    assert sorted(rows) == ["eth1", "eth2", "eth3", "lo"]
    # the router's hostname: not the "hostname vm" vtysh prints again for its own host
    assert {(r["hostname"], r["frr_version"]) for r in rows.values()} == {("r1", "8.4.4")}
    assert rows["eth3"]["description"] == "to s1 eth1"
    assert rows["eth3"]["ip_addresses"] == ["198.18.0.7/31"]
    assert (rows["eth3"]["ospf_cost"], rows["eth3"]["ospf_network"]) == ("10", "point-to-point")
    assert rows["lo"]["ip_addresses"] == ["198.18.255.1/32"] and rows["lo"]["ospf_cost"] == ""


def test_other_platforms_and_unknown_commands_fall_through_to_ntc_templates() -> None:
    clock = "*10:15:52.123 UTC Mon Mar 4 2024"
    assert ntc_parse("cisco_ios", "show clock", clock)[0]["time"] == "10:15:52.123"
    # no NetWeave template and none in ntc-templates: the error names the command
    failed = parse_output("x", "textfsm", "frr", "show ip route summary", None)
    assert "show ip route summary" in failed["error"] and "frr" in failed["error"]
    # the guarded path: services' parsing (netmiko_commands) and /template/parse
    text = (OUTPUTS / "frr_r1_show_interface_brief.txt").read_text()
    guarded = parse_output(text, "textfsm", "frr", "show interface brief", None)
    assert guarded[0]["ip_addresses"] == ["198.18.0.0/31"]


def test_an_echo_behind_a_late_prompt_is_stripped_from_the_output() -> None:
    # vtysh's late answer to an earlier newline can land before the echo of the next
    # command (seen on a loaded machine): Netmiko alone keeps "r3# show ..." in stdout
    connection = FrrVtyshSSH.__new__(FrrVtyshSSH)  # strip_command needs no connection
    connection.RESPONSE_RETURN, connection.base_prompt = "\n", "r3"
    table = (OUTPUTS / "frr_r1_show_ip_ospf_neighbor.txt").read_text()
    command = "show ip ospf neighbor"
    for echoed in (f"r3# {command}\n{table}", f"\nr3#{command}\n{table}", f"{command}\n{table}"):
        stripped = connection.strip_command(command, echoed)
        assert stripped == table, echoed
        assert len(ntc_parse("frr", command, stripped)) == 3
    other = f"r9# {command}\n{table}"  # not this router's prompt: left as it is
    assert connection.strip_command(command, other) == other


def test_template_parse_api_uses_the_frr_templates(admin: TestClient) -> None:
    text = (OUTPUTS / "frr_r1_show_ip_ospf_neighbor.txt").read_text()
    by_args = admin.post(
        "/template/parse",
        json={
            "name": "textfsm",
            "use_ntc_template": True,
            "ntc_template_args": {"platform": "frr", "command": "show ip ospf neighbor"},
            "context": text,
        },
    )
    assert by_args.status_code == 200, by_args.text
    assert [r["neighbor_id"] for r in by_args.json()] == [
        "198.18.255.2",
        "198.18.255.3",
        "198.18.255.4",
    ]
    by_name = admin.post(
        "/template/parse",
        json={
            "name": "textfsm",
            "use_ntc_template": True,
            "template": "frr_show_ip_ospf_neighbor",
            "context": text,
        },
    )
    assert by_name.status_code == 200 and by_name.json() == by_args.json()
    no_command = admin.post(
        "/template/parse",
        json={"name": "ntc_templates", "platform": "frr", "context": text},
    )
    assert no_command.status_code == 422 and "parsing.platform" in no_command.text


def test_parsed_ospf_neighbors_of_every_router_match_the_topology(
    admin: TestClient, frr_lab: RealLab
) -> None:
    names = add_frr_inventory(admin, frr_lab)
    response = admin.post(
        "/api/v1/services",
        json={
            "name": "OSPF neighbors",
            "type": "netmiko_commands",
            "inputs": {"commands": ["show ip ospf neighbor"], "parsing": "textfsm"},
        },
    )
    assert response.status_code == 201, response.text
    run = admin.post(
        "/api/v1/run/OSPF neighbors", json={"targets": {"devices": names}, "wait": 60}
    ).json()
    assert run["status"] == "success", run
    results = admin.get(f"/api/v1/runs/{run['id']}/results").json()
    full: dict[str, list[str]] = {}
    for result in results:
        parsed = result["result"]["outputs"][0]["parsed"]
        assert isinstance(parsed, list), (parsed, result["result"]["outputs"][0]["stdout"])
        full[result["device"]] = sorted(r["neighbor_id"] for r in parsed if r["state"] == "Full/-")
    loopback = {name: frr_lab.router(name).plan.router_id for name in names}
    expected: dict[str, list[str]] = {name: [] for name in names}
    for link in frr_lab.links():
        expected[link["source"]].append(loopback[link["destination"]])
        expected[link["destination"]].append(loopback[link["source"]])
    assert full == {name: sorted(ids) for name, ids in expected.items()}
    assert {name: len(ids) for name, ids in full.items()} == {"r1": 3, "r2": 2, "r3": 2, "s1": 1}
