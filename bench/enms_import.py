"""Import an eNMS topology spreadsheet (.xls, sheets device and link) of N devices and N
links, dry run then import, on SQLite by default; medians of --repeat runs, side by side
with NetWeave's own YAML import of the same devices and links (the floor: no translation,
no .xls parsing).

.venv/bin/python bench/enms_import.py --devices 20000 --repeat 3
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import xlwt
import yaml
from rich.console import Console
from rich.table import Table
from sqlalchemy import delete

from netweave.core.inventory import transfer
from netweave.core.migration.enms import migrate_workbook
from netweave.core.runtime import Runtime
from netweave.db.models import Credential, Device, Link
from netweave.foundation.settings import Settings

SYSTEMS = ["IOS", "EOS", "JunOS", "Linux"]


def host(i: int) -> str:
    return f"10.{i // 65536}.{(i // 256) % 256}.{i % 256}"


def enms_xls(count: int) -> bytes:
    book = xlwt.Workbook()
    devices = book.add_sheet("device")
    columns = [
        "name",
        "longitude",
        "latitude",
        "ip_address",
        "operating_system",
        "vendor",
        "username",
        "password",
        "location",
    ]
    for col, name in enumerate(columns):
        devices.write(0, col, name)
    for i in range(count):
        values = [
            f"dev-{i:05d}",
            str(2.0 + i % 50),
            48.0 + i % 30,
            host(i),
            SYSTEMS[i % 4],
            "",
            f"user{i % 3}",
            "secret",
            f"site-{i % 20}",
        ]
        for col, value in enumerate(values):
            devices.write(i + 1, col, value)
    links = book.add_sheet("link")
    for col, name in enumerate(["name", "source_name", "destination_name", "color"]):
        links.write(0, col, name)
    for i in range(count):
        for col, value in enumerate(
            [f"link-{i:05d}", f"dev-{i:05d}", f"dev-{(i + 1) % count:05d}", "#000"]
        ):
            links.write(i + 1, col, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def native_yaml(count: int) -> bytes:
    platforms = ["cisco_ios", "arista_eos", "juniper_junos", "linux"]
    document: dict[str, Any] = {
        "devices": [
            {
                "name": f"dev-{i:05d}",
                "host": host(i),
                "platform": platforms[i % 4],
                "site": f"site-{i % 20}",
                "latitude": 48.0 + i % 30,
                "longitude": 2.0 + i % 50,
            }
            for i in range(count)
        ],
        "links": [
            {
                "name": f"link-{i:05d}",
                "source": f"dev-{i:05d}",
                "destination": f"dev-{(i + 1) % count:05d}",
            }
            for i in range(count)
        ],
    }
    return yaml.safe_dump(document).encode()


def wipe(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        session.execute(delete(Link))
        session.execute(delete(Device))
        session.execute(delete(Credential))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--json", default="bench/results/enms_import.json")
    args = parser.parse_args()
    runtime = Runtime.open(
        Settings(
            data_dir=Path(tempfile.mkdtemp()),
            database_url=args.database_url,
            mode="dev",
            admin_password="x" * 20,
        )
    )
    content, native = enms_xls(args.devices), native_yaml(args.devices)
    timings: dict[str, list[float]] = {
        "enms dry run": [],
        "enms import": [],
        "native yaml import": [],
    }
    for _ in range(args.repeat):
        wipe(runtime)
        for label, dry in (("enms dry run", True), ("enms import", False)):
            start = time.perf_counter()
            with runtime.transaction() as session:
                report = migrate_workbook(session, runtime.box, content, dry_run=dry)
            timings[label].append(time.perf_counter() - start)
            assert report.summary.created["devices"] == args.devices
        wipe(runtime)
        start = time.perf_counter()
        with runtime.transaction() as session:
            transfer.import_file(session, runtime.box, native, fmt="yaml")
        timings["native yaml import"].append(time.perf_counter() - start)
    medians = {label: statistics.median(values) for label, values in timings.items()}
    table = Table(
        "step",
        "median s",
        title=f"eNMS import, {args.devices:,} devices + links, {len(content) / 2**20:.1f} MiB .xls",
    )
    for label, value in medians.items():
        table.add_row(label, f"{value:.2f}")
    ratio = medians["enms import"] / medians["native yaml import"]
    table.caption = f"eNMS import / native YAML import: {ratio:.2f}x"
    Console().print(table)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(
        json.dumps({"devices": args.devices, "medians": medians, "ratio": ratio}, indent=1)
    )


if __name__ == "__main__":
    main()
