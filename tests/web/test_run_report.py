"""A run's report on the run page, in real headless Chromium: shown as plain text (what
looks like HTML in it stays text)."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.fixtures.api import LiveApi
from tests.fixtures.browser import sign_in
from tests.fixtures.database import TEST_ADMIN_PASSWORD

REPORT = "<b>{{ run.name }}</b> ended {{ run.status }}\n{{ results | length }} result(s)"


def test_run_page_shows_the_report_as_text(live_api: LiveApi, page: Page) -> None:
    with httpx.Client(
        base_url=live_api.url, headers={"X-API-KEY": live_api.key}, timeout=60
    ) as api:
        device = {"name": "r1", "host": "127.0.0.1", "port": 9, "platform": "linux"}
        assert api.post("/api/v1/devices", json=device).status_code == 201
        service = {
            "name": "Knock",
            "type": "reachability",
            "inputs": {"kind": "tcp", "port": 9, "count": 1},
            "options": {"report": REPORT},
        }
        assert api.post("/api/v1/services", json=service).status_code == 201
        run = api.post("/api/v1/run/Knock", json={"targets": {"devices": ["r1"]}, "wait": 60})
        assert run.status_code == 201, run.text
    ended = run.json()
    assert ended["report"] == f"<b>Knock</b> ended {ended['status']}\n1 result(s)"
    sign_in(page, live_api.url, "admin", TEST_ADMIN_PASSWORD)
    page.goto(f"{live_api.url}/ui/#/runs/{ended['id']}")
    report = page.get_by_role("region", name="Run Knock").get_by_role("region", name="Report")
    expect(report.locator("pre")).to_have_text(ended["report"])
    expect(report.locator("b")).to_have_count(0)  # escaped, never HTML
