"""The lab's configuration modes reject what the real platforms reject (over real SSH, with
Netmiko as the client), and exec channels work with stdin closed (the real OpenSSH client)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from netmiko import ConnectHandler

from netweave.drivers import registry
from netweave.drivers.base import BaseConnectionArgs
from netweave.lab import LabDevice, LabThread, build_specs
from tests.fixtures.lab import first

IOS_INVALID = "% Invalid input detected at '^' marker."
_PROMPT = re.compile(r"[\w@.\-]+(?:\([\w-]+\))?[#>]")


@pytest.fixture(scope="module")
def strict_lab() -> Iterator[LabThread]:
    """A private lab: these tests change configuration."""
    with LabThread(build_specs(4, prefix="strict")) as running:
        yield running


def _connect(device: LabDevice) -> Any:
    return ConnectHandler(
        device_type=device.spec.platform,
        host=device.host,
        port=device.port,
        username=device.spec.username,
        password=device.spec.password,
        secret=device.spec.enable_secret,
    )


@pytest.fixture
def ios(strict_lab: LabThread) -> Iterator[Any]:
    with _connect(first(strict_lab, "cisco_ios")) as conn:
        conn.enable()
        conn.config_mode()
        yield conn


@pytest.fixture
def eos(strict_lab: LabThread) -> Iterator[Any]:
    with _connect(first(strict_lab, "arista_eos")) as conn:
        conn.enable()
        conn.config_mode()
        yield conn


@pytest.fixture
def junos(strict_lab: LabThread) -> Iterator[Any]:
    with _connect(first(strict_lab, "juniper_junos")) as conn:
        conn.config_mode()
        yield conn


def _send(conn: Any, line: str) -> str:
    """One configuration line; the device's reply (without the echoed line)."""
    output = str(conn.send_config_set([line], enter_config_mode=False, exit_config_mode=False))
    lines = output.splitlines()
    echoed = next(i for i, text in enumerate(lines) if text.rstrip().endswith(line))
    reply = lines[echoed + 1 :]
    while reply and (not reply[-1].strip() or _PROMPT.fullmatch(reply[-1].strip())):
        reply.pop()  # the prompt that follows the reply
    return "\n".join(reply)


def _ios_rejects_at(conn: Any, line: str, word: str, *, inner: int = 0) -> None:
    """IOS answers with a caret under ``word`` (``inner``: the character in it)."""
    prompt = conn.find_prompt()
    reply = _send(conn, line)
    assert IOS_INVALID in reply, (line, reply)
    caret = next(text for text in reply.splitlines() if text.strip() == "^")
    assert caret.index("^") == len(prompt) + line.index(word) + inner, (line, reply)
    assert conn.find_prompt() == prompt  # a rejected line does not change the mode


def _eos_rejects(conn: Any, line: str, token: int) -> None:
    reply = _send(conn, line)
    assert f"% Invalid input (at token {token}: '{line.split()[token]}')" in reply, (line, reply)


def _running(conn: Any) -> str:
    return str(conn.send_command("do show running-config", expect_string=r"\(config[^)]*\)#"))


# -- Cisco IOS ----------------------------------------------------------------------------
def test_ios_vlan_ids(ios: Any) -> None:
    _ios_rejects_at(ios, "vlan 5000", "5000")
    _ios_rejects_at(ios, "vlan 0", "0")
    _ios_rejects_at(ios, "vlan not-a-vlan!", "not-a-vlan!")
    _ios_rejects_at(ios, "vlan 10,20-4095", "10,20-4095")
    assert _send(ios, "vlan 4094") == ""
    assert ios.find_prompt().endswith("(config-vlan)#")
    assert _send(ios, "name edge") == ""
    assert _send(ios, "vlan 10,20-30") == ""
    _ios_rejects_at(ios, "frobnicate", "frobnicate")  # config-vlan: unknown command
    running = _running(ios)
    assert "vlan 4094\n name edge" in running and "vlan 10,20-30" in running
    assert "vlan 5000" not in running and "not-a-vlan" not in running


