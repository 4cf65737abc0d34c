"""The netconf service type through the API on lab devices (Junos and IOS XE over the lab's
NETCONF subsystem): reads with templated filters, edits committed and seen by the CLI, a
dry run, an RPC, and the device's own error message when it refuses an edit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from asyncssh import generate_private_key
from fastapi.testclient import TestClient
from pydantic import SecretStr

from netweave.drivers.base import DriverError, registry
from netweave.lab import LabThread, build_specs, host_key
from tests.core.automation.conftest import add_inventory
from tests.fixtures.database import ONE_BACKEND

pytestmark = ONE_BACKEND  # NETCONF and the lab: the SQL backend plays no part

IF_NS = "urn:ietf:params:xml:ns:yang:ietf-interfaces"
FILTER = """{% if device.platform == 'juniper_junos' %}<configuration><system/></configuration>
{%- else %}<native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"/>{% endif %}"""
DESCRIBE = """{% if device.platform == 'juniper_junos' %}<configuration><interfaces><interface>
<name>ge-0/0/1</name><description>{{ vars.label }} {{ device.name }}</description>
</interface></interfaces></configuration>{% else %}<interfaces xmlns="IF_NS"><interface>
<name>GigabitEthernet0/1</name><description>{{ vars.label }} {{ device.name }}</description>
</interface></interfaces>{% endif %}""".replace("IF_NS", IF_NS)


@pytest.fixture(scope="module")
def nc_lab() -> Iterator[LabThread]:
    """Two Junos devices, an IOS one and a Linux one (no NETCONF), private to the module."""
    specs = build_specs(4, platforms=("juniper_junos", "cisco_ios", "linux"), prefix="ncs")
    with LabThread(specs) as running:
        yield running


def _run(
    client: TestClient, name: str, inputs: dict[str, Any], targets: list[str], label: str = ""
) -> dict[str, Any]:
    created = client.post(
        "/api/v1/services",
        json={"name": name, "type": "netconf", "inputs": {"port": "device", **inputs}},
    )
    assert created.status_code == 201, created.text
    run = client.post(
        f"/api/v1/run/{name}",
        json={"targets": {"devices": targets}, "variables": {"label": label}, "wait": 120},
    )
    assert run.status_code == 201, run.text
    data = run.json()
    results = client.get(f"/api/v1/runs/{data['id']}/results").json()
    data["by_device"] = {r["device"]: r for r in results}
    return data


def test_netconf_service(admin: TestClient, nc_lab: LabThread) -> None:
    add_inventory(admin, nc_lab)
    junos = [d.name for d in nc_lab.devices if d.spec.platform == "juniper_junos"]
    ios = next(d.name for d in nc_lab.devices if d.spec.platform == "cisco_ios")
    names = [*junos, ios]

    read = _run(admin, "Hostnames", {"operation": "get_config", "filter": FILTER}, names)
    assert read["status"] == "success", read["by_device"]
    for name in junos:
        data = read["by_device"][name]["result"]["data"]
        assert data["configuration"]["system"]["host-name"] == name
        assert "interfaces" not in data["configuration"]  # the filter kept <system>
    ios_read = read["by_device"][ios]["result"]
    assert ios_read["data"]["native"]["hostname"] == ios and "<hostname>" in ios_read["reply"]

    edit = _run(
        admin,
        "Describe",
        {"operation": "edit_and_commit", "config": DESCRIBE},
        names,
        label="uplink of",
    )
    assert edit["status"] == "success", edit["by_device"]
    done = edit["by_device"][junos[0]]["result"]
    assert done["datastore"] == "candidate" and done["committed"] is True
    assert [r["rpc"] for r in done["rpcs"]] == ["lock", "edit_config", "commit", "unlock"]
    assert f'description "uplink of {junos[0]}";' in nc_lab.device(junos[0]).running_config()
    assert f" description uplink of {ios}\n" in nc_lab.device(ios).running_config()

    check = _run(
        admin,
        "Interfaces",
        {
            "operation": "get",
            "filter": f'<interfaces xmlns="{IF_NS}"><interface><name>GigabitEthernet0/1'
            "</name></interface></interfaces>",
        },
        [ios],
    )
    entries = check["by_device"][ios]["result"]["data"]["interfaces"]["interface"]
    address = entries[0]["ipv4"]["address"][0]["ip"]  # list entries are lists, even alone
    assert entries == [
        {
            "name": "GigabitEthernet0/1",
            "description": f"uplink of {ios}",
            "type": "ianaift:ethernetCsmacd",
            "enabled": "true",
            "ipv4": {"address": [{"ip": address, "netmask": "255.255.255.0"}]},
        }
    ]
    assert f"ip address {address} 255.255.255.0" in nc_lab.device(ios).running_config()

    preview = _run(
        admin,
        "Preview",
        {"operation": "edit_and_commit", "config": DESCRIBE, "dry_run": True},
        junos[:1],
        label="to be",
    )
    diff = preview["by_device"][junos[0]]["result"]["diff"]
    assert preview["status"] == "success" and "message-id" not in diff
    changed = [line for line in diff.splitlines()[2:] if line[:1] in "+-"]
    assert changed == [  # the one description, not the replies around the data
        f"-        <description>uplink of {junos[0]}</description>",
        f"+        <description>to be {junos[0]}</description>",
    ]
    device = nc_lab.device(junos[0])
    assert device.junos_config is not None and not device.junos_config.dirty
    assert "to be" not in device.running_config()

    refused = _run(
        admin,
        "Jumbo",
        {
            "operation": "edit_and_commit",
            "config": "<configuration><interfaces><interface><name>ge-0/0/1</name>"
            "<mtu>99999</mtu></interface></interfaces></configuration>",
        },
        junos[:1],
    )
    failed = refused["by_device"][junos[0]]
    assert refused["status"] == "failure" and failed["success"] is False
    assert failed["result"]["error"] == "Value 99999 is not within range (256..9216) at '99999'"
    assert failed["result"]["errors"][0]["tag"] == "invalid-value"
    assert [r["rpc"] for r in failed["result"]["rpcs"]][-2:] == ["discard_changes", "unlock"]
    assert not device.junos_config.dirty

    software = _run(
        admin, "Version", {"operation": "rpc", "rpc": "<get-software-information/>"}, junos[:1]
    )
    info = software["by_device"][junos[0]]["result"]["data"]["software-information"]
    assert info["host-name"] == junos[0] and info["junos-version"] == "21.4R3.15"


