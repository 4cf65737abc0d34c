"""Issue 19, items 3 and 5 (the UI): per-object permissions. An admin restricts a service to
group A (read + run) in its Permissions dialog; the Admin page's matrix shows what each
group may do with it; a member of group B no longer sees it, a member of group A does and
sees its permissions read-only (not its owner); opening it again (no grant, not restricted)
gives it back to group B. An API error shows in the dialog, naming the field; no window
dialog ever opens and the browser logs no error but the one the test provokes."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Dialog, Page, expect

from tests.fixtures.api import LiveApi
from tests.fixtures.browser import shot, sign_in
from tests.fixtures.database import TEST_ADMIN_PASSWORD

PASSWORD = "a-long-enough-password"
GROUP_A, GROUP_B = "perm-a", "perm-b"
USER_A, USER_B = "alma", "bruno"


class Watch:
    """Console errors and window dialogs (alert/confirm/prompt) of every page watched once
    signed in (before, the app's question "who am I?" is answered 401, as it should)."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.dialogs: list[str] = []

    def page(self, page: Page) -> Page:
        page.on("console", self.console)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on("dialog", self.dialog)
        return page

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"{message.text} at {message.location.get('url')}")

    def dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()


def _api(live: LiveApi) -> httpx.Client:
    return httpx.Client(base_url=live.url, headers={"X-API-KEY": live.key}, timeout=60)


def _member(
    browser: Browser, watch: Watch, live: LiveApi, user: str
) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    sign_in(page, live.url, user, PASSWORD)
    watch.page(page)
    page.goto(f"{live.url}/ui/#/services")
    # the open service is listed: the table has loaded
    expect(page.get_by_role("link", name="Public", exact=True)).to_be_visible()
    return context, page


