"""Inventory list latency at 10,000 devices (server-side paging, sorting, filtering).

Runs the real API app in process (TestClient: no network cost), SQLite by default or
``--database-url postgresql://...``. Prints a table of medians and writes JSON.

    .venv/bin/python bench/inventory_list.py --devices 10000
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient
from rich.console import Console
from rich.table import Table
from sqlalchemy import insert

from netweave.api.app import create_app
from netweave.core.access import tokens, users
from netweave.core.access.schemas import ApiKeyCreate
from netweave.core.runtime import Runtime
from netweave.db.models import Device, DeviceTag, Role
from netweave.foundation.settings import Settings

QUERIES = {
    "first page (50)": {},
    "page 150 of 200": {"offset": 7450},
    "sort -site,name": {"sort": "-site,name"},
    "platform=arista_eos": {"platform": "arista_eos"},
    "name glob core-01*": {"name": "core-01*"},
    "tag=edge & site": {"tags": "edge", "site": "LON"},
    "free text q": {"q": "10.0.12."},
    "limit 1000": {"limit": 1000},
}


def seed(runtime: Runtime, count: int) -> None:
    platforms = ["cisco_ios", "arista_eos", "juniper_junos", "linux"]
    sites = ["PAR", "LON", "NYC", "SIN", "FRA"]
    rows = [
        {
            "name": f"core-{i:05d}",
            "host": f"10.{i // 65536}.{(i // 256) % 256}.{i % 256}",
            "port": 22,
            "platform": platforms[i % 4],
            "driver": "netmiko",
            "vendor": "cisco",
            "model": "lab",
            "os_version": "1.0",
            "site": sites[i % 5],
            "custom_fields": {},
        }
        for i in range(count)
    ]
    with runtime.transaction() as session:
        session.execute(insert(Device), rows)
        ids = [
            d for (d,) in session.execute(Device.__table__.select().with_only_columns(Device.id))
        ]
        session.execute(insert(DeviceTag), [{"device_id": i, "tag": "edge"} for i in ids[::7]])
    with runtime.engine.connect() as connection:  # fresh statistics, as autovacuum would give
        connection.exec_driver_sql("ANALYZE")
        connection.commit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--json", default="bench/results/inventory_list.json")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp())
    runtime = Runtime.open(
        Settings(
            data_dir=data_dir, database_url=args.database_url, mode="dev", admin_password="x" * 20
        )
    )
    seed(runtime, args.devices)
    with runtime.transaction() as session:
        admin = users.find_user(session, "admin")
        assert admin is not None
        principal = tokens.Principal(admin.id, admin.username, Role.admin, "bench")
        _, key = tokens.create_api_key(session, principal, ApiKeyCreate(name="bench"))
    client = TestClient(create_app(runtime), headers={"X-API-KEY": key})
    results = {}
    for label, params in QUERIES.items():
        timings = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            response = client.get("/api/v1/devices", params=params)
            timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.text
        body = response.json()
        results[label] = {
            "median_ms": round(statistics.median(timings), 2),
            "p90_ms": round(sorted(timings)[int(len(timings) * 0.9) - 1], 2),
            "total": body["total"],
            "returned": len(body["items"]),
        }
    table = Table(
        title=f"GET /api/v1/devices, {args.devices} devices, {runtime.engine.dialect.name}"
    )
    for column in ("query", "median ms", "p90 ms", "matches", "returned"):
        table.add_column(column)
    for label, row in results.items():
        table.add_row(
            label,
            str(row["median_ms"]),
            str(row["p90_ms"]),
            str(row["total"]),
            str(row["returned"]),
        )
    Console().print(table)
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "devices": args.devices,
                "backend": runtime.engine.dialect.name,
                "machine": f"{platform.node()} {platform.processor() or platform.machine()}",
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
