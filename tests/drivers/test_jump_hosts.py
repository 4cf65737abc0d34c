"""Jump hosts against real OpenSSH bastions (``tests.fixtures.bastion``) in front of the lab:
every SSH driver goes through them, one hop or two, and a bastion that refuses the login or
the forwarding is reported as exactly that, never bypassed."""

from __future__ import annotations

from typing import Any

import pytest

from netweave.drivers import DriverError, registry
from netweave.drivers.base import BaseConnectionArgs
from netweave.lab import LabDevice, LabThread
from tests.fixtures.bastion import JUMP_PASSWORD, JUMP_USER, Bastion
from tests.fixtures.lab import first


def _args(device: LabDevice, **extra: Any) -> BaseConnectionArgs:
    return BaseConnectionArgs.model_validate(
        {
            "host": device.host,
            "port": device.port,
            "username": "netweave",
            "password": "netweave",
            "secret": "netweave",
            "device_type": device.spec.platform,
            "timeout": 20,
            **extra,
        }
    )


def _proxy(bastion: Bastion, **extra: Any) -> dict[str, Any]:
    return {
        "proxy_host": bastion.host,
        "proxy_port": bastion.port,
        "proxy_username": JUMP_USER,
        "proxy_password": JUMP_PASSWORD,
        **extra,
    }


@pytest.mark.parametrize(
    ("driver", "platform", "command", "expected"),
    [
        ("netmiko", "cisco_ios", "show version", "Cisco IOS"),
        ("scrapli", "cisco_ios", "show version", "Cisco IOS"),
        ("napalm", "cisco_ios", "show version", "Cisco IOS"),
        ("paramiko", "linux", "uname -a", "Linux"),
    ],
)
def test_every_ssh_driver_goes_through_the_proxy_of_the_request(
    lab: LabThread, bastion: Bastion, driver: str, platform: str, command: str, expected: str
) -> None:
    device = first(lab, platform)
    since = bastion.mark()
    session = registry.get(driver)().connect(_args(device, **_proxy(bastion)))
    try:
        output = session.run_commands([command], {})[0]
    finally:
        session.close()
    assert expected in output.stdout
    assert bastion.forwards_to(device.host, device.port, since)  # the bastion carried it


def test_a_key_login_at_the_bastion(lab: LabThread, bastion: Bastion) -> None:
    device = first(lab, "juniper_junos")
    proxy = _proxy(bastion, proxy_password=None, proxy_pkey=bastion.private_key)
    session = registry.get("netmiko")().connect(_args(device, **proxy))
    try:
        assert "JUNOS" in session.run_commands(["show version"], {})[0].stdout
    finally:
        session.close()


def test_two_hops_from_the_inventory_chain(
    lab: LabThread, bastion: Bastion, inner_bastion: Bastion
) -> None:
    device = first(lab, "arista_eos")
    hops = [
        {"host": b.host, "port": b.port, "username": JUMP_USER, "password": JUMP_PASSWORD}
        for b in (bastion, inner_bastion)
    ]
    session = registry.get("netmiko")().connect(_args(device, jump_hosts=hops))
    try:
        assert "Arista" in session.run_commands(["show version"], {})[0].stdout
    finally:
        session.close()
    assert bastion.forwards_to(inner_bastion.host, inner_bastion.port)  # hop 1 → hop 2
    assert inner_bastion.forwards_to(device.host, device.port)  # hop 2 → the device


def test_a_wrong_bastion_password_is_a_login_failure_at_the_bastion(
    lab: LabThread, bastion: Bastion
) -> None:
    device = first(lab, "cisco_ios")
    since = bastion.mark()
    with pytest.raises(DriverError) as caught:
        registry.get("netmiko")().connect(_args(device, **_proxy(bastion, proxy_password="wrong")))
    error = caught.value
    assert error.cause == "auth_failed" and error.kind == "authentication"
    assert f"jump host {bastion.host}:{bastion.port}" in error.message
    assert error.phase is not None and error.phase.startswith("logging in to jump host")
    assert not bastion.forwards_to(device.host, device.port, since)


def test_a_bastion_refusing_forwarding_is_reported_not_bypassed(
    lab: LabThread, closed_bastion: Bastion
) -> None:
    device = first(lab, "cisco_ios")
    for driver in ("netmiko", "scrapli"):
        with pytest.raises(DriverError) as caught:
            registry.get(driver)().connect(_args(device, **_proxy(closed_bastion)))
        error = caught.value
        assert error.cause == "forwarding_refused", (driver, error.message)
        assert "refused to forward" in error.message
        assert f"{device.host}:{device.port}" in error.message


def test_an_unreachable_bastion_fails_instead_of_connecting_directly(lab: LabThread) -> None:
    device = first(lab, "cisco_ios")  # reachable directly: a dropped proxy would succeed
    with pytest.raises(DriverError) as caught:
        registry.get("paramiko")().connect(
            _args(device, proxy_host="127.0.0.1", proxy_port=1, proxy_password="x")
        )
    assert caught.value.cause == "connection_refused"
    assert "jump host 127.0.0.1:1" in caught.value.message


def test_a_device_the_bastion_cannot_reach(bastion: Bastion) -> None:
    args = BaseConnectionArgs.model_validate(
        {"host": "127.0.0.1", "port": 1, "username": "u", "password": "p", **_proxy(bastion)}
    )
    with pytest.raises(DriverError) as caught:
        registry.get("netmiko")().connect(args)
    assert caught.value.cause == "unreachable"
    assert "could not connect to 127.0.0.1:1" in caught.value.message


def test_pyeapi_over_http_through_the_bastion(lab: LabThread, bastion: Bastion) -> None:
    device = first(lab, "arista_eos")
    assert device.spec.eapi_port
    since = bastion.mark()
    args = _args(device, port=device.spec.eapi_port, transport="http", **_proxy(bastion))
    session = registry.get("pyeapi")().connect(args)
    try:
        first_call, second_call = (session.run_commands(["show version"], {}) for _ in range(2))
    finally:
        session.close()
    assert "Arista" in first_call[0].stdout and "Arista" in second_call[0].stdout
    assert bastion.forwards_to(device.host, device.spec.eapi_port, since)
