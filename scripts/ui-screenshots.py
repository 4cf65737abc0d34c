#!/usr/bin/env python3
"""Screenshots of the web UI for the docs, taken from a real demo server in Debian's
Chromium: the workflow builder, a service's form, user and group management, a service's
permissions dialog and the admins' permissions matrix, the rollback confirmation with its
dry-run diff and the configuration history as git commits. Written to docs/screenshots/.

    .venv/bin/python scripts/ui-screenshots.py
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
PASSWORD = "screenshots-admin-1234"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def start_demo(data_dir: Path) -> tuple[subprocess.Popen[str], str, str]:
    port = free_port()
    env = {
        **os.environ,
        "NETWEAVE_DATA_DIR": str(data_dir),
        "NETWEAVE_ADMIN_PASSWORD": PASSWORD,
        "NETWEAVE_SYSLOG_PORT": str(free_port()),
        "COLUMNS": "200",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("NETWEAVE_DATABASE_URL", None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "netweave.cli.main",
            "serve",
            "--demo",
            "--port",
            str(port),
            "--lab-port",
            str(free_port("127.1.0.1")),
            "--lab-devices",
            "12",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        text=True,
    )
    output, deadline = "", time.monotonic() + 120
    assert process.stdout is not None
    while "Try: curl" not in output and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            raise SystemExit(f"the demo did not start:\n{output}")
        output += line
    key = re.search(r"(nwk_[A-Za-z0-9_-]+)", output)
    if key is None:
        raise SystemExit(f"no API key in the demo's output:\n{output}")
    return process, f"http://127.0.0.1:{port}", key.group(1)


def two_config_versions(api: httpx.Client) -> tuple[int, str]:
    """A lab IOS device with two stored configurations, the second with an NTP server more."""
    devices = api.get("/api/v1/devices", params={"platform": "cisco_ios", "limit": 1}).json()
    device = devices["items"][0]
    base = f"/api/v1/devices/{device['id']}/configs"
    api.post(f"{base}/backup", params={"wait": 60}, timeout=90).raise_for_status()
    push = {
        "config": "ntp server 192.0.2.10\nlogging host 192.0.2.20",
        "dry_run": False,
        "wait": 60,
    }
    api.post(f"{base}/push", json=push, timeout=90).raise_for_status()
    api.post(f"{base}/backup", params={"wait": 60}, timeout=90).raise_for_status()
    return int(device["id"]), str(device["name"])


def permissions_dialog(page: Page, url: str, service: str) -> None:
    """A service restricted to its owner and the group neteng (read and run), saved in its
    Permissions dialog from the services table and reopened: the stored state."""
    page.goto(f"{url}/ui/#/services")
    button = page.get_by_role("button", name=f"Permissions of {service}", exact=True)
    button.click()
    dialog = page.get_by_role("dialog", name=f"Permissions of service {service}")
    dialog.get_by_label("Owner").fill("alice")
    dialog.get_by_label("Restricted", exact=True).check()
    dialog.get_by_role("button", name="Add group").click()
    dialog.get_by_label("Group of grant 1").select_option("neteng")
    dialog.get_by_label("run for neteng").check()  # ticks read too
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_role("status")).to_have_text("Permissions saved.")
    dialog.get_by_role("button", name="Done").click()
    expect(dialog).to_have_count(0)
    button.click()
    expect(dialog.get_by_label("run for neteng")).to_be_checked()
    expect(dialog.get_by_label("read for neteng")).to_be_checked()
    expect(dialog.get_by_label("Owner")).to_have_value("alice")


def shoot(page: Page, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(400)  # let transitions settle: a still picture, not a test
    page.screenshot(path=str(OUT / f"{name}.png"))
    print(f"  {OUT / f'{name}.png'}")


def main() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="netweave-shots-"))
    process, url, key = start_demo(data_dir)
    try:
        with httpx.Client(base_url=url, headers={"X-API-KEY": key}) as api:
            device_id, device_name = two_config_versions(api)
            workflow = next(
                w
                for w in api.get("/api/v1/workflows").json()["items"]
                if w["name"] == "VLAN change"
            )
            service = api.get("/api/v1/services").json()["items"][0]
            for name, role in (("alice", "operator"), ("bob", "viewer")):
                body = {"username": name, "password": "demo-user-passphrase-123", "role": role}
                api.post("/api/v1/users", json=body).raise_for_status()
            bob = next(u for u in api.get("/api/v1/users").json() if u["username"] == "bob")
            api.patch(f"/api/v1/users/{bob['id']}", json={"is_active": False}).raise_for_status()
            pools = [p["name"] for p in api.get("/api/v1/pools").json()["items"]][:1]
            for group in (
                {
                    "name": "noc",
                    "description": "Network operations",
                    "role": "operator",
                    "pools": pools,
                    "directory_groups": ["netops"],
                    "members": ["alice"],
                },
                {
                    "name": "auditors",
                    "role": "viewer",
                    "directory_groups": ["audit"],
                    "members": ["bob"],
                },
                {"name": "neteng", "role": "operator"},  # granted a service in its dialog
            ):
                api.post("/api/v1/groups", json=group).raise_for_status()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            expect.set_options(timeout=30_000)
            page.goto(f"{url}/ui/")
            page.get_by_label("User").fill("admin")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("button", name="Sign out")).to_be_visible()

            page.goto(f"{url}/ui/#/workflows/{workflow['id']}")
            expect(page.get_by_text("Push VLAN").first).to_be_visible()
            shoot(page, "workflow-builder")

            page.goto(f"{url}/ui/#/services/{service['id']}")
            page.locator("details.options > summary").click()  # the options, unfolded
            expect(page.get_by_role("group", name="Options")).to_be_visible()
            shoot(page, "service-form")

            page.goto(f"{url}/ui/#/admin")
            expect(page.get_by_role("heading").first).to_be_visible()
            shoot(page, "admin-users")

            groups = page.get_by_role("figure", name="Groups")
            groups.get_by_role("button", name="Edit group noc").click()
            expect(page.get_by_role("group", name="Members")).to_be_visible()
            shoot(page, "admin-groups")
            page.keyboard.press("Escape")

            permissions_dialog(page, url, service["name"])
            shoot(page, "permissions-dialog")
            page.keyboard.press("Escape")

            page.goto(f"{url}/ui/#/admin")
            matrix = page.get_by_test_id("access-matrix")
            expect(matrix.locator(f'tr[data-object="service-{service["name"]}"]')).to_contain_text(
                "restricted"
            )
            page.get_by_role("figure", name="Permissions", exact=True).evaluate(
                "card => card.scrollIntoView({block: 'start'})"
            )
            shoot(page, "admin-permissions")

            page.goto(f"{url}/ui/#/devices/{device_id}/configs")
            page.get_by_role("button", name="Roll back to v1").click()
            dialog = page.get_by_role("alertdialog", name=f"Roll back {device_name} to v1")
            expect(
                dialog.get_by_role("button", name=f"Roll back {device_name} to v1")
            ).to_be_enabled()
            shoot(page, "rollback-dialog")

            # the same history as git commits, their diff from the repository
            page.keyboard.press("Escape")
            expect(dialog).to_have_count(0)
            history = page.get_by_role("figure", name="Configuration difference")
            expect(history).to_contain_text(" → ")  # the two commits' shas
            page.set_viewport_size({"width": 1200, "height": 640})
            shoot(page, "config-git")
            browser.close()
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


if __name__ == "__main__":
    main()
