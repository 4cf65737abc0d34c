"""The lab's CDP/LLDP neighbour tables follow its links: both ends of every link agree,
ntc-templates and NAPALM parse them, a shut interface (either end) drops the neighbour, a
renamed peer is seen under its new name; and the links themselves (ring, demo, a JSON
file, the manifest) are checked."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from napalm import get_network_driver
from netmiko import ConnectHandler
from ntc_templates.parse import parse_output

from netweave.cli.demo_network import demo_links as inventory_links
from netweave.lab import (
    LabDevice,
    LabLink,
    LabThread,
    build_specs,
    demo_links,
    links_for,
    read_links,
    ring_links,
    write_manifest,
)
from netweave.lab.topology import check_links

PLATFORMS = ("cisco_ios", "cisco_ios", "arista_eos", "juniper_junos", "linux")
COMMANDS = {
    "cisco_ios": [
        ("cdp", "show cdp neighbors"),
        ("cdp", "show cdp neighbors detail"),
        ("lldp", "show lldp neighbors"),
        ("lldp", "show lldp neighbors detail"),
    ],
    "arista_eos": [("lldp", "show lldp neighbors"), ("lldp", "show lldp neighbors detail")],
    "juniper_junos": [("lldp", "show lldp neighbors")],
}


@pytest.fixture(scope="module")
def ring() -> Iterator[LabThread]:
    """ios-001 - ios-002 - eos-003 - junos-004 - linux-005 - back to ios-001 (private:
    the tests shut interfaces and rename devices)."""
    specs = build_specs(5, platforms=PLATFORMS, prefix="nbr")
    with LabThread(specs, links=ring_links(specs)) as running:
        yield running


def _connect(device: LabDevice) -> Any:
    return ConnectHandler(
        device_type=device.spec.platform,
        host=device.host,
        port=device.port,
        username="netweave",
        password="netweave",
        secret="netweave",
    )


def _tables(device: LabDevice) -> dict[str, dict[str, list[dict[str, str]]]]:
    """Every neighbour command of the device, parsed: {protocol: {command: rows}}."""
    platform = device.spec.platform
    tables: dict[str, dict[str, list[dict[str, str]]]] = {}
    with _connect(device) as conn:
        for protocol, command in COMMANDS[platform]:
            rows = parse_output(platform=platform, command=command, data=conn.send_command(command))
            tables.setdefault(protocol, {})[command] = rows
    return tables


def _seen(rows: list[dict[str, str]]) -> set[tuple[str, str]]:
    """(local interface, neighbour's short name) pairs."""
    return {(row["local_interface"], row["neighbor_name"].split(".")[0]) for row in rows}


def test_both_ends_of_every_link_see_each_other(ring: LabThread) -> None:
    ios1, ios2, eos3, junos4, linux5 = ring.devices
    tables = {device.name: _tables(device) for device in (ios1, ios2, eos3, junos4)}

    cdp = tables[ios1.name]["cdp"]["show cdp neighbors detail"]
    assert [(r["local_interface"], r["neighbor_interface"]) for r in cdp] == [
        ("GigabitEthernet0/0", "GigabitEthernet0/0")
    ]  # CDP: the IOS peer only (Linux does not speak it)
    assert cdp[0]["neighbor_name"] == f"{ios2.name}.lab.netweave.local"
    assert cdp[0]["mgmt_address"] == ios2.host and cdp[0]["platform"] == "cisco CSR1000V"
    brief = tables[ios1.name]["cdp"]["show cdp neighbors"]
    assert brief[0]["local_interface"] == "Gig 0/0" and brief[0]["neighbor_interface"] == "Gig 0/0"

    lldp = tables[ios1.name]["lldp"]["show lldp neighbors detail"]
    assert {(r["local_interface"], r["neighbor_name"], r["neighbor_port_id"]) for r in lldp} == {
        ("Gi0/0", f"{ios2.name}.lab.netweave.local", "Gi0/0"),
        ("Gi0/1", linux5.name, "eth1"),
    }
    assert {r["mgmt_address"] for r in lldp} == {ios2.host, linux5.host}
    assert _seen(tables[ios1.name]["lldp"]["show lldp neighbors"]) == {
        ("Gi0/0", ios2.name),
        ("Gi0/1", linux5.name),
    }
    # the other ends, in their own formats
    assert _seen(tables[ios2.name]["lldp"]["show lldp neighbors detail"]) == {
        ("Gi0/0", ios1.name),
        ("Gi0/1", eos3.name),
    }
    eos_detail = tables[eos3.name]["lldp"]["show lldp neighbors detail"]
    assert {(r["local_interface"], r["neighbor_interface"]) for r in eos_detail} == {
        ("Ethernet1", "Gi0/1"),
        ("Ethernet2", "ge-0/0/0"),
    }
    assert _seen(tables[eos3.name]["lldp"]["show lldp neighbors"]) == {
        ("Et1", ios2.name),
        ("Et2", junos4.name),
    }
    junos = tables[junos4.name]["lldp"]["show lldp neighbors"]
    assert {(r["local_interface"], r["neighbor_interface"], r["neighbor_name"]) for r in junos} == {
        ("ge-0/0/0", "Ethernet2", f"{eos3.name}.lab.netweave.local"),
        ("ge-0/0/1", "eth0", linux5.name),
    }
    with _connect(eos3) as conn:  # EOS has no CDP, as the real one
        assert "% Invalid input" in conn.send_command("show cdp neighbors")


def test_napalm_ios_lldp_getters(ring: LabThread) -> None:
    ios1, ios2, _, _, linux5 = ring.devices
    driver = get_network_driver("ios")(
        ios1.host, "netweave", "netweave", optional_args={"port": ios1.port, "secret": "netweave"}
    )
    driver.open()
    try:
        neighbors = driver.get_lldp_neighbors()
        detail = driver.get_lldp_neighbors_detail()
    finally:
        driver.close()
    assert neighbors == {
        "GigabitEthernet0/0": [{"port": "Gi0/0", "hostname": f"{ios2.name}.lab.netweave.local"}],
        "GigabitEthernet0/1": [{"port": "eth1", "hostname": linux5.name}],
    }
    peer = detail["GigabitEthernet0/0"][0]
    assert peer["remote_port_description"] == "GigabitEthernet0/0"
    assert peer["remote_system_enable_capab"] == ["router"]
    assert peer["remote_system_description"].startswith("Cisco IOS Software, CSR1000V")


def test_a_shut_interface_drops_the_neighbour_on_both_ends(ring: LabThread) -> None:
    ios1, ios2, eos3, junos4, _ = ring.devices
    assert [n.peer.hostname for n in ios2.neighbors("cdp")] == [ios1.name]
    with _connect(ios1) as conn:
        conn.enable()
        conn.send_config_set(["interface GigabitEthernet0/0", "shutdown"])
        try:
            for device in (ios1, ios2):
                peers = {n.peer.hostname for n in device.neighbors("lldp")}
                assert not peers & {ios1.name, ios2.name}
            with _connect(ios2) as peer:
                assert "Total cdp entries displayed : 0" in peer.send_command("show cdp neighbors")
        finally:
            conn.send_config_set(["interface GigabitEthernet0/0", "no shutdown"])
    assert [n.peer.hostname for n in ios2.neighbors("cdp")] == [ios1.name]

    assert ring.configure(junos4.name, ["set interfaces ge-0/0/0 disable"]) == ""
    try:  # Junos: disabled (and committed) at the far end
        with _connect(eos3) as eos:
            brief = eos.send_command("show lldp neighbors")
        rows = parse_output(platform="arista_eos", command="show lldp neighbors", data=brief)
        assert [row["local_interface"] for row in rows] == ["Et1"]
    finally:
        ring.configure(junos4.name, ["delete interfaces ge-0/0/0 disable"])
    assert [n.local_interface for n in eos3.neighbors("lldp")] == ["Ethernet1", "Ethernet2"]


def test_a_renamed_peer_is_seen_under_its_new_name(ring: LabThread) -> None:
    ios1, ios2, *_ = ring.devices
    assert ring.configure(ios2.name, ["hostname core-2", "ip domain name example.net"]) == ""
    try:
        with _connect(ios1) as conn:
            detail = conn.send_command("show cdp neighbors detail")
        rows = parse_output(platform="cisco_ios", command="show cdp neighbors detail", data=detail)
        assert rows[0]["neighbor_name"] == "core-2.example.net"
    finally:
        ring.configure(ios2.name, [f"hostname {ios2.name}", "ip domain name lab.netweave.local"])
    assert ios1.neighbors("cdp")[0].peer.system_name == f"{ios2.name}.lab.netweave.local"


def test_topologies_are_checked_and_travel_in_the_manifest(tmp_path: Path) -> None:
    specs = build_specs(24, base_port=10022, address_mode="addresses")
    demo = demo_links(specs)
    check_links(specs, demo)  # every port used once, every device known
    assert {link.source for link in demo} | {link.destination for link in demo} == {
        spec.name for spec in specs
    }
    inventory = [  # what `netweave serve --demo` seeds is how its lab is cabled
        (i.source, i.source_interface, i.destination, i.destination_interface)
        for i in inventory_links(specs)
    ]
    assert inventory == [
        (i.source, i.source_interface, i.destination, i.destination_interface) for i in demo
    ]
    assert len(ring_links(specs[:4])) == 4 and len(ring_links(specs[:2])) == 1
    assert ring_links(specs[:1]) == []

    manifest = tmp_path / "lab.json"
    write_manifest(manifest, specs, demo)
    assert read_links(manifest) == demo
    assert links_for(str(manifest), specs) == demo  # a manifest is a links file too
    assert links_for("none", specs) == []

    link = LabLink.parse("lab-ios-001:GigabitEthernet0/3--lab-eos-002:Ethernet4")
    assert (link.source_interface, link.destination) == ("GigabitEthernet0/3", "lab-eos-002")
    bad = tmp_path / "bad.json"
    for links, message in (
        ([LabLink("lab-ios-001", "Gi0/0", "nobody", "eth0")], "no device 'nobody'"),
        ([LabLink("lab-ios-001", "Gi0/0", "lab-ios-001", "Gi0/1")], "a device to itself"),
        (
            [
                LabLink("lab-ios-001", "Gi0/0", "lab-eos-002", "Ethernet1"),
                LabLink("lab-ios-001", "gi0/0", "lab-junos-003", "ge-0/0/0"),
            ],
            "in two links",
        ),
    ):
        bad.write_text(json.dumps([vars(item) for item in links]))
        with pytest.raises(ValueError, match=message):
            links_for(str(bad), specs)
    with pytest.raises(ValueError, match="DEVICE:INTERFACE"):
        LabLink.parse("lab-ios-001--lab-eos-002:Ethernet1")
    with pytest.raises(ValueError, match="demo, ring, none or a JSON file"):
        links_for("star", specs)
