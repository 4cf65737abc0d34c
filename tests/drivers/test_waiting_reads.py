"""The Netmiko driver's waiting reads and prepared logins against the lab's SSH server: the
same text as Netmiko's own loops, the same prompts, and the failures a sleeping loop gives
(a dropped session, a device that stops answering), on sockets with TCP_NODELAY."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from netmiko import ConnectHandler
from netmiko.exceptions import ReadTimeout

from netweave.drivers import DriverError, channel_reads, netmiko_login, registry
from netweave.drivers.base import BaseConnectionArgs
from netweave.drivers.netmiko_driver import NetmikoSession
from netweave.lab import Fault, LabDevice, LabThread
from tests.fixtures.lab import first

LOGIN = {"username": "netweave", "password": "netweave", "secret": "netweave"}
COMMANDS = ("show version", "show running-config", "show ip interface brief", "show nonsense")


def _args(device: LabDevice, **extra: Any) -> BaseConnectionArgs:
    fields = {"host": device.host, "port": device.port, "device_type": device.spec.platform}
    return BaseConnectionArgs.model_validate({**fields, **LOGIN, **extra})


def _connect(device: LabDevice) -> NetmikoSession:
    session = registry.get("netmiko")().connect(_args(device))
    assert isinstance(session, NetmikoSession)
    return session


def _nodelay(sock: socket.socket) -> int:
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


@pytest.mark.parametrize("platform", ["cisco_ios", "arista_eos"])
def test_waiting_reads_return_netmikos_text(lab: LabThread, platform: str) -> None:
    """Every command's text through the waiting path equals Netmiko's ``send_command`` on a
    session Netmiko prepared itself (prompt kept, echo stripped)."""
    device = first(lab, platform)
    ours = _connect(device)
    theirs = ConnectHandler(host=device.host, port=device.port, device_type=platform, **LOGIN)
    try:
        assert ours.connection.base_prompt == theirs.base_prompt
        assert ours.home == theirs.find_prompt()
        assert ours.connection.ansi_escape_codes == theirs.ansi_escape_codes
        pattern = netmiko_login.prompt_pattern(theirs)
        for command in COMMANDS:
            expected = theirs.send_command(command, expect_string=pattern, strip_prompt=False)
            got = channel_reads.send_command(ours.connection, command, pattern, 10)
            assert got == expected, command
        running = ours.run_commands(["show running-config"], {"enable_mode": True})[0].stdout
        assert "--More--" not in running and running.count("\n") > 20  # paging is off
    finally:
        ours.close()
        theirs.disconnect()


def test_the_waiting_path_honours_expect_string_and_strip_options(lab: LabThread) -> None:
    device = first(lab, "cisco_ios")
    session = _connect(device)
    try:
        [kept] = session.run_commands(["show clock"], {"strip_prompt": False})
        assert kept.stdout.rstrip().endswith(session.home)
        [echoed] = session.run_commands(["show clock"], {"strip_command": False})
        assert echoed.stdout.startswith("show clock")
        # a question instead of a prompt: only the request's pattern ends this read
        [asked] = session.run_commands(
            ["delete flash:netweave-none.txt"],
            {
                "expect_string": r"Delete filename \[[^\]]*\]\?",
                "read_timeout": 10,
                "enable_mode": True,
            },
        )
        assert asked.stdout.rstrip().endswith("?") and session.last_prompt != session.home
    finally:
        session.close()


def test_netmiko_only_options_take_netmikos_own_loop(lab: LabThread) -> None:
    device = first(lab, "cisco_ios")
    session = _connect(device)
    assert channel_reads.waits_on_channel(session.connection, {})
    assert channel_reads.waits_on_channel(session.connection, {"strip_command": False})
    assert not channel_reads.waits_on_channel(session.connection, {"cmd_verify": False})
    try:  # the option still has its effect through Netmiko's send_command
        [out] = session.run_commands(["show clock"], {"cmd_verify": False})
        assert out.exit_status == 0 and "UTC" in out.stdout
    finally:
        session.close()


def test_a_session_dropped_mid_command_is_lost_at_once(fault_lab: LabThread) -> None:
    device = first(fault_lab, "cisco_ios")
    session = _connect(device)
    fault_lab.set_fault(device.name, Fault("drop"))
    try:
        with pytest.raises(DriverError) as raised:
            session.run_commands(["show version"], {"read_timeout": 60})
        assert raised.value.cause == "session_lost", raised.value
        assert raised.value.elapsed is not None and raised.value.elapsed < 30  # not the timeout
    finally:
        fault_lab.clear_fault(device.name)
        session.close()


def test_a_login_whose_session_drops_during_preparation_is_lost(fault_lab: LabThread) -> None:
    """The device closes the session on the first terminal setting: reported as a lost
    session, not as a read timeout after ``timeout`` seconds on a dead channel."""
    device = first(fault_lab, "cisco_ios")
    fault_lab.set_fault(device.name, Fault("drop"))
    try:
        with pytest.raises(DriverError) as raised:
            registry.get("netmiko")().connect(_args(device, timeout=60))
        assert raised.value.cause == "session_lost", raised.value
    finally:
        fault_lab.clear_fault(device.name)


def test_a_silent_device_times_out_with_netmikos_error(fault_lab: LabThread) -> None:
    device = first(fault_lab, "cisco_ios")
    session = _connect(device)
    fault_lab.set_fault(device.name, Fault("hang"))
    try:
        with pytest.raises(ReadTimeout):
            channel_reads.send_command(
                session.connection,
                "show version",
                netmiko_login.prompt_pattern(session.connection),
                1,
            )
    finally:
        fault_lab.clear_fault(device.name)
        session.close()


def test_ssh_sockets_have_nodelay_from_the_start(lab: LabThread) -> None:
    device = first(lab, "cisco_ios")
    netmiko = _connect(device)
    paramiko_session: Any = registry.get("paramiko")().connect(_args(first(lab, "linux")))
    try:
        transport = netmiko.connection.remote_conn.get_transport()
        assert _nodelay(transport.sock) != 0
        assert _nodelay(paramiko_session.client.get_transport().sock) != 0
    finally:
        netmiko.close()
        paramiko_session.close()


def test_platforms_without_a_preparation_keep_netmikos(lab: LabThread) -> None:
    """Junos and Linux are prepared by Netmiko's own session_preparation, and work."""
    assert netmiko_login.preparation("juniper_junos") is None
    assert netmiko_login.preparation("linux") is None
    assert netmiko_login.preparation("cisco_ios") is not None
    frr = netmiko_login.preparation("frr")
    assert frr is not None and frr.commands == ("terminal length 0",)
    session = _connect(first(lab, "juniper_junos"))
    try:
        [out] = session.run_commands(["show version"], {})
        assert out.exit_status == 0 and "Junos" in out.stdout
    finally:
        session.close()
