"""Every page in the navigation, opened as an admin and as a viewer: each draws its heading
without an error, and a viewer meets no control that changes anything (the API refuses
viewers anyway; the UI must not offer what will be refused). Screenshots of every page."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.fixtures.api import LiveApi
from tests.fixtures.browser import shot, sign_in, sign_out
from tests.fixtures.database import TEST_ADMIN_PASSWORD

# Controls that change something: what a viewer must never be offered.
EDITING = re.compile(r"^(New |Edit|Delete|Import$|Save|Run|Back up|Pause|Resume)")


def seed(live_api: LiveApi) -> None:
    with httpx.Client(base_url=live_api.url, headers={"X-API-KEY": live_api.key}) as client:
        for index, (site, lat, lon) in enumerate(
            [("paris", 48.85, 2.35), ("london", 51.5, -0.12), ("new-york", 40.7, -74.0)]
        ):
            client.post(
                "/api/v1/devices",
                json={
                    "name": f"tour-{index}",
                    "host": f"10.9.0.{index + 1}",
                    "platform": "cisco_ios",
                    "site": site,
                    "latitude": lat,
                    "longitude": lon,
                },
            ).raise_for_status()
        for a, b in (("tour-0", "tour-1"), ("tour-1", "tour-2")):
            client.post(
                "/api/v1/links",
                json={"source": a, "destination": b, "source_interface": "Gi0/1"},
            ).raise_for_status()
        client.post(
            "/api/v1/services",
            json={
                "name": "Tour",
                "type": "netmiko_commands",
                "inputs": {"commands": ["show clock"]},
            },
        ).raise_for_status()
        client.post(
            "/api/v1/users",
            json={"username": "tour-viewer", "password": "tour-viewer-pass", "role": "viewer"},
        ).raise_for_status()


def walk(page: Page, tmp_path: Path, who: str) -> list[str]:
    nav = page.get_by_role("navigation", name="Main")
    titles = [title.strip() for title in nav.get_by_role("link").all_inner_texts()]
    assert len(titles) >= 10, titles
    for title in titles:
        nav.get_by_role("link", name=title, exact=True).click()
        main = page.locator("main")
        expect(main.get_by_role("heading").first).to_be_visible()
        expect(main.locator(".error[role=alert]")).to_have_count(0)
        expect(main).not_to_contain_text("No page")
        if who == "viewer":
            controls = main.get_by_role("button").all_inner_texts()
            controls += main.get_by_role("link").all_inner_texts()
            offered = [name for name in controls if EDITING.match(name.strip())]
            assert not offered, f"{title}: a viewer is offered {offered}"
        slug = re.sub(r"\W+", "-", title.lower()).strip("-")
        shot(page, tmp_path, f"tour-{who}-{slug}")
    return titles


def test_every_page_as_admin_then_as_viewer(live_api: LiveApi, page: Page, tmp_path: Path) -> None:
    seed(live_api)
    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    admin_pages = walk(page, tmp_path, "admin")
    assert {"Devices", "Map", "Topology", "Workflows", "Calendar", "Syslog"} <= set(admin_pages)
    sign_out(page)
    sign_in(page, live_api.url, "tour-viewer", "tour-viewer-pass")
    viewer_pages = walk(page, tmp_path, "viewer")
    assert "Users and keys" in admin_pages and "Users and keys" not in viewer_pages
