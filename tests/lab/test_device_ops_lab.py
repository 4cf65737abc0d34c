"""The lab's IOS answers for device operations: the questions of copy, delete and reload
(and what silences them), ping and traceroute as NAPALM's ios driver parses them, the
``sftp`` subsystem and ``verify /sha512``."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from typing import Any

import paramiko
import pytest
from napalm import get_network_driver
from netmiko import ConnectHandler

from netweave.lab import LabDevice, LabThread, build_specs


@pytest.fixture(scope="module")
def ios_pair() -> Iterator[LabThread]:
    with LabThread(build_specs(2, platforms=("cisco_ios",), prefix="q")) as running:
        yield running


def _netmiko(device: LabDevice) -> Any:
    return ConnectHandler(
        device_type="cisco_ios",
        host=device.host,
        port=device.port,
        username=device.spec.username,
        password=device.spec.password,
        secret=device.spec.enable_secret,
    )


def test_copy_delete_and_reload_ask_their_questions(ios_pair: LabThread) -> None:
    device = ios_pair.devices[0]
    device.files.write("flash:a.txt", "a")
    with _netmiko(device) as conn:
        conn.enable()
        asked = conn.send_command("copy running-config startup-config", expect_string=r"\?")
        assert asked.strip().endswith("Destination filename [startup-config]?")
        assert "[OK]" in conn.send_command("\n", expect_string=r"#")
        asked = conn.send_command("copy running-config flash:a.txt", expect_string=r"\?")
        assert "Destination filename [a.txt]?" in asked
        over = conn.send_command("\n", expect_string=r"\[confirm\]")
        assert "Do you want to over write? [confirm]" in over
        assert "bytes copied" in conn.send_command("y", expect_string=r"#")
        assert device.files.read("a.txt").startswith("Building configuration")
        assert "Delete filename [a.txt]?" in conn.send_command(
            "delete flash:a.txt", expect_string=r"\?"
        )
        confirm = conn.send_command("\n", expect_string=r"\[confirm\]")
        assert "Delete flash:/a.txt? [confirm]" in confirm
        conn.send_command("n", expect_string=r"#")  # declined: the file stays
        assert device.files.read_bytes("a.txt") is not None
        conn.send_config_set(["file prompt quiet"])  # as NAPALM does: no more questions
        assert conn.send_command("delete flash:a.txt").strip() == ""
        assert device.files.read_bytes("a.txt") is None
        conn.send_config_set(["no file prompt quiet", "ntp server 10.6.6.6"])
        asked = conn.send_command("reload", expect_string=r"\[yes/no\]:")
        assert "System configuration has been modified. Save? [yes/no]:" in asked
        assert "Please answer 'yes' or 'no'" in conn.send_command("maybe", expect_string=r":")
        proceed = conn.send_command("yes", expect_string=r"\[confirm\]")
        assert "[OK]" in proceed and "Proceed with reload? [confirm]" in proceed
        conn.send_command("n", expect_string=r"#")  # not now
        assert device.reloads == 0
    # the exec channel asks nothing: the reload happens at once
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(
        device.host, device.port, "netweave", "netweave", look_for_keys=False, allow_agent=False
    )
    with client:
        _, stdout, _ = client.exec_command("reload")
        assert "%SYS-5-RELOAD" in stdout.read().decode()
    assert device.reloads == 1
    assert "ntp server 10.6.6.6" in device.running_config()  # saved before: kept


def test_napalm_parses_ping_and_traceroute(ios_pair: LabThread) -> None:
    device, other = ios_pair.devices
    driver = get_network_driver("ios")(
        device.host,
        "netweave",
        "netweave",
        optional_args={"port": device.port, "secret": "netweave"},
    )
    driver.open()
    try:
        answered = driver.ping("10.255.0.2", count=3)["success"]  # the other's loopback
        assert (answered["probes_sent"], answered["packet_loss"]) == (3, 0)
        assert answered["rtt_max"] == 2.0
        lost = driver.ping("10.9.9.9", count=2)["success"]
        assert (lost["probes_sent"], lost["packet_loss"]) == (2, 2)
        other.ios_config.remove_top("interface Loopback0")  # type: ignore[union-attr]
        assert driver.ping("10.255.0.2", count=1)["success"]["packet_loss"] == 1
        assert "error" in driver.ping("10.1.0.2", source="10.9.9.9")
        traced = driver.traceroute("10.1.0.2", ttl=5)["success"]  # a connected subnet
        assert list(traced) == [1] and traced[1]["probes"][1]["ip_address"] == "10.1.0.2"
        far = driver.traceroute("10.9.9.9", ttl=3)["success"]
        assert far[1]["probes"][1]["ip_address"] == "10.1.0.254"
        assert far[3]["probes"][1]["ip_address"] == ""  # "*": no answer
    finally:
        driver.close()


def test_sftp_subsystem_and_sha512(ios_pair: LabThread) -> None:
    device = ios_pair.devices[1]
    data = bytes(range(256)) * 300
    transport = paramiko.Transport((device.host, device.port))
    transport.connect(username="netweave", password="netweave")
    try:
        sftp = paramiko.SFTPClient.from_transport(transport)
        assert sftp is not None
        sftp.putfo(io.BytesIO(data), "flash:/blob.bin")
        assert device.files.read_bytes("blob.bin") == data
        back = io.BytesIO()
        sftp.getfo("bootflash:blob.bin", back)
        assert back.getvalue() == data and sftp.listdir("/") == ["blob.bin"]
        with pytest.raises(FileNotFoundError):
            sftp.stat("flash:missing.bin")
        sftp.close()
        channel = transport.open_session()
        channel.exec_command("verify /sha512 flash:blob.bin")
        said = channel.makefile().read().decode()
        assert (
            said.strip() == f"verify /sha512 (flash:blob.bin) = {hashlib.sha512(data).hexdigest()}"
        )
    finally:
        transport.close()
