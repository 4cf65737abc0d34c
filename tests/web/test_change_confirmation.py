"""Issue 15, item 3: nothing changes a device from the UI before a confirmation that shows a
dry-run diff. "Roll back to v1" on the device page and running a configuration service
from the Run panel first preview the change (the API's dry-run modes), show the +/- lines
(or "No change"), and act only on the confirm button; Cancel leaves the device as it was.
The device's running configuration is read from the lab device itself."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from netweave.lab import LabThread
from tests.fixtures.api import LiveApi
from tests.fixtures.browser import shot, sign_in
from tests.fixtures.database import TEST_ADMIN_PASSWORD
from tests.web.test_device_and_service_pages import seed_ios


def _runs_named(client: httpx.Client, name: str) -> list[dict[str, object]]:
    items = client.get("/api/v1/runs", params={"limit": 200}).json()["items"]
    return [run for run in items if run["name"] == name]


def test_rollback_asks_with_a_dry_run_diff_and_changes_nothing_until_confirmed(
    live_api: LiveApi, page: Page, lab: LabThread, tmp_path: Path
) -> None:
    with httpx.Client(
        base_url=live_api.url, headers={"X-API-KEY": live_api.key}, timeout=120
    ) as client:
        device = seed_ios(client, lab)[1]
        name, ident = str(device["name"]), device["id"]
        lab_device = lab.device(name)
        original = lab_device.running_config()
        try:
            first = client.post(f"/api/v1/devices/{ident}/configs/backup").json()
            assert first["status"] == "success", first
            pushed = client.post(
                f"/api/v1/devices/{ident}/configs/push",
                json={"config": "ntp server 10.47.4.7\nlogging host 10.48.4.8", "dry_run": False},
            ).json()
            assert pushed["status"] == "success", pushed
            second = client.post(f"/api/v1/devices/{ident}/configs/backup").json()
            assert second["status"] == "success", second
            changed = lab_device.running_config()
            assert "logging host 10.48.4.8" in changed

            sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
            page.goto(f"{live_api.url}/ui/#/devices/{ident}")
            view = page.get_by_role("region", name=f"Device {name}")
            view.get_by_role("tab", name="Configuration").click()
            versions = view.get_by_role("table", name="Configuration versions")
            expect(versions.get_by_role("row")).to_have_count(3)

            # 1. The button opens a dialog with the dry run's diff; the device is unchanged.
            versions.get_by_role("button", name="Roll back to v1").click()
            dialog = page.get_by_role("alertdialog", name=f"Roll back {name} to v1")
            diff = dialog.get_by_role("figure", name=f"Changes on {name}")
            expect(diff.locator(".diff-line.del")).to_have_text(
                ["-ntp server 10.47.4.7", "-!", "-logging host 10.48.4.8", "-!"]
            )
            expect(diff.locator(".diff-line.add")).to_have_count(0)
            expect(diff.locator(".diff-line.context").first).to_be_visible()
            confirm = dialog.get_by_role("button", name=f"Roll back {name} to v1")
            expect(confirm).to_be_enabled()
            shot(page, tmp_path, "rollback-dialog")
            assert lab_device.running_config() == changed
            # only a preview ran, no real rollback
            assert _runs_named(client, "Configuration rollback") == []
            assert len(_runs_named(client, "Configuration rollback preview")) == 1

            # 2. Cancel closes it and changes nothing.
            dialog.get_by_role("button", name="Cancel").click()
            expect(dialog).to_have_count(0)
            assert lab_device.running_config() == changed
            assert _runs_named(client, "Configuration rollback") == []

            # 3. Confirm rolls back, and the page shows the run.
            versions.get_by_role("button", name="Roll back to v1").click()
            dialog = page.get_by_role("alertdialog", name=f"Roll back {name} to v1")
            expect(dialog.locator(".diff-line.del")).to_have_count(4)
            dialog.get_by_role("button", name=f"Roll back {name} to v1").click()
            run = page.get_by_role("region", name="Run Configuration rollback")
            expect(run.get_by_role("heading", name="Configuration rollback")).to_contain_text(
                "success"
            )
            assert lab_device.running_config() == original
            assert len(_runs_named(client, "Configuration rollback")) == 1

            # 4. Once the device matches v1, a rollback to v1 says there is nothing to do.
            page.goto(f"{live_api.url}/ui/#/devices/{ident}")
            view.get_by_role("tab", name="Configuration").click()
            view.get_by_role("button", name="Roll back to v1").click()
            dialog = page.get_by_role("alertdialog", name=f"Roll back {name} to v1")
            expect(dialog.get_by_role("figure", name=f"Changes on {name}")).to_contain_text(
                "No change"
            )
            expect(dialog.get_by_role("button", name=f"Roll back {name} to v1")).to_be_disabled()
            page.keyboard.press("Escape")
            expect(dialog).to_have_count(0)
        finally:
            if lab_device.running_config() != original:
                client.post(
                    f"/api/v1/devices/{ident}/configs/rollback",
                    json={"version": 1, "method": "netmiko"},
                )
        assert lab_device.running_config() == original


def test_running_a_config_service_from_the_run_panel_asks_first(
    live_api: LiveApi, page: Page, lab: LabThread, tmp_path: Path
) -> None:
    with httpx.Client(
        base_url=live_api.url, headers={"X-API-KEY": live_api.key}, timeout=120
    ) as client:
        device = seed_ios(client, lab)[1]
        name, ident = str(device["name"]), device["id"]
        lab_device = lab.device(name)
        original = lab_device.running_config()
        client.post(
            "/api/v1/services",
            json={
                "name": "Add VLAN 479",
                "type": "netmiko_config",
                "inputs": {"config": "vlan 479\n name {{ device.name }}-safety"},
            },
        ).raise_for_status()
        try:
            sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
            page.goto(f"{live_api.url}/ui/#/devices/{ident}")
            view = page.get_by_role("region", name=f"Device {name}")
            view.get_by_role("tab", name="Run a service").click()
            panel = view.get_by_role("form", name="Run a service")
            panel.get_by_label("Service").select_option(label="Add VLAN 479 (netmiko_config)")
            expect(panel.locator("#run-config")).to_have_value(
                "vlan 479\n name {{ device.name }}-safety"
            )
            panel.get_by_role("button", name=f"Run on {name}").click()

            dialog = page.get_by_role("alertdialog", name=f"Run Add VLAN 479 on {name}")
            lines = dialog.get_by_role("figure", name=f"Changes on {name}").locator(
                ".diff-line.add"
            )
            expect(lines).to_have_text(["+vlan 479", f"+ name {name}-safety"])
            shot(page, tmp_path, "config-service-dialog")
            assert "vlan 479" not in lab_device.running_config()
            assert [r["status"] for r in _runs_named(client, "Add VLAN 479")] == ["success"]

            dialog.get_by_role("button", name="Cancel").click()
            expect(dialog).to_have_count(0)
            assert "vlan 479" not in lab_device.running_config()
            assert len(_runs_named(client, "Add VLAN 479")) == 1  # the preview only

            panel.get_by_role("button", name=f"Run on {name}").click()
            dialog = page.get_by_role("alertdialog", name=f"Run Add VLAN 479 on {name}")
            expect(dialog.locator(".diff-line.add")).to_have_count(2)
            dialog.get_by_role("button", name=f"Push Add VLAN 479 to {name}").click()
            run = page.get_by_role("region", name="Run Add VLAN 479")
            expect(run.get_by_role("heading", name="Add VLAN 479")).to_contain_text("success")
            assert "vlan 479" in lab_device.running_config()
        finally:
            if "vlan 479" in lab_device.running_config():
                client.post(
                    "/api/v1/run/Add VLAN 479",
                    json={
                        "targets": {"devices": [name]},
                        "inputs": {"config": "no vlan 479"},
                        "wait": 60,
                    },
                )
        assert lab_device.running_config() == original
