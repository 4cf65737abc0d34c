"""Issue 15: a workflow run that changes devices asks first, with each configuration step's
dry-run diff. Running the seeded "VLAN change" workflow (Backup -> Push VLAN -> Validate,
Roll back on failure) from the builder opens an in-page dialog: the Push VLAN step's lines
per device (its dry run on the run's targets with the run's variables), the rollback step
listed with why it cannot be previewed, and nothing pushed; Cancel starts no run; confirm
starts the real run, which adds the VLAN. Leaving the builder with unsaved changes asks in
the page too (no native dialog). The running configuration is read from the lab device."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Dialog, Page, expect

from netweave.cli.demo import seed_inventory
from netweave.cli.demo_automation import seed_automations
from netweave.lab import LabThread
from tests.fixtures.api import LiveApi
from tests.fixtures.browser import shot, sign_in
from tests.fixtures.database import TEST_ADMIN_PASSWORD
from tests.web.test_workflow_run_and_layout import FINAL


def _runs(client: httpx.Client, name: str) -> list[dict[str, Any]]:
    found = client.get("/api/v1/runs", params={"limit": 100, "name": name}).json()["items"]
    return list(found)


def test_vlan_change_asks_with_the_push_step_diff_and_the_leave_dialog_is_in_page(
    live_api: LiveApi, page: Page, fault_lab: LabThread, tmp_path: Path
) -> None:
    seed_inventory(live_api.runtime, [device.spec for device in fault_lab.devices])
    seed_automations(live_api.runtime)
    ios = next(d for d in fault_lab.devices if d.spec.platform == "cisco_ios")
    name = ios.spec.name
    native: list[str] = []  # a native confirm/alert/prompt: must not appear

    def on_dialog(dialog: Dialog) -> None:
        native.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    client = httpx.Client(base_url=live_api.url, headers={"X-API-KEY": live_api.key}, timeout=30)
    with client:
        page.set_viewport_size({"width": 1536, "height": 900})
        sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Workflows").click()
        page.get_by_role("link", name="VLAN change", exact=True).click()
        builder = page.get_by_role("region", name="Workflow builder")
        expect(builder.get_by_label("Workflow name")).to_have_value("VLAN change")

        builder.get_by_role("button", name="▶ Run").click()
        setup = builder.get_by_role("form", name="Run the workflow")
        setup.get_by_label("vlan", exact=True).fill("477")
        setup.get_by_role("button", name="Run on the default targets").click()

        # 1. The dialog: the push step's dry run per device; the rollback step's reason.
        dialog = page.get_by_role("alertdialog", name="Run VLAN change")
        push = dialog.get_by_role("region", name="Step Push VLAN")
        expect(
            push.get_by_role("figure", name=f"Changes on {name}").locator(".diff-line.add")
        ).to_have_text(["+vlan 477", "+interface Vlan477", "+ description users"])
        rollback = dialog.get_by_role("region", name="Step Roll back configuration")
        expect(rollback).to_contain_text("cannot be previewed")
        expect(dialog.get_by_role("note")).to_contain_text(
            "the earlier steps of the workflow have not run"
        )
        # Backup and Validate change nothing: not listed
        expect(dialog.locator("section.step-preview")).to_have_count(2)
        confirm = dialog.get_by_role("button", name="Run VLAN change on 1 device")
        expect(confirm).to_be_enabled()
        shot(page, tmp_path, "workflow-change-dialog")
        assert "vlan 477" not in ios.running_config()
        assert _runs(client, "VLAN change") == []
        previews = _runs(client, "Push VLAN")  # the dry run, with the run's targets and vars
        assert [(r["status"], r["targets"], r["variables"]) for r in previews] == [
            ("success", [name], {"vlan": 477})
        ]

        # 2. Cancel starts nothing.
        dialog.get_by_role("button", name="Cancel").click()
        expect(dialog).to_have_count(0)
        assert _runs(client, "VLAN change") == []
        assert "vlan 477" not in ios.running_config()

        # 3. Confirm starts the real run exactly as before: the VLAN is on the device.
        setup.get_by_role("button", name="Run on the default targets").click()
        expect(dialog.locator(".diff-line.add")).to_have_count(3)
        dialog.get_by_role("button", name="Run VLAN change on 1 device").click()
        expect(dialog).to_have_count(0)
        expect(builder.get_by_label("Run status").first).to_have_text(FINAL, timeout=60_000)
        runs = _runs(client, "VLAN change")
        assert [(r["status"], r["variables"], r["targets"]) for r in runs] == [
            ("success", {"vlan": 477}, [name])
        ]
        assert "vlan 477" in ios.running_config()

        # 4. Unsaved changes: leaving asks in the page, not with a native dialog.
        builder.get_by_role("button", name="Back to the editor").click()
        builder.get_by_label("Workflow name").fill("VLAN change 2")
        expect(builder.get_by_role("status").filter(has_text="Unsaved changes")).to_be_visible()
        builder.get_by_role("link", name="Workflows").click()
        leave = page.get_by_role("alertdialog", name="Leave without saving?")
        expect(leave).to_contain_text("unsaved changes")
        leave.get_by_role("button", name="Cancel").click()
        expect(leave).to_have_count(0)
        expect(builder.get_by_label("Workflow name")).to_have_value("VLAN change 2")
        builder.get_by_role("link", name="Workflows").click()
        leave.get_by_role("button", name="Leave without saving").click()
        expect(page.get_by_role("link", name="VLAN change", exact=True)).to_be_visible()
        expect(builder).to_have_count(0)

        # 5. From the device page: the same dry run, on that device only; Cancel runs nothing.
        ident = client.get("/api/v1/devices", params={"name": name}).json()["items"][0]["id"]
        page.goto(f"{live_api.url}/ui/#/devices/{ident}/run")
        flows = page.get_by_role("form", name="Run a workflow")
        flows.get_by_label("Workflow").select_option(label="VLAN change")
        flows.get_by_role("button", name=f"Run workflow on {name}").click()
        dialog = page.get_by_role("alertdialog", name=f"Run VLAN change on {name}")
        expect(dialog).to_contain_text("Backup configuration → Push VLAN → Validate VLAN")
        expect(dialog.get_by_role("figure", name=f"Changes on {name}")).to_contain_text("+vlan 100")
        expect(dialog.get_by_role("button", name=f"Run VLAN change on {name}")).to_be_enabled()
        dialog.get_by_role("button", name="Cancel").click()
        expect(dialog).to_have_count(0)
        assert len(_runs(client, "VLAN change")) == 1
        assert "vlan 100" not in ios.running_config()
    assert native == []
    assert errors == []
