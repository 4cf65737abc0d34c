"""Real Netmiko sessions against every lab platform."""

from __future__ import annotations

import contextlib
import time
from typing import Any

import pytest
from netmiko import ConnectHandler
from netmiko.exceptions import ConfigInvalidException

from netweave.lab import LabDevice, LabThread
from tests.fixtures.lab import first


def _connect(device: LabDevice, device_type: str, **extra: Any) -> Any:
    return ConnectHandler(
        device_type=device_type,
        host=device.host,
        port=device.port,
        username=device.spec.username,
        password=device.spec.password,
        secret=device.spec.enable_secret,
        **extra,
    )


def test_ios_show_enable_config_and_filters(fault_lab: LabThread) -> None:
    device = first(fault_lab, "cisco_ios")
    with _connect(device, "cisco_ios") as conn:
        assert conn.find_prompt() == f"{device.name}>"
        version = conn.send_command("show version")
        assert f"{device.name} uptime is" in version and "Version 15.9(3)M7" in version
        conn.enable()
        assert conn.find_prompt() == f"{device.name}#"
        conn.send_config_set(
            [
                "interface GigabitEthernet0/1",
                "description to-core-7",
                "shutdown",
                "vlan 42",
                "name voice",
            ]
        )
        running = conn.send_command("show running-config")
        assert " description to-core-7" in running and "vlan 42\n name voice" in running
        included = conn.send_command("show running-config | include description")
        assert included.splitlines() and all(
            "description" in line for line in included.splitlines()
        )
        brief = conn.send_command("show ip interface brief | include GigabitEthernet0/1")
        assert "administratively down" in brief
        section = conn.send_command("show running-config | section interface GigabitEthernet0/1")
        assert section.startswith("interface GigabitEthernet0/1") and "to-core-7" in section
        assert "% Invalid input detected at '^' marker." in conn.send_command("show bogus")
        assert "% Incomplete command." in conn.send_command("show ip")
        assert "% Ambiguous command" in conn.send_command("c")
        assert "shutdown" in conn.send_command("sh run int gi0/1")  # abbreviations
        conn.save_config()
        assert "to-core-7" in conn.send_command("show startup-config")


def test_ios_config_errors_are_reported(fault_lab: LabThread) -> None:
    device = first(fault_lab, "cisco_ios")
    with _connect(device, "cisco_ios") as conn:
        conn.enable()
        with pytest.raises(ConfigInvalidException, match="frobnicate now"):
            conn.send_config_set(["interface Gi0/2", "frobnicate now"], error_pattern=r"% Invalid")
        output = conn.send_config_set(["interface Gi0/2", "frobnicate now"])
        assert "% Invalid input detected" in output


def test_enable_with_wrong_secret_is_refused(fault_lab: LabThread) -> None:
    device = first(fault_lab, "cisco_ios")
    with _connect(device, "cisco_ios") as conn:
        conn.secret = "wrong-secret"
        with contextlib.suppress(ValueError):
            conn.enable()
        assert conn.find_prompt().endswith(">")


def test_eos_config_changes_show_interfaces(fault_lab: LabThread) -> None:
    device = first(fault_lab, "arista_eos")
    with _connect(device, "arista_eos") as conn:
        conn.enable()
        conn.send_config_set(["interface Ethernet2", "description server-farm", "shutdown"])
        status = conn.send_command("show interfaces Ethernet2")
        assert "Ethernet2 is administratively down" in status
        assert "Description: server-farm" in status


def test_junos_set_commit_and_show_configuration(fault_lab: LabThread) -> None:
    device = first(fault_lab, "juniper_junos")
    with _connect(device, "juniper_junos") as conn:
        assert conn.find_prompt() == f"netweave@{device.name}>"
        conn.send_config_set(
            ["set interfaces ge-0/0/1 description uplink-to-spine"], exit_config_mode=False
        )
        assert "commit complete" in conn.commit()
        conn.exit_config_mode()
        config = conn.send_command("show configuration | display set | match ge-0/0/1")
        assert "set interfaces ge-0/0/1 description uplink-to-spine" in config
        assert '"lab link 1"' not in config
        assert "unknown command." in conn.send_command("show bogus")
        braces = conn.send_command("show configuration")
        assert "interfaces {" in braces and "ge-0/0/1 {" in braces


def test_linux_shell(lab: LabThread) -> None:
    device = first(lab, "linux")
    with _connect(device, "linux") as conn:
        assert device.name in conn.send_command("uname -a")
        assert "inet 10.1." in conn.send_command("ip addr | grep inet")
        assert "command not found" in conn.send_command("frobnicate")


def test_lab_sessions_are_counted(fault_lab: LabThread) -> None:
    device = first(fault_lab, "arista_eos")
    conn = _connect(device, "arista_eos")
    assert fault_lab.sessions_of(device.name) == 1
    conn.disconnect()
    deadline = time.monotonic() + 5
    while fault_lab.sessions_of(device.name) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fault_lab.sessions_of(device.name) == 0
