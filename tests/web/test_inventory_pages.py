"""Inventory tables as an engineer uses them: forms generated from the API's schemas (with
field errors), column filters, edit and delete, viewers without edit controls, Excel import
with its row-by-row error report, CSV export."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.fixtures.api import LiveApi
from tests.fixtures.browser import shot, sign_in, sign_out
from tests.fixtures.database import TEST_ADMIN_PASSWORD


def test_device_forms_filters_edit_delete_and_viewer_controls(
    live_api: LiveApi, page: Page, tmp_path: Path
) -> None:
    headers = {"X-API-KEY": live_api.key}
    with httpx.Client(base_url=live_api.url, headers=headers) as client:
        client.post(
            "/api/v1/credentials",
            json={
                "name": "lab",
                "username": "u",
                "password": "p",
                "scope": {"networks": ["10.0.0.0/8", "127.0.0.0/8"]},
            },
        ).raise_for_status()
        client.post(
            "/api/v1/devices",
            json={"name": "core-1", "host": "10.0.0.2", "platform": "arista_eos", "site": "lon"},
        ).raise_for_status()
        client.post(
            "/api/v1/users",
            json={"username": "noc-viewer", "password": "viewer-pass-1", "role": "viewer"},
        ).raise_for_status()
    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    page.goto(live_api.url + "/ui/#/devices")
    devices = page.get_by_role("region", name="Devices")
    devices.get_by_role("button", name="New device").click()
    dialog = page.get_by_role("dialog", name="New device")
    # The form comes from DeviceCreate: a select for the driver, a number for the port.
    expect(dialog.get_by_label("Driver")).to_have_value("netmiko")
    expect(dialog.get_by_label("Port")).to_have_attribute("type", "number")
    dialog.get_by_label("Name").fill("edge-1")
    dialog.get_by_label("Host").fill("not a host!!")
    dialog.get_by_label("Platform").fill("cisco_ios")
    dialog.get_by_label("Credential").fill("lab")
    dialog.get_by_label("Tags").fill("edge, paris")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog.locator(".field.text", has_text="Host").get_by_role("alert")).to_contain_text(
        "IPv4/IPv6 address or a DNS host name"
    )
    shot(page, tmp_path, "inventory-device-form-error")
    dialog.get_by_label("Host").fill("10.0.0.1")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog).to_be_hidden()
    table = devices.get_by_role("table", name="Devices table")
    row = table.get_by_role("row").filter(has_text="edge-1")
    expect(row).to_contain_text("edge, paris")
    with httpx.Client(base_url=live_api.url, headers=headers) as client:
        created = client.get("/api/v1/devices", params={"name": "edge-1"}).json()["items"][0]
    assert created["credential"] == "lab" and created["tags"] == ["edge", "paris"]

    # Column filter (server side): only the arista device is left.
    devices.get_by_label("Filter Platform").fill("arista_eos")
    expect(table.get_by_role("row").filter(has_text="10.0.0")).to_have_count(1)
    expect(table).to_contain_text("core-1")
    devices.get_by_label("Filter Platform").fill("")
    expect(table.get_by_role("row").filter(has_text="10.0.0")).to_have_count(2)

    devices.get_by_role("button", name="Edit edge-1").click()
    editor = page.get_by_role("dialog", name="Edit edge-1")
    expect(editor.get_by_label("Host")).to_have_value("10.0.0.1")
    editor.get_by_label("Site").fill("par")
    editor.get_by_role("button", name="Save").click()
    expect(editor).to_be_hidden()
    # the Site cell itself: "par" is also part of the tag "paris", already shown before the edit
    expect(row.get_by_role("cell", name="par", exact=True)).to_be_visible()
    shot(page, tmp_path, "inventory-devices")

    devices.get_by_role("button", name="Delete edge-1").click()
    devices.get_by_role("button", name="Confirm delete").click()
    expect(table.get_by_role("row").filter(has_text="edge-1")).to_have_count(0)
    with httpx.Client(base_url=live_api.url, headers=headers) as client:
        assert client.get(f"/api/v1/devices/{created['id']}").status_code == 404

    # A viewer sees the table and the export, no edit controls, no import.
    sign_out(page)
    sign_in(page, live_api.url, "noc-viewer", "viewer-pass-1")
    page.goto(live_api.url + "/ui/#/devices")
    expect(devices.get_by_role("table", name="Devices table")).to_contain_text("core-1")
    expect(devices.get_by_text("Export")).to_be_visible()
    expect(devices.get_by_role("button", name="New device")).to_have_count(0)
    expect(devices.get_by_role("button", name="Edit core-1")).to_have_count(0)
    expect(devices.get_by_role("button", name="Import")).to_have_count(0)


def test_excel_import_reports_bad_rows_then_imports_and_csv_export(
    live_api: LiveApi, page: Page, tmp_path: Path
) -> None:
    headers = {"X-API-KEY": live_api.key}
    with httpx.Client(base_url=live_api.url, headers=headers) as client:
        client.post(
            "/api/v1/devices", json={"name": "seed-1", "host": "10.1.0.1", "platform": "cisco_ios"}
        ).raise_for_status()
        workbook_bytes = client.get("/api/v1/inventory/export", params={"format": "xlsx"}).content
    # The exported workbook is the template: add rows to its devices sheet.
    workbook = load_workbook(io.BytesIO(workbook_bytes))
    sheet = workbook["devices"]
    header = [cell.value for cell in sheet[1]]

    def add(**values: object) -> None:
        sheet.append([values.get(str(column)) for column in header])

    for index in range(1, 6):
        add(name=f"imp-{index}", host=f"10.2.0.{index}", platform="cisco_ios", port=22)
    add(name="imp-bad", host="10.2.0.9", platform="cisco_ios", port=99999)
    bad = tmp_path / "inventory-bad.xlsx"
    workbook.save(bad)
    sheet.delete_rows(sheet.max_row)
    good = tmp_path / "inventory.xlsx"
    workbook.save(good)

    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    page.goto(live_api.url + "/ui/#/devices")
    devices = page.get_by_role("region", name="Devices")
    devices.get_by_label("Import file").set_input_files(str(bad))
    report = devices.get_by_role("figure", name="Import errors")
    expect(report).to_contain_text("inventory-bad.xlsx was not imported")
    bad_row = report.get_by_role("row").filter(has_text="port")
    expect(bad_row).to_contain_text("devices")
    expect(bad_row).to_contain_text("8")  # header + seed-1 + five good rows, then this one
    shot(page, tmp_path, "inventory-import-errors")
    with httpx.Client(base_url=live_api.url, headers=headers) as client:
        assert client.get("/api/v1/devices").json()["total"] == 1  # all or nothing

    devices.get_by_label("Import file").set_input_files(str(good))
    expect(devices.get_by_role("status")).to_contain_text("created 5 devices")
    expect(devices.get_by_role("heading", name="Devices")).to_contain_text("6")
    expect(devices.get_by_role("figure", name="Import errors")).to_have_count(0)
    shot(page, tmp_path, "inventory-imported")

    devices.get_by_text("Export").click()
    with page.expect_download() as download:
        devices.get_by_role("menuitem", name="CSV (devices)").click()
    exported = download.value.path().read_text()
    names = {row["name"] for row in csv.DictReader(io.StringIO(exported))}
    assert names == {"seed-1", *(f"imp-{i}" for i in range(1, 6))}
