"""Scheduling and events in real headless Chromium against the live server: a task created
from a calendar date shows in the month and week views, a run started with "run now" shows
in the calendar with its status; real syslog datagrams show in the viewer, filtered and
tailed live, with the rules they matched; a rule with a bad regex is refused next to the
field, fixed, tried on a message, listed and disabled. Viewers get no editing controls."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from netweave.lab import LabThread
from netweave.syslog import SyslogServer
from tests.fixtures.api import LiveApi
from tests.fixtures.browser import shot, sign_in, sign_out
from tests.fixtures.database import TEST_ADMIN_PASSWORD

VIEWER_PASSWORD = "a-long-enough-password"


def _until(check: Callable[[], Any], what: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def _long_day(page: Page, day: date) -> str:
    """The calendar's accessible name of a day, formatted by the browser's own locale."""
    return str(
        page.evaluate(
            "([y, m, d]) => new Intl.DateTimeFormat(undefined, {weekday: 'long', day: 'numeric',"
            " month: 'long', year: 'numeric'}).format(new Date(y, m - 1, d))",
            [day.year, day.month, day.day],
        )
    )


def _api(live_api: LiveApi) -> httpx.Client:
    return httpx.Client(base_url=live_api.url, headers={"X-API-KEY": live_api.key}, timeout=60)


def _viewer(client: httpx.Client) -> None:
    body = {"username": "noc-viewer", "password": VIEWER_PASSWORD, "role": "viewer"}
    assert client.post("/api/v1/users", json=body).status_code == 201


def test_tasks_and_calendar(live_api: LiveApi, page: Page, lab: LabThread, tmp_path: Path) -> None:
    device = next(d for d in lab.devices if d.spec.platform == "cisco_ios")
    with _api(live_api) as client:
        inventory = {
            "name": device.name,
            "host": device.host,
            "port": device.port,
            "platform": "cisco_ios",
        }
        assert client.post("/api/v1/devices", json=inventory).status_code == 201
        ping = {
            "name": "Ping",
            "type": "reachability",
            "inputs": {"kind": "tcp", "count": 1},
            "options": {"targets": {"devices": [device.name]}},
        }
        assert client.post("/api/v1/services", json=ping).status_code == 201
        _viewer(client)
    page.set_viewport_size({"width": 1280, "height": 1000})
    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Calendar").click()
    calendar = page.get_by_role("region", name="Calendar")
    month = calendar.get_by_role("grid", name=re.compile("^Month "))
    expect(month).to_be_visible()

    # a free day two days ahead: click it, the form opens with that date at 09:00
    day = date.today() + timedelta(days=2)
    cell = month.get_by_role("gridcell", name=_long_day(page, day), exact=True)
    cell.click()
    form = page.get_by_role("dialog", name="New task")
    expect(form.get_by_label("Date and time")).to_have_value(f"{day.isoformat()}T09:00")
    form.get_by_label("Name", exact=True).fill("morning-check")
    form.get_by_label("Runs").select_option("Ping")
    preview = form.get_by_role("status", name="Next firings")
    expect(preview).to_contain_text("Once")
    expect(preview.get_by_role("listitem")).to_have_count(1)
    shot(page, tmp_path, "schedule-task-form", full_page=False)
    form.get_by_role("button", name="Create task").click()
    expect(form).to_have_count(0)
    expect(calendar.get_by_role("status")).to_contain_text("morning-check")
    firing = cell.get_by_role("button", name=re.compile("morning-check"))
    expect(firing).to_contain_text("09:00")
    shot(page, tmp_path, "schedule-calendar-month")

    # the week view holds it in the 09:00 slot of that day
    calendar.get_by_role("button", name="Week").click()
    week = calendar.get_by_role("grid", name=re.compile("^Week "))
    if date.today().weekday() + 2 >= 7:  # that day is in next week
        calendar.get_by_role("button", name="Next").click()
    slot = week.get_by_role("gridcell", name=f"{_long_day(page, day)} 09:00", exact=True)
    expect(slot.get_by_role("button", name=re.compile("morning-check"))).to_be_visible()
    slot.scroll_into_view_if_needed()
    shot(page, tmp_path, "schedule-calendar-week")
    # clicking a free hour prefills it
    free = week.get_by_role("gridcell", name=f"{_long_day(page, day)} 15:00", exact=True)
    free.click()
    expect(page.get_by_role("dialog", name="New task").get_by_label("Date and time")).to_have_value(
        f"{day.isoformat()}T15:00"
    )
    page.get_by_role("dialog", name="New task").get_by_role("button", name="Cancel").click()
    # its firing opens the task for editing
    slot.get_by_role("button", name=re.compile("morning-check")).click()
    edit = page.get_by_role("dialog", name="Edit task morning-check")
    expect(edit.get_by_label("Name", exact=True)).to_be_disabled()
    expect(edit.get_by_label("Runs")).to_have_value("Ping")
    expect(edit.get_by_label("Date and time")).to_have_value(f"{day.isoformat()}T09:00")
    edit.get_by_label("Description").fill("reachability before the change window")
    edit.get_by_role("button", name="Save").click()
    expect(edit).to_have_count(0)
    expect(slot.get_by_role("button", name=re.compile("morning-check"))).to_be_visible()

    # the task list: a cron task with a live preview; a bad expression is shown at the field
    nav.get_by_role("link", name="Tasks").click()
    tasks = page.get_by_role("region", name="Tasks")
    table = tasks.get_by_role("table", name="Tasks table")
    morning = table.get_by_role("row", name=re.compile("morning-check"))
    expect(morning).to_contain_text("scheduled")
    expect(morning).to_contain_text("reachability before the change window")
    tasks.get_by_role("button", name="New task").click()
    form = page.get_by_role("dialog", name="New task")
    form.get_by_label("Name", exact=True).fill("every-5")
    form.get_by_label("Runs").select_option("Ping")
    form.get_by_label("Devices").fill(device.name)
    form.get_by_text("Cron", exact=True).click()
    form.get_by_label("Cron expression").fill("61 * * * *")
    expect(form.locator(".field-error")).to_contain_text("not a valid cron expression")
    form.get_by_label("Cron expression").fill("*/5 * * * *")
    form.get_by_label("Time zone").select_option("UTC")
    preview = form.get_by_role("status", name="Next firings")
    expect(preview).to_contain_text("Every 5 minutes (UTC)")
    expect(preview.get_by_role("listitem")).to_have_count(5)
    expect(form.locator(".field-error")).to_have_count(0)
    shot(page, tmp_path, "schedule-task-form-cron", full_page=False)
    form.get_by_role("button", name="Create task").click()
    row = table.get_by_role("row", name=re.compile("every-5"))
    expect(row).to_contain_text("every 5 minutes")
    expect(row).to_contain_text(device.name)
    row.get_by_role("button", name="Pause every-5").click()
    expect(row).to_contain_text("paused")
    expect(row.get_by_role("button", name="Resume every-5")).to_be_visible()
    shot(page, tmp_path, "schedule-tasks")
    row.get_by_role("button", name="Delete every-5").click()
    row.get_by_role("button", name="Confirm delete").click()
    expect(table.get_by_role("row", name=re.compile("every-5"))).to_have_count(0)

    # run now: the run shows in today's cell, colored by its status, linking to the run
    table.get_by_role("row", name=re.compile("morning-check")).get_by_role(
        "button", name="Run morning-check now"
    ).click()
    started = page.get_by_role("status").get_by_role("link", name="open the run")
    run_href = started.get_attribute("href")
    assert run_href and run_href.startswith("#/runs/")
    run_id = run_href.removeprefix("#/runs/")
    assert live_api.runtime.runs.wait(run_id, 60).status == "success"
    nav.get_by_role("link", name="Calendar").click()
    today = month.get_by_role("gridcell", name=_long_day(page, date.today()), exact=True)
    chip = today.get_by_role("link", name=re.compile("Ping"))
    expect(chip).to_have_attribute("href", run_href)
    expect(chip).to_have_class(re.compile(r"\bsuccess\b"))
    shot(page, tmp_path, "schedule-calendar-run")
    chip.click()
    expect(page).to_have_url(re.compile(re.escape(run_href) + "$"))
    expect(page.get_by_role("region", name="Run Ping")).to_contain_text("success")

    # a viewer sees the same calendar and tasks, and no editing control
    sign_out(page)
    sign_in(page, live_api.url, "noc-viewer", VIEWER_PASSWORD)
    nav.get_by_role("link", name="Tasks").click()
    expect(table.get_by_role("row", name=re.compile("morning-check"))).to_be_visible()
    expect(tasks.get_by_role("button", name="New task")).to_have_count(0)
    expect(tasks.get_by_role("button", name=re.compile("Run .* now|Pause|Delete"))).to_have_count(0)
    nav.get_by_role("link", name="Calendar").click()
    expect(month.get_by_role("gridcell", name=_long_day(page, day), exact=True)).to_contain_text(
        "morning-check"
    )
    expect(calendar.get_by_role("button", name=re.compile("New task"))).to_have_count(0)
    month.get_by_role("gridcell", name=_long_day(page, day), exact=True).click()
    expect(page.get_by_role("dialog")).to_have_count(0)


@pytest.fixture
def syslog_server(live_api: LiveApi) -> Iterator[SyslogServer]:
    """The live server's own event service, fed by a real UDP/TCP syslog listener."""
    server = SyslogServer(live_api.runtime.events, "127.0.0.1", 0).start()
    live_api.runtime.syslog_stats = server.stats
    yield server
    server.stop()


