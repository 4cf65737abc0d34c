"""The real lab itself: FRR routers in namespaces that form real OSPF and BGP adjacencies,
reached over SSH into vtysh with the ``frr`` Netmiko platform; ``netweave lab up --real`` and
``netweave lab down`` leave nothing behind, even after the lab's process is killed."""

from __future__ import annotations

import ctypes
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from netweave.cli.main import app
from netweave.core.runtime import Runtime
from netweave.db.models import Device, Link
from netweave.drivers.base import BaseConnectionArgs
from netweave.drivers.netmiko_driver import NetmikoDriver
from netweave.netlab import RealLab, TopologyError, load
from netweave.netlab.host import PREFIX, namespaces, pids_in
from tests.fixtures.database import ONE_BACKEND

pytestmark = ONE_BACKEND
NETLAB_TOPOLOGY = "ring:3"
PR_SET_PDEATHSIG = 1


def _login(lab: RealLab, name: str) -> BaseConnectionArgs:
    device = next(d for d in lab.devices() if d["name"] == name)
    return BaseConnectionArgs.model_validate(
        {
            "host": device["host"],
            "port": 22,
            "username": device["username"],
            "password": device["password"],
            "device_type": "frr",
        }
    )


def test_routers_form_real_adjacencies_and_answer_in_vtysh(frr_lab: RealLab) -> None:
    r1 = frr_lab.router("r1")
    neighbors = json.loads(r1.vtysh("show ip ospf neighbor json").stdout)["neighbors"]
    # r1 is cabled to r2, r3 (the ring) and s1 (the spoke): three Full adjacencies
    assert sorted(neighbors) == ["198.18.255.2", "198.18.255.3", "198.18.255.4"]
    routes = json.loads(r1.vtysh("show ip route json").stdout)
    assert routes["198.18.255.4/32"][0]["protocol"] in ("ospf", "bgp")  # learned, not typed

    session = NetmikoDriver().connect(_login(frr_lab, "r2"))
    try:
        assert session.info["prompt"] == "r2"  # the login landed in vtysh, named r2
        version, brief, bad = session.run_commands(
            ["show version", "show interface brief", "show ip ospf nbr"], {}
        )
        assert "FRRouting 8.4" in version.stdout and version.exit_status == 0
        assert "198.18.255.2/32" in brief.stdout  # its loopback, from zebra
        assert bad.exit_status == 1 and "% Unknown command" in bad.stdout
        pushed = session.push_config(
            ["interface eth1", " ip ospf cost 70000", " ip ospf cost 7"], {}
        )
        assert not pushed.ok and pushed.failed_line == " ip ospf cost 70000"
        assert re.search(r"% Unknown command: +ip ospf cost 70000", pushed.error or "")
        assert pushed.skipped == [" ip ospf cost 7"]  # the first rejected line stops the push
    finally:
        session.close()
    running = frr_lab.router("r2").vtysh("show running-config").stdout
    assert "ip ospf cost 7\n" not in running and "ip ospf cost 70000" not in running


def test_topology_files_are_checked_with_the_field_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("routers: [{name: r1}, {name: r2}]\nlinks: [{a: r1, b: r9}]\n")
    with pytest.raises(TopologyError, match=r"links\[0\]\.b: no router 'r9'"):
        RealLab(load(bad))
    bad.write_text("routers: [{name: R1}]\n")
    with pytest.raises(TopologyError, match=r"routers\.0\.name"):
        load(bad)
    with pytest.raises(TopologyError, match="ring:N"):
        load("ring:x")


def _lab_namespaces(lab_id: str) -> list[str]:
    return [ns for ns in namespaces() if ns.startswith(f"{PREFIX}{lab_id}-")]


def test_cli_lab_killed_hard_is_removed_by_lab_down(
    tmp_path: Path, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = tmp_path / "lab.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "netweave.cli.main", "lab", "up", "--real",
         "--topology", "ring:2:nospoke", "--manifest", str(manifest), "--no-lldp"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, preexec_fn=_dies_with_us,
    )  # fmt: skip
    try:
        _kill_and_take_down(process, manifest, tmp_path, runtime, monkeypatch)
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(30)


def _dies_with_us() -> None:
    """The lab's process gets SIGTERM (and takes its lab down) if this test's process dies."""
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _kill_and_take_down(
    process: subprocess.Popen[bytes],
    manifest: Path,
    tmp_path: Path,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deadline = time.monotonic() + 90
    while not manifest.exists():
        assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
        assert time.monotonic() < deadline, "the lab did not start in 90 s"
        time.sleep(0.2)
    data = json.loads(manifest.read_text())
    assert data["kind"] == "netlab" and [d["platform"] for d in data["devices"]] == ["frr"] * 2
    assert data["links"] == [
        {"source": "r1", "source_interface": "eth1", "destination": "r2",
         "destination_interface": "eth1"}
    ]  # fmt: skip
    lab_id = data["id"]
    # the manifest seeds an inventory: routers, a credential scoped to the lab, the cable
    monkeypatch.setenv("NETWEAVE_DATABASE_URL", runtime.settings.effective_database_url)
    monkeypatch.setenv("NETWEAVE_DATA_DIR", str(runtime.settings.data_dir))
    seeded = CliRunner().invoke(app, ["lab", "seed", str(manifest)])
    assert seeded.exit_code == 0, seeded.output
    assert "2 routers and 1 cables" in seeded.output
    with runtime.transaction() as session:
        rows = session.execute(select(Device.name, Device.platform, Device.host)).all()
        assert sorted(rows) == sorted((d["name"], "frr", d["host"]) for d in data["devices"])
        assert session.scalar(select(func.count()).select_from(Link)) == 1
    other = tmp_path / "other.json"
    other.write_text('{"devices": []}')  # a simulator's manifest, say
    wrong = CliRunner().invoke(app, ["lab", "seed", str(other)])
    said = re.sub(r"[\s│]+", "", wrong.output)  # Rich's error box wraps long lines
    assert wrong.exit_code == 2 and "notareallab'smanifest(kind:netlab)" in said
    made = _lab_namespaces(lab_id)
    assert len(made) == 3  # two routers and the management network
    os.kill(process.pid, signal.SIGKILL)  # a crash: no clean-up ran
    process.wait(10)
    orphans = [pid for ns in made for pid in pids_in(ns)]
    assert orphans, "the daemons outlive their lab's process"
    down = subprocess.run(
        [sys.executable, "-m", "netweave.cli.main", "lab", "down"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert down.returncode == 0, down.stdout + down.stderr
    assert _lab_namespaces(lab_id) == []
    for pid in orphans:
        assert not Path(f"/proc/{pid}").exists() or _zombie(pid), f"process {pid} survived"
    host_links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    assert f"nwl{lab_id}" not in host_links  # the host's end of the management network too


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True