def test_admin_restricts_a_service_to_a_group_and_opens_it_again(
    live_api: LiveApi, page: Page, browser: Browser, tmp_path: Path
) -> None:
    watch = Watch()
    with _api(live_api) as client:
        for user in (USER_A, USER_B):
            made = client.post(
                "/api/v1/users", json={"username": user, "password": PASSWORD, "role": "operator"}
            )
            assert made.status_code == 201, made.text
        for group, member in ((GROUP_A, USER_A), (GROUP_B, USER_B)):
            made = client.post(
                "/api/v1/groups", json={"name": group, "role": "operator", "members": [member]}
            )
            assert made.status_code == 201, made.text
        ids = {}
        for name in ("Guarded", "Public"):
            made = client.post(
                "/api/v1/services",
                json={
                    "name": name,
                    "type": "netmiko_commands",
                    "inputs": {"commands": ["show clock"]},
                },
            )
            assert made.status_code == 201, made.text
            ids[name] = made.json()["id"]
    access = f"/api/v1/access/service/{ids['Guarded']}"

    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    watch.page(page)
    page.goto(f"{live_api.url}/ui/#/services")
    page.get_by_role("button", name="Permissions of Guarded").click()
    dialog = page.get_by_role("dialog", name="Permissions of service Guarded")
    expect(dialog.get_by_label("Owner")).to_have_value("admin")
    restricted = dialog.get_by_label("Restricted", exact=True)
    expect(restricted).not_to_be_checked()
    expect(dialog.get_by_role("table", name="Grants")).to_have_count(0)
    restricted.check()
    expect(dialog).to_contain_text("only admins, the owner and the groups below")
    dialog.get_by_role("button", name="Add group").click()
    dialog.get_by_label("Group of grant 1").select_option(GROUP_A)
    read = dialog.get_by_label(f"read for {GROUP_A}")
    run = dialog.get_by_label(f"run for {GROUP_A}")
    expect(read).to_be_checked()  # a new grant reads

    # a grant of nothing: the API's error shows in the dialog, naming the field
    read.uncheck()
    dialog.get_by_role("button", name="Save").click()
    problem = dialog.get_by_role("alert")
    expect(problem).to_contain_text(f"group '{GROUP_A}' is granted nothing")
    expect(problem).to_contain_text("(grants[0])")
    with _api(live_api) as client:
        assert client.get(access).json()["restricted"] is False  # nothing saved

    # run ticks read; saved, the dialog shows what the API answered
    run.check()
    expect(read).to_be_checked()
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_role("status")).to_have_text("Permissions saved.")
    expect(problem).to_have_count(0)
    with _api(live_api) as client:
        saved = client.get(access).json()
    assert saved["restricted"] is True
    assert saved["grants"] == [{"group": GROUP_A, "read": True, "run": True, "edit": False}]
    assert saved["owner"] == "admin"
    shot(page, tmp_path, "issue19-permissions-dialog")
    dialog.get_by_role("button", name="Done").click()
    expect(dialog).to_have_count(0)

    # the Admin page's matrix: group A reads and runs it, group B nothing; Public is open
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users and keys").click()
    card = page.get_by_role("figure", name="Permissions")
    matrix = card.get_by_test_id("access-matrix")
    expect(matrix.get_by_test_id(f"cell-service-Guarded-{GROUP_A}")).to_have_text("read run")
    expect(matrix.get_by_test_id(f"cell-service-Guarded-{GROUP_B}")).to_have_text("")
    expect(matrix.get_by_test_id(f"cell-service-Public-{GROUP_B}")).to_have_text("read run edit")
    expect(matrix.locator("tr[data-object='service-Guarded'] .badge")).to_have_text("restricted")
    expect(matrix.locator("tr[data-object='service-Public'] .badge")).to_have_count(0)
    card.get_by_label("Kind").select_option("pool")
    expect(matrix.get_by_test_id(f"cell-service-Guarded-{GROUP_A}")).to_have_count(0)
    expect(matrix).to_contain_text("Nothing of this kind yet.")
    card.get_by_label("Kind").select_option("")
    expect(matrix.get_by_test_id(f"cell-service-Guarded-{GROUP_A}")).to_have_text("read run")
    shot(page, tmp_path, "issue19-permissions-matrix")

    # group B's member: the service is gone from the list
    context_b, page_b = _member(browser, watch, live_api, USER_B)
    context_a, page_a = _member(browser, watch, live_api, USER_A)
    try:
        expect(page_b.get_by_role("link", name="Guarded", exact=True)).to_have_count(0)
        # group A's member sees it, and its permissions read-only (admin owns it)
        expect(page_a.get_by_role("link", name="Guarded", exact=True)).to_be_visible()
        page_a.get_by_role("button", name="Permissions of Guarded").click()
        theirs = page_a.get_by_role("dialog", name="Permissions of service Guarded")
        expect(theirs.get_by_role("note")).to_contain_text(
            "Read-only: only admins and its owner (admin)"
        )
        expect(theirs).to_contain_text("You may: read, run")
        expect(theirs.get_by_label("Restricted", exact=True)).to_be_checked()
        expect(theirs.get_by_label("Restricted", exact=True)).to_be_disabled()
        expect(theirs.get_by_label(f"run for {GROUP_A}")).to_be_disabled()
        expect(theirs.get_by_role("button", name="Save")).to_be_disabled()
        expect(theirs.get_by_role("button", name="Add group")).to_have_count(0)
        shot(page_a, tmp_path, "issue19-permissions-read-only")
        theirs.get_by_role("button", name="Done").click()
        expect(theirs).to_have_count(0)

        # the admin removes the last grant and opens it again: group B sees it again
        page.goto(f"{live_api.url}/ui/#/services")
        page.get_by_role("button", name="Permissions of Guarded").click()
        expect(dialog.get_by_label(f"run for {GROUP_A}")).to_be_checked()
        dialog.get_by_role("button", name=f"Remove {GROUP_A}").click()
        expect(dialog).to_contain_text("No group: only admins and the owner reach it.")
        dialog.get_by_label("Restricted", exact=True).uncheck()
        dialog.get_by_role("button", name="Save").click()
        expect(dialog.get_by_role("status")).to_have_text("Permissions saved.")
        with _api(live_api) as client:
            opened = client.get(access).json()
        assert (opened["restricted"], opened["grants"]) == (False, [])
        page_b.reload()
        expect(page_b.get_by_role("link", name="Guarded", exact=True)).to_be_visible()
    finally:
        context_a.close()
        context_b.close()

    # the one error the browser logged is the refused save (a 422 on the access endpoint)
    refused = [e for e in watch.errors if "status of 422" in e and e.endswith(access)]
    assert len(refused) == 1, watch.errors
    assert [e for e in watch.errors if e not in refused] == []
    assert watch.dialogs == []
