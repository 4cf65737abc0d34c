"""Every driver failure says what really happened, in which phase, after how long (measured):
against the lab's real SSH server, closed loopback ports, a listener whose backlog is full,
a listener that never speaks, and a temporary ``unreachable`` route on this machine (no
traffic leaves it)."""

from __future__ import annotations

import re
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paramiko
import pytest
from fastapi.testclient import TestClient

from netweave.drivers import DriverError, registry
from netweave.drivers.base import BaseConnectionArgs
from netweave.drivers.failures import KIND_OF_CAUSE, classify
from netweave.lab import Fault, LabDevice, LabThread
from tests.fixtures.database import ONE_BACKEND
from tests.fixtures.lab import first

pytestmark = ONE_BACKEND  # the subject does not depend on the SQL backend

TIMEOUT = 5.0  # the configured login timeout: refused/unreachable answers come far sooner
NO_ROUTE = "198.18.255.77"  # benchmarking range (RFC 2544), an ``unreachable`` route below
LOGIN_DRIVERS = ["netmiko", "scrapli", "napalm", "paramiko"]


def _args(device: LabDevice | None = None, **extra: Any) -> BaseConnectionArgs:
    values: dict[str, Any] = {
        "host": device.host if device else "127.0.0.1",
        "port": device.port if device else 22,
        "username": "netweave",
        "password": "netweave",
        "secret": "netweave",
        "device_type": device.spec.platform if device else "cisco_ios",
        "timeout": TIMEOUT,
    }
    values.update(extra)
    return BaseConnectionArgs.model_validate(values)


def _connect_error(driver: str, args: BaseConnectionArgs) -> DriverError:
    with pytest.raises(DriverError) as caught:
        registry.get(driver)().connect(args)
    return caught.value


def _reported_seconds(message: str) -> float:
    found = re.search(r"after (\d+(?:\.\d+)?) s", message)
    assert found is not None, message
    return float(found.group(1))


def _assert_classified(error: DriverError, cause: str, phase: str | None = None) -> None:
    assert error.cause == cause, (error.cause, error.message)
    assert error.kind == KIND_OF_CAUSE[cause], error.kind
    if phase is not None:
        assert error.phase == phase, (error.phase, error.message)
        if cause in ("timeout", "session_lost"):  # refused/unreachable: always connecting
            assert f"while {phase}" in error.message, error.message
    assert error.elapsed is not None and error.elapsed >= 0
    assert _reported_seconds(error.message) >= 0


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on: bound, then closed (the kernel answers RST)."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = int(probe.getsockname()[1])
    probe.close()
    return port


@pytest.fixture
def no_route() -> Iterator[str]:
    """A temporary ``unreachable`` route for one address: connect() fails with EHOSTUNREACH
    at once, nothing is sent. Removed afterwards."""
    route = ["ip", "route", "replace", "unreachable", f"{NO_ROUTE}/32"]
    added = subprocess.run(route, capture_output=True, text=True, check=False)
    if added.returncode != 0:
        pytest.skip(f"cannot add a route here: {added.stderr.strip()}")
    try:
        yield NO_ROUTE
    finally:
        subprocess.run(["ip", "route", "del", "unreachable", f"{NO_ROUTE}/32"], check=False)


@pytest.fixture
def full_backlog() -> Iterator[int]:
    """A loopback listener whose accept queue is full: further SYNs are dropped, so a
    connect() waits until its own timeout (a "timeout while connecting" without routes)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    filler = socket.create_connection(listener.getsockname(), timeout=5)
    try:
        yield int(listener.getsockname()[1])
    finally:
        filler.close()
        listener.close()


@pytest.fixture
def silent_listener() -> Iterator[int]:
    """Accepts TCP connections (the kernel does) and never sends an SSH banner."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield int(listener.getsockname()[1])
    finally:
        listener.close()


@pytest.mark.parametrize("driver", LOGIN_DRIVERS)
def test_a_refused_port_is_reported_refused_not_timeout(driver: str, closed_port: int) -> None:
    error = _connect_error(driver, _args(port=closed_port))
    _assert_classified(error, "connection_refused", "connecting")
    assert error.message.startswith(f"connection refused by 127.0.0.1:{closed_port} after")
    assert "timed out" not in error.message
    assert _reported_seconds(error.message) < TIMEOUT  # measured, not the configured timeout
    assert error.retryable