def test_inputs_checked_when_saved(admin: TestClient) -> None:
    cases = [
        ({"operation": "edit_config"}, "config"),
        ({"operation": "rpc"}, "rpc"),
        (
            {"operation": "get_config", "filter": "<configuration><system></configuration>"},
            "filter",
        ),
        (
            {"operation": "edit_config", "config": '<!DOCTYPE x [<!ENTITY e "y">]><x>&e;</x>'},
            "config",
        ),
        ({"port": 70000}, "port"),
    ]
    for inputs, field in cases:
        response = admin.post(
            "/api/v1/services", json={"name": "Bad", "type": "netconf", "inputs": inputs}
        )
        assert response.status_code == 422, (inputs, response.text)
        assert response.json()["field"] == f"inputs.{field}", response.text


def test_netconf_driver(nc_lab: LabThread) -> None:
    """The driver on its own: RPCs and a config push as the generic job API sends them,
    pinned host keys, and classified login failures."""
    driver = registry.get("netconf")()
    device = next(d for d in nc_lab.devices if d.spec.platform == "juniper_junos")
    args = driver.connection_args(
        host=device.host,
        port=device.port,
        username="netweave",
        password="netweave",
        host_key=host_key().export_public_key().decode().strip(),  # the lab's: accepted
    )
    session = driver.connect(args)
    try:
        version, junk = session.run_commands(["<get-software-information/>", "show version"], {})
        assert version.exit_status == 0 and "<junos-version>21.4R3.15" in version.stdout
        assert junk.exit_status == 1 and "an RPC's XML is expected" in junk.stderr
        pushed = session.push_config(
            [
                "<configuration><interfaces><interface><name>ge-0/0/2</name>",
                "<description>driver push</description></interface></interfaces>",
                "</configuration>",
            ],
            {},
        )
        assert pushed.ok and 'description "driver push";' in device.running_config()
        refused = session.push_config(["<configuration><bogus/></configuration>"], {})
        assert not refused.ok and refused.error == "syntax error"
        assert device.junos_config is not None and not device.junos_config.dirty
    finally:
        session.close()
    assert not session.is_alive()

    failures = {
        "auth_failed": args.model_copy(update={"password": SecretStr("wrong")}),
        "host_key_mismatch": args.model_copy(
            update={"host_key": generate_private_key("ssh-ed25519").export_public_key().decode()}
        ),
        "error": args.model_copy(
            update={"port": next(d.port for d in nc_lab.devices if d.spec.platform == "linux")}
        ),
    }
    for cause, wrong in failures.items():
        with pytest.raises(DriverError) as failed:
            driver.connect(wrong)
        assert failed.value.cause == cause, failed.value.message
    assert "refused the netconf SSH subsystem" in failed.value.message
