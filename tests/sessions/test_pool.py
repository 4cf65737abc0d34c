"""The session pool against the lab: reuse, reconnect, serial execution, reaping, breaker."""

from __future__ import annotations

import threading
import time

import pytest

from netweave.drivers import DriverError, DriverSession, registry
from netweave.drivers.base import BaseConnectionArgs
from netweave.lab import Fault, LabThread
from netweave.sessions import PoolSettings, SessionPool
from tests.fixtures.lab import first


def _args(host: str, port: int, password: str = "netweave") -> BaseConnectionArgs:
    return BaseConnectionArgs(
        host=host, port=port, username="netweave", password=password, device_type="cisco_ios"
    )  # type: ignore[arg-type]


def _show(session: DriverSession) -> str:
    return session.run_commands(["show clock"], {})[0].stdout


def test_second_call_reuses_the_session(fault_lab: LabThread) -> None:
    device = first(fault_lab, "cisco_ios")
    pool = SessionPool()
    driver = registry.get("netmiko")()
    try:
        _, reused_first = pool.run(
            driver, _args(device.host, device.port), _show, retry_on_dead_session=True
        )
        _, reused_second = pool.run(
            driver, _args(device.host, device.port), _show, retry_on_dead_session=True
        )
        assert (reused_first, reused_second) == (False, True)
        assert pool.stats()["sessions"] == 1 and fault_lab.sessions_of(device.name) == 1
    finally:
        pool.close()


def test_killed_session_is_replaced_transparently(fault_lab: LabThread) -> None:
    device = first(fault_lab, "cisco_ios")
    pool = SessionPool()
    driver = registry.get("netmiko")()
    args = _args(device.host, device.port)
    try:
        pool.run(driver, args, _show, retry_on_dead_session=True)
        fault_lab.kill_sessions(device.name)
        time.sleep(0.1)
        output, reused = pool.run(driver, args, _show, retry_on_dead_session=True)
        assert "UTC" in output and reused is False
        assert pool.counters.reconnected == 1
    finally:
        pool.close()


def test_session_dying_mid_config_is_not_silently_retried(fault_lab: LabThread) -> None:
    device = first(fault_lab, "cisco_ios")
    pool = SessionPool()
    driver = registry.get("netmiko")()
    args = _args(device.host, device.port)
    pool.run(driver, args, _show, retry_on_dead_session=True)
    fault_lab.set_fault(device.name, Fault("drop", after=2))
    try:
        with pytest.raises(DriverError):
            pool.run(
                driver,
                args,
                lambda s: s.push_config(
                    ["interface Gi0/1", "description a", "description b"], {"read_timeout": 3}
                ),
                retry_on_dead_session=False,
            )
        assert pool.stats()["sessions"] == 0 and pool.counters.opened == 1  # no second attempt
    finally:
        fault_lab.clear_fault(device.name)
        pool.close()


def test_one_device_runs_one_job_at_a_time(fault_lab: LabThread) -> None:
    device = first(fault_lab, "cisco_ios")
    pool = SessionPool()
    driver = registry.get("netmiko")()
    active, peak = [0], [0]
    guard = threading.Lock()

    def action(session: DriverSession) -> None:
        with guard:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        session.run_commands(["show clock"], {})
        with guard:
            active[0] -= 1

    threads = [
        threading.Thread(
            target=pool.run,
            args=(driver, _args(device.host, device.port), action),
            kwargs={"retry_on_dead_session": True},
        )
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    pool.close()
    assert peak[0] == 1
    assert pool.counters.opened == 1


def test_idle_sessions_are_reaped(fault_lab: LabThread) -> None:
    device = first(fault_lab, "cisco_ios")
    pool = SessionPool(PoolSettings(idle_ttl=0.2, keepalive_interval=0.1))
    driver = registry.get("netmiko")()
    pool.run(driver, _args(device.host, device.port), _show, retry_on_dead_session=True)
    time.sleep(0.3)
    pool.reap()
    assert pool.stats()["sessions"] == 0 and pool.counters.reaped_idle == 1
    deadline = time.monotonic() + 5
    while fault_lab.sessions_of(device.name) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fault_lab.sessions_of(device.name) == 0
    pool.close()


def test_circuit_breaker_backs_off_a_failing_host(fault_lab: LabThread) -> None:
    device = first(fault_lab, "cisco_ios")
    fault_lab.set_fault(device.name, Fault("refuse_auth"))
    pool = SessionPool(PoolSettings(breaker_threshold=2, breaker_base=30))
    driver = registry.get("netmiko")()
    args = _args(device.host, device.port)
    try:
        for _ in range(2):
            with pytest.raises(DriverError) as caught:
                pool.run(driver, args, _show, retry_on_dead_session=True)
            assert caught.value.kind == "authentication"
        started = time.perf_counter()
        with pytest.raises(DriverError) as caught:
            pool.run(driver, args, _show, retry_on_dead_session=True)
        assert caught.value.kind == "circuit_open" and "failed 2 times" in caught.value.message
        assert time.perf_counter() - started < 0.1  # rejected without touching the device
        assert pool.stats()["open_circuit_breakers"] == 1
    finally:
        fault_lab.clear_fault(device.name)
        pool.close()


def test_keepalive_keeps_live_sessions_and_drops_dead_ones(fault_lab: LabThread) -> None:
    device = first(fault_lab, "cisco_ios")
    pool = SessionPool(PoolSettings(idle_ttl=100, keepalive_interval=0.1))
    driver = registry.get("netmiko")()
    args = _args(device.host, device.port)
    try:
        pool.run(driver, args, _show, retry_on_dead_session=True)
        time.sleep(0.2)
        pool.reap()
        assert pool.stats()["sessions"] == 1 and pool.counters.keepalive_failures == 0
        fault_lab.kill_sessions(device.name)
        time.sleep(0.2)
        pool.reap()
        assert pool.stats()["sessions"] == 0 and pool.counters.keepalive_failures == 1
    finally:
        pool.close()


def test_sessions_older_than_max_age_are_replaced(fault_lab: LabThread) -> None:
    device = first(fault_lab, "cisco_ios")
    pool = SessionPool(PoolSettings(max_age=0.2))
    driver = registry.get("netmiko")()
    args = _args(device.host, device.port)
    try:
        pool.run(driver, args, _show, retry_on_dead_session=True)
        time.sleep(0.3)
        _, reused = pool.run(driver, args, _show, retry_on_dead_session=True)
        assert reused is False and pool.counters.reaped_age == 1 and pool.counters.opened == 2
    finally:
        pool.close()