@pytest.mark.parametrize("driver", LOGIN_DRIVERS)
def test_no_route_to_host_is_unreachable(driver: str, no_route: str) -> None:
    error = _connect_error(driver, _args(host=no_route, port=22))
    _assert_classified(error, "unreachable", "connecting")
    assert f"no route to host: {no_route}:22 after" in error.message
    assert _reported_seconds(error.message) < TIMEOUT


@pytest.mark.parametrize("driver", LOGIN_DRIVERS)
def test_a_name_that_does_not_resolve_is_unreachable(driver: str) -> None:
    error = _connect_error(driver, _args(host="nonexistent.invalid", port=22))
    _assert_classified(error, "unreachable", "connecting")
    assert "the name 'nonexistent.invalid' does not resolve" in error.message


@pytest.mark.parametrize("driver", LOGIN_DRIVERS)
def test_rejected_credentials_are_auth_failed(driver: str, lab: LabThread) -> None:
    device = first(lab, "cisco_ios")
    error = _connect_error(driver, _args(device, password="not-the-password"))
    _assert_classified(error, "auth_failed", "authenticating")
    assert error.message.startswith(f"authentication failed: {device.host}:{device.port}")
    assert not error.retryable


def test_refuse_auth_fault_is_auth_failed(fault_lab: LabThread) -> None:
    device = first(fault_lab, "linux")
    fault_lab.set_fault(device.name, Fault("refuse_auth"))
    try:
        error = _connect_error("paramiko", _args(device))
    finally:
        fault_lab.clear_fault(device.name)
    _assert_classified(error, "auth_failed", "authenticating")


@pytest.mark.parametrize("driver", ["netmiko", "paramiko"])
def test_syn_dropped_is_a_timeout_while_connecting(driver: str, full_backlog: int) -> None:
    error = _connect_error(driver, _args(port=full_backlog, timeout=2))
    _assert_classified(error, "timeout", "connecting")
    assert error.message.startswith("timed out after ")
    assert not error.retryable


@pytest.mark.parametrize("driver", ["paramiko", "netmiko"])
def test_no_ssh_banner_is_a_timeout_in_the_handshake(driver: str, silent_listener: int) -> None:
    """Paramiko reports the banner timeout itself or, when its handshake wait ends first,
    "No existing session": either way the SSH handshake, never "connecting"."""
    error = _connect_error(driver, _args(port=silent_listener, timeout=2))
    _assert_classified(error, "timeout")
    assert error.phase in ("waiting for the SSH banner", "ssh handshake"), error.message
    assert f"while {error.phase}" in error.message


@pytest.mark.parametrize("driver", ["netmiko", "paramiko"])
def test_a_hung_device_times_out_while_running_the_command(
    driver: str, fault_lab: LabThread
) -> None:
    device = first(fault_lab, "cisco_ios" if driver == "netmiko" else "linux")
    command = "show version" if driver == "netmiko" else "uname -a"
    session = registry.get(driver)().connect(_args(device))
    fault_lab.set_fault(device.name, Fault("hang"))
    try:
        with pytest.raises(DriverError) as caught:
            session.run_commands([command], {"read_timeout": 2})
    finally:
        fault_lab.clear_fault(device.name)
        session.close()
    error = caught.value
    _assert_classified(error, "timeout", f"running {command!r}")
    assert error.message.startswith("timed out after ")
    assert _reported_seconds(error.message) >= 1.5  # it did wait for the read timeout


def test_a_device_hung_at_login_times_out_waiting_for_the_prompt(fault_lab: LabThread) -> None:
    device = first(fault_lab, "cisco_ios")
    fault_lab.set_fault(device.name, Fault("hang"))  # answers bare newlines, nothing else
    try:
        error = _connect_error("netmiko", _args(device, timeout=2))
    finally:
        fault_lab.clear_fault(device.name)
    _assert_classified(error, "timeout", "waiting for the prompt")


