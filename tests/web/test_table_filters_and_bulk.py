"""Issue 15 item 4 in Chromium: table filters are case-insensitive substrings (globs when
`*`/`?` are typed) and say when nothing matches; rows can be selected for bulk edit, delete
and run (operator+); single deletes ask through the confirmation dialog; viewers get none
of it."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.fixtures.api import LiveApi
from tests.fixtures.browser import sign_in, sign_out
from tests.fixtures.database import TEST_ADMIN_PASSWORD

DEVICES = [
    ("lab-ios-01", "cisco_ios", "paris"),
    ("lab-ios-02", "cisco_ios", "paris"),
    ("core-ios-11", "cisco_ios", "lyon"),
    ("lab-junos-01", "juniper_junos", "lyon"),
    ("edge-eos-1", "arista_eos", "nice"),
]


def _seed(live_api: LiveApi) -> None:
    with httpx.Client(base_url=live_api.url, headers={"X-API-KEY": live_api.key}) as client:
        client.post(
            "/api/v1/credentials",
            json={
                "name": "lab",
                "username": "u",
                "password": "p",
                "scope": {"networks": ["10.0.0.0/8"]},
            },
        ).raise_for_status()
        for index, (name, platform, site) in enumerate(DEVICES):
            client.post(
                "/api/v1/devices",
                json={
                    "name": name,
                    "host": f"10.0.0.{index + 1}",
                    "platform": platform,
                    "site": site,
                },
            ).raise_for_status()
        client.post(
            "/api/v1/services",
            json={"name": "Ping", "type": "reachability", "inputs": {"kind": "tcp", "port": 9}},
        ).raise_for_status()
        for user, role in (("ops", "operator"), ("noc", "viewer")):
            client.post(
                "/api/v1/users",
                json={"username": user, "password": f"{role}-pass-long-1", "role": role},
            ).raise_for_status()


def _devices(client: httpx.Client) -> dict[str, dict]:  # type: ignore[type-arg]
    items = client.get("/api/v1/devices", params={"limit": 1000}).json()["items"]
    return {d["name"]: d for d in items}


def _names(table: Locator) -> Locator:
    return table.locator("tbody tr td:nth-child(2)")


def test_filters_substring_glob_and_no_match_message(live_api: LiveApi, page: Page) -> None:
    _seed(live_api)
    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    page.goto(live_api.url + "/ui/#/devices")
    region = page.get_by_role("region", name="Devices")
    table = region.get_by_role("table", name="Devices table")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(5)

    platform = region.get_by_label("Filter Platform")
    platform.fill("juniper")  # part of juniper_junos
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("lab-junos-01")
    platform.fill("")
    expect(rows).to_have_count(5)

    name = region.get_by_label("Filter Name")
    name.fill("LAB-IOS")  # any case
    expect(rows).to_have_count(2)
    expect(table).to_contain_text("lab-ios-01")
    expect(table).to_contain_text("lab-ios-02")
    name.fill("*-ios-?1")  # a glob over the whole name
    expect(rows).to_have_count(2)
    expect(table).to_contain_text("lab-ios-01")
    expect(table).to_contain_text("core-ios-11")
    name.fill("lab-*")
    region.get_by_label("Filter Site").fill("LY")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("lab-junos-01")

    name.fill("no-such-device")
    expect(rows).to_have_count(0)
    expect(region.get_by_role("status")).to_contain_text("No devices match the filters.")
    expect(region.get_by_text("Nothing here yet.")).to_have_count(0)
    region.get_by_role("button", name="Clear filters").click()
    expect(rows).to_have_count(5)
    expect(name).to_have_value("")
    expect(region.get_by_label("Filter Site")).to_have_value("")

    # the search box too (free text), and an empty table still says it is empty
    region.get_by_label("Search Devices").fill("zzz")
    expect(region.get_by_role("button", name="Clear filters")).to_be_visible()
    page.goto(live_api.url + "/ui/#/pools")
    pools = page.get_by_role("region", name="Pools")
    expect(pools.get_by_text("Nothing here yet.")).to_be_visible()
    expect(pools.get_by_role("button", name="Clear filters")).to_have_count(0)


def test_bulk_edit_delete_and_run_on_selected_rows(live_api: LiveApi, page: Page) -> None:
    _seed(live_api)
    sign_in(page, live_api.url, "ops", "operator-pass-long-1")  # an operator
    page.goto(live_api.url + "/ui/#/devices")
    region = page.get_by_role("region", name="Devices")
    table = region.get_by_role("table", name="Devices table")
    expect(table.locator("tbody tr")).to_have_count(5)
    bar = region.get_by_role("region", name="Selection")
    expect(bar).to_have_count(0)

    # select two rows → set the site and the credential on both
    region.get_by_label("Select lab-ios-01").check()
    region.get_by_label("Select core-ios-11").check()
    expect(bar).to_contain_text("2 selected")
    bar.get_by_role("button", name="Edit selected").click()
    dialog = page.get_by_role("dialog", name="Edit 2 devices")
    dialog.get_by_label("Field").select_option(label="Site")
    dialog.get_by_label("New value").fill("berlin")
    dialog.get_by_role("button", name="Set Site on 2 devices").click()
    expect(dialog).to_be_hidden()
    expect(table.get_by_role("row").filter(has_text="berlin")).to_have_count(2)
    expect(bar).to_have_count(0)  # the selection ends with the change
    region.get_by_label("Select lab-ios-01").check()
    region.get_by_label("Select core-ios-11").check()
    bar.get_by_role("button", name="Edit selected").click()
    dialog.get_by_label("Field").select_option(label="Credential")
    dialog.get_by_label("New value").select_option("lab")
    dialog.get_by_role("button", name="Set Credential on 2 devices").click()
    expect(dialog).to_be_hidden()
    with httpx.Client(base_url=live_api.url, headers={"X-API-KEY": live_api.key}) as client:
        found = _devices(client)
    for changed in ("lab-ios-01", "core-ios-11"):
        assert found[changed]["site"] == "berlin" and found[changed]["credential"] == "lab"
    assert found["lab-ios-02"]["site"] == "paris" and found["lab-ios-02"]["credential"] is None

    # run on selected: the run panel opens with the selected devices as its targets
    region.get_by_label("Select lab-ios-02").check()
    region.get_by_label("Select edge-eos-1").check()
    bar.get_by_role("button", name="Run on selected").click()
    run = page.get_by_role("dialog", name="Run on 2 devices")
    expect(run).to_contain_text("Targets: lab-ios-02, edge-eos-1")
    panel = run.get_by_role("form", name="Run a service")
    panel.get_by_label("Service").select_option(label="Ping (reachability)")
    # the run panel's own target picker holds the selected devices
    chosen = panel.locator(".targets")
    expect(chosen).to_contain_text("lab-ios-02")
    expect(chosen).to_contain_text("edge-eos-1")
    expect(chosen).not_to_contain_text("lab-ios-01")
    run.get_by_role("button", name="Close").click()
    expect(run).to_be_hidden()

    # bulk delete asks first, listing what goes; Cancel keeps everything
    bar.get_by_role("button", name="Delete selected").click()
    confirm = page.get_by_role("alertdialog", name="Delete 2 devices?")
    expect(confirm.get_by_role("listitem")).to_have_text(["lab-ios-02", "edge-eos-1"])
    confirm.get_by_role("button", name="Cancel").click()
    expect(confirm).to_be_hidden()
    expect(table.locator("tbody tr")).to_have_count(5)
    bar.get_by_role("button", name="Delete selected").click()
    confirm.get_by_role("button", name="Delete 2 devices").click()
    expect(confirm).to_be_hidden()
    expect(table.locator("tbody tr")).to_have_count(3)
    with httpx.Client(base_url=live_api.url, headers={"X-API-KEY": live_api.key}) as client:
        assert sorted(_devices(client)) == ["core-ios-11", "lab-ios-01", "lab-junos-01"]

    # select all on this page, then a single delete asks through the dialog too
    region.get_by_label("Select all on this page").check()
    expect(bar).to_contain_text("3 selected")
    bar.get_by_role("button", name="Clear selection").click()
    expect(bar).to_have_count(0)
    region.get_by_role("button", name="Delete lab-junos-01").click()
    single = page.get_by_role("alertdialog", name=re.compile("Delete device lab-junos-01"))
    expect(single).to_contain_text("lab-junos-01 will be deleted")
    single.get_by_role("button", name="Confirm delete").click()
    expect(single).to_be_hidden()
    expect(table.locator("tbody tr")).to_have_count(2)


def test_viewer_sees_no_selection_or_bulk_actions(live_api: LiveApi, page: Page) -> None:
    _seed(live_api)
    sign_in(page, live_api.url, "noc", "viewer-pass-long-1")
    page.goto(live_api.url + "/ui/#/devices")
    region = page.get_by_role("region", name="Devices")
    table = region.get_by_role("table", name="Devices table")
    expect(table.locator("tbody tr")).to_have_count(5)
    expect(table.get_by_role("checkbox")).to_have_count(0)
    expect(region.get_by_role("button", name=re.compile("selected"))).to_have_count(0)
    expect(region.get_by_role("button", name="Delete lab-ios-01")).to_have_count(0)
    # and the API refuses what the UI hides
    sign_out(page)
    with httpx.Client(base_url=live_api.url) as client:
        login = client.post(
            "/api/v1/auth/login", json={"username": "noc", "password": "viewer-pass-long-1"}
        )
        assert login.status_code == 200, login.text
        csrf = client.cookies.get("netweave_csrf") or ""
        ids = [d["id"] for d in client.get("/api/v1/devices").json()["items"]][:2]
        refused = client.post(
            "/api/v1/devices/bulk-delete", json={"ids": ids}, headers={"X-CSRF-Token": csrf}
        )
        assert refused.status_code == 403


def test_services_table_bulk_run_refusal_and_bulk_delete(live_api: LiveApi, page: Page) -> None:
    """Tables beyond devices select rows too: services run (each on its defaults; one that
    changes configuration is refused, naming it) or are deleted, all or none."""
    _seed(live_api)
    with httpx.Client(base_url=live_api.url, headers={"X-API-KEY": live_api.key}) as client:
        for name in ("Audit", "Push NTP"):
            client.post(
                "/api/v1/services",
                json={
                    "name": name,
                    "type": "netmiko_config",
                    "inputs": {"config": "ntp server 10.0.0.9"},
                    "options": {"targets": {"devices": ["lab-ios-01"]}},
                },
            ).raise_for_status()
    sign_in(page, live_api.url, "ops", "operator-pass-long-1")
    page.goto(live_api.url + "/ui/#/services")
    region = page.get_by_role("region", name="Services")
    rows = region.get_by_role("table", name="Services table").locator("tbody tr")
    expect(rows).to_have_count(3)
    bar = region.get_by_role("region", name="Selection")
    region.get_by_label("Select Push NTP").check()
    region.get_by_label("Select Ping").check()
    expect(bar).to_contain_text("2 selected")

    # run: asks first, then the API refuses the batch (a configuration push) and says why
    bar.get_by_role("button", name="Run selected").click()
    run = page.get_by_role("alertdialog", name="Run 2 services?")
    expect(run.get_by_role("listitem")).to_have_text(["Push NTP", "Ping"])
    run.get_by_role("button", name="Run 2 services").click()
    expect(run.get_by_role("alert")).to_contain_text("'Push NTP'")
    expect(run.get_by_role("alert")).to_contain_text("open it to run: it changes configuration")
    run.get_by_role("button", name="Cancel").click()
    expect(run).to_be_hidden()

    # delete through the bar's confirmation: both go, the third stays
    bar.get_by_role("button", name="Delete selected").click()
    confirm = page.get_by_role("alertdialog", name="Delete 2 services?")
    expect(confirm).to_contain_text("(all or none)")
    expect(confirm.get_by_role("listitem")).to_have_text(["Push NTP", "Ping"])
    confirm.get_by_role("button", name="Delete 2 services").click()
    expect(confirm).to_be_hidden()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Audit")
    with httpx.Client(base_url=live_api.url, headers={"X-API-KEY": live_api.key}) as client:
        names = [s["name"] for s in client.get("/api/v1/services").json()["items"]]
        assert names == ["Audit"]
        assert client.get("/api/v1/runs").json()["total"] == 0  # the refused batch ran nothing
