"""Operational data: the platform's show commands captured with each backup, stored as
versions like configurations (a new one only when the output changed beyond its volatile
parts), diffed, searched, and committed to the configuration repository."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from netweave.core.automation import configs
from netweave.core.automation.schemas import TargetSpec
from netweave.core.runtime import Runtime
from netweave.db.models import Device
from netweave.foundation.operational import (
    DEFAULT_VOLATILE_PATTERNS,
    VolatileFilter,
    command_slug,
)
from netweave.foundation.settings import Settings
from netweave.lab import LabThread, build_specs
from tests.core.automation.conftest import add_inventory
from tests.fixtures.database import ONE_BACKEND

pytestmark = ONE_BACKEND  # SQL storage of versions runs on both backends in test_configs_api
ROUTE = "ip route 10.77.0.0 255.255.0.0 10.0.0.254"


@pytest.fixture(scope="module")
def ops_lab() -> Iterator[LabThread]:
    """An IOS and a Junos device private to this module (a test changes a configuration)."""
    specs = build_specs(2, platforms=("cisco_ios", "juniper_junos"), prefix="ops")
    with LabThread(specs) as running:
        yield running


def _backup(runtime: Runtime, names: list[str], inputs: dict[str, object] | None = None) -> None:
    run = runtime.runs.launch_type(
        "config_backup", inputs or {}, TargetSpec(devices=names), "admin", wait=60
    )
    assert run.status == "success", run


def test_show_outputs_are_versioned_diffed_searched_and_committed(
    runtime: Runtime, admin: TestClient, ops_lab: LabThread
) -> None:
    names = add_inventory(admin, ops_lab)
    ios, junos = (
        next(d for d in ops_lab.devices if d.spec.platform == p)
        for p in ("cisco_ios", "juniper_junos")
    )
    items = admin.get("/api/v1/devices", params={"limit": 10}).json()["items"]
    ids = {d["name"]: d["id"] for d in items}
    _backup(runtime, names)

    ios_ops = admin.get(f"/api/v1/devices/{ids[ios.name]}/operational").json()
    assert [(o["command"], o["slug"], o["version"]) for o in ios_ops] == [
        ("show interfaces", "show-interfaces", 1),
        ("show ip route", "show-ip-route", 1),
        ("show version", "show-version", 1),
    ]
    assert all(o["commit"] for o in ios_ops)
    junos_ops = admin.get(f"/api/v1/devices/{ids[junos.name]}/operational").json()
    assert [o["slug"] for o in junos_ops] == ["show-interfaces-terse", "show-route", "show-version"]
    base = f"/api/v1/devices/{ids[ios.name]}/operational"
    route = admin.get(f"{base}/show-ip-route").json()
    assert "Gateway of last resort" in route["content"] and route["version"] == 1

    # a route appears; the uptime moves on (volatile: no new show version version)
    ios.ios_config.set_line(ROUTE)  # type: ignore[union-attr]
    ios.boot -= timedelta(days=3)
    _backup(runtime, [ios.name])
    assert [v["version"] for v in admin.get(f"{base}/show-ip-route/history").json()] == [2, 1]
    assert [v["version"] for v in admin.get(f"{base}/show-version/history").json()] == [1]
    assert "3 days" not in admin.get(f"{base}/show-version").json()["content"]
    diff = admin.get(f"{base}/show-ip-route/diff", params={"first": 1}).text
    assert "+S        10.77.0.0/16 [1/0] via 10.0.0.254" in diff
    old = admin.get(f"{base}/show-ip-route", params={"version": 1}).json()
    assert "10.77.0.0" not in old["content"]

    # search: show outputs, configurations, both, one command
    def hits(q: str, **params: object) -> list[tuple[str, str]]:
        found = admin.get("/api/v1/configs/search", params={"q": q, **params}).json()
        return [(h["device"], h["command"]) for h in found]

    assert hits("10.77.0.0/16") == []  # the configuration says 10.77.0.0 255.255.0.0
    assert hits("10.77.0.0/16", kind="operational") == [(ios.name, "show ip route")]
    assert hits("10.77.0.0", kind="all") == [(ios.name, ""), (ios.name, "show ip route")]
    assert hits("10.77.0.0", command="show  ip route") == [(ios.name, "show ip route")]
    assert hits("10.77.0.0", command="show version") == []

    # the outputs are in git too, under the device's show/ folder
    log = admin.get(
        f"/api/v1/devices/{ids[ios.name]}/configs/git/log", params={"command": "show ip route"}
    ).json()
    assert [(e["version"], e["path"]) for e in log] == [
        (2, f"{ios.name}/show/show-ip-route.txt"),
        (1, f"{ios.name}/show/show-ip-route.txt"),
    ]
    assert log[0]["message"].startswith(f"backup {ios.name} 'show ip route' v2")
    blame = admin.get(
        f"/api/v1/devices/{ids[ios.name]}/configs/git/blame", params={"command": "show ip route"}
    ).json()
    added = [line for line in blame["lines"] if line["version"] == 2]
    assert [line["line"] for line in added] == ["S        10.77.0.0/16 [1/0] via 10.0.0.254"]

    # inputs: only some commands, or none
    _backup(runtime, [junos.name], {"commands": ["show system uptime"]})
    junos_ops = admin.get(f"/api/v1/devices/{ids[junos.name]}/operational").json()
    assert "show system uptime" in [o["command"] for o in junos_ops]
    before = len(admin.get(f"/api/v1/devices/{ids[ios.name]}/operational").json())
    ios.ios_config.set_line("ip route 10.78.0.0 255.255.0.0 10.0.0.254")  # type: ignore[union-attr]
    _backup(runtime, [ios.name], {"operational_data": False})
    assert [v["version"] for v in admin.get(f"{base}/show-ip-route/history").json()] == [2, 1]
    assert len(admin.get(f"/api/v1/devices/{ids[ios.name]}/operational").json()) == before

    missing = admin.get(f"{base}/show-clock")
    assert missing.status_code == 404 and missing.json()["detail"].startswith("command:")
    assert admin.get(f"{base}/Show%20Clock").status_code == 422
    gone = admin.get(f"{base}/show-ip-route", params={"version": 9})
    assert gone.status_code == 404 and gone.json()["detail"].startswith("version:")


def test_volatile_parts_are_ignored_and_settings_are_checked(runtime: Runtime) -> None:
    volatile = VolatileFilter(DEFAULT_VOLATILE_PATTERNS)
    first = "sw1 uptime is 2 minutes\nCisco IOS Software, Version 15.9(3)M7\n"
    later = "sw1 uptime is 1 week, 2 days\nCisco IOS Software, Version 15.9(3)M7\n"
    upgraded = "sw1 uptime is 1 minute\nCisco IOS Software, Version 17.3(1)\n"
    with runtime.transaction() as session:
        device = Device(name="v1", host="127.0.0.1", platform="cisco_ios")
        session.add(device)
        session.flush()
        versions = [
            configs.save(
                session, device.id, text, "backup", None, command="show version", volatile=volatile
            )
            for text in (first, later, upgraded)
        ]
    assert [(v.version, v.changed) for v in versions] == [(1, True), (1, False), (2, True)]
    assert "+Cisco IOS Software, Version 17.3(1)" in versions[2].diff
    route = "O  10.1.0.0/24 [110/2] via 10.0.0.1, 00:01:02, Gi0/1\n"
    assert volatile.stable("show ip route", route) == volatile.stable(
        "show ip route", route.replace("00:01:02", "3d04h")
    )
    assert command_slug("show run | include ^ip") == "show-run-include-ip"

    with pytest.raises(ValidationError, match=r"operational_volatile\.show x"):
        Settings(operational_volatile={"show x": ["(a+)+$"]})
    with pytest.raises(ValidationError, match=r"operational_commands\.cisco_ios"):
        Settings(operational_commands={"cisco_ios": ["  "]})
    assert Settings(operational_commands={"x": ["show  ip   route"]}).operational_commands == {
        "x": ["show ip route"]
    }
