"""Fault injection, reconnects, scale and addressing modes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import paramiko
import pytest
from netmiko import ConnectHandler
from netmiko.exceptions import NetmikoAuthenticationException, ReadTimeout

from netweave.lab import Fault, LabDevice, LabThread, build_specs, read_manifest


def _ios(device: LabDevice, **extra: object) -> ConnectHandler:
    return ConnectHandler(
        device_type="cisco_ios",
        host=device.host,
        port=device.port,
        username="netweave",
        password="netweave",
        **extra,
    )


def test_refuse_auth(fault_lab: LabThread) -> None:
    device = fault_lab.devices[0]
    fault_lab.set_fault(device.name, Fault("refuse_auth"))
    with pytest.raises(NetmikoAuthenticationException):
        _ios(device)
    fault_lab.clear_fault(device.name)
    with _ios(device) as conn:
        assert conn.find_prompt().endswith(">")


def test_drop_closes_the_session_after_n_commands(fault_lab: LabThread) -> None:
    device = fault_lab.devices[0]
    conn = _ios(device)
    fault_lab.set_fault(device.name, Fault("drop", after=1))
    assert "uptime" in conn.send_command("show version")
    with pytest.raises((OSError, EOFError, ReadTimeout)):
        conn.send_command("show clock", read_timeout=2)
    assert not conn.is_alive()
    fault_lab.clear_fault(device.name)


def test_hang_keeps_tcp_open_but_never_answers(fault_lab: LabThread) -> None:
    device = fault_lab.devices[0]
    conn = _ios(device)
    fault_lab.set_fault(device.name, Fault("hang"))
    with pytest.raises(ReadTimeout):
        conn.send_command("show version", read_timeout=1.5)
    assert fault_lab.sessions_of(device.name) == 1  # TCP and SSH still up
    fault_lab.clear_fault(device.name)
    conn.remote_conn_pre.close()  # netmiko's polite disconnect would wait on the hung shell


def test_slow_adds_latency(fault_lab: LabThread) -> None:
    device = fault_lab.devices[0]
    with _ios(device) as conn:
        fault_lab.set_fault(device.name, Fault("slow", delay=0.4))
        started = time.perf_counter()
        conn.send_command("show clock")
        slow = time.perf_counter() - started
        fault_lab.clear_fault(device.name)
    assert slow >= 0.4


def test_kill_sessions_then_fresh_connection_works(fault_lab: LabThread) -> None:
    device = fault_lab.devices[0]
    conn = _ios(device)
    assert fault_lab.kill_sessions(device.name) == 1
    with pytest.raises((OSError, EOFError, ReadTimeout)):
        conn.send_command("show version", read_timeout=3)
    with _ios(device) as again:
        assert device.name in again.send_command("show version")


def test_two_hundred_devices_thirty_in_parallel() -> None:
    with LabThread(build_specs(200, prefix="scale")) as lab:
        targets = lab.devices[::4][:30]
        ios_like = [d for d in targets if d.spec.platform in ("cisco_ios", "arista_eos")]

        def run(device: LabDevice) -> str:
            with ConnectHandler(
                device_type=device.spec.platform,
                host=device.host,
                port=device.port,
                username="netweave",
                password="netweave",
            ) as conn:
                return str(conn.send_command("show version"))

        with ThreadPoolExecutor(10) as pool:
            outputs = list(pool.map(run, ios_like))
    assert len(outputs) == len(ios_like) >= 14
    assert all("Version 15.9" in out or "Arista" in out for out in outputs)
    assert len({d.port for d in lab.devices}) == 200


def test_per_device_addresses_on_one_port() -> None:
    probe = socket.socket()
    probe.bind(("127.1.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    with LabThread(
        build_specs(3, address_mode="addresses", base_port=port, platforms=("cisco_ios",))
    ) as lab:
        assert [(d.host, d.port) for d in lab.devices] == [
            ("127.1.0.1", port),
            ("127.1.0.2", port),
            ("127.1.0.3", port),
        ]
        for device in lab.devices:
            with _ios(device) as conn:
                assert conn.find_prompt() == f"{device.name}>"


def test_lab_up_process_writes_manifest_and_stops_on_sigterm(tmp_path: Path) -> None:
    manifest = tmp_path / "lab.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "netweave.lab", "up", "--devices", "5", "--manifest", str(manifest)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 30
        while not manifest.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        specs = read_manifest(manifest)
        assert [s.platform for s in specs][:4] == [
            "cisco_ios",
            "arista_eos",
            "juniper_junos",
            "linux",
        ]
        client = paramiko.SSHClient()
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        client.connect(
            specs[0].host,
            port=specs[0].port,
            username="netweave",
            password="netweave",
            look_for_keys=False,
            allow_agent=False,
        )
        _, stdout, _ = client.exec_command("show version | include uptime")
        assert specs[0].name in stdout.read().decode()
        client.close()
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=20)[0].decode()
    assert process.returncode == 0, output
    assert "lab up: 5 devices" in output
    assert not manifest.exists()
