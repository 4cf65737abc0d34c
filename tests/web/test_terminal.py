"""The web SSH terminal in real headless Chromium: open a lab device's terminal, type
`show version`, read it in xterm's rendered rows, follow the window size, reconnect, then
find the session (and its transcript) in the Terminal sessions audit."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from netweave.lab import LabThread
from tests.fixtures.api import LiveApi
from tests.fixtures.browser import shot, sign_in
from tests.fixtures.database import TEST_ADMIN_PASSWORD
from tests.fixtures.lab import first


def test_terminal_show_version_and_audit(
    live_api: LiveApi, page: Page, lab: LabThread, tmp_path: Path
) -> None:
    ios = first(lab, "cisco_ios")
    with httpx.Client(
        base_url=live_api.url, headers={"X-API-KEY": live_api.key}, timeout=30
    ) as client:
        client.post(
            "/api/v1/credentials",
            json={
                "name": "lab",
                "username": "netweave",
                "password": "netweave",
                "scope": {"networks": ["127.0.0.0/8"]},
            },
        ).raise_for_status()
        answer = client.post(
            "/api/v1/devices",
            json={
                "name": ios.name,
                "host": ios.host,
                "port": ios.port,
                "platform": "cisco_ios",
                "credential": "lab",
            },
        )
        answer.raise_for_status()
        device_id = answer.json()["id"]

    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    page.goto(f"{live_api.url}/ui/#/devices/{device_id}/terminal")
    view = page.get_by_role("region", name=f"Terminal {ios.name}")
    expect(view.get_by_role("heading", name="Terminal")).to_contain_text(ios.name)
    status = view.get_by_role("status", name="Terminal status")
    expect(status).to_contain_text("Connected")
    rows = view.locator(".xterm-rows")
    expect(rows).to_contain_text(f"{ios.name}>")  # the device's prompt, rendered by xterm
    view.locator(".xterm").click()
    page.keyboard.type("show version")
    page.keyboard.press("Enter")
    expect(rows).to_contain_text("Cisco IOS Software")
    expect(rows).to_contain_text("Configuration register is 0x2102")
    shot(page, tmp_path, "terminal-page")

    # the terminal follows its container: a smaller window, fewer rows and columns
    before = rows.locator(":scope > div").count()
    page.set_viewport_size({"width": 900, "height": 560})
    expect(rows.locator(":scope > div")).not_to_have_count(before)
    page.keyboard.type("show version | include uptime")
    page.keyboard.press("Enter")
    expect(rows).to_contain_text("uptime is")

    # the device ends the session; Reconnect opens a new one
    page.keyboard.type("exit")
    page.keyboard.press("Enter")
    expect(status).to_contain_text("Closed")
    expect(status).to_contain_text(f"{ios.name} closed the session")
    shot(page, tmp_path, "terminal-closed")
    page.set_viewport_size({"width": 1280, "height": 800})
    status.get_by_role("button", name="Reconnect").click()
    expect(status).to_contain_text("Connected")
    expect(rows).to_contain_text("reconnecting")
    status.get_by_role("button", name="Disconnect").click()
    expect(status).to_contain_text("Closed")

    # the audit: both sessions, newest first, with what was typed
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Terminal sessions"
    ).click()
    audit = page.get_by_role("region", name="Terminal sessions")
    expect(audit.get_by_role("heading", name="Terminal sessions")).to_contain_text("2")
    table = audit.get_by_role("table", name="Terminal sessions table")
    expect(table.locator("tbody tr")).to_have_count(2)
    oldest = table.locator("tbody tr").nth(1)
    expect(oldest).to_contain_text(ios.name)
    expect(oldest).to_contain_text("admin")
    expect(oldest).to_contain_text(f"{ios.name} closed the session")
    shot(page, tmp_path, "terminal-sessions")
    oldest.get_by_role("link").first.click()
    session = page.get_by_role("region", name="Terminal session")
    transcript = session.get_by_label("Transcript")
    expect(transcript).to_contain_text("show version\nshow version | include uptime\nexit")
    expect(transcript).not_to_contain_text("netweave")
    shot(page, tmp_path, "terminal-session")

    # a wrong stored password: said in the terminal and in the status line
    with httpx.Client(
        base_url=live_api.url, headers={"X-API-KEY": live_api.key}, timeout=30
    ) as client:
        client.post(
            "/api/v1/credentials",
            json={
                "name": "stale",
                "username": "netweave",
                "password": "an-old-password",
                "scope": {"networks": ["127.0.0.0/8"]},
            },
        ).raise_for_status()
        stale = client.post(
            "/api/v1/devices",
            json={
                "name": "stale-login",
                "host": ios.host,
                "port": ios.port,
                "platform": "cisco_ios",
                "credential": "stale",
            },
        ).json()["id"]
    page.goto(f"{live_api.url}/ui/#/devices/{stale}/terminal")
    view = page.get_by_role("region", name="Terminal stale-login")
    status = view.get_by_role("status", name="Terminal status")
    expect(status).to_contain_text("Closed")
    expect(status).to_contain_text("authentication failed")
    expect(view.locator(".xterm-rows")).to_contain_text("*** stale-login: authentication failed")
    expect(status.get_by_role("button", name="Reconnect")).to_be_visible()
    shot(page, tmp_path, "terminal-error")
