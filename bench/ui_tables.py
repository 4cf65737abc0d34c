"""UI tables at 10,000 rows vs 100 rows, in real headless Chromium: the time from opening a
page (or typing a filter, sorting, paging) until its rows are drawn. Server-side paging
should make the size of the table irrelevant: the ratio column is the point.

    .venv/bin/python bench/ui_tables.py [--rows 10000] [--repeat 7] [--database-url ...]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import uvicorn
from playwright.sync_api import Page, sync_playwright
from rich.console import Console
from rich.table import Table
from sqlalchemy import insert

from netweave.api.app import create_app
from netweave.core.runtime import Runtime
from netweave.db.models import ChangeRecord, Device, Run, SyslogEntry
from netweave.foundation.settings import Settings
from netweave.web.mount import mount_ui

console = Console()
CHROMIUM = "/usr/bin/chromium"  # Debian's, as in the UI tests
FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
PASSWORD = "bench-password-123"


def seed(runtime: Runtime, count: int) -> None:
    now = datetime.now(UTC)
    platforms = ["cisco_ios", "arista_eos", "juniper_junos", "linux"]
    with runtime.transaction() as session:
        session.execute(
            insert(Device),
            [
                {
                    "name": f"core-{i:05d}",
                    "host": f"10.{i // 65536}.{(i // 256) % 256}.{i % 256}",
                    "port": 22,
                    "platform": platforms[i % 4],
                    "driver": "netmiko",
                    "vendor": "cisco",
                    "model": "lab",
                    "os_version": "1.0",
                    "site": ["PAR", "LON", "NYC", "SIN"][i % 4],
                    "custom_fields": {},
                }
                for i in range(count)
            ],
        )
        session.execute(
            insert(Run),
            [
                {
                    "id": str(uuid.uuid4()),
                    "name": f"backup-{i % 20}",
                    "kind": "service",
                    "status": ["success", "failure"][i % 7 == 0],
                    "definition": {},
                    "targets": [{"id": 1, "name": "core-00001"}],
                    "variables": {},
                    "summary": {},
                    "created_at": now - timedelta(minutes=i),
                    "started_at": now - timedelta(minutes=i),
                }
                for i in range(count)
            ],
        )
        session.execute(
            insert(SyslogEntry),
            [
                {
                    "received_at": now - timedelta(seconds=i),
                    "device_name": f"core-{i % count:05d}",
                    "severity": i % 8,
                    "program": "LINK",
                    "message": f"%LINK-3-UPDOWN: Interface Gi0/{i % 48}, changed state to down",
                    "extra": {},
                }
                for i in range(count)
            ],
        )
        session.execute(
            insert(ChangeRecord),
            [
                {
                    "at": now - timedelta(seconds=i),
                    "actor": "admin",
                    "action": ["create", "update", "delete"][i % 3],
                    "object_type": "device",
                    "object_name": f"core-{i:05d}",
                    "changes": {},
                }
                for i in range(count)
            ],
        )
    with runtime.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
        connection.commit()


def serve(runtime: Runtime) -> tuple[str, uvicorn.Server]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(runtime)
    mount_ui(app)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    return f"http://127.0.0.1:{port}", server


def rows_drawn(page: Page, region: str, expect_text: str) -> None:
    """Wait until the table's first data row holds ``expect_text``."""
    page.get_by_role("region", name=region).locator("tbody tr").first.filter(
        has_text=expect_text
    ).wait_for(timeout=30_000)


Scenario = tuple[Callable[[], None], Callable[[], None]]  # (prepare, timed action)


def scenarios(page: Page, url: str, count: int) -> dict[str, Scenario]:
    last = f"core-{count - 1:05d}"

    def leave() -> None:
        page.goto(url + "/ui/#/dashboard")
        page.get_by_role("heading", name="Dashboard").wait_for()

    def open_devices() -> None:
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Devices").click()
        rows_drawn(page, "Devices", "core-00000")

    def fresh_devices() -> None:
        leave()
        open_devices()

    def filter_devices() -> None:
        page.get_by_role("region", name="Devices").get_by_label("Filter Name").fill(last)
        rows_drawn(page, "Devices", last)

    def sort_devices() -> None:
        region = page.get_by_role("region", name="Devices")
        region.get_by_role("button", name="Name", exact=True).click()  # ascending
        region.get_by_role("button", name="Name ▲").click()  # descending
        rows_drawn(page, "Devices", last)

    def next_page() -> None:
        region = page.get_by_role("region", name="Devices")
        region.get_by_role("button", name="Next").click()
        region.get_by_role("navigation", name="Pages").get_by_text("51\u2013").wait_for()

    def open_page(route: str, region: str, text: str) -> Callable[[], None]:
        def run() -> None:
            page.goto(url + f"/ui/#/{route}")
            page.get_by_role("region", name=region).locator("tbody tr").filter(
                has_text=text
            ).first.wait_for(timeout=30_000)

        return run

    return {
        "open Devices": (leave, open_devices),
        "filter Devices by name": (fresh_devices, filter_devices),
        "sort Devices by name, descending": (fresh_devices, sort_devices),
        "Devices next page": (fresh_devices, next_page),
        "open Runs": (leave, open_page("runs", "Runs", "backup-")),
        "open Changelog": (leave, open_page("changelog", "Changelog", "core-")),
    }


def measure(count: int, repeat: int, database_url: str | None) -> dict[str, dict[str, float]]:
    runtime = Runtime.open(
        Settings(
            data_dir=Path(tempfile.mkdtemp()),
            database_url=database_url,
            mode="dev",
            admin_password=PASSWORD,
            embedded_scheduler=False,
            embedded_syslog=False,
        )
    )
    seed(runtime, count)
    url, server = serve(runtime)
    results: dict[str, dict[str, float]] = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=FLAGS
            )
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(url + "/ui/")
            page.get_by_label("User").fill("admin")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("button", name="Sign out").wait_for()
            for label, (prepare, action) in scenarios(page, url, count).items():
                prepare()
                action()  # warm: code loaded, caches filled
                timings = []
                for _ in range(repeat):
                    prepare()
                    started = time.perf_counter()
                    action()
                    timings.append((time.perf_counter() - started) * 1000)
                results[label] = {
                    "median_ms": round(statistics.median(timings), 1),
                    "max_ms": round(max(timings), 1),
                }
            browser.close()
    finally:
        server.should_exit = True
        runtime.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--json", default="bench/results/ui_tables.json")
    args = parser.parse_args()
    small = measure(args.small, args.repeat, args.database_url)
    large = measure(args.rows, args.repeat, args.database_url)
    table = Table(title=f"UI tables in Chromium: {args.small} vs {args.rows} rows per table")
    for column in ("action", f"{args.small} rows ms", f"{args.rows} rows ms", "ratio", "max ms"):
        table.add_column(column)
    report: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "rows": args.rows,
        "small": args.small,
        "database": args.database_url or "sqlite",
        "results": {},
    }
    for label in large:
        ratio = large[label]["median_ms"] / max(small[label]["median_ms"], 0.1)
        table.add_row(
            label,
            str(small[label]["median_ms"]),
            str(large[label]["median_ms"]),
            f"{ratio:.2f}",
            str(large[label]["max_ms"]),
        )
        report["results"][label] = {"small": small[label], "large": large[label], "ratio": ratio}
    console.print(table)
    Path(args.json).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
