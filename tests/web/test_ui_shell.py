"""The UI in real headless Chromium (Debian's, driven by Playwright): sign in, see the
inventory paged server-side, sign out. Screenshots land in the test's tmp dir."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from netweave.core.inventory import devices
from netweave.core.inventory.schemas import DeviceCreate
from netweave.lab import LabThread
from tests.fixtures.api import LiveApi
from tests.fixtures.browser import sign_in, sign_out
from tests.fixtures.database import TEST_ADMIN_PASSWORD


def test_sign_in_browse_devices_sign_out(live_api: LiveApi, page: Page, tmp_path: Path) -> None:
    with live_api.runtime.transaction() as session:
        session.info["audit_actor"] = "admin"
        for number in range(120):
            devices.create_device(
                session,
                DeviceCreate(
                    name=f"edge-{number:03d}",
                    host=f"10.0.{number // 250}.{number % 250 + 1}",
                    platform="cisco_ios",
                    site="paris",
                ),  # type: ignore[call-arg]
            )
    page.goto(live_api.url + "/")
    expect(page.get_by_role("heading", name="NetWeave")).to_be_visible()
    page.get_by_label("User").fill("admin")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("wrong username or password")
    page.get_by_label("Password").fill(TEST_ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("admin · admin")).to_be_visible()
    # the landing page: the dashboard
    dashboard = page.get_by_role("region", name="Dashboard")
    expect(dashboard.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(dashboard.locator(".tile").first).to_contain_text("120devices")
    expect(page.get_by_role("figure", name="Devices by site")).to_contain_text("paris")
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Devices").click()
    expect(page.get_by_role("heading", name="Devices")).to_contain_text("120")
    rows = page.locator("table.grid tbody tr")
    expect(rows).to_have_count(50)
    expect(rows.first).to_contain_text("edge-000")
    page.screenshot(path=str(tmp_path / "devices.png"), full_page=True)
    page.get_by_role("button", name="Next").click()
    expect(rows.first).to_contain_text("edge-050")
    expect(page.get_by_text("51\u2013100 of 120")).to_be_visible()
    page.get_by_label("Search Devices").fill("edge-11")
    expect(rows).to_have_count(10)  # edge-110 … edge-119, filtered server-side
    page.get_by_label("Search Devices").fill("")
    page.get_by_role("button", name="Name").click()
    page.get_by_role("button", name="Name ▲").click()  # second click: descending
    expect(rows.first).to_contain_text("edge-119")

    # every list of the navigation opens on its table, without an error
    for title in (
        "Links",
        "Pools",
        "Credentials",
        "Bastions",
        "Services",
        "Workflows",
        "Runs",
        "Tasks",
        "Syslog",
        "Event rules",
        "Changelog",
    ):
        page.get_by_role("navigation", name="Main").get_by_role("link", name=title).click()
        expect(page.get_by_role("heading", name=title)).to_be_visible()
        expect(page.get_by_role("alert")).to_have_count(0)
    page.get_by_label("Search Changelog").fill("edge-000")
    expect(page.locator("table.grid tbody tr")).to_have_count(1)
    expect(page.locator("table.grid tbody tr").first).to_contain_text("admin")
    page.screenshot(path=str(tmp_path / "changelog.png"), full_page=True)

    sign_out(page)
    page.reload()  # the cookie is gone: still signed out
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_admin_manages_users_and_keys_and_navigation_follows_roles(
    live_api: LiveApi, page: Page, tmp_path: Path
) -> None:
    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Users and keys").click()
    users = page.get_by_role("figure", name="Users")
    page.get_by_label("New username").fill("noc-operator")
    page.get_by_label("New password").fill("short")
    page.get_by_role("button", name="Add user").click()
    expect(page.get_by_role("alert")).to_contain_text("password")  # the API's own message
    page.get_by_label("New password").fill("a-long-enough-password")
    page.get_by_label("New role").select_option("operator")
    page.get_by_role("button", name="Add user").click()  # a cookie session: CSRF header sent
    row = users.get_by_role("row", name=re.compile(r"^noc-operator operator .*\bactive\b"))
    expect(row).to_be_visible()

    keys = page.get_by_role("figure", name="API keys")
    page.get_by_label("Key name").fill("itsm")
    page.get_by_label("Key scope").select_option("trigger")
    page.get_by_role("button", name="Create key").click()
    expect(keys.get_by_role("status")).to_contain_text("nwk_")
    row = keys.get_by_role("row").filter(has_text="itsm")
    expect(row).to_contain_text("trigger")
    page.screenshot(path=str(tmp_path / "admin.png"), full_page=True)
    row.get_by_role("button", name="Revoke").click()
    expect(row).not_to_contain_text("revoked")  # not before it is confirmed
    page.get_by_role("alertdialog", name="Revoke API key itsm?").get_by_role(
        "button", name="Revoke key"
    ).click()
    expect(row).to_contain_text("revoked")
    sign_out(page)

    sign_in(page, live_api.url, "noc-operator", "a-long-enough-password")
    expect(nav.get_by_role("link", name="Users and keys")).to_have_count(0)
    page.goto(live_api.url + "/ui/#/admin")  # typed by hand: no admin form is offered
    expect(page.get_by_role("status")).to_contain_text("is for admins")
    expect(page.get_by_role("button", name="Add user")).to_have_count(0)
    with httpx.Client(base_url=live_api.url) as client:  # and the API still says no
        client.post(
            "/api/v1/auth/login",
            json={"username": "noc-operator", "password": "a-long-enough-password"},
        ).raise_for_status()
        assert client.get("/api/v1/users").status_code == 403


def test_run_results_viewer(live_api: LiveApi, page: Page, lab: LabThread, tmp_path: Path) -> None:
    headers = {"X-API-KEY": live_api.key}
    ios = [d for d in lab.devices if d.spec.platform == "cisco_ios"]
    with httpx.Client(base_url=live_api.url, headers=headers, timeout=60) as client:
        client.post(
            "/api/v1/credentials",
            json={
                "name": "lab",
                "username": "netweave",
                "password": "netweave",
                "enable_secret": "netweave",
                "scope": {"networks": ["127.0.0.0/8"]},
            },
        )
        for device in ios:
            client.post(
                "/api/v1/devices",
                json={
                    "name": device.name,
                    "host": device.host,
                    "port": device.port,
                    "platform": "cisco_ios",
                    "credential": "lab",
                },
            )
        client.post(
            "/api/v1/services",
            json={
                "name": "Clock",
                "type": "netmiko_commands",
                "inputs": {"commands": ["show version | include uptime"]},
            },
        )
        run = client.post(
            "/api/v1/run/Clock", json={"targets": {"devices": [d.name for d in ios]}, "wait": 60}
        ).json()
    assert run["status"] == "success"
    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Runs").click()
    page.get_by_role("link", name="Clock").click()
    view = page.get_by_role("region", name="Run Clock")
    expect(view.get_by_role("heading", name="Clock")).to_contain_text("success")
    devices = view.get_by_role("table", name="Devices")
    expect(devices.get_by_role("row")).to_have_count(len(ios) + 1)
    expect(devices).to_contain_text("Clock")  # the path: the single step, by its name
    results = view.get_by_role("table", name="Results")
    results.get_by_role("button", name="Details").first.click()
    expect(view.get_by_label("Logs", exact=True)).to_contain_text("show version")
    expect(view.get_by_label("Result", exact=True)).to_contain_text('"outputs"')
    view.get_by_label(re.compile(r"Compare result \d+")).nth(0).check()
    view.get_by_label(re.compile(r"Compare result \d+")).nth(1).check()
    view.get_by_role("button", name="Compare selected").click()
    expect(view.get_by_label("Difference", exact=True)).to_contain_text("--- result")
    page.screenshot(path=str(tmp_path / "run.png"), full_page=True)
