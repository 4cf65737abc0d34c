"""Device operations through the API on lab IOS devices: ``file_transfer`` (SCP/SFTP put and
get with the device's checksum, the worker folder's confinement), ``netmiko_prompts``
(copy run start, delete, a question that never comes, reload), ``ping`` and ``traceroute``
from the device (NAPALM) and from the worker (ICMP on loopback)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from netweave.core.runtime import Runtime
from netweave.db.models import Role
from netweave.lab import LabThread, build_specs
from tests.core.automation.conftest import add_inventory
from tests.fixtures.database import ONE_BACKEND

pytestmark = ONE_BACKEND  # devices, files and sockets: the SQL backend plays no part


@pytest.fixture(scope="module")
def ops_lab() -> Iterator[LabThread]:
    """Three IOS devices for this module (a reload and file changes stay here)."""
    with LabThread(build_specs(3, platforms=("cisco_ios",), prefix="ops")) as running:
        yield running


def _service(client: TestClient, name: str, type_: str, inputs: dict[str, Any]) -> None:
    created = client.post("/api/v1/services", json={"name": name, "type": type_, "inputs": inputs})
    assert created.status_code == 201, created.text


def _run(client: TestClient, name: str, device: str, **variables: Any) -> dict[str, Any]:
    """Run a saved service on one device; its one result (with the run's status)."""
    run = client.post(
        f"/api/v1/run/{name}",
        json={"targets": {"devices": [device]}, "variables": variables, "wait": 120},
    )
    assert run.status_code == 201, run.text
    results = client.get(f"/api/v1/runs/{run.json()['id']}/results").json()
    assert len(results) == 1, results
    return {"status": run.json()["status"], **results[0]}


def test_file_put_get_verified_and_confined(
    admin: TestClient, runtime: Runtime, ops_lab: LabThread
) -> None:
    names = add_inventory(admin, ops_lab)
    folder = runtime.settings.effective_file_transfer_dir
    (folder / "images").mkdir(parents=True)
    payload = bytes(range(256)) * 400 + b"end"
    (folder / "images" / "fw.bin").write_bytes(payload)
    device = ops_lab.device(names[1])

    put = {
        "direction": "put",
        "source_file": "images/fw.bin",
        "destination_file": "flash:/{{ device.name }}-fw.bin",
    }
    _service(admin, "Put", "file_transfer", put)
    sent = _run(admin, "Put", names[1])
    assert sent["success"], sent["result"]
    assert sent["result"]["bytes"] == len(payload) and sent["result"]["verified"] is True
    md5 = hashlib.md5(payload).hexdigest()
    assert sent["result"]["checksum"] == {"algorithm": "md5", "local": md5, "device": md5}
    assert device.files.read_bytes(f"{names[1]}-fw.bin") == payload

    again = _run(admin, "Put", names[1])  # overwrite: false
    assert not again["success"] and "exists on the device" in again["result"]["error"]

    get = {
        "direction": "get",
        "protocol": "sftp",
        "source_file": "bootflash:{{ device.name }}-fw.bin",
        "destination_file": "back/{{ device.name }}.bin",
        "verify": "sha512",
    }
    _service(admin, "Get", "file_transfer", get)
    fetched = _run(admin, "Get", names[1])
    assert fetched["success"], fetched["result"]
    assert (folder / "back" / f"{names[1]}.bin").read_bytes() == payload
    checksum = fetched["result"]["checksum"]
    assert checksum["device"] == checksum["local"] == hashlib.sha512(payload).hexdigest()
    assert fetched["result"]["protocol"] == "sftp"

    missing = {**get, "source_file": "flash:nope.bin", "destination_file": "nope.bin"}
    _service(admin, "Get missing", "file_transfer", missing)
    refused = _run(admin, "Get missing", names[1])
    assert not refused["success"] and "nope.bin" in refused["result"]["error"]
    assert list((folder).glob("*nope*")) == [] and list(folder.glob(".netweave-*")) == []

    no_sha256 = {**put, "verify": "sha256", "overwrite": True}
    _service(admin, "Put sha256", "file_transfer", no_sha256)
    unknown = _run(admin, "Put sha256", names[1])
    assert not unknown["success"] and unknown["result"]["error"].startswith("verify:")

    # the worker side stays inside the folder: refused when saved (422 naming the input)...
    bad_paths = ("../secret.key", "/etc/passwd", "images/../../x", "{{ vars.x }}/../../y")
    for number, bad in enumerate(bad_paths):
        inputs = {**put, "source_file": bad}
        body = {"name": f"Bad {number}", "type": "file_transfer", "inputs": inputs}
        answer = admin.post("/api/v1/services", json=body)
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.json()["field"] == "inputs.source_file", answer.text
    (folder / "escape").symlink_to("/etc")
    linked = {
        "name": "Linked",
        "type": "file_transfer",
        "inputs": {**get, "destination_file": "escape/x"},
    }
    assert admin.post("/api/v1/services", json=linked).status_code == 422
    # ... and when a template renders outside it on the worker
    templated = {**put, "source_file": "images/{{ vars.file }}"}
    _service(admin, "Templated", "file_transfer", templated)
    escaped = _run(admin, "Templated", names[1], file="../../secret.key")
    assert not escaped["success"] and escaped["result"]["error"].startswith("source_file:")


def test_prompts_copy_delete_and_a_question_that_never_comes(
    admin: TestClient, client_as: Any, ops_lab: LabThread
) -> None:
    names = add_inventory(admin, ops_lab)
    device = ops_lab.device(names[0])
    operator = client_as(Role.operator)  # not a privileged type: operators author it
    copy = {
        "command": "copy running-config startup-config",
        "prompts": [{"expect": r"Destination filename \[startup-config\]\?", "answer": ""}],
    }
    _service(operator, "Save", "netmiko_prompts", copy)
    assert device.ios_config is not None
    device.ios_config.set_line("ntp server 10.7.7.7")  # unsaved until the copy
    saved = _run(operator, "Save", names[0])
    assert saved["success"], saved["result"]
    assert saved["result"]["steps"][0]["seen"] == "Destination filename [startup-config]?"
    assert "[OK]" in saved["result"]["output"] and "ntp server 10.7.7.7" in device.startup_config

    device.files.write("flash:old.txt", "old")
    delete = {
        "command": "delete flash:{{ vars.file }}",
        "prompts": [
            {"expect": r"Delete filename \[", "answer": ""},
            {"expect": r"Delete \S+\? \[confirm\]", "answer": "y"},
        ],
    }
    _service(operator, "Delete", "netmiko_prompts", delete)
    deleted = _run(operator, "Delete", names[0], file="old.txt")
    assert deleted["success"], deleted["result"]
    assert [s["seen"] for s in deleted["result"]["steps"]] == [
        "Delete filename [old.txt]?",
        "Delete flash:/old.txt? [confirm]",
    ]
    assert device.files.read_bytes("old.txt") is None
    gone = _run(operator, "Delete", names[0], file="old.txt")  # no confirmation asked now
    assert not gone["success"] and "did not ask" in gone["result"]["error"]
    assert "%Error deleting flash:/old.txt" in gone["result"]["steps"][1]["output"]

    never = {"command": "show clock", "prompts": [{"expect": "Proceed", "answer": "y"}]}
    _service(operator, "Never", "netmiko_prompts", never)
    skipped = _run(operator, "Never", names[0])
    assert not skipped["success"] and skipped["result"]["steps"][0]["seen"] is None
    after = _run(operator, "Save", names[0])  # the session was left at its prompt
    assert after["success"], after["result"]

    unsafe = {"command": "show clock", "prompts": [{"expect": "(a+)+$", "answer": "y"}]}
    answer = operator.post(
        "/api/v1/services", json={"name": "Unsafe", "type": "netmiko_prompts", "inputs": unsafe}
    )
    assert answer.status_code == 422 and "expect" in answer.text


def test_reload_drops_the_session_and_the_device_comes_back(
    admin: TestClient, ops_lab: LabThread
) -> None:
    names = add_inventory(admin, ops_lab)
    device = ops_lab.device(names[2])
    reloads = device.reloads
    _service(admin, "Show", "netmiko_commands", {"commands": ["show version"]})
    assert _run(admin, "Show", names[2])["success"]  # a pooled session to drop
    assert device.ios_config is not None
    device.ios_config.set_line("ntp server 10.8.8.8")  # never saved: lost by the reload
    reload = {
        "command": "reload",
        "prompts": [
            {"expect": r"Save\? \[yes/no\]:", "answer": "no"},
            {"expect": r"Proceed with reload\? \[confirm\]", "answer": "y"},
        ],
        "expect_disconnect": True,
    }
    _service(admin, "Reload", "netmiko_prompts", reload)
    done = _run(admin, "Reload", names[2])
    assert done["success"], done["result"]
    assert done["result"]["disconnected"] and device.reloads == reloads + 1
    assert "ntp server 10.8.8.8" not in device.running_config()

    back = _run(admin, "Show", names[2])  # the dead pooled session is replaced
    assert back["success"], back["result"]
    assert "uptime is 0 minutes" in back["result"]["text"]


def test_ping_and_traceroute_from_the_device(admin: TestClient, ops_lab: LabThread) -> None:
    names = add_inventory(admin, ops_lab)
    _service(admin, "Ping", "ping", {"destination": "{{ vars.target }}", "count": 3})
    reachable = _run(admin, "Ping", names[0], target="10.255.0.2")  # another device's loopback
    assert reachable["success"], reachable["result"]
    result = reachable["result"]
    assert (result["sent"], result["received"], result["loss_percent"]) == (3, 3, 0.0)
    assert result["rtt_ms"] == {"min": 1.0, "avg": 1.0, "max": 2.0}
    assert len(result["probes"]) == 3
    lost = _run(admin, "Ping", names[0], target="10.9.9.9")
    assert not lost["success"] and lost["result"]["loss_percent"] == 100.0

    sourced = {"destination": "10.1.0.2", "source_interface": "Loopback0", "vrf": "BLUE"}
    _service(admin, "Ping in VRF", "ping", sourced)
    no_vrf = _run(admin, "Ping in VRF", names[0])
    assert not no_vrf["success"] and "VRF BLUE" in no_vrf["result"]["error"]

    _service(admin, "Trace", "traceroute", {"destination": "{{ vars.target }}", "max_hops": 4})
    traced = _run(admin, "Trace", names[0], target="10.255.0.3")
    assert traced["success"], traced["result"]
    hops = traced["result"]["hops"]
    assert [h["probes"][0]["address"] for h in hops] == ["10.1.0.254", "10.255.0.3"]
    lost_trace = _run(admin, "Trace", names[0], target="10.9.9.9")
    assert not lost_trace["success"] and not lost_trace["result"]["reached"]
    assert len(lost_trace["result"]["hops"]) == 4
    assert lost_trace["result"]["hops"][-1]["probes"][0]["address"] is None


def test_ping_and_traceroute_from_the_worker(
    admin: TestClient, client_as: Any, ops_lab: LabThread
) -> None:
    names = add_inventory(admin, ops_lab)
    operator = client_as(Role.operator)
    worker = {"source": "worker", "destination": "{{ device.host }}", "count": 2, "size": 64}
    _service(operator, "Worker ping", "ping", worker)
    answered = _run(operator, "Worker ping", names[0])
    assert answered["success"], answered["result"]
    assert answered["result"]["received"] == 2
    assert {p["address"] for p in answered["result"]["probes"]} == {"127.0.0.1"}

    # from the worker, nothing but the target devices' own addresses
    elsewhere = {**worker, "destination": "127.0.0.2"}
    _service(operator, "Worker elsewhere", "ping", elsewhere)
    refused = _run(operator, "Worker elsewhere", names[0])
    assert not refused["success"] and refused["result"]["error"].startswith("destination:")
    body = {"name": "W", "type": "ping", "inputs": {**worker, "source_interface": "Gi0/0"}}
    answer = operator.post("/api/v1/services", json=body)
    assert answer.status_code == 422 and "source_interface" in answer.text

    trace = {"source": "worker", "destination": "{{ device.host }}", "timeout": 1}
    _service(operator, "Worker trace", "traceroute", trace)
    traced = _run(operator, "Worker trace", names[0])
    assert traced["success"], traced["result"]
    assert traced["result"]["hops"][0]["probes"][0]["address"] == "127.0.0.1"
