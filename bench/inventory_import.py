"""Import 10,000 devices from YAML, xlsx and CSV (SQLite by default); medians of N runs.

.venv/bin/python bench/inventory_import.py --devices 10000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import delete

from netweave.core.inventory import transfer
from netweave.core.runtime import Runtime
from netweave.db.models import Device
from netweave.foundation.settings import Settings


def rows(count: int) -> dict[str, list[dict[str, object]]]:
    platforms = ["cisco_ios", "arista_eos", "juniper_junos", "linux"]
    return {
        "credentials": [],
        "devices": [
            {
                "name": f"dev-{i:05d}",
                "host": f"10.{i // 65536}.{(i // 256) % 256}.{i % 256}",
                "port": 22,
                "platform": platforms[i % 4],
                "site": f"S{i % 20}",
                "tags": ["bench", f"rack{i % 40}"],
                "custom_fields": {"row": i % 7},
            }
            for i in range(count)
        ],
        "links": [],
        "pools": [],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--json", default="bench/results/inventory_import.json")
    args = parser.parse_args()
    runtime = Runtime.open(
        Settings(
            data_dir=Path(tempfile.mkdtemp()),
            database_url=args.database_url,
            mode="dev",
            admin_password="x" * 20,
        )
    )
    data = rows(args.devices)
    results: dict[str, dict[str, float]] = {}
    for fmt in ("yaml", "xlsx", "csv"):
        content = transfer.dump(data, fmt, "devices")
        parse_times, import_times = [], []
        for _ in range(args.repeat):
            with runtime.transaction() as session:
                session.execute(delete(Device))
            started = time.perf_counter()
            document = transfer.load(content, fmt, "devices")
            parsed = time.perf_counter()
            with runtime.transaction() as session:
                summary = transfer.import_document(session, runtime.box, document)
            done = time.perf_counter()
            assert summary.created["devices"] == args.devices
            parse_times.append(parsed - started)
            import_times.append(done - parsed)
        results[fmt] = {
            "file_mb": round(len(content) / 2**20, 2),
            "parse_s": round(statistics.median(parse_times), 2),
            "validate_and_write_s": round(statistics.median(import_times), 2),
            "total_s": round(statistics.median(parse_times) + statistics.median(import_times), 2),
        }
    table = Table(title=f"import {args.devices} devices ({runtime.engine.dialect.name}), medians")
    for column in ("format", "file MiB", "parse s", "validate+write s", "total s"):
        table.add_column(column)
    for fmt, row in results.items():
        table.add_row(fmt, *(str(v) for v in row.values()))
    Console().print(table)
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"devices": args.devices, "results": results}, indent=2))


if __name__ == "__main__":
    main()
