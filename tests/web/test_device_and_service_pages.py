"""The device page (properties, configuration history side by side, runs, run a service)
and the service editor (its form generated from the type's JSON Schema, a target picker),
on real lab devices; parsed command output drawn as tables in the run viewer."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from netweave.lab import LabThread
from tests.fixtures.api import LiveApi
from tests.fixtures.browser import shot, sign_in
from tests.fixtures.database import TEST_ADMIN_PASSWORD


def seed_ios(client: httpx.Client, lab: LabThread) -> list[dict[str, object]]:
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
    created = []
    for device in [d for d in lab.devices if d.spec.platform == "cisco_ios"]:
        answer = client.post(
            "/api/v1/devices",
            json={
                "name": device.name,
                "host": device.host,
                "port": device.port,
                "platform": "cisco_ios",
                "credential": "lab",
                "site": "paris",
            },
        )
        answer.raise_for_status()
        created.append(answer.json())
    return created


def test_device_page_config_history_runs_and_run_a_service(
    live_api: LiveApi, page: Page, lab: LabThread, tmp_path: Path
) -> None:
    with httpx.Client(
        base_url=live_api.url, headers={"X-API-KEY": live_api.key}, timeout=90
    ) as client:
        device = seed_ios(client, lab)[0]
        name = str(device["name"])
        client.post(
            "/api/v1/services",
            json={
                "name": "Interfaces",
                "type": "netmiko_commands",
                "inputs": {"commands": ["show ip interface brief"], "parsing": "textfsm"},
            },
        ).raise_for_status()
        client.post(
            "/api/v1/services",
            json={
                "name": "Add VLAN 477",
                "type": "netmiko_config",
                "inputs": {"config": "vlan 477\n name ui-test"},
            },
        ).raise_for_status()
        first = client.post(f"/api/v1/devices/{device['id']}/configs/backup").json()
        assert first["status"] == "success", first
        pushed = client.post(
            "/api/v1/run/Add VLAN 477", json={"targets": {"devices": [name]}, "wait": 60}
        ).json()
        assert pushed["status"] == "success", pushed
        second = client.post(f"/api/v1/devices/{device['id']}/configs/backup").json()
        assert second["status"] == "success", second
        try:
            sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
            page.goto(live_api.url + "/ui/#/devices")
            page.get_by_role("link", name=name).click()
            view = page.get_by_role("region", name=f"Device {name}")
            props = view.get_by_role("definition").filter(has_text="paris")
            expect(props).to_have_count(1)
            expect(view.get_by_label("Properties")).to_contain_text(
                f"{device['host']}:{device['port']}"
            )
            expect(view.get_by_role("link", name="SSH terminal")).to_have_attribute(
                "href", f"#/devices/{device['id']}/terminal"
            )

            # The device's SSH terminal, in its tab (xterm.js over the server's WebSocket).
            view.get_by_role("tab", name="Terminal").click()
            rows = view.locator(".xterm-rows")
            expect(rows).to_contain_text(f"{name}>")
            view.locator(".xterm").click()
            page.keyboard.type("show version | include uptime")
            page.keyboard.press("Enter")
            expect(rows).to_contain_text(f"{name} uptime is")

            view.get_by_role("tab", name="Configuration").click()
            versions = view.get_by_role("table", name="Configuration versions")
            expect(versions.get_by_role("row")).to_have_count(3)  # header + two versions
            difference = view.get_by_role("figure", name="Configuration difference")
            expect(difference).to_contain_text("Version 1 ↔ version 2")
            added = difference.locator("td.code.new")
            expect(added.filter(has_text="vlan 477")).to_have_count(1)
            expect(difference.locator("td.code.old").filter(has_text="vlan 477")).to_have_count(0)
            expect(difference.locator("tr.fold").first).to_contain_text("unchanged line")
            shot(page, tmp_path, "inventory-device-config-diff")

            view.get_by_role("tab", name="Runs").click()
            runs = view.get_by_role("table", name="Runs table")
            expect(runs.get_by_role("row").filter(has_text="Add VLAN 477")).to_have_count(1)
            expect(runs.get_by_role("row").filter(has_text="success")).to_have_count(3)

            view.get_by_role("tab", name="Run a service").click()
            panel = view.get_by_role("form", name="Run a service")
            panel.get_by_label("Service").select_option(label="Interfaces (netmiko_commands)")
            expect(panel.get_by_label("Parsing")).to_have_value("textfsm")
            panel.get_by_role("button", name=f"Run on {name}").click()
            run = page.get_by_role("region", name="Run Interfaces")
            expect(run.get_by_role("heading", name="Interfaces")).to_contain_text("success")
            run.get_by_role("button", name="Details").first.click()
            parsed = run.get_by_role("figure", name="Parsed show ip interface brief")
            expect(
                parsed.get_by_role("columnheader", name=re.compile("^interface$", re.I))
            ).to_be_visible()
            expect(parsed).to_contain_text("GigabitEthernet")
            shot(page, tmp_path, "inventory-parsed-table")
        finally:
            client.post(
                "/api/v1/run/Add VLAN 477",
                json={
                    "targets": {"devices": [name]},
                    "inputs": {"config": "no vlan 477"},
                    "wait": 60,
                },
            )


def test_service_form_from_schema_and_run_with_the_target_picker(
    live_api: LiveApi, page: Page, lab: LabThread, tmp_path: Path
) -> None:
    with httpx.Client(
        base_url=live_api.url, headers={"X-API-KEY": live_api.key}, timeout=60
    ) as client:
        devices = seed_ios(client, lab)
    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    page.goto(live_api.url + "/ui/#/services")
    page.get_by_role("link", name="New service").click()
    editor = page.get_by_role("region", name="New service")
    # privileged types say so (only admins author them)
    expect(editor.get_by_label("Type").locator("option[value=ansible_playbook]")).to_contain_text(
        "(admin only)"
    )
    editor.get_by_label("Type").select_option("ansible_playbook")
    expect(editor.get_by_role("note")).to_contain_text("only admins")
    editor.get_by_label("Type").select_option("netmiko_config")
    expect(editor.get_by_role("note")).to_have_count(0)
    inputs = editor.get_by_role("group", name="Inputs")
    # Widgets from the JSON Schema: textarea, checkbox, optional text.
    expect(inputs.get_by_label("Config")).to_have_js_property("tagName", "TEXTAREA")
    expect(inputs.get_by_label("Save")).to_have_attribute("type", "checkbox")
    editor.get_by_label("Type").select_option("netmiko_commands")
    expect(inputs.get_by_label("Parsing")).to_have_js_property("tagName", "SELECT")
    expect(inputs.get_by_label("Parsing").locator("option")).to_have_text(
        ["none", "textfsm", "ttp"]
    )
    expect(inputs.get_by_label("Read Timeout")).to_have_attribute("type", "number")
    editor.locator("#svc-name").fill("Versions")
    editor.get_by_role("button", name="Create service").click()
    # commands is required: the API's message lands under the field.
    commands = inputs.locator(".field", has=page.get_by_label("Commands"))
    expect(commands.get_by_role("alert")).to_contain_text("Field required")
    inputs.get_by_label("Commands").fill("show version\nshow clock")
    inputs.get_by_label("Read Timeout").fill("-4")
    editor.get_by_role("button", name="Create service").click()
    timeout_field = inputs.locator(".field", has=page.get_by_label("Read Timeout"))
    expect(timeout_field.get_by_role("alert")).to_contain_text("greater than 0")
    inputs.get_by_label("Read Timeout").fill("20")
    shot(page, tmp_path, "inventory-service-form")
    editor.get_by_role("button", name="Create service").click()

    service = page.get_by_role("region", name="Service Versions")
    expect(service.get_by_role("heading", name="Run Versions")).to_be_visible()
    with httpx.Client(base_url=live_api.url, headers={"X-API-KEY": live_api.key}) as client:
        saved = client.get("/api/v1/services", params={"name": "Versions"}).json()["items"][0]
    assert saved["inputs"]["commands"] == ["show version", "show clock"]
    assert saved["inputs"]["read_timeout"] == 20

    panel = service.get_by_role("form", name="Run a service")
    picker = panel.get_by_role("group", name="Devices")
    picker.get_by_label("Search devices").fill(str(devices[0]["name"])[:-1])
    for device in devices:
        picker.get_by_role("checkbox", name=str(device["name"])).check()
    expect(picker.get_by_label("Chosen devices").get_by_role("button")).to_have_count(len(devices))
    shot(page, tmp_path, "inventory-service-run")
    panel.get_by_role("button", name="Run", exact=True).click()
    run = page.get_by_role("region", name="Run Versions")
    expect(run.get_by_role("heading", name="Versions")).to_contain_text("success")
    expect(run.get_by_role("table", name="Devices").get_by_role("row")).to_have_count(
        len(devices) + 1
    )
