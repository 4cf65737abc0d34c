"""The README's first command, end to end: ``netweave serve --demo`` in a child process."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from netmiko import ConnectHandler

from tests.fixtures.ports import free_port as _free_port


def test_demo_serves_a_seeded_lab_reachable_with_the_printed_key(tmp_path: Path) -> None:
    api_port, lab_port, syslog_port = _free_port(), _free_port("127.1.0.1"), _free_port()
    env = {
        **os.environ,
        "NETWEAVE_DATA_DIR": str(tmp_path / "data"),
        "COLUMNS": "80",  # a plain terminal: the lines a reader copies must not be folded
        "TERM": "dumb",
        "PYTHONUNBUFFERED": "1",
        "NETWEAVE_SYSLOG_PORT": str(syslog_port),
        "NETWEAVE_SYSLOG_HOST": "127.0.0.1",
    }
    for name in ("NETWEAVE_DATABASE_URL", "NETWEAVE_ADMIN_PASSWORD", "NETWEAVE_SECRET_KEY"):
        env.pop(name, None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "netweave.cli.main",
            "serve",
            "--demo",
            "--port",
            str(api_port),
            "--lab-port",
            str(lab_port),
            "--lab-devices",
            "24",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        text=True,
    )
    output = ""
    try:
        deadline = time.monotonic() + 90
        assert process.stdout is not None
        while "Try: curl" not in output and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                break
            output += line
        key = re.search(r"(nwk_[A-Za-z0-9_-]+)", output)
        password = re.search(r"password: (\S+)", output)
        assert key and password, output
        whole = rf"^Try: curl -H 'X-API-KEY: {key.group(1)}' http://127.0.0.1:{api_port}/api/v1/devices$"
        assert re.search(whole, output, re.M), output  # one line, ready to paste
        assert f"data: {tmp_path / 'data'}" in output
        assert "Warning" not in output, output
        base = f"http://127.0.0.1:{api_port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        page = httpx.get(
            f"{base}/api/v1/devices", params={"limit": 100}, headers={"X-API-KEY": key.group(1)}
        ).json()
        assert page["total"] == 24
        assert {d["platform"] for d in page["items"]} == {
            "cisco_ios",
            "arista_eos",
            "juniper_junos",
            "linux",
        }
        assert httpx.get(f"{base}/api/v1/devices").status_code == 401
        login = httpx.post(
            f"{base}/api/v1/auth/login", json={"username": "admin", "password": password.group(1)}
        )
        assert login.status_code == 200
        device = next(d for d in page["items"] if d["platform"] == "cisco_ios")
        assert device["host"].startswith("127.1.0.") and device["port"] == lab_port
        with ConnectHandler(
            device_type="cisco_ios",
            host=device["host"],
            port=device["port"],
            username="netweave",
            password="netweave",
        ) as conn:
            assert f"{device['name']} uptime is" in conn.send_command("show version")
        pools = httpx.get(f"{base}/api/v1/pools", headers={"X-API-KEY": key.group(1)}).json()
        assert {p["name"]: p["device_count"] for p in pools["items"]}["lab-cisco_ios"] == 6
        run = httpx.post(
            f"{base}/api/v1/run/VLAN change",
            json={"variables": {"vlan": 42}, "wait": 120},
            headers={"X-API-KEY": key.group(1)},
            timeout=130,
        ).json()
        assert run["status"] == "success", run
        assert run["summary"]["counts"] == {"success": 6}  # the demo pool of IOS devices
        key_header = {"X-API-KEY": key.group(1)}
        tasks = httpx.get(f"{base}/api/v1/tasks", headers=key_header).json()
        assert [t["name"] for t in tasks["items"]] == ["Nightly backup"]
        assert tasks["items"][0]["next_fire_at"]
        rules = httpx.get(f"{base}/api/v1/event-rules", headers=key_header).json()
        assert [r["name"] for r in rules] == ["Link down"]
        ui = httpx.get(f"{base}/", follow_redirects=True)
        assert ui.status_code == 200 and '<div id="app">' in ui.text  # the built UI
        assert "/ui/assets/" in ui.text
        stats = httpx.get(f"{base}/api/v1/syslog/stats", headers=key_header).json()
        assert stats["listening"]["udp"] == syslog_port
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
    lab_manifest = tmp_path / "data" / "lab-manifest.json"
    deadline = time.monotonic() + 10
    while lab_manifest.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not lab_manifest.exists()  # the lab child process was stopped too
