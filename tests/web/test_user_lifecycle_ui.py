"""Issue 19, item 4 in the UI: an admin requires a new password of a local user (and may lift
it), and deletes a user who owns things by handing what they own over to another user, in the
delete confirmation. The heir list offers only active operators and admins (a viewer is not
offered); the API's 409s (what the user owns; what the heir could not own) are shown in the
dialog. A directory user's password is the directory's: "Require new password" is disabled
for them, saying why. No browser dialog (alert, confirm, prompt) opens."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from playwright.sync_api import ConsoleMessage, Dialog, Error, Page, Response, expect

from netweave.db.models import User
from tests.fixtures.api import LiveApi
from tests.fixtures.browser import shot, sign_in
from tests.fixtures.database import TEST_ADMIN_PASSWORD

PASSWORD = "a-long-enough-password"
REACH = {"type": "reachability", "inputs": {"kind": "tcp", "port": 9}}


def _api(live: LiveApi, key: str | None = None) -> httpx.Client:
    headers = {"X-API-KEY": key or live.key}
    return httpx.Client(base_url=live.url, headers=headers, timeout=60)


def _user(client: httpx.Client, name: str, role: str) -> dict:
    made = client.post("/api/v1/users", json={"username": name, "password": PASSWORD, "role": role})
    assert made.status_code == 201, made.text
    return dict(made.json())


def _service_of(live: LiveApi, user_id: int, service: dict) -> int:
    """A service created by the user (with an API key of theirs): they own it."""
    with _api(live) as admin:
        made = admin.post("/api/v1/api-keys", json={"name": "script", "user_id": user_id})
        assert made.status_code == 201, made.text
        key = str(made.json()["key"])
    with _api(live, key) as as_owner:
        made = as_owner.post("/api/v1/services", json=service)
        assert made.status_code == 201, made.text
        return int(made.json()["id"])


def _get(live: LiveApi, path: str) -> httpx.Response:
    with _api(live) as admin:
        return admin.get(path)


@dataclass
class Watch:
    """Browser dialogs (never expected), console errors, page errors and refused API calls
    seen once the admin is signed in (the sign-in page's /auth/me is a 401)."""

    dialogs: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def log(self, msg: ConsoleMessage) -> None:
        if msg.type == "error":
            self.console.append(f"{msg.text} at {msg.location.get('url')}")

    def error(self, error: Error) -> None:
        self.console.append(f"page error: {error}")

    def response(self, response: Response) -> None:
        if "/api/" in response.url and response.status >= 400:
            self.refused.append(f"{response.status} {response.request.method} {response.url}")


def _admin_page(live: LiveApi, page: Page) -> Watch:
    watch = Watch()
    page.on("dialog", watch.dialog)
    page.on("pageerror", watch.error)
    sign_in(page, live.url, "admin", TEST_ADMIN_PASSWORD)
    page.on("response", watch.response)
    page.on("console", watch.log)
    page.goto(live.url + "/ui/#/admin")
    return watch


def test_require_new_password_and_delete_with_handover(
    live_api: LiveApi, page: Page, tmp_path: Path
) -> None:
    with _api(live_api) as admin:
        owner = _user(admin, "owner1", "operator")
        _user(admin, "v1", "viewer")
        _user(admin, "heir1", "operator")
    service_id = _service_of(live_api, owner["id"], {"name": "Check", **REACH})
    user_path = f"/api/v1/users/{owner['id']}"

    watch = _admin_page(live_api, page)
    users = page.get_by_role("figure", name="Users")
    row = users.locator("tr[data-user=owner1]")
    expect(row).to_contain_text("active")
    expect(row).not_to_contain_text("new password due")

    # require a new password, lift it, require it again
    row.get_by_role("button", name="Require new password of owner1").click()
    expect(users.get_by_role("status")).to_contain_text("owner1 must choose a new password")
    expect(row).to_contain_text("new password due")
    assert _get(live_api, user_path).json()["must_change_password"] is True
    row.get_by_role("button", name="Lift required password change of owner1").click()
    expect(row).not_to_contain_text("new password due")
    assert _get(live_api, user_path).json()["must_change_password"] is False
    row.get_by_role("button", name="Require new password of owner1").click()
    expect(row).to_contain_text("new password due")
    assert _get(live_api, user_path).json()["must_change_password"] is True

    # delete: the API says what they own; the dialog offers an heir (not the viewer v1)
    row.get_by_role("button", name="Delete owner1").click()
    dialog = page.get_by_role("alertdialog", name="Delete user owner1?")
    dialog.get_by_role("button", name="Delete owner1").click()
    owns = dialog.get_by_label("What they own")
    expect(owns).to_contain_text("owner1 owns 1 services and workflows")
    expect(owns).to_contain_text("transfer_to")
    heir = dialog.get_by_label("Hand over to")
    expect(heir.locator("option", has_text="heir1")).to_have_count(1)
    offered = [text.split(" (")[0] for text in heir.locator("option").all_inner_texts()]
    assert "v1" not in offered and "owner1" not in offered, offered  # a viewer cannot own
    assert {"admin", "heir1"} <= set(offered), offered
    handover = dialog.get_by_role("button", name="Hand over and delete")
    expect(handover).to_be_disabled()  # until an heir is chosen
    assert _get(live_api, user_path).status_code == 200  # the refused DELETE deleted nothing
    heir.select_option("heir1")
    shot(page, tmp_path, "issue19-delete-handover")
    handover.click()
    expect(dialog).to_have_count(0)
    expect(row).to_have_count(0)
    expect(users.get_by_role("status")).to_contain_text("now belongs to heir1")

    assert _get(live_api, user_path).status_code == 404
    assert "owner1" not in [u["username"] for u in _get(live_api, "/api/v1/users").json()]
    assert _get(live_api, f"/api/v1/services/{service_id}").json()["created_by"] == "heir1"

    assert watch.dialogs == [], watch.dialogs
    # the one refusal expected: the first DELETE (409: they own something), which Chromium
    # also logs as a console error; nothing else went wrong
    deleted = f"{live_api.url}{user_path}"
    assert watch.refused == [f"409 DELETE {deleted}"], watch.refused
    conflict = "Failed to load resource: the server responded with a status of 409 (Conflict)"
    assert watch.console == [f"{conflict} at {deleted}"], watch.console


def test_a_refused_heir_is_shown_and_nothing_is_deleted(live_api: LiveApi, page: Page) -> None:
    """A 409 from the retry (the heir's fence does not hold the service's targets) stays in
    the dialog: owner2 and the service's owner are unchanged."""
    with _api(live_api) as admin:
        device = {"name": "edge-9", "host": "10.9.0.9", "platform": "cisco_ios"}
        assert admin.post("/api/v1/devices", json=device).status_code == 201
        assert admin.post("/api/v1/pools", json={"name": "empty-pool"}).status_code == 201
        owner = _user(admin, "owner2", "operator")
        fenced = _user(admin, "fenced1", "operator")
        put = admin.put(f"/api/v1/users/{fenced['id']}/pools", json={"pools": ["empty-pool"]})
        assert put.status_code == 200, put.text
        directory = _user(admin, "dir1", "operator")
    targets = {"options": {"targets": {"devices": ["edge-9"]}}}
    service_id = _service_of(live_api, owner["id"], {"name": "Reach", **REACH, **targets})
    with live_api.runtime.transaction() as session:  # as a directory sign-in leaves it
        found = session.get(User, directory["id"])
        assert found is not None
        found.source = "directory"

    watch = _admin_page(live_api, page)
    users = page.get_by_role("figure", name="Users")
    # a directory user's password is the directory's: the action is disabled and says why
    require = users.locator("tr[data-user=dir1]").get_by_role(
        "button", name="Require new password of dir1"
    )
    expect(require).to_be_disabled()
    expect(require).to_have_attribute("title", re.compile("directory"))
    row = users.locator("tr[data-user=owner2]")
    expect(row.get_by_role("button", name="Require new password of owner2")).to_be_enabled()

    row.get_by_role("button", name="Delete owner2").click()
    dialog = page.get_by_role("alertdialog", name="Delete user owner2?")
    dialog.get_by_role("button", name="Delete owner2").click()
    heir = dialog.get_by_label("Hand over to")
    expect(heir.locator("option", has_text="fenced1")).to_contain_text("in empty-pool")
    heir.select_option("fenced1")
    dialog.get_by_role("button", name="Hand over and delete").click()
    expect(dialog.get_by_role("alert")).to_contain_text("'Reach' cannot go to fenced1")
    expect(dialog).to_be_visible()
    assert _get(live_api, f"/api/v1/users/{owner['id']}").status_code == 200
    assert _get(live_api, f"/api/v1/services/{service_id}").json()["created_by"] == "owner2"
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    expect(row).to_be_visible()
    assert watch.dialogs == [], watch.dialogs
    assert [line.split(" http")[0] for line in watch.refused] == ["409 DELETE"] * 2, watch.refused