def test_ios_interface_names(ios: Any) -> None:
    _ios_rejects_at(ios, "interface Gi9/9/9", "Gi9/9/9", inner=2)
    _ios_rejects_at(ios, "interface GigabitEthernet0/9", "GigabitEthernet0/9", inner=15)
    _ios_rejects_at(ios, "interface Ethernet1", "Ethernet1")  # no such type on a CSR1000V
    _ios_rejects_at(ios, "interface Vlan5000", "Vlan5000", inner=4)
    for line, prompt in [
        ("interface Gi0/1", "(config-if)#"),
        ("interface GigabitEthernet0/2", "(config-if)#"),
        ("int gigabitethernet 0/3", "(config-if)#"),
        ("interface Gi0/1.100", "(config-if)#"),
        ("interface Loopback42", "(config-if)#"),
        ("interface Vlan300", "(config-if)#"),
        ("interface Po7", "(config-if)#"),
        ("interface Tunnel8", "(config-if)#"),
    ]:
        assert _send(ios, line) == "", line
        assert ios.find_prompt().endswith(prompt), line
    _ios_rejects_at(ios, "frobnicate now", "frobnicate")  # config-if: unknown command
    running = _running(ios)
    for created in ("Loopback42", "Vlan300", "Port-channel7", "Tunnel8", "GigabitEthernet0/1.100"):
        assert f"\ninterface {created}\n" in running
    assert "Gi9/9/9" not in running and "GigabitEthernet9" not in running


def test_ios_ipv4_addresses_and_masks(ios: Any) -> None:
    _send(ios, "interface Loopback50")
    _ios_rejects_at(ios, "ip address 999.1.1.1 255.255.255.0", "999.1.1.1")
    _ios_rejects_at(ios, "ip address 10.50.0.1 255.255.256.0", "255.255.256.0")
    _ios_rejects_at(ios, "ip address 10.50.0.1/24", "10.50.0.1/24")  # IOS takes no prefix length
    assert _send(ios, "ip address 10.50.0.1 255.0.255.0") == (
        "Bad mask 0xFF00FF00 for address 10.50.0.1"
    )
    assert _send(ios, "ip address 10.50.0.0 255.255.255.0") == (
        "% Bad mask /24 for address 10.50.0.0"
    )
    assert _send(ios, "ip address 10.50.0.1 255.255.255.0") == ""
    assert _send(ios, "ip address 10.50.0.2 255.255.255.254") == ""  # /31: no broadcast
    _ios_rejects_at(ios, "ip route 10.0.0.0 255.0.0.300 10.1.0.254", "255.0.0.300")
    assert _send(ios, "ip route 10.0.0.1 255.0.0.0 10.1.0.254") == (
        "%Inconsistent address and mask"
    )
    running = _running(ios)
    assert "interface Loopback50\n ip address 10.50.0.2 255.255.255.254" in running
    assert "999.1.1.1" not in running and "255.0.255.0" not in running


def test_ios_bgp_and_ospf_numbers(ios: Any) -> None:
    _ios_rejects_at(ios, "router bgp abc", "abc")
    _ios_rejects_at(ios, "router bgp 0", "0")
    _ios_rejects_at(ios, "router bgp 4294967296", "4294967296")
    _ios_rejects_at(ios, "router bgp 1.65536", "1.65536")
    _ios_rejects_at(ios, "router ospf 70000", "70000")
    _ios_rejects_at(ios, "router ospf 0", "0")
    _ios_rejects_at(ios, "router frobnicate 1", "frobnicate")
    assert _send(ios, "router ospf 65535") == ""
    assert ios.find_prompt().endswith("(config-router)#")
    _ios_rejects_at(ios, "frobnicate", "frobnicate")  # config-router: unknown command
    assert _send(ios, "router bgp 1.10") == ""  # asdot
    _ios_rejects_at(ios, "neighbor 192.0.2.1 remote-as 4294967296", "4294967296")
    assert _send(ios, "neighbor 192.0.2.1 remote-as 4294967295") == ""
    assert _send(ios, "router bgp 65001") == "% BGP is already running; AS is 1.10"
    running = _running(ios)
    assert "router ospf 65535" in running and "router bgp 1.10" in running
    assert " neighbor 192.0.2.1 remote-as 4294967295" in running
    assert "router bgp abc" not in running and "router ospf 70000" not in running


def test_ios_unknown_commands_in_exec_modes(strict_lab: LabThread) -> None:
    device = first(strict_lab, "cisco_ios")
    with _connect(device) as conn:
        prompt = conn.find_prompt()
        reply = conn.send_command("frobnicate")
        assert IOS_INVALID in reply
        assert reply.splitlines()[0].index("^") == len(prompt)
        conn.enable()
        assert IOS_INVALID in conn.send_command("show frobnicate")
        assert IOS_INVALID in conn.send_command("configure frobnicate")


