"""``make demo-real``: ``netweave serve --demo-real`` in a child process starts real FRR routers
(its own child, ``netweave lab up --real``), seeds them into the inventory with the FRR
workflows, and takes the lab down when the server is stopped."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from netweave.netlab import missing_requirements
from netweave.netlab.host import PREFIX, namespaces
from tests.fixtures.database import ONE_BACKEND
from tests.fixtures.ports import free_port as _free_port

pytestmark = ONE_BACKEND


def _lab_namespaces(lab_id: str) -> list[str]:
    return [ns for ns in namespaces() if ns.startswith(f"{PREFIX}{lab_id}-")]


def test_demo_real_serves_frr_routers_runs_a_workflow_and_stops_the_lab(tmp_path: Path) -> None:
    problem = missing_requirements()
    if problem and ("forbids network namespaces" in problem or "as root" in problem):
        pytest.skip(problem)
    api_port = _free_port()
    data = tmp_path / "data"
    env = {
        **os.environ,
        "NETWEAVE_DATA_DIR": str(data),
        "COLUMNS": "200",
        "TERM": "dumb",
        "PYTHONUNBUFFERED": "1",
        "NETWEAVE_SYSLOG_PORT": str(_free_port()),
    }
    for name in ("NETWEAVE_DATABASE_URL", "NETWEAVE_ADMIN_PASSWORD", "NETWEAVE_SECRET_KEY",
                 "NETWEAVE_SYSLOG_HOST"):  # fmt: skip
        env.pop(name, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "netweave.cli.main", "serve", "--demo-real",
         "--port", str(api_port), "--lab-topology", "ring:2:nospoke"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True,
    )  # fmt: skip
    output = ""
    lab_id = ""
    try:
        deadline = time.monotonic() + 60
        assert process.stdout is not None
        while "Try: curl" not in output and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                break
            output += line
        key = re.search(r"(nwk_[A-Za-z0-9_-]+)", output)
        assert key, output
        manifest = json.loads((data / "netlab-manifest.json").read_text())
        lab_id = manifest["id"]
        host_address = manifest["host_address"]
        # the routers send syslog to the host's end of their management network: there
        assert f"Syslog: udp+tcp {host_address}:" in output, output
        assert len(_lab_namespaces(lab_id)) == 3  # two routers and the management network
        headers = {"X-API-KEY": key.group(1)}
        base = f"http://127.0.0.1:{api_port}/api/v1"
        page = httpx.get(f"{base}/devices", headers=headers).json()
        routers = {d["name"]: d for d in page["items"]}
        assert sorted(routers) == ["r1", "r2"]
        assert {d["platform"] for d in routers.values()} == {"frr"}
        assert routers["r1"]["host"] == host_address.rsplit(".", 1)[0] + ".1"
        stored = httpx.get(f"{base}/credentials", headers=headers).json()
        scope = next(c for c in stored if c["name"] == "netlab")["scope"]
        assert scope["networks"] == [host_address.rsplit(".", 1)[0] + ".0/24"]
        links = httpx.get(f"{base}/links", headers=headers).json()["items"]
        assert [(k["source"], k["destination"]) for k in links] == [("r1", "r2")]
        rules = httpx.get(f"{base}/event-rules", headers=headers).json()
        assert [r["automation"] for r in rules] == ["OSPF diagnostics"]
        run = httpx.post(
            f"{base}/run/OSPF cost change",
            json={"targets": {"devices": ["r1"]}, "variables": {"cost": 33}, "wait": 60},
            headers=headers,
            timeout=70,
        ).json()
        assert run["status"] == "success", run
        path = [p["step"] for p in run["summary"]["devices"]["r1"]["path"]]
        assert path == ["backup", "push", "validate"]  # the adjacency stayed Full: no roll-back
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    assert process.returncode == 0, output
    assert lab_id and _lab_namespaces(lab_id) == []  # the server's stop took the lab down
    assert not (data / "netlab-manifest.json").exists()
