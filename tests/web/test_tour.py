"""Every page in the navigation, opened as an admin, an operator and a viewer: each draws its
heading without an error on the page, in the browser's console or in a request to the
server, and a viewer meets no control that changes anything (the API refuses viewers anyway;
the UI must not offer what will be refused). Screenshots of every page."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.sync_api import ConsoleMessage, Page, Request, Response, expect

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
        for role in ("viewer", "operator"):
            client.post(
                "/api/v1/users",
                json={
                    "username": f"tour-{role}",
                    "password": f"walk-{role[:2]}-Passphrase-9",
                    "role": role,
                },
            ).raise_for_status()


class Trouble:
    """What went wrong in the browser while signed in: uncaught errors, console errors and
    requests to this server that failed or were answered 4xx/5xx. Elsewhere (map tiles from
    the internet, which this machine cannot reach) is not the server's business."""

    def __init__(self, page: Page, server: str) -> None:
        self.page, self.server, self.seen = page, server, list[str]()
        self.listeners = {
            "pageerror": lambda error: self.seen.append(f"page error: {error}"),
            "console": self.console,
            "requestfailed": self.failed,
            "response": self.response,
        }

    def console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        if "Failed to load resource" in message.text and not message.location.get(
            "url", ""
        ).startswith(self.server):
            return  # an outside resource (map tiles): offline here
        self.seen.append(f"console: {message.text} at {message.location.get('url')}")

    def failed(self, request: Request) -> None:
        if request.url.startswith(self.server):
            self.seen.append(f"failed: {request.method} {request.url}: {request.failure}")

    def response(self, response: Response) -> None:
        if response.url.startswith(self.server) and response.status >= 400:
            self.seen.append(f"{response.status}: {response.request.method} {response.url}")

    def __enter__(self) -> Trouble:
        for event, listener in self.listeners.items():
            self.page.on(event, listener)  # type: ignore[call-overload]
        return self

    def __exit__(self, *exc: object) -> None:
        for event, listener in self.listeners.items():
            self.page.remove_listener(event, listener)


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


def tour(page: Page, live_api: LiveApi, tmp_path: Path, user: str, password: str) -> list[str]:
    sign_in(page, live_api.url, user, password)
    with Trouble(page, live_api.url) as trouble:
        titles = walk(page, tmp_path, user.removeprefix("tour-"))
        page.wait_for_load_state("networkidle")
    assert not trouble.seen, f"{user}: {trouble.seen}"
    sign_out(page)
    return titles


def test_every_page_as_admin_operator_and_viewer(
    live_api: LiveApi, page: Page, tmp_path: Path
) -> None:
    seed(live_api)
    admin_pages = tour(page, live_api, tmp_path, "admin", TEST_ADMIN_PASSWORD)
    assert {"Devices", "Map", "Topology", "Workflows", "Calendar", "Syslog"} <= set(admin_pages)
    operator_pages = tour(page, live_api, tmp_path, "tour-operator", "walk-op-Passphrase-9")
    viewer_pages = tour(page, live_api, tmp_path, "tour-viewer", "walk-vi-Passphrase-9")
    assert "Users and keys" in admin_pages
    assert "Users and keys" not in operator_pages + viewer_pages
