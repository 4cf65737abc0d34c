"""Import from eNMS in the browser: an admin picks a zipped migration folder, reads the dry
run's report (what would be created, and what is skipped with the reason), then imports;
nothing is written before the confirmation."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from netweave.lab import LabThread
from tests.core.migration.enms_folder import enms_files, zipped
from tests.fixtures.api import LiveApi
from tests.fixtures.browser import shot, sign_in
from tests.fixtures.database import TEST_ADMIN_PASSWORD


def test_import_from_enms_shows_the_dry_run_report_then_imports(
    live_api: LiveApi, page: Page, lab: LabThread, tmp_path: Path
) -> None:
    archive = tmp_path / "enms-migration.zip"
    archive.write_bytes(zipped(enms_files(lab)))
    headers = {"X-API-KEY": live_api.key}
    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    page.goto(live_api.url + "/ui/#/devices")
    devices = page.get_by_role("region", name="Devices")
    expect(devices.get_by_role("button", name="Import from eNMS")).to_be_visible()
    devices.get_by_label("eNMS file").set_input_files(str(archive))

    report = page.get_by_role("region", name="eNMS import")
    expect(report).to_contain_text("Dry run of enms-migration.zip: nothing written yet.")
    objects = report.get_by_role("table", name="Objects")
    expect(objects.get_by_role("row").filter(has_text="Check").first).to_contain_text("create")
    expect(objects.get_by_role("row", name="Broken flow")).to_contain_text(
        "its step 'Snippet' was skipped"
    )
    expect(objects.get_by_role("row", name="Snippet").first).to_contain_text(
        "python_snippet_service"
    )
    counts = report.get_by_role("table", name="Counts per object type")
    expect(counts.get_by_role("row", name="workflows 1 0 0 1")).to_be_visible()
    shot(page, tmp_path, "enms-import-dry-run")
    with httpx.Client(base_url=live_api.url, headers=headers) as client:
        assert client.get("/api/v1/workflows").json()["total"] == 0  # a dry run only

    report.get_by_role("button", name="Import").click()
    expect(report).to_contain_text("Imported enms-migration.zip.")
    table = devices.get_by_role("table", name="Devices table")
    expect(table.get_by_role("cell", name="edge-lyon", exact=True)).to_be_visible()  # reloaded
    with httpx.Client(base_url=live_api.url, headers=headers) as client:
        assert client.get("/api/v1/workflows").json()["total"] == 1
        assert client.get("/api/v1/tasks").json()["total"] == 2
    report.get_by_role("button", name="Close").click()
    expect(report).to_be_hidden()
