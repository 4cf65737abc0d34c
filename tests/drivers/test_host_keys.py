"""Strict host key checking (``connection_args.host_key``) against the lab's real SSH
server: the pinned key connects, any other is refused as ``host_key_mismatch``, and a
driver that cannot check a pinned key refuses the argument at submission."""

from __future__ import annotations

import socket

import paramiko
import pytest
from fastapi.testclient import TestClient

from netweave.drivers import DriverError, registry
from netweave.drivers.base import BaseConnectionArgs
from netweave.lab import LabDevice, LabThread
from tests.fixtures.database import ONE_BACKEND
from tests.fixtures.lab import first

pytestmark = ONE_BACKEND  # the subject does not depend on the SQL backend


def _served_key(device: LabDevice) -> str:
    """The device's host key, read off the wire (what ``ssh-keyscan`` prints)."""
    with socket.create_connection((device.host, device.port), timeout=10) as sock:
        transport = paramiko.Transport(sock)
        try:
            transport.start_client(timeout=10)
            key = transport.get_remote_server_key()
        finally:
            transport.close()
    return f"{key.get_name()} {key.get_base64()}"


def _other_key() -> str:
    key = paramiko.RSAKey.generate(1024)
    return f"{key.get_name()} {key.get_base64()}"


def _args(device: LabDevice, host_key: str) -> BaseConnectionArgs:
    return BaseConnectionArgs.model_validate(
        {
            "host": device.host,
            "port": device.port,
            "username": "netweave",
            "password": "netweave",
            "device_type": device.spec.platform,
            "host_key": host_key,
        }
    )


@pytest.mark.parametrize("driver", ["netmiko", "paramiko"])
def test_pinned_key_connects_and_another_key_is_a_mismatch(lab: LabThread, driver: str) -> None:
    device = first(lab, "linux")
    session = registry.get(driver)().connect(_args(device, _served_key(device)))
    try:
        assert "Linux" in session.run_commands(["uname -a"], {})[0].stdout
    finally:
        session.close()
    with pytest.raises(DriverError) as caught:
        registry.get(driver)().connect(_args(device, _other_key()))
    error = caught.value
    assert error.cause == "host_key_mismatch" and error.kind == "connection", error.message
    assert f"{device.host}:{device.port}" in error.message


def test_drivers_that_cannot_pin_refuse_the_argument(operator: TestClient, lab: LabThread) -> None:
    device = first(lab, "cisco_ios")
    body = {
        "driver": "scrapli",
        "connection_args": {
            "host": device.host,
            "port": device.port,
            "username": "netweave",
            "password": "netweave",
            "host_key": _served_key(device),
        },
        "command": "show clock",
    }
    refused = operator.post("/device/exec", json=body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == "connection_args.host_key" and "scrapli" in refused.text
    malformed = operator.post(
        "/device/exec",
        json={
            **body,
            "driver": "netmiko",
            "connection_args": {**body["connection_args"], "host_key": "nonsense"},
        },
    )
    assert malformed.status_code == 422 and "known_hosts" in malformed.text, malformed.text
    assert malformed.json()["field"] == "connection_args.host_key"
