"""Outputs parse with ntc-templates and NAPALM's ios getters; Paramiko exec works."""

from __future__ import annotations

import paramiko
import pytest
from napalm import get_network_driver
from netmiko import ConnectHandler
from ntc_templates.parse import parse_output

from netweave.lab import LabThread
from tests.fixtures.lab import first

CASES = [
    (
        "cisco_ios",
        "show version",
        lambda rows, d: rows[0]["hostname"] == d.name and rows[0]["version"] == "15.9(3)M7",
    ),
    (
        "cisco_ios",
        "show interfaces",
        lambda rows, d: (
            [r["interface"] for r in rows][:2] == ["GigabitEthernet0/0", "GigabitEthernet0/1"]
        ),
    ),
    (
        "cisco_ios",
        "show ip route",
        lambda rows, d: any(
            r["protocol"] == "C" and r["nexthop_if"] == "GigabitEthernet0/0" for r in rows
        ),
    ),
    (
        "arista_eos",
        "show version",
        lambda rows, d: rows[0]["model"] == "DCS-7050TX-64" and rows[0]["image"] == "4.28.3M",
    ),
    (
        "arista_eos",
        "show interfaces",
        lambda rows, d: "Ethernet1" in [r["interface"] for r in rows],
    ),
    ("arista_eos", "show ip route", lambda rows, d: any(r["network"] == "0.0.0.0" for r in rows)),
    (
        "juniper_junos",
        "show version",
        lambda rows, d: rows[0]["hostname"] == d.name and rows[0]["junos_version"] == "21.4R3.15",
    ),
    (
        "juniper_junos",
        "show interfaces",
        lambda rows, d: {"ge-0/0/0", "ge-0/0/0.0"} <= {r["interface"] for r in rows},
    ),
]


@pytest.mark.parametrize(
    ("platform", "command", "check"), CASES, ids=[f"{p}:{c}" for p, c, _ in CASES]
)
def test_ntc_templates_parse_lab_output(lab: LabThread, platform: str, command: str, check) -> None:  # type: ignore[no-untyped-def]
    device = first(lab, platform)
    with ConnectHandler(
        device_type=platform,
        host=device.host,
        port=device.port,
        username="netweave",
        password="netweave",
    ) as conn:
        rows = parse_output(platform=platform, command=command, data=conn.send_command(command))
    assert rows and check(rows, device), rows


def test_napalm_ios_getters(lab: LabThread) -> None:
    device = first(lab, "cisco_ios")
    driver = get_network_driver("ios")(
        device.host,
        "netweave",
        "netweave",
        optional_args={"port": device.port, "secret": "netweave"},
    )
    driver.open()
    try:
        facts = driver.get_facts()
        interfaces = driver.get_interfaces()
    finally:
        driver.close()
    assert facts["hostname"] == device.name
    assert facts["serial_number"] == f"9SV{device.spec.index + 1:08d}"
    assert "15.9(3)M7" in facts["os_version"] and facts["model"] == "CSR1000V"
    assert facts["fqdn"] == f"{device.name}.lab.netweave.local"
    assert facts["uptime"] > 7 * 86400
    assert "GigabitEthernet0/3" in facts["interface_list"]
    assert interfaces["GigabitEthernet0/0"]["is_up"] is True
    assert interfaces["GigabitEthernet0/3"]["is_enabled"] is False
    assert interfaces["GigabitEthernet0/0"]["description"] == "lab link 0"


def test_paramiko_exec_channel_and_exit_status(lab: LabThread) -> None:
    device = first(lab, "cisco_ios")
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(
        device.host,
        port=device.port,
        username="netweave",
        password="netweave",
        look_for_keys=False,
        allow_agent=False,
    )
    try:
        _, stdout, _ = client.exec_command("show version | include uptime")
        assert stdout.read().decode().startswith(f"{device.name} uptime is")
        assert stdout.channel.recv_exit_status() == 0
        _, stdout, _ = client.exec_command("show nonsense")
        assert "% Invalid input" in stdout.read().decode()
        assert stdout.channel.recv_exit_status() == 1
    finally:
        client.close()
    linux = first(lab, "linux")
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(
        linux.host,
        port=linux.port,
        username="netweave",
        password="netweave",
        look_for_keys=False,
        allow_agent=False,
    )
    try:
        _, stdout, _ = client.exec_command("hostname")
        assert stdout.read().decode().strip() == linux.name
        _, stdout, _ = client.exec_command("nosuchprogram")
        stdout.read()
        assert stdout.channel.recv_exit_status() == 127
    finally:
        client.close()
