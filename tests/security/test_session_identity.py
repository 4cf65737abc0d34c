"""Persistent device sessions are keyed by the whole identity (user, password, enable secret,
connection options), and no job can leave a shared session in a state the next job
depends on. Real jobs through the API on the in-process lab's cisco_ios devices."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi.testclient import TestClient

from netweave.core.runtime import Runtime
from netweave.drivers.base import BaseConnectionArgs
from netweave.lab import LabDevice, LabThread
from tests.fixtures.database import ONE_BACKEND
from tests.fixtures.lab import first

pytestmark = ONE_BACKEND  # the subject does not depend on the SQL backend

RIGHT = "netweave"
WRONG = "not-the-password"


def _ios(lab: LabThread, index: int = 0) -> LabDevice:
    return [d for d in lab.devices if d.spec.platform == "cisco_ios"][index]


def _job(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    created = client.post("/device/exec", json={"driver": "netmiko", **body})
    assert created.status_code == 201, created.text
    done = client.get(f"/jobs/{created.json()['id']}", params={"wait": 60}).json()
    assert done["status"] in ("finished", "failed"), done
    return dict(done)


def _inline(device: LabDevice, command: str, **args: Any) -> dict[str, Any]:
    connection = {"host": device.host, "port": device.port, "username": "netweave", **args}
    return {"connection_args": connection, "command": command}


def _stored(device: LabDevice, command: str, **extra: Any) -> dict[str, Any]:
    return {"connection_args": {"host": device.name}, "command": command, **extra}


def _output(job: dict[str, Any]) -> dict[str, Any]:
    assert job["status"] == "finished", job["result"]
    return dict(job["result"]["retval"][0])


def _inventory(admin: TestClient, device: LabDevice) -> None:
    credential = {
        "name": "lab-ios",
        "username": "netweave",
        "password": RIGHT,
        "enable_secret": RIGHT,
        "scope": {"networks": [f"{device.host}/32"]},
    }
    made = admin.post("/api/v1/credentials", json=credential)
    assert made.status_code == 201, made.text
    created = admin.post(
        "/api/v1/devices",
        json={
            "name": device.name,
            "host": device.host,
            "port": device.port,
            "platform": "cisco_ios",
            "credential": "lab-ios",
        },
    )
    assert created.status_code == 201, created.text


def test_wrong_password_cannot_ride_a_warm_session(
    runtime: Runtime, operator: TestClient, lab: LabThread
) -> None:
    device = _ios(lab)
    warm = _output(_job(operator, _inline(device, "show clock", password=RIGHT)))
    assert "UTC" in warm["stdout"]

    attacker = _job(operator, _inline(device, "show clock", password=WRONG))
    assert attacker["status"] == "failed", attacker
    assert attacker["result"]["error"]["type"] == "authentication", attacker

    # failing again and again trips only the wrong identity's circuit breaker
    threshold = runtime.jobs.pool.settings.breaker_threshold
    for _ in range(threshold):
        assert _job(operator, _inline(device, "show clock", password=WRONG))["status"] == "failed"
    assert runtime.jobs.pool.stats()["open_circuit_breakers"] == 1  # the wrong identity's
    again = _output(_job(operator, _inline(device, "show clock", password=RIGHT)))
    assert "UTC" in again["stdout"]
    assert again["metadata"]["session_reused"] is True  # the right session stayed warm


def test_request_without_the_enable_secret_does_not_inherit_privileged_mode(
    operator: TestClient, lab: LabThread
) -> None:
    device = _ios(lab)
    privileged = _inline(device, "show privilege", password=RIGHT, secret=RIGHT)
    privileged["enable_mode"] = True
    assert "level is 15" in _output(_job(operator, privileged))["stdout"]

    no_secret = _output(_job(operator, _inline(device, "show running-config", password=RIGHT)))
    assert "hostname" not in no_secret["stdout"]
    assert no_secret["exit_status"] == 1  # user EXEC: "% Invalid input"
    assert no_secret["metadata"]["session_reused"] is False

    other = _inline(device, "show running-config", password=RIGHT, secret=WRONG)
    other["enable_mode"] = True
    refused = _job(operator, other)
    assert refused["status"] == "failed", refused["result"]
    assert refused["result"]["error"]["type"] == "authentication"


def test_disable_cannot_drop_the_next_job_to_user_exec(
    admin: TestClient, operator: TestClient, lab: LabThread
) -> None:
    device = _ios(lab)
    _inventory(admin, device)
    warm = _output(_job(operator, _stored(device, "show privilege", enable_mode=True)))
    assert "level is 15" in warm["stdout"]

    dropped = _output(_job(operator, _stored(device, "disable")))
    assert dropped["exit_status"] == 0

    config = _output(_job(operator, _stored(device, "show running-config")))
    assert f"hostname {device.name}" in config["stdout"], config
    assert config["exit_status"] == 0
    assert config["metadata"]["session_reused"] is True  # restored, not reopened


def test_configure_terminal_as_a_command_does_not_leave_the_session_in_config_mode(
    admin: TestClient, operator: TestClient, lab: LabThread
) -> None:
    device = _ios(lab)
    _inventory(admin, device)
    entered = _output(_job(operator, _stored(device, "configure terminal", enable_mode=True)))
    assert "configuration commands" in entered["stdout"]

    shown = _output(_job(operator, _stored(device, "show clock")))
    assert "UTC" in shown["stdout"] and "Invalid input" not in shown["stdout"], shown
    privilege = _output(_job(operator, _stored(device, "show privilege")))
    assert "level is 15" in privilege["stdout"]  # back to privileged EXEC, not config


def test_scrapli_disable_cannot_drop_the_next_job_to_user_exec(
    operator: TestClient, lab: LabThread
) -> None:
    device = _ios(lab, 1)
    login = {"password": RIGHT, "secret": RIGHT, "device_type": "cisco_ios"}
    for command in ("show clock", "disable", "configure terminal"):
        body = {**_inline(device, command, **login), "driver": "scrapli"}
        _job(operator, body)
        body = {**_inline(device, "show running-config", **login), "driver": "scrapli"}
        config = _output(_job(operator, body))
        assert f"hostname {device.name}" in config["stdout"], (command, config)


def test_session_stats_and_metrics_expose_no_secret(
    admin: TestClient, operator: TestClient, viewer: TestClient, lab: LabThread
) -> None:
    device = first(lab, "cisco_ios")
    marker = "Secret-Marker-7f3a9"
    _job(operator, _inline(device, "show clock", password=RIGHT, secret=marker))
    _job(operator, _inline(device, "show clock", password=marker))
    stats = admin.get("/system/stats")
    metrics = viewer.get("/metrics")
    assert stats.status_code == 200 and metrics.status_code == 200
    assert stats.json()["sessions"]["sessions"] >= 1
    for text in (stats.text, metrics.text):
        assert marker not in text


def test_terminal_settings_changed_by_a_job_are_not_inherited(
    runtime: Runtime, operator: TestClient, lab: LabThread
) -> None:
    device = _ios(lab, 1)
    login = {"password": RIGHT, "secret": RIGHT}
    _output(_job(operator, _inline(device, "terminal length 20", **login)))
    after = _output(_job(operator, _inline(device, "show clock", **login)))
    assert after["metadata"]["session_reused"] is False  # paging of 20 lines went with it
    assert runtime.jobs.pool.stats()["unsettled"] == 1
    netmiko_own = _output(_job(operator, _inline(device, "terminal length 0", **login)))
    assert netmiko_own["exit_status"] == 0
    kept = _output(_job(operator, _inline(device, "show clock", **login)))
    assert kept["metadata"]["session_reused"] is True  # what Netmiko set at login anyway


def test_session_key_carries_no_secret_and_no_plain_hash_of_it() -> None:
    def key(**extra: Any) -> tuple[str, int, str, str]:
        args = {"host": "10.0.0.1", "username": "admin", "password": "hunter2", **extra}
        return BaseConnectionArgs.model_validate(args).session_key("netmiko")

    base = key()
    assert base[:3] == ("10.0.0.1", 22, "netmiko") and base == key()
    assert "hunter2" not in repr(base) and "admin" not in repr(base)
    for digest in (hashlib.sha256(b"hunter2").hexdigest(), hashlib.md5(b"hunter2").hexdigest()):
        assert base[3] not in digest
    variants = [
        key(password="hunter3"),
        key(secret="enable"),
        key(username="other"),
        key(device_type="arista_eos"),
        key(timeout=5),
        key(conn_timeout=3),
        key(key_file="/keys/a"),
        key(passphrase="p"),
    ]
    assert len({base, *variants}) == len(variants) + 1


def test_napalm_cli_commands_cannot_leave_the_session_in_another_mode(
    operator: TestClient, lab: LabThread
) -> None:
    device = _ios(lab, 1)
    login = {"password": RIGHT, "secret": RIGHT, "device_type": "ios"}
    for command in ("disable", "configure terminal"):
        body = {**_inline(device, command, **login), "driver": "napalm"}
        # the prompt changes, so the read ends at read_timeout (honoured under NAPALM)
        _job(operator, {**body, "driver_args": {"read_timeout": 3}})
        body = {**_inline(device, "show running-config", **login), "driver": "napalm"}
        config = _output(_job(operator, body))
        assert f"hostname {device.name}" in config["stdout"], (command, config)
        facts = _output(
            _job(operator, {**_inline(device, "get_facts", **login), "driver": "napalm"})
        )
        assert facts["parsed"]["hostname"] == device.name, (command, facts)