@pytest.mark.parametrize("driver", ["netmiko", "scrapli", "paramiko"])
def test_a_dropped_session_is_session_lost(driver: str, fault_lab: LabThread) -> None:
    device = first(fault_lab, "cisco_ios" if driver != "paramiko" else "linux")
    command = "show version" if driver != "paramiko" else "uname -a"
    session = registry.get(driver)().connect(_args(device))
    fault_lab.set_fault(device.name, Fault("drop"))
    try:
        with pytest.raises(DriverError) as caught:
            session.run_commands([command], {"read_timeout": 10})
    finally:
        fault_lab.clear_fault(device.name)
        session.close()
    error = caught.value
    _assert_classified(error, "session_lost", f"running {command!r}")
    assert error.message.startswith(f"session lost while running {command!r}")
    assert error.retryable  # a read may be retried on a fresh session


@pytest.mark.parametrize("driver", ["netmiko", "scrapli", "napalm"])
def test_a_rejected_config_line_carries_the_devices_own_words(
    driver: str, fault_lab: LabThread
) -> None:
    device = first(fault_lab, "cisco_ios")
    session = registry.get(driver)().connect(_args(device))
    try:
        outcome = session.push_config(["interface Gi0/3", "bogus line here"], {})
    finally:
        session.close()
    assert not outcome.ok and outcome.error is not None
    assert outcome.error.startswith("command rejected: ")
    assert "% Invalid input detected at '^' marker." in outcome.error
    assert "bogus line here" in outcome.error


@pytest.mark.parametrize("driver", ["netmiko", "scrapli", "napalm"])
def test_a_wrong_enable_secret_is_enable_failed(driver: str, lab: LabThread) -> None:
    device = first(lab, "cisco_ios")
    args = _args(device, secret="not-the-secret")
    if driver == "napalm":  # NAPALM enters enable mode while opening
        error = _connect_error(driver, args)
    else:
        session = registry.get(driver)().connect(args)
        try:
            with pytest.raises(DriverError) as caught:
                if driver == "netmiko":
                    session.run_commands(["show privilege"], {"enable_mode": True})
                else:  # scrapli enables at login; configuration needs it
                    session.push_config(["interface Gi0/3", "description never"], {})
        finally:
            session.close()
        error = caught.value
    assert error.cause == "enable_failed", error.message
    assert error.kind == "authentication" and error.phase == "entering enable mode"
    assert error.message.startswith("enable failed: ")


def test_a_changed_host_key_is_host_key_mismatch(lab: LabThread, tmp_path: Path) -> None:
    """No driver offers strict host key checking yet: Paramiko itself, with RejectPolicy and
    a known_hosts holding another key for the device, and the shared classifier."""
    device = first(lab, "linux")
    known = tmp_path / "known_hosts"
    other = paramiko.Ed25519Key.from_private_key_file(_other_key(tmp_path))
    entry = f"[{device.host}]:{device.port}"
    known.write_text(f"{entry} {other.get_name()} {other.get_base64()}\n")
    client = paramiko.SSHClient()
    client.load_host_keys(str(known))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    try:
        with pytest.raises(paramiko.BadHostKeyException) as caught:
            client.connect(
                device.host,
                port=device.port,
                username="netweave",
                password="netweave",
                timeout=TIMEOUT,
                look_for_keys=False,
                allow_agent=False,
            )
    finally:
        client.close()
    error = classify(caught.value, "connecting", 0.05, f"{device.host}:{device.port}")
    _assert_classified(error, "host_key_mismatch")
    assert f"{device.host}:{device.port} presented a host key that differs" in error.message
    assert not error.retryable


def _other_key(directory: Path) -> str:
    path = directory / "other_ed25519"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)],
        check=True,
        capture_output=True,
    )
    return str(path)


def test_a_refused_device_job_says_refused(operator: TestClient, closed_port: int) -> None:
    created = operator.post(
        "/device/exec",
        json={
            "driver": "netmiko",
            "connection_args": {
                "host": "127.0.0.1",
                "port": closed_port,
                "username": "netweave",
                "password": "netweave",
                "timeout": 20,
            },
            "command": "show version",
        },
    )
    assert created.status_code == 201, created.text
    done = operator.get(f"/jobs/{created.json()['id']}", params={"wait": 60}).json()
    assert done["status"] == "failed", done
    error = done["result"]["error"]
    assert error["type"] == "connection" and error["cause"] == "connection_refused", error
    assert error["message"].startswith(f"connection refused by 127.0.0.1:{closed_port} after")
    assert "timeout" not in error["message"] and "timed out" not in error["message"]
    assert _reported_seconds(error["message"]) < 20
