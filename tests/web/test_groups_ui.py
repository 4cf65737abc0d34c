"""Issue 19, item 5 (the UI): an admin manages groups on the Admin page. Creating "noc"
(operator, fenced to a pool, with a member) makes that viewer an operator at once: their
open browser, reloaded, offers the device page's operator actions it did not before. An
API error shows under the field it names; editing adds a directory group; deleting asks
first and takes the rights away again."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.fixtures.api import LiveApi
from tests.fixtures.browser import shot, sign_in
from tests.fixtures.database import TEST_ADMIN_PASSWORD

PASSWORD = "a-long-enough-password"


def _api(live: LiveApi) -> httpx.Client:
    return httpx.Client(base_url=live.url, headers={"X-API-KEY": live.key}, timeout=60)


def test_admin_manages_groups_and_a_member_gets_their_rights(
    live_api: LiveApi, page: Page, browser: Browser, tmp_path: Path
) -> None:
    with _api(live_api) as client:
        yuri = client.post(
            "/api/v1/users", json={"username": "yuri", "password": PASSWORD, "role": "viewer"}
        )
        assert yuri.status_code == 201, yuri.text
        device = client.post(
            "/api/v1/devices", json={"name": "dx", "host": "10.19.0.1", "platform": "cisco_ios"}
        )
        assert device.status_code == 201, device.text
        pool = client.post("/api/v1/pools", json={"name": "pool-x", "devices": ["dx"]})
        assert pool.status_code == 201, pool.text
    yuri_id, device_id = yuri.json()["id"], device.json()["id"]

    # yuri, a viewer, in their own browser: no operator actions on the device page
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    member = context.new_page()
    try:
        sign_in(member, live_api.url, "yuri", PASSWORD)
        member.goto(f"{live_api.url}/ui/#/devices/{device_id}")
        toolbar = member.get_by_role("region", name="Device dx").locator(".toolbar")
        expect(toolbar.get_by_role("link", name="All devices")).to_be_visible()
        expect(toolbar.get_by_role("button", name="Edit")).to_have_count(0)
        expect(toolbar.get_by_role("link", name="SSH terminal")).to_have_count(0)

        sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
        page.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Users and keys"
        ).click()
        card = page.get_by_role("figure", name="Groups")
        expect(card).to_contain_text("No groups yet.")

        # create noc: operator, fenced to pool-x, yuri a member
        card.get_by_role("button", name="New group").click()
        dialog = page.get_by_role("dialog", name="New group")
        dialog.get_by_label("Name").fill("noc")
        dialog.get_by_label("Role").select_option("operator")
        dialog.get_by_role("group", name="Pools").get_by_label("pool-x").check()
        dialog.get_by_role("group", name="Members").get_by_label("yuri").check()
        dialog.get_by_role("button", name="Create group").click()
        expect(dialog).to_have_count(0)
        row = card.locator("tr[data-group=noc]")
        expect(row).to_contain_text("operator")
        expect(row).to_contain_text("pool-x")
        expect(row).to_contain_text("yuri")
        rights = page.get_by_label("Rights of yuri")
        expect(rights).to_have_text("operator · groups noc · in pool-x")

        # the API's error shows under the field it names
        card.get_by_role("button", name="New group").click()
        dialog.get_by_label("Name").fill("noc")
        dialog.get_by_role("button", name="Create group").click()
        name_field = dialog.locator(".field", has=page.get_by_label("Name"))
        expect(name_field.locator(".field-error")).to_contain_text("a group named 'noc' exists")
        dialog.get_by_role("button", name="Cancel").click()
        expect(dialog).to_have_count(0)

        # edit: add a directory group
        row.get_by_role("button", name="Edit group noc").click()
        edit = page.get_by_role("dialog", name="Edit group noc")
        expect(edit.get_by_role("group", name="Pools").get_by_label("pool-x")).to_be_checked()
        edit.get_by_label("Directory Groups").fill("netops")
        edit.get_by_role("button", name="Save").click()
        expect(edit).to_have_count(0)
        expect(row).to_contain_text("netops")
        expect(card.get_by_role("status")).to_contain_text("Group noc saved.")
        with _api(live_api) as client:
            groups = client.get("/api/v1/groups").json()
        assert [
            (g["name"], g["role"], g["pools"], g["directory_groups"], g["members"]) for g in groups
        ] == [("noc", "operator", ["pool-x"], ["netops"], ["yuri"])]
        shot(page, tmp_path, "issue19-admin-groups")

        # yuri's browser, reloaded: now an operator (the device's edit and terminal)
        member.reload()
        expect(toolbar.get_by_role("button", name="Edit")).to_be_visible()
        expect(toolbar.get_by_role("link", name="SSH terminal")).to_be_visible()

        # delete, after confirming: yuri is a viewer again
        row.get_by_role("button", name="Delete group noc").click()
        confirm = page.get_by_role("alertdialog", name="Delete group noc?")
        expect(confirm).to_contain_text("1 member(s)")
        confirm.get_by_role("button", name="Delete noc").click()
        expect(row).to_have_count(0)
        expect(rights).to_have_text("viewer")
        with _api(live_api) as client:
            assert client.get("/api/v1/groups").json() == []
            answer = client.get(f"/api/v1/users/{yuri_id}/rights").json()
        assert answer == {"role": "viewer", "pools": None, "groups": []}
        member.reload()
        expect(toolbar.get_by_role("link", name="All devices")).to_be_visible()
        expect(toolbar.get_by_role("button", name="Edit")).to_have_count(0)
    finally:
        context.close()
