"""Issue 17: configurations are browsable as git history in the UI. Two backups of a lab
device with a configuration change between them; the device page lists both commits (the
shas the API gives), diffs them from git, shows the file at a commit with "Restore this
commit" going through the dry-run confirmation, blames the changed line on the newer
commit, says where the repository stands, and lists the operational data (show outputs)
with their versions and differences."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from netweave.lab import LabThread, build_specs
from tests.fixtures.api import LiveApi
from tests.fixtures.browser import shot, sign_in
from tests.fixtures.database import TEST_ADMIN_PASSWORD

NEW_LINE = "ip route 10.98.0.0 255.255.0.0 10.0.0.254"


@pytest.fixture(scope="module")
def git_ui_lab() -> Iterator[LabThread]:
    """One IOS device private to this module: the test changes its configuration."""
    with LabThread(build_specs(1, platforms=("cisco_ios",), prefix="gitui")) as running:
        yield running


def _seed(client: httpx.Client, lab: LabThread) -> dict[str, object]:
    client.post(
        "/api/v1/credentials",
        json={
            "name": "lab",
            "username": "netweave",
            "password": "netweave",
            "enable_secret": "netweave",
            "scope": {"networks": ["127.0.0.0/8"]},
        },
    ).raise_for_status()
    device = lab.devices[0]
    answer = client.post(
        "/api/v1/devices",
        json={
            "name": device.name,
            "host": device.host,
            "port": device.port,
            "platform": "cisco_ios",
            "credential": "lab",
        },
    )
    answer.raise_for_status()
    return dict(answer.json())


def test_config_history_blame_restore_and_operational_data_from_git(
    live_api: LiveApi, page: Page, git_ui_lab: LabThread, tmp_path: Path
) -> None:
    with httpx.Client(
        base_url=live_api.url, headers={"X-API-KEY": live_api.key}, timeout=120
    ) as client:
        device = _seed(client, git_ui_lab)
        name, ident = str(device["name"]), device["id"]
        lab_device = git_ui_lab.device(name)
        assert lab_device.ios_config is not None
        first = client.post(f"/api/v1/devices/{ident}/configs/backup").json()
        assert first["status"] == "success", first
        lab_device.ios_config.set_line(NEW_LINE)  # a change made on the device itself
        second = client.post(f"/api/v1/devices/{ident}/configs/backup").json()
        assert second["status"] == "success", second
        log = client.get(f"/api/v1/devices/{ident}/configs/git/log").json()
        assert [c["version"] for c in log] == [2, 1]
        new, old = log[0]["commit"][:7], log[1]["commit"][:7]

        sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
        page.goto(f"{live_api.url}/ui/#/devices/{ident}/configs")
        view = page.get_by_role("region", name=f"Device {name}")

        # 1. History: both commits with the API's shas, their diff from git.
        versions = view.get_by_role("table", name="Configuration versions")
        expect(versions.get_by_role("row")).to_have_count(3)
        expect(versions.locator("button.sha")).to_have_text([new, old])
        expect(versions.get_by_role("row").nth(1)).to_contain_text(f"backup {name} v2")
        expect(view.get_by_label("Git status")).to_contain_text("no remote to push to")
        difference = view.get_by_role("figure", name="Configuration difference")
        expect(difference).to_contain_text(f"Version 1 ↔ version 2 · {old} → {new}")
        expect(difference.locator("td.code.new")).to_have_text([NEW_LINE, "!"])
        expect(difference.locator("td.code.old")).to_have_count(0)
        expect(difference.locator("tr.fold").first).to_contain_text("unchanged line")
        shot(page, tmp_path, "config-git-history", full_page=False)

        # 2. The file at the older commit; restoring it asks with a dry run and does nothing.
        versions.get_by_role("button", name=f"Show commit {old}").click()
        shown = view.get_by_role("figure", name="Configuration v1")
        expect(shown.locator("pre")).to_contain_text(f"hostname {name}")
        expect(shown.locator("pre")).not_to_contain_text(NEW_LINE)
        shown.get_by_role("button", name="Restore this commit").click()
        dialog = page.get_by_role("alertdialog", name=f"Restore {name} to commit {old} (v1)")
        changes = dialog.get_by_role("figure", name=f"Changes on {name}")
        expect(changes.locator(".diff-line.del")).to_have_text([f"-{NEW_LINE}", "-!"])
        expect(changes).to_contain_text(f"+++ commit {old}")  # the commit's text, not v1's
        expect(dialog.get_by_role("button", name=f"Restore {name} to commit {old}")).to_be_enabled()
        dialog.get_by_role("button", name="Cancel").click()
        expect(dialog).to_have_count(0)
        assert NEW_LINE in lab_device.running_config()
        runs = client.get("/api/v1/runs", params={"limit": 50}).json()["items"]
        assert [r["name"] for r in runs if "rollback" in r["name"]] == [
            "Configuration rollback preview"  # the dry run only
        ]

        # 3. Blame: the new line is the newer commit's (highlighted), the rest the older one's.
        view.get_by_role("tab", name="Blame").click()
        blame = view.get_by_role("figure", name="Configuration blame")
        changed = blame.locator("tr", has_text=NEW_LINE)
        expect(changed).to_have_class("latest")
        expect(changed.locator("td.gutter")).to_contain_text(f"{new}")
        expect(changed.locator("td.gutter")).to_contain_text("v2")
        hover = re.compile(rf"^{new} · .*\nbackup {name} v2 \(run ")
        expect(changed.locator("td.gutter")).to_have_attribute("title", hover)
        expect(blame.locator("tr").first.locator("td.gutter")).to_contain_text(f"{old}")
        expect(blame.locator("tr.latest")).to_have_count(2)  # the route and its "!"
        expect(blame).to_contain_text("2 first seen in this version")

        # 4. Operational data: the show commands; the route table changed with the route.
        view.get_by_role("tab", name="Operational data").click()
        commands = view.get_by_role("table", name="Show commands")
        expect(commands.get_by_role("button")).to_have_text(
            ["show interfaces", "show ip route", "show version"]
        )
        commands.get_by_role("button", name="show ip route").click()
        routes = view.get_by_role("region", name="History of show ip route")
        route_versions = routes.get_by_role("table", name="Versions of show ip route")
        expect(route_versions.get_by_role("row")).to_have_count(3)
        expect(routes.get_by_role("figure", name="Output of show ip route v2")).to_contain_text(
            "10.98.0.0/16"
        )
        output_diff = routes.get_by_role("figure", name="Output difference")
        expect(output_diff.locator("td.code.new").filter(has_text="10.98.0.0/16")).to_have_count(1)
        shot(page, tmp_path, "config-git-operational", full_page=False)
