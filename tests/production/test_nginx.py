"""Issue 20 item 4: the production stack for real. Debian's nginx with the site file of
docs/deployment/nginx-netweave.conf (only its ports, certificate and static directory
swapped) terminates TLS in front of two ``netweave serve`` processes sharing one PostgreSQL
database. Through it: a login and an API call with its cookie, the web terminal's
WebSocket into a lab device, a live run's server-sent events to the end, the UI's hashed
assets from disk with long-lived caching, and the client's address as the proxy saw it (a
client cannot spoof another with X-Forwarded-For)."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from netweave.lab import LabThread
from tests.fixtures.database import ONE_BACKEND, _create_pg_database, _drop_pg_database
from tests.fixtures.lab import first
from tests.fixtures.nginx import STATIC, running_nginx
from tests.fixtures.ports import free_port
from tests.fixtures.processes import stop

pytestmark = ONE_BACKEND
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "nginx-test-password-1234"
CLIENT = "127.0.0.2"  # the test's client binds here: what the servers must record


@dataclass
class Stack:
    url: str  # https://127.0.0.1:PORT, nginx
    ca: Path
    ports: list[int]  # the API processes
    access_log: Path
    api_logs: list[Path]

    def client(self, **kwargs: object) -> httpx.Client:
        verify = ssl.create_default_context(cafile=str(self.ca))
        transport = httpx.HTTPTransport(local_address=CLIENT, verify=verify)
        return httpx.Client(base_url=self.url, transport=transport, timeout=30, **kwargs)  # type: ignore[arg-type]


def _wait_http(url: str, process: subprocess.Popen[str], **kwargs: object) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url, timeout=2, **kwargs).status_code == 200:  # type: ignore[arg-type]
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"{url} did not come up (see the test's api-*.log)")
        time.sleep(0.2)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    if shutil.which("nginx", path="/usr/sbin:/usr/bin") is None:
        pytest.fail("nginx is missing: run `make nginx` (scripts/ensure-nginx)")
    assert (STATIC / "index.html").exists(), "build the UI first: make web"
    name, database = _create_pg_database()
    processes: list[subprocess.Popen[str]] = []
    try:
        ports = [free_port(), free_port()]
        shared = {
            **os.environ,
            "NETWEAVE_MODE": "dev",
            "NETWEAVE_DATABASE_URL": database,
            "NETWEAVE_SECRET_KEY": secrets.token_urlsafe(32),
            "NETWEAVE_ADMIN_PASSWORD": PASSWORD,
            "NETWEAVE_TRUSTED_PROXIES": "127.0.0.1",
            "NETWEAVE_COOKIE_SECURE": "true",
            "NETWEAVE_EMBEDDED_SYSLOG": "false",
            "NETWEAVE_ACCESS_LOG": "false",  # nginx logs the requests (its access log)
        }
        for position, port in enumerate(ports):  # the first migrates and bootstraps
            env = {**shared, "NETWEAVE_DATA_DIR": str(tmp_path / f"api-{position}")}
            with (tmp_path / f"api-{position}.log").open("w") as sink:  # never a full pipe
                process = subprocess.Popen(
                    [sys.executable, "-m", "netweave.cli.main", "serve", "--host", "127.0.0.1",
                     "--port", str(port)],
                    env=env, stdout=sink, stderr=subprocess.STDOUT, text=True,
                )  # fmt: skip
            processes.append(process)
            _wait_http(f"http://127.0.0.1:{port}/health", process)

        https, http = free_port(), free_port()
        with running_nginx(tmp_path, ports, https, http) as nginx:
            redirect = httpx.get(f"http://127.0.0.1:{http}/ui/", timeout=5)
            assert redirect.status_code == 301
            assert redirect.headers["location"].startswith("https://")
            logs = [tmp_path / f"api-{position}.log" for position in range(len(ports))]
            yield Stack(nginx.url, nginx.cert, ports, nginx.access_log, logs)
    finally:
        for process in reversed(processes):
            stop(process, 20)
        _drop_pg_database(name)


def test_login_api_terminal_live_run_and_assets_through_nginx(stack: Stack, lab: LabThread) -> None:
    ios = first(lab, "cisco_ios")
    with stack.client() as browser:
        # a login: the cookie is Secure (TLS ends at the proxy), the session works
        login = browser.post("/api/v1/auth/login", json={"username": "admin", "password": PASSWORD})
        assert login.status_code == 200, login.text
        assert "secure" in login.headers["set-cookie"].lower()
        csrf = {"X-CSRF-Token": browser.cookies.get("netweave_csrf") or ""}
        assert browser.get("/api/v1/auth/me").json()["user"]["username"] == "admin"
        made = browser.post("/api/v1/api-keys", json={"name": "through nginx"}, headers=csrf)
        assert made.status_code == 201, made.text
        key = made.json()["key"]

        # requests reach both API processes
        for _ in range(8):
            assert browser.get("/api/v1/devices").status_code == 200
        upstreams = set(re.findall(r"upstream=127\.0\.0\.1:(\d+)", stack.access_log.read_text()))
        assert {str(port) for port in stack.ports} <= upstreams

        # the client's address is the one the proxy saw, whatever the client claims
        refused = browser.post(
            "/api/v1/auth/login",
            json={"username": "admin", "password": "wrong-password-123"},
            headers={"X-Forwarded-For": "203.0.113.9"},
        )
        assert refused.status_code == 401
        failures = browser.get("/api/v1/audit/auth-failures", params={"limit": 5}).json()
        assert failures["items"][0]["client_ip"] == CLIENT, failures["items"][0]

        # the hashed UI assets come from disk, cached for a year; the page from the API
        page = browser.get("/ui/devices")
        assert page.status_code == 200 and page.headers["cache-control"] == "no-cache"
        asset = re.findall(r'(/ui/assets/[^"]+\.js)', page.text)[0]
        served = browser.get(asset)
        assert served.status_code == 200 and "immutable" in served.headers["cache-control"]
        assert served.content == (STATIC / asset.removeprefix("/ui/")).read_bytes()

    with stack.client(headers={"X-API-KEY": key}) as api:
        credential = {
            "name": "lab", "username": "netweave", "password": "netweave",
            "enable_secret": "netweave", "scope": {"networks": ["127.0.0.0/8"]},
        }  # fmt: skip
        assert api.post("/api/v1/credentials", json=credential).status_code == 201
        device = {"name": ios.name, "host": ios.host, "port": ios.port,
                  "platform": "cisco_ios", "credential": "lab"}  # fmt: skip
        made = api.post("/api/v1/devices", json=device)
        assert made.status_code == 201, made.text
        device_id = made.json()["id"]

        # the web terminal: a WebSocket through the proxy into the device
        context = ssl.create_default_context(cafile=str(stack.ca))
        wss = f"{stack.url.replace('https', 'wss', 1)}/api/v1/devices/{device_id}/terminal"
        with connect(wss, ssl=context, additional_headers={"X-API-KEY": key},
                     open_timeout=30) as ws:  # fmt: skip
            screen, events = "", []
            while "Cisco IOS Software" not in screen:
                frame = ws.recv(timeout=30)
                if isinstance(frame, bytes):
                    screen += frame.decode(errors="replace")
                    if screen.rstrip().endswith(">") and "show version" not in screen:
                        ws.send(b"show version\r")
                else:
                    events.append(json.loads(frame))
            assert any(event["type"] == "connected" for event in events)

        # a live run: its server-sent events arrive through the proxy to the end
        service = {"name": "Clock", "type": "netmiko_commands",
                   "inputs": {"commands": ["show clock"]},
                   "options": {"targets": {"devices": [ios.name]}}}  # fmt: skip
        assert api.post("/api/v1/services", json=service).status_code == 201
        run = api.post("/api/v1/run/Clock", json={})
        assert run.status_code == 201, run.text
        kinds = []
        with api.stream("GET", f"/api/v1/runs/{run.json()['id']}/events") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            for line in stream.iter_lines():
                if line.startswith("event: "):
                    kinds.append(line.removeprefix("event: "))
                    if kinds[-1] == "end":
                        break
        assert kinds[0] == "status" and "result" in kinds and kinds[-1] == "end"

    # NETWEAVE_ACCESS_LOG=false: the requests are in nginx's log, not the API processes'
    assert '"GET /api/v1/devices HTTP/1.1" 200' in stack.access_log.read_text()
    for log in stack.api_logs:
        assert "Application startup complete" in log.read_text()
        assert "GET /api/v1/devices" not in log.read_text()
