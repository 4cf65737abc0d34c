"""Driver adapters against the lab's real SSH server."""

from __future__ import annotations

import pytest

from netweave.drivers import DriverError, registry
from netweave.drivers.base import BaseConnectionArgs
from netweave.lab import Fault, LabDevice, LabThread
from tests.fixtures.lab import first


def _args(device: LabDevice, **extra: object) -> BaseConnectionArgs:
    return BaseConnectionArgs.model_validate(
        {
            "host": device.host,
            "port": device.port,
            "username": "netweave",
            "password": "netweave",
            "secret": "netweave",
            "device_type": device.spec.platform,
            **extra,
        }
    )


def test_builtin_drivers_come_from_entry_points() -> None:
    assert {"netmiko", "paramiko"} <= set(registry.names())
    netmiko = registry.get("netmiko")
    assert netmiko.persistent and netmiko.default_queue_strategy == "pinned"
    assert registry.get("paramiko").default_queue_strategy == "fifo"
    with pytest.raises(Exception, match="unknown driver 'telnetlib'"):
        registry.get("telnetlib")


def test_netmiko_config_push_stops_at_first_bad_line_and_does_not_save(
    fault_lab: LabThread,
) -> None:
    device = first(fault_lab, "cisco_ios")
    session = registry.get("netmiko")().connect(_args(device))
    try:
        outcome = session.push_config(
            ["interface Gi0/2", "description first", "bogus command here", "description never"],
            {"save": True},
        )
        assert outcome.failed_line == "bogus command here"
        assert outcome.applied == ["interface Gi0/2", "description first"]
        assert outcome.skipped == ["description never"]
        assert not outcome.saved
        running = session.run_commands(["show running-config"], {"enable_mode": True})[0].stdout
        assert "description first" in running and "description never" not in running
        startup = session.run_commands(["show startup-config"], {"enable_mode": True})[0].stdout
        assert "description first" not in startup  # nothing saved after a failure
        good = session.push_config(["interface Gi0/2", "description second"], {"save": True})
        assert good.ok and good.saved
        startup = session.run_commands(["show startup-config"], {"enable_mode": True})[0].stdout
        assert "description second" in startup
        bad = session.run_commands(["show nonsense"], {})[0]
        assert bad.exit_status == 1 and "% Invalid input" in bad.stdout
    finally:
        session.close()


def test_netmiko_junos_commit(fault_lab: LabThread) -> None:
    device = first(fault_lab, "juniper_junos")
    session = registry.get("netmiko")().connect(_args(device))
    try:
        outcome = session.push_config(["set system host-name edge-9"], {"commit": True})
        assert outcome.ok
        assert (
            "edge-9"
            in session.run_commands(["show configuration | display set | match host-name"], {})[
                0
            ].stdout
        )
    finally:
        session.close()


def test_paramiko_exec_status_and_errors(lab: LabThread) -> None:
    device = first(lab, "linux")
    session = registry.get("paramiko")().connect(_args(device))
    try:
        ok, missing = session.run_commands(["hostname", "nosuch"], {})
        assert ok.stdout.strip() == device.name and ok.exit_status == 0
        assert missing.exit_status == 127
        push = session.push_config(["true", "false", "true"], {})
        assert push.failed_line == "false" and push.skipped == ["true"]
    finally:
        session.close()


def test_auth_failure_is_a_typed_driver_error(fault_lab: LabThread) -> None:
    device = first(fault_lab, "cisco_ios")
    fault_lab.set_fault(device.name, Fault("refuse_auth"))
    try:
        with pytest.raises(DriverError) as caught:
            registry.get("netmiko")().connect(_args(device))
        assert caught.value.kind == "authentication"
        with pytest.raises(DriverError) as caught:
            registry.get("paramiko")().connect(_args(device))
        assert caught.value.kind == "authentication"
    finally:
        fault_lab.clear_fault(device.name)


@pytest.mark.parametrize("platform", ["cisco_ios", "arista_eos", "juniper_junos", "linux"])
def test_scrapli_reads_every_platform(lab: LabThread, platform: str) -> None:
    device = first(lab, platform)
    session = registry.get("scrapli")().connect(_args(device))
    try:
        command = "uname -a" if platform == "linux" else "show version"
        (output,) = session.run_commands([command], {})
        assert device.name in output.stdout or "Arista" in output.stdout
        assert output.exit_status == 0
    finally:
        session.close()


def test_scrapli_config_push_and_failure_indicators(fault_lab: LabThread) -> None:
    device = first(fault_lab, "cisco_ios")
    session = registry.get("scrapli")().connect(_args(device))
    try:
        outcome = session.push_config(
            ["interface Gi0/1", "description via-scrapli", "bogus line", "mtu 9000"], {"save": True}
        )
        assert outcome.failed_line == "bogus line" and outcome.skipped == ["mtu 9000"]
        assert not outcome.saved
        good = session.push_config(["interface Gi0/1", "description via-scrapli-2"], {"save": True})
        assert good.ok and good.saved
        (startup,) = session.run_commands(["show startup-config"], {})
        assert "via-scrapli-2" in startup.stdout
        (bad,) = session.run_commands(["show nonsense"], {})
        assert bad.exit_status == 1
    finally:
        session.close()


