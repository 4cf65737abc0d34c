"""Issue 15, item 5: the service form. Every service option is a structured editor
generated from the options' JSON Schema (nested objects, lists of objects with add/remove,
enums as selects, checkboxes with their label beside the box), the credential is a select
of the stored credentials, an existing service never shows "New service" while it loads,
its inputs form appears once, and the API's validation errors land under the right field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.fixtures.api import LiveApi
from tests.fixtures.browser import shot, sign_in
from tests.fixtures.database import TEST_ADMIN_PASSWORD

# Records, from the first script on the page, whether "New service" is ever drawn (a heading
# or the editor's region), however briefly: polled on every DOM change during the load.
WATCH_NEW_SERVICE = """
window.__sawNewService = false;
new MutationObserver(() => {
  const headings = [...document.querySelectorAll('h2')].map((h) => h.textContent || '');
  if (headings.some((t) => t.includes('New service'))
      || document.querySelector('section[aria-label="New service"]'))
    window.__sawNewService = true;
}).observe(document, { subtree: true, childList: true, characterData: true });
"""


def client(live_api: LiveApi) -> httpx.Client:
    return httpx.Client(base_url=live_api.url, headers={"X-API-KEY": live_api.key}, timeout=60)


def seed(live_api: LiveApi) -> dict[str, Any]:
    with client(live_api) as api:
        for name in ("lab-login", "backup-login"):
            api.post(
                "/api/v1/credentials",
                json={"name": name, "username": "netweave", "password": "netweave"},
            ).raise_for_status()
        answer = api.post(
            "/api/v1/services",
            json={
                "name": "Check VLANs",
                "type": "netmiko_commands",
                "inputs": {"commands": ["show vlan brief"]},
                "options": {"retries": 1},
            },
        )
        answer.raise_for_status()
        service: dict[str, Any] = answer.json()
        return service


def stored(live_api: LiveApi, service_id: int) -> dict[str, Any]:
    with client(live_api) as api:
        options: dict[str, Any] = api.get(f"/api/v1/services/{service_id}").json()["options"]
        return options


def open_service(page: Page, live_api: LiveApi, service: dict[str, Any]) -> Locator:
    page.goto(f"{live_api.url}/ui/#/services/{service['id']}")
    editor = page.get_by_role("region", name=f"Service {service['name']}")
    expect(editor.get_by_role("heading", level=2, name=str(service["name"]))).to_be_visible()
    return editor


def open_options(editor: Locator) -> Locator:
    editor.locator("details.options > summary").click()
    options = editor.get_by_role("group", name="Options")
    expect(options).to_be_visible()
    return options


def field_of(scope: Locator, label: str) -> Locator:
    """The ``.field`` wrapper of the control labelled ``label`` (its help and error)."""
    return scope.locator(".field", has=scope.page.get_by_label(label)).last


def test_existing_service_never_shows_new_service_and_has_one_inputs_form(
    live_api: LiveApi, page: Page
) -> None:
    service = seed(live_api)
    page.add_init_script(WATCH_NEW_SERVICE)
    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    editor = open_service(page, live_api, service)
    expect(editor.get_by_label("Commands")).to_have_value("show vlan brief")
    assert page.evaluate("window.__sawNewService") is False
    # One inputs form: the Run panel runs the saved inputs, it does not repeat the form.
    expect(page.get_by_role("group", name="Inputs")).to_have_count(1)
    expect(page.get_by_role("textbox", name="Commands", exact=True)).to_have_count(1)
    expect(page.get_by_role("form", name="Run a service")).to_be_visible()


def test_options_are_structured_editors_and_a_validation_check_round_trips(
    live_api: LiveApi, page: Page, tmp_path: Path
) -> None:
    service = seed(live_api)
    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    editor = open_service(page, live_api, service)
    options = open_options(editor)
    # No raw JSON boxes for any option, and no "take JSON" hint; the one text box is the
    # report's template.
    expect(options.locator("textarea.code")).to_have_count(0)
    expect(options.locator("textarea")).to_have_count(1)
    expect(options.get_by_label("Report", exact=True)).to_have_js_property("tagName", "TEXTAREA")
    expect(editor).not_to_contain_text("take JSON")
    # Mode only applies to workflows: not offered on a service.
    expect(options.get_by_label("Mode", exact=True)).to_have_count(0)
    # Numbers carry their bounds.
    expect(options.get_by_label("Retries", exact=True)).to_have_attribute("max", "10")
    expect(options.get_by_label("Retries", exact=True)).to_have_value("1")

    validation = options.get_by_role("group", name="Validation")
    iteration = options.get_by_role("group", name="Iteration")
    notification = options.get_by_role("group", name="Notification")
    for group in (validation, iteration, notification):
        expect(group).to_be_visible()

    validation.get_by_role("button", name="Add check").click()
    check = validation.get_by_role("group", name="Check 1")
    expect(check.get_by_label("Kind", exact=True)).to_have_js_property("tagName", "SELECT")
    expect(check.get_by_label("Match")).to_have_js_property("tagName", "INPUT")
    check.get_by_label("Kind", exact=True).select_option("regex")
    check.get_by_label("Match").fill("^vlan 10$")
    check.get_by_label("Path", exact=True).fill("outputs.0.stdout")
    check.get_by_label("Negate", exact=True).check()

    # The checkbox's label is beside the box, on one line; its help is under both.
    box = check.get_by_label("Negate", exact=True).bounding_box()
    label = check.locator("label", has_text="Negate").bounding_box()
    help_text = field_of(check, "Negate").locator(".help").bounding_box()
    assert box and label and help_text
    assert label["x"] >= box["x"] + box["width"], (box, label)
    box_middle = box["y"] + box["height"] / 2
    assert label["y"] <= box_middle <= label["y"] + label["height"], (box, label)
    assert help_text["y"] >= box["y"] + box["height"], (box, help_text)

    iteration.get_by_role("checkbox", name="Set Iteration").check()
    iteration.get_by_role("textbox", name="Values", exact=True).fill("10\n20")
    iteration.get_by_label("Variable", exact=True).fill("vlan")
    notification.get_by_role("checkbox", name="Set Notification").check()
    expect(notification.get_by_label("When", exact=True)).to_have_js_property("tagName", "SELECT")
    notification.get_by_label("When", exact=True).select_option("failure")
    notification.get_by_label("Email", exact=True).fill("noc@example.com")
    shot(page, tmp_path, "service-form-options")
    editor.get_by_role("button", name="Save").click()
    expect(editor.get_by_role("status")).to_have_text("Saved.")

    saved = stored(live_api, service["id"])
    assert saved["validation"] == [
        {"kind": "regex", "match": "^vlan 10$", "path": "outputs.0.stdout", "negate": True}
    ]
    assert saved["iteration"] == {"values": [10, 20], "variable": "vlan"}
    assert saved["notification"]["when"] == "failure"
    assert saved["notification"]["email"] == ["noc@example.com"]
    assert saved["retries"] == 1

    page.reload()
    editor = open_service(page, live_api, service)
    options = open_options(editor)
    check = options.get_by_role("group", name="Validation").get_by_role("group", name="Check 1")
    expect(check.get_by_label("Kind", exact=True)).to_have_value("regex")
    expect(check.get_by_label("Match")).to_have_value("^vlan 10$")
    expect(check.get_by_label("Negate", exact=True)).to_be_checked()
    iteration = options.get_by_role("group", name="Iteration")
    expect(iteration.get_by_role("textbox", name="Values", exact=True)).to_have_value("10\n20")

    # Remove the check: the list is saved empty.
    check.get_by_role("button", name="Remove").click()
    expect(options.get_by_role("group", name="Check 1")).to_have_count(0)
    editor.get_by_role("button", name="Save").click()
    expect(editor.get_by_role("status")).to_have_text("Saved.")
    assert stored(live_api, service["id"]).get("validation", []) == []  # defaults not stored


def test_credential_is_a_select_of_the_stored_credentials(live_api: LiveApi, page: Page) -> None:
    service = seed(live_api)
    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    editor = open_service(page, live_api, service)
    options = open_options(editor)
    credential = options.get_by_label("Credential", exact=True)
    expect(credential).to_have_js_property("tagName", "SELECT")
    expect(credential.locator("option")).to_have_text(["—", "backup-login", "lab-login"])
    credential.select_option("backup-login")
    editor.get_by_role("button", name="Save").click()
    expect(editor.get_by_role("status")).to_have_text("Saved.")
    assert stored(live_api, service["id"])["credential"] == "backup-login"


@pytest.mark.parametrize(
    ("where", "fill", "error"),
    [
        ("Email", "not-an-email", "valid email"),
        ("Webhook", "ftp://example.com/hook", "URL scheme"),
    ],
)
def test_an_invalid_option_shows_the_api_error_under_its_field(
    live_api: LiveApi, page: Page, where: str, fill: str, error: str
) -> None:
    service = seed(live_api)
    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    editor = open_service(page, live_api, service)
    options = open_options(editor)
    notification = options.get_by_role("group", name="Notification")
    notification.get_by_role("checkbox", name="Set Notification").check()
    notification.get_by_label(where, exact=True).fill(fill)
    validation = options.get_by_role("group", name="Validation")
    validation.get_by_role("button", name="Add check").click()  # its Match left empty
    editor.get_by_role("button", name="Save").click()
    expect(field_of(notification, where).get_by_role("alert")).to_contain_text(error)
    match = field_of(validation.get_by_role("group", name="Check 1"), "Match")
    expect(match.get_by_role("alert")).to_contain_text("Field required")
    assert stored(live_api, service["id"]).get("notification") is None


def test_a_viewer_sees_the_options_read_only(live_api: LiveApi, page: Page) -> None:
    service = seed(live_api)
    with client(live_api) as api:
        api.post(
            "/api/v1/users",
            json={"username": "watcher", "password": "a-long-enough-password", "role": "viewer"},
        ).raise_for_status()
    sign_in(page, live_api.url, "watcher", "a-long-enough-password")
    editor = open_service(page, live_api, service)
    options = open_options(editor)
    expect(options.get_by_label("Retries", exact=True)).to_be_disabled()
    expect(editor.get_by_role("textbox", name="Commands", exact=True)).to_be_disabled()
    expect(options.get_by_role("button", name="Add check")).to_have_count(0)
    expect(editor.get_by_role("button", name="Save")).to_have_count(0)