def _send(port: int, *frames: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        for frame in frames:
            udp.sendto(frame.encode(), ("127.0.0.1", port))


def test_syslog_viewer_and_rules(
    live_api: LiveApi, page: Page, syslog_server: SyslogServer, tmp_path: Path
) -> None:
    port = int(live_api.url.rsplit(":", 1)[1])
    with _api(live_api) as client:
        # core-1 answers on the live server's port: the rules' reachability check succeeds
        for name, host in (("core-1", "127.0.0.1"), ("edge-1", "192.0.2.2")):
            device = {"name": name, "host": host, "platform": "cisco_ios"}
            assert client.post("/api/v1/devices", json=device).status_code == 201
        check = {
            "name": "Check reachability",
            "type": "reachability",
            "inputs": {"kind": "tcp", "port": port, "count": 1, "timeout": 1},
        }
        assert client.post("/api/v1/services", json=check).status_code == 201
        rule = {
            "name": "link down",
            "automation": "Check reachability",
            "match": {
                "max_severity": 3,
                "regex": r"Interface (?P<interface>\S+), changed state to down",
            },
        }
        assert client.post("/api/v1/event-rules", json=rule).status_code == 201
        _viewer(client)
        # real datagrams, RFC 3164 and 5424, local7 (23): PRI = 23 * 8 + severity
        _send(
            syslog_server.udp_port or 0,
            "<190>Nov 23 08:00:01 core-1 NTP-6-SYNC: clock synchronized to 192.0.2.123",
            "<189>1 2026-11-23T08:00:02Z edge-1 SYS-5-CONFIG_I - - - Configured from console",
            "<186>Nov 23 08:00:03 edge-1 PLATFORM-2-PS_FAIL: Power supply 2 failed",
            "<191>Nov 23 08:00:04 core-1 DBG: keepalive sent on Gi0/3",
            "<188>Nov 23 08:00:05 edge-1 SYS-4-CPU: CPU utilization 92% for 5 minutes",
            "<187>Nov 23 08:00:06 core-1 LINK-3-UPDOWN: "
            "Interface GigabitEthernet0/1, changed state to down",
        )
        _until(lambda: client.get("/api/v1/syslog").json()["total"] == 6, "six stored")

    page.set_viewport_size({"width": 1280, "height": 1000})
    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Syslog").click()
    viewer = page.get_by_role("region", name="Syslog")
    messages = viewer.get_by_role("table", name="Messages")
    rows = messages.locator("tbody tr")
    expect(rows).to_have_count(6)
    expect(rows.first).to_contain_text("GigabitEthernet0/1")  # newest first
    expect(rows.first).to_contain_text("error")
    expect(rows.first).to_have_class(re.compile(r"sev-line-3"))
    counters = viewer.get_by_label("Syslog server counters")
    expect(counters).to_contain_text("6received")
    expect(counters).to_contain_text("1rules fired")
    severities = viewer.get_by_role("group", name="Severities")
    expect(severities.get_by_role("button", name=re.compile("critical"))).to_contain_text("1")

    filters = viewer.get_by_role("search", name="Syslog filters")
    filters.get_by_label("Device").fill("edge-1")
    expect(rows).to_have_count(3)
    filters.get_by_label("Severity at or above").select_option("3")  # error or worse
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Power supply 2 failed")
    filters.get_by_role("button", name="Clear filters").click()
    expect(rows).to_have_count(6)
    filters.get_by_label("Program").fill("SYS-4-CPU")
    expect(rows).to_have_count(1)
    filters.get_by_label("Program").fill("")
    filters.get_by_label("Text").fill("POWER")
    expect(rows).to_have_count(1)
    filters.get_by_label("Text").fill("")
    severities.get_by_role("button", name=re.compile("warning")).click()  # warning and worse
    expect(rows).to_have_count(3)
    severities.get_by_role("button", name=re.compile("warning")).click()
    filters.get_by_label("From").fill(f"{(date.today() + timedelta(days=1)).isoformat()}T00:00")
    expect(viewer.get_by_text("No message matches these filters.")).to_be_visible()
    filters.get_by_role("button", name="24 hours").click()
    expect(rows).to_have_count(6)
    filters.get_by_role("button", name="Clear filters").click()

    # one message: its details and the rule it fired, with the run it started
    rows.filter(has_text="GigabitEthernet0/1").click()
    details = viewer.get_by_role("complementary", name="Message details")
    expect(details).to_contain_text("core-1")
    expect(details).to_contain_text("local7 (23)")
    matched = details.get_by_role("list", name="Matched rules")
    expect(matched).to_contain_text("link down")
    expect(matched).to_contain_text("fired")
    expect(matched).to_contain_text("interface=GigabitEthernet0/1")
    expect(matched.get_by_role("link", name="run on core-1")).to_have_attribute(
        "href", re.compile(r"^#/runs/")
    )
    expect(matched).to_contain_text("success")
    shot(page, tmp_path, "schedule-syslog")
    details.get_by_role("button", name="Close details").click()

    # the live tail shows new messages without a reload
    viewer.get_by_label("Live tail").check()
    _send(
        syslog_server.udp_port or 0,
        "<187>Nov 23 08:01:00 edge-1 LINK-3-UPDOWN: Interface Gi0/9, changed state to down",
    )
    expect(rows).to_have_count(7)
    expect(rows.first).to_contain_text("Gi0/9")
    shot(page, tmp_path, "schedule-syslog-live")
    viewer.get_by_label("Live tail").uncheck()

    # a rule: a bad regex is refused next to the field, fixed, tried, saved, disabled
    nav.get_by_role("link", name="Event rules").click()
    rules = page.get_by_role("region", name="Event rules")
    rules.get_by_role("button", name="New rule").click()
    form = page.get_by_role("dialog", name="New event rule")
    form.get_by_label("Rule name").fill("config changed")
    form.get_by_label("Starts").select_option("Check reachability")
    form.get_by_label("Regex").fill(r"Configured from (?P<via>\w+")
    form.get_by_label("Severity at or above").select_option("5")
    form.get_by_label("Devices").fill("edge-*")
    form.get_by_label("Rate limit (per minute)").fill("5")
    form.get_by_role("button", name="Create rule").click()
    regex_error = form.locator("#rule-regex-error")
    expect(regex_error).to_contain_text("not a valid regular expression")
    expect(form.get_by_label("Regex")).to_have_attribute("aria-invalid", "true")
    shot(page, tmp_path, "schedule-rule-error", full_page=False)
    form.get_by_label("Regex").fill(r"Configured from (?P<via>\w+)")
    tester = form.get_by_role("group", name="Test against a message")
    tester.get_by_label("Message").fill("Configured from console by admin")
    tester.get_by_label("Test severity").select_option("5")
    tester.get_by_label("Sender").fill("192.0.2.2")
    tester.get_by_role("button", name="Test").click()
    verdict = form.get_by_role("status", name="Test result")
    expect(verdict).to_contain_text("Matches: would run Check reachability on edge-1")
    expect(verdict).to_contain_text("via=console")
    expect(regex_error).to_have_count(0)
    tester.get_by_label("Test severity").select_option("6")
    tester.get_by_role("button", name="Test").click()
    expect(verdict).to_contain_text("No match")
    expect(verdict).to_contain_text("info (6) is below notice (5)")
    shot(page, tmp_path, "schedule-rule-form", full_page=False)
    form.get_by_role("button", name="Create rule").click()
    expect(form).to_have_count(0)
    table = rules.get_by_role("table", name="Event rules table")
    row = table.get_by_role("row", name=re.compile("config changed"))
    expect(row).to_contain_text("notice or worse")
    expect(row).to_contain_text("Check reachability")
    expect(row).to_contain_text("5/min")
    switch = row.get_by_role("switch", name="Enabled config changed")
    expect(switch).to_have_attribute("aria-checked", "true")
    switch.click()
    expect(row.get_by_role("switch", name="Enabled config changed")).to_have_attribute(
        "aria-checked", "false"
    )
    with _api(live_api) as client:
        saved = client.get("/api/v1/event-rules/config changed").json()
    assert saved["enabled"] is False
    assert saved["match"] == {
        "devices": ["edge-*"],
        "max_severity": 5,
        "regex": r"Configured from (?P<via>\w+)",
    }
    shot(page, tmp_path, "schedule-rules")

    # viewers read, and change nothing
    sign_out(page)
    sign_in(page, live_api.url, "noc-viewer", VIEWER_PASSWORD)
    nav.get_by_role("link", name="Event rules").click()
    expect(table.get_by_role("row", name=re.compile("config changed"))).to_contain_text("disabled")
    expect(rules.get_by_role("button", name="New rule")).to_have_count(0)
    expect(rules.get_by_role("switch")).to_have_count(0)
    expect(rules.get_by_role("button", name=re.compile("Edit|Delete"))).to_have_count(0)