def test_napalm_getters_by_name_and_cli(lab: LabThread) -> None:
    device = first(lab, "cisco_ios")
    session = registry.get("napalm")().connect(_args(device))
    try:
        facts, interfaces, missing, cli = session.run_commands(
            ["get_facts", "get_interfaces", "get_nonsense", "show clock"], {}
        )
        assert facts.parsed["hostname"] == device.name and facts.exit_status == 0
        assert '"hostname"' in facts.stdout
        assert interfaces.parsed["GigabitEthernet0/3"]["is_enabled"] is False
        assert missing.exit_status == 1 and "unknown NAPALM getter" in missing.stderr
        assert "UTC" in cli.stdout
    finally:
        session.close()


def test_napalm_config_dry_run_commit_rollback_and_replace(fault_lab: LabThread) -> None:
    device = first(fault_lab, "cisco_ios")
    session = registry.get("napalm")().connect(_args(device))

    def running() -> str:
        return session.run_commands(["show running-config"], {})[0].stdout

    lines = ["interface GigabitEthernet0/1", " description via-napalm", "ntp server 10.9.9.9"]
    try:
        dry = session.push_config(lines, {"dry_run": True})
        assert dry.ok and not dry.committed
        assert "+ description via-napalm" in (dry.diff or "") and "+ntp server 10.9.9.9" in (
            dry.diff or ""
        )
        assert "via-napalm" not in running()
        merged = session.push_config(lines, {})
        assert merged.ok and merged.committed and merged.saved
        assert "description via-napalm" in running() and "ntp server 10.9.9.9" in running()
        assert session.push_config(lines, {"dry_run": True}).diff == ""  # nothing left to merge
        rolled = session.push_config([], {"rollback": True})
        assert rolled.ok and "via-napalm" not in running()
        replacement = running().replace("lab link 2", "replaced-by-napalm")
        replace = session.push_config(
            replacement.splitlines(), {"mode": "replace", "dry_run": True}
        )
        assert "-description lab link 2" in (
            replace.diff or ""
        ) and "+description replaced-by-napalm" in (replace.diff or "")
        assert "replaced-by-napalm" not in running()
    finally:
        session.close()


def test_pyeapi_text_json_config_and_errors(fault_lab: LabThread) -> None:
    device = first(fault_lab, "arista_eos")
    assert device.spec.eapi_port
    args = _args(device, port=device.spec.eapi_port, transport="http")
    driver = registry.get("pyeapi")
    assert not driver.persistent and driver.default_queue_strategy == "fifo"
    session = driver().connect(args)
    (text,) = session.run_commands(["show ip interface brief"], {})
    assert "Ethernet1" in text.stdout and text.exit_status == 0
    (structured,) = session.run_commands(["show version"], {"encoding": "json"})
    assert structured.parsed["modelName"] == "DCS-7050TX-64"
    ok, bad = session.run_commands(["show clock", "show bogus"], {})
    assert ok.exit_status == 0 and bad.exit_status == 1 and "Invalid input" in bad.stderr
    outcome = session.push_config(
        ["interface Ethernet3", "description via-eapi", "frobnicate", "mtu 9000"], {"save": True}
    )
    assert outcome.applied == ["interface Ethernet3", "description via-eapi"]
    assert (
        outcome.failed_line == "frobnicate"
        and outcome.skipped == ["mtu 9000"]
        and not outcome.saved
    )
    (running,) = session.run_commands(["show running-config"], {})
    assert "description via-eapi" in running.stdout
    fault_lab.set_fault(device.name, Fault("refuse_auth"))
    try:
        with pytest.raises(DriverError) as caught:
            driver().connect(args).run_commands(["show clock"], {})
        assert caught.value.kind == "authentication"
    finally:
        fault_lab.clear_fault(device.name)


def test_registry_loads_once_for_concurrent_first_users() -> None:
    import threading

    from netweave.drivers.base import Driver
    from netweave.foundation.plugins import PluginRegistry

    fresh: PluginRegistry[Driver] = PluginRegistry("netweave.drivers", Driver)  # type: ignore[type-abstract]
    seen: list[list[str]] = []
    threads = [threading.Thread(target=lambda: seen.append(fresh.names())) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(names == seen[0] for names in seen) and "netmiko" in seen[0]


def test_netmiko_push_stops_at_a_bad_mask(fault_lab: LabThread) -> None:
    """IOS answers a wrong mask without the usual ``%``: still a rejected line."""
    session = registry.get("netmiko")().connect(_args(first(fault_lab, "cisco_ios")))
    try:
        outcome = session.push_config(
            ["interface Gi0/3", "ip address 10.50.0.1 255.0.255.0", "description never"], {}
        )
    finally:
        session.close()
    assert outcome.failed_line == "ip address 10.50.0.1 255.0.255.0"
    assert outcome.error is not None and "Bad mask 0xFF00FF00" in outcome.error
    assert outcome.skipped == ["description never"]