def test_ios_push_of_an_invalid_vlan_fails(strict_lab: LabThread) -> None:
    """What issue 14 saw: a workflow pushing ``vlan not-a-vlan!`` "succeeded"."""
    device = first(strict_lab, "cisco_ios")
    args = BaseConnectionArgs.model_validate(
        {
            "host": device.host,
            "port": device.port,
            "username": "netweave",
            "password": "netweave",
            "secret": "netweave",
            "device_type": "cisco_ios",
        }
    )
    session = registry.get("netmiko")().connect(args)
    try:
        outcome = session.push_config(["vlan 77", "name ok", "vlan not-a-vlan!", "name never"], {})
        assert not outcome.ok and outcome.failed_line == "vlan not-a-vlan!"
        assert outcome.applied == ["vlan 77", "name ok"] and outcome.skipped == ["name never"]
    finally:
        session.close()


# -- Arista EOS ---------------------------------------------------------------------------
def test_eos_vlans_and_interfaces(eos: Any) -> None:
    _eos_rejects(eos, "vlan 5000", 1)
    _eos_rejects(eos, "vlan not-a-vlan!", 1)
    _eos_rejects(eos, "interface Ethernet9", 1)
    _eos_rejects(eos, "interface Gi0/1", 1)
    _eos_rejects(eos, "interface Loopback1001", 1)
    assert _send(eos, "vlan 4094") == ""
    assert eos.find_prompt().endswith("(config-vlan-4094)#")
    _eos_rejects(eos, "frobnicate", 0)
    for line, prompt in [
        ("interface Et2", "(config-if-Et2)#"),
        ("interface Ethernet 3", "(config-if-Et3)#"),
        ("interface Loopback7", "(config-if-Lo7)#"),
        ("interface Vlan300", "(config-if-Vl300)#"),
        ("interface port-channel 9", "(config-if-Po9)#"),
    ]:
        assert _send(eos, line) == "", line
        assert eos.find_prompt().endswith(prompt), line
    _eos_rejects(eos, "frobnicate now", 0)
    _eos_rejects(eos, "switchport access vlan 4095", 3)
    running = _running(eos)
    assert "vlan 4094" in running and "interface Port-Channel9" in running
    assert "Ethernet9" not in running and "vlan 5000" not in running


def test_eos_addresses_and_routing_numbers(eos: Any) -> None:
    _send(eos, "interface Loopback60")
    _eos_rejects(eos, "ip address 999.1.1.1/24", 2)
    _eos_rejects(eos, "ip address 10.60.0.1/33", 2)
    _eos_rejects(eos, "ip address 10.60.0.1 255.0.255.0", 3)
    assert _send(eos, "ip address 10.60.0.1/24") == ""
    _eos_rejects(eos, "router bgp abc", 2)
    _eos_rejects(eos, "router ospf 70000", 2)
    assert _send(eos, "router bgp 4200000000") == ""
    assert eos.find_prompt().endswith("(config-router-bgp)#")
    _eos_rejects(eos, "neighbor 192.0.2.1 remote-as 0", 3)
    _eos_rejects(eos, "frobnicate", 0)
    running = _running(eos)
    assert "interface Loopback60\n   ip address 10.60.0.1/24" in running or (
        "interface Loopback60\n ip address 10.60.0.1/24" in running
    )
    assert "router bgp 4200000000" in running and "999.1.1.1" not in running


def test_eos_unknown_exec_command_over_eapi_style_error(strict_lab: LabThread) -> None:
    with _connect(first(strict_lab, "arista_eos")) as conn:
        assert "% Invalid input (at token 0: 'frobnicate')" in conn.send_command("frobnicate")
        conn.enable()
        assert "% Invalid input (at token 1: 'bogus')" in conn.send_command("show bogus")


# -- Juniper Junos --------------------------------------------------------------------------
def _junos_rejects(conn: Any, line: str, word: str, message: str) -> None:
    prompt = conn.find_prompt()
    reply = _send(conn, line)
    assert message in reply, (line, reply)
    caret = next(text for text in reply.splitlines() if text.strip() == "^")
    # the prompt Netmiko reports has no trailing space; the device's has one
    assert caret.index("^") == len(prompt) + 1 + line.rindex(word), (line, reply)


