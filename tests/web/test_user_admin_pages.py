"""Issue 15, item 7: user management in the UI with the API's RBAC. A viewer opening Admin
sees no admin forms (and the page asks the API for nothing it refuses); an admin changes a
role, disables a user (whose API key then gets 401), resets a password to a one-time password
(it signs in once and forces a change), fences a user to pools and deletes a user after
confirming; revoking a key asks first."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.sync_api import Page, Response, expect

from tests.fixtures.api import LiveApi
from tests.fixtures.browser import shot, sign_in, sign_out
from tests.fixtures.database import TEST_ADMIN_PASSWORD

PASSWORD = "a-long-enough-password"


def _api(live: LiveApi) -> httpx.Client:
    return httpx.Client(base_url=live.url, headers={"X-API-KEY": live.key}, timeout=60)


def _user(live: LiveApi, name: str, role: str) -> dict:
    with _api(live) as client:
        made = client.post(
            "/api/v1/users", json={"username": name, "password": PASSWORD, "role": role}
        )
        assert made.status_code == 201, made.text
        return made.json()


def _key_for(live: LiveApi, user_id: int) -> str:
    with _api(live) as client:
        made = client.post("/api/v1/api-keys", json={"name": "script", "user_id": user_id})
        assert made.status_code == 201, made.text
        return str(made.json()["key"])


def _devices_status(live: LiveApi, key: str) -> int:
    with httpx.Client(base_url=live.url, headers={"X-API-KEY": key}, timeout=60) as client:
        return client.get("/api/v1/devices").status_code


def test_non_admins_see_no_admin_forms_and_manage_their_own_keys(
    live_api: LiveApi, page: Page, tmp_path: Path
) -> None:
    _user(live_api, "vera", "viewer")
    refused: list[str] = []

    def watch(response: Response) -> None:
        if "/api/" in response.url and response.status >= 400:
            refused.append(f"{response.status} {response.request.method} {response.url}")

    sign_in(page, live_api.url, "vera", PASSWORD)
    page.on("response", watch)  # once signed in (the sign-in page's /auth/me is a 401)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="My API keys")).to_be_visible()
    expect(nav.get_by_role("link", name="Users and keys")).to_have_count(0)

    page.goto(live_api.url + "/ui/#/admin")  # typed by hand
    region = page.get_by_role("region", name="Users and API keys")
    expect(region.get_by_role("status")).to_contain_text("for admins")
    expect(page.get_by_role("button", name="Add user")).to_have_count(0)
    expect(page.get_by_role("button", name="Create key")).to_have_count(0)
    expect(page.get_by_role("form", name="New user")).to_have_count(0)
    expect(page.get_by_role("figure", name="Users")).to_have_count(0)

    # their own keys: what the API allows a viewer
    nav.get_by_role("link", name="My API keys").click()
    mine = page.get_by_role("region", name="My API keys")
    mine.get_by_label("Key name").fill("laptop")
    expect(mine.get_by_label("Key scope")).to_have_count(0)  # trigger keys need an operator
    mine.get_by_role("button", name="Create key").click()
    expect(mine.get_by_role("status")).to_contain_text("nwk_")
    row = mine.locator("tbody tr", has_text="laptop")
    expect(row).to_contain_text("active")

    # revoking asks first: Cancel keeps the key
    row.get_by_role("button", name="Revoke key laptop").click()
    dialog = page.get_by_role("alertdialog", name="Revoke API key laptop?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    expect(row).to_contain_text("active")
    row.get_by_role("button", name="Revoke key laptop").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Revoke key").click()
    expect(row).to_contain_text("revoked")
    shot(page, tmp_path, "issue15-my-keys")
    assert refused == [], refused  # the pages asked the API for nothing it refuses


def test_admin_manages_users(live_api: LiveApi, page: Page, tmp_path: Path) -> None:
    bob = _user(live_api, "bob", "viewer")
    bob_key = _key_for(live_api, bob["id"])
    with _api(live_api) as client:
        assert client.post("/api/v1/pools", json={"name": "lab-pool"}).status_code == 201
    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users and keys").click()
    users = page.get_by_role("figure", name="Users")
    row = users.locator("tr[data-user=bob]")
    expect(row).to_contain_text("active")
    # yourself: no disable, reset or delete (the API refuses them)
    me = users.locator("tr[data-user=admin]")
    expect(me.get_by_role("button")).to_have_count(0)

    # change a role
    row.get_by_label("Role of bob").select_option("operator")
    expect(users.get_by_role("status")).to_contain_text("bob is now operator")
    with _api(live_api) as client:
        assert client.get(f"/api/v1/users/{bob['id']}").json()["role"] == "operator"

    # disable: bob's API key stops working at once
    assert _devices_status(live_api, bob_key) == 200
    row.get_by_role("button", name="Disable bob").click()
    expect(row).to_contain_text("disabled")
    assert _devices_status(live_api, bob_key) == 401
    row.get_by_role("button", name="Enable bob").click()
    expect(row.get_by_role("button", name="Disable bob")).to_be_visible()
    assert _devices_status(live_api, bob_key) == 200

    # fence to a pool
    row.get_by_role("button", name="Pools of bob").click()
    fence = page.get_by_role("alertdialog", name="Pools of bob")
    fence.get_by_label("lab-pool").check()
    fence.get_by_role("button", name="Save pools").click()
    expect(row).to_contain_text("lab-pool")
    with _api(live_api) as client:
        assert client.get(f"/api/v1/users/{bob['id']}/pools").json()["pools"] == ["lab-pool"]

    # reset the password: asks first, then shows a one-time password once
    row.get_by_role("button", name="Reset password of bob").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Reset password").click()
    notice = users.get_by_role("status", name="One-time password")
    expect(notice).to_contain_text("bob")
    once = notice.locator("code").inner_text().strip()
    assert len(once) >= 12
    shot(page, tmp_path, "issue15-admin-users")
    sign_out(page)

    # the one-time password signs in once and forces a new password
    page.get_by_label("User").fill("bob")
    page.get_by_label("Password").fill(once)
    page.get_by_role("button", name="Sign in").click()
    change = page.get_by_role("form", name="Change password")
    expect(change).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    expect(change.get_by_label("Current password")).to_have_count(0)
    shot(page, tmp_path, "issue15-forced-password-change")
    change.get_by_label("New password (12 characters or more)").fill("he-chose-this-one")
    change.get_by_label("New password again").fill("he-chose-this-one")
    change.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("bob · operator")).to_be_visible()
    sign_out(page)
    page.get_by_label("User").fill("bob")
    page.get_by_label("Password").fill(once)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("wrong username or password")
    page.get_by_label("Password").fill("he-chose-this-one")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("bob · operator")).to_be_visible()
    sign_out(page)

    # delete after confirming; Cancel keeps the user
    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    page.goto(live_api.url + "/ui/#/admin")
    row = page.get_by_role("figure", name="Users").locator("tr[data-user=bob]")
    row.get_by_role("button", name="Delete bob").click()
    dialog = page.get_by_role("alertdialog", name="Delete user bob?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(row).to_be_visible()
    row.get_by_role("button", name="Delete bob").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete bob").click()
    expect(row).to_have_count(0)
    assert _devices_status(live_api, bob_key) == 401
    with _api(live_api) as client:
        log = client.get("/api/v1/changelog", params={"object_type": "user", "name": "bob"})
        actions = {(e["action"], e["actor"]) for e in log.json()["items"]}
    assert ("delete", "admin") in actions and ("update", "admin") in actions


def test_admin_revoke_asks_first(live_api: LiveApi, page: Page) -> None:
    carl = _user(live_api, "carl", "operator")
    _key_for(live_api, carl["id"])
    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    page.goto(live_api.url + "/ui/#/admin")
    keys = page.get_by_role("figure", name="API keys")
    row = keys.locator("tbody tr", has_text="carl")
    expect(row).to_contain_text("active")
    row.get_by_role("button", name="Revoke key script").click()
    dialog = page.get_by_role("alertdialog", name="Revoke API key script?")
    expect(dialog).to_contain_text("of carl")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(row).to_contain_text("active")
    row.get_by_role("button", name="Revoke key script").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Revoke key").click()
    expect(row).to_contain_text(re.compile("revoked"))
