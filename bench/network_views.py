"""The network views' read endpoints at 10,000 devices: the map/globe data
(``GET /api/v1/network/geo``) and the topology (``GET /api/v1/network/topology``), one
request each for the whole inventory instead of 200 pages of the device list.

Runs the real API app in process (TestClient: no network cost), SQLite by default or
``--database-url postgresql://...`` (a scratch database: the script creates its tables).
Prints a table of medians and writes JSON.

    .venv/bin/python bench/network_views.py --devices 10000
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
from sqlalchemy import insert, select

from netweave.api.app import create_app
from netweave.core.access import tokens, users
from netweave.core.access.schemas import ApiKeyCreate
from netweave.core.runtime import Runtime
from netweave.db.models import Device, Link, Role
from netweave.foundation.settings import Settings

SITES = [("PAR", 48.85, 2.35), ("LON", 51.5, -0.12), ("NYC", 40.71, -74.0), ("SIN", 1.35, 103.8)]
QUERIES = {
    "geo (all)": ("/api/v1/network/geo", {}),
    "geo site=PAR": ("/api/v1/network/geo", {"site": "PAR"}),
    "topology (linked)": ("/api/v1/network/topology", {}),
    "topology site=LON": ("/api/v1/network/topology", {"site": "LON"}),
}


def seed(runtime: Runtime, count: int) -> int:
    """``count`` devices around four cities, each linked to the next two: ~2 links each."""
    platforms = ["cisco_ios", "arista_eos", "juniper_junos", "linux"]
    rows = []
    for i in range(count):
        site, lat, lon = SITES[i % len(SITES)]
        rows.append(
            {
                "name": f"dev-{i:05d}",
                "host": f"10.{i // 65536}.{(i // 256) % 256}.{i % 256}",
                "port": 22,
                "platform": platforms[i % 4],
                "driver": "netmiko",
                "vendor": "lab",
                "model": "lab",
                "os_version": "1.0",
                "site": site,
                "latitude": lat + (i % 97) * 0.01,
                "longitude": lon + (i % 89) * 0.01,
                "custom_fields": {},
            }
        )
    with runtime.transaction() as session:
        session.execute(insert(Device), rows)
        ids = list(session.scalars(select(Device.id).order_by(Device.id)))
        links = [
            {
                "name": f"l-{a}-{ids[(n + step) % len(ids)]}",
                "source_id": a,
                "destination_id": ids[(n + step) % len(ids)],
                "source_interface": f"Ethernet{step}",
                "destination_interface": f"Ethernet{step + 2}",
                "description": "",
            }
            for n, a in enumerate(ids)
            for step in (1, 2)
        ]
        session.execute(insert(Link), links)
    with runtime.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
        connection.commit()
    return len(links)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--json", default="bench/results/network_views.json")
    args = parser.parse_args()

    runtime = Runtime.open(
        Settings(
            data_dir=Path(tempfile.mkdtemp()),
            database_url=args.database_url,
            mode="dev",
            admin_password="x" * 20,
        )
    )
    link_count = seed(runtime, args.devices)
    with runtime.transaction() as session:
        admin = users.find_user(session, "admin")
        assert admin is not None
        principal = tokens.Principal(admin.id, admin.username, Role.admin, "bench")
        _, key = tokens.create_api_key(session, principal, ApiKeyCreate(name="bench"))
    client = TestClient(create_app(runtime), headers={"X-API-KEY": key})
    results = {}
    for label, (path, params) in QUERIES.items():
        timings = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            response = client.get(path, params=params)
            timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.text
        body = response.json()
        results[label] = {
            "median_ms": round(statistics.median(timings), 1),
            "p90_ms": round(sorted(timings)[int(len(timings) * 0.9) - 1], 1),
            "devices": len(body.get("devices", body.get("nodes", []))),
            "links": len(body.get("links", body.get("edges", []))),
            "kbytes": round(len(response.content) / 1024),
        }
    table = Table(
        title=f"network views, {args.devices} devices, {link_count} links, "
        f"{runtime.engine.dialect.name}"
    )
    for column in ("query", "median ms", "p90 ms", "devices", "links", "KiB"):
        table.add_column(column)
    for label, row in results.items():
        keys = ("median_ms", "p90_ms", "devices", "links", "kbytes")
        table.add_row(label, *(str(row[k]) for k in keys))
    Console().print(table)
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "devices": args.devices,
                "links": link_count,
                "backend": runtime.engine.dialect.name,
                "machine": f"{platform.node()} {platform.processor() or platform.machine()}",
                "results": results,
            },
            indent=2,
        )
    )
    runtime.close()


if __name__ == "__main__":
    main()