def test_junos_rejects_at_entry(junos: Any) -> None:
    _junos_rejects(
        junos,
        "set vlans v5000 vlan-id 5000",
        "5000",
        "Value 5000 is not within range (1..4094) at '5000'",
    )
    _junos_rejects(junos, "set vlans v1 vlan-id abc", "abc", "syntax error.")
    _junos_rejects(junos, "set interfaces Gi9/9/9 unit 0", "Gi9/9/9", "syntax error.")
    _junos_rejects(
        junos,
        "set interfaces ge-0/0/2 unit 0 family inet address 999.1.1.1/24",
        "999.1.1.1/24",
        "syntax error.",
    )
    _junos_rejects(
        junos, "set interfaces ge-0/0/2 unit 0 family inet address 10.7.0.1/40", "10.7", "syntax"
    )
    _junos_rejects(junos, "set routing-options autonomous-system abc", "abc", "syntax error.")
    _junos_rejects(
        junos,
        "set routing-options autonomous-system 4294967296",
        "4294967296",
        "Value 4294967296 is not within range (1..4294967295) at '4294967296'",
    )
    _junos_rejects(junos, "set system frobnicate yes", "frobnicate", "syntax error.")
    _junos_rejects(junos, "set frobnicate yes", "frobnicate", "syntax error.")
    _junos_rejects(junos, "frobnicate", "frobnicate", "unknown command.")
    _junos_rejects(junos, "delete frobnicate", "frobnicate", "syntax error.")
    assert "[edit]" in _send(junos, "set vlans v100 vlan-id 100")
    _send(junos, "set interfaces ge-0/0/2 unit 0 family inet address 10.7.0.1/24")
    _send(junos, "set routing-options autonomous-system 1.10")
    assert "commit complete" in junos.commit()
    junos.exit_config_mode()
    config = junos.send_command("show configuration | display set")
    assert "set vlans v100 vlan-id 100" in config
    assert "set interfaces ge-0/0/2 unit 0 family inet address 10.7.0.1/24" in config
    assert "set routing-options autonomous-system 1.10" in config
    assert "5000" not in config and "999.1.1.1" not in config and "frobnicate" not in config
    assert "unknown command." in junos.send_command("show frobnicate")


# -- exec channels with the real OpenSSH client ----------------------------------------------
EXEC_CASES = {
    "cisco_ios": ("show version", "uptime is", "show frobnicate", IOS_INVALID),
    "arista_eos": ("show version", "Arista", "show frobnicate", "% Invalid input (at token 1"),
    "juniper_junos": ("show version", "Junos:", "show frobnicate", "unknown command."),
    "linux": ("hostname", "strict-linux", "frobnicate", "command not found"),
}


@pytest.mark.skipif(not Path("/usr/bin/ssh").exists(), reason="needs the OpenSSH client")
@pytest.mark.parametrize("platform", sorted(EXEC_CASES))
def test_openssh_exec_with_stdin_closed(
    strict_lab: LabThread, tmp_path: Path, platform: str
) -> None:
    """``ssh -n host "show version"``: EOF arrives before the command runs; the output
    must still come back, exit status 0; an unknown command exits non-zero with the
    platform's error on stdout."""
    device = first(strict_lab, platform)
    askpass = tmp_path / "askpass.sh"
    askpass.write_text(f"#!/bin/sh\necho {device.spec.password}\n")
    askpass.chmod(0o700)
    environment = {**os.environ, "SSH_ASKPASS": str(askpass), "SSH_ASKPASS_REQUIRE": "force"}
    good, good_marker, bad, bad_marker = EXEC_CASES[platform]

    def run(command: str) -> subprocess.CompletedProcess[str]:
        prefix = ["sshpass", "-p", device.spec.password] if shutil.which("sshpass") else []
        return subprocess.run(
            [
                *prefix,
                "/usr/bin/ssh",
                "-n",
                "-p",
                str(device.port),
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
                "-o",
                "PubkeyAuthentication=no",
                "-o",
                "LogLevel=ERROR",
                f"{device.spec.username}@{device.host}",
                command,
            ],
            capture_output=True,
            text=True,
            env=environment,
            stdin=subprocess.DEVNULL,
            timeout=120,
            check=False,
        )

    shown = run(good)
    assert shown.returncode == 0, shown.stderr
    assert good_marker in shown.stdout
    failed = run(bad)
    assert failed.returncode != 0
    assert bad_marker in failed.stdout
