"""The API under load: N concurrent clients against the real ``netweave serve``.

The server runs on the embedded default (SQLite, local executor; ``--database-url`` for
PostgreSQL) in its own process, seeded with ``--devices`` devices, 10 operators with an
API key each, finished jobs and runs. The clients (asyncio + httpx, one connection each,
``X-API-KEY``) run in this process and loop for ``--duration`` seconds over a mix of reads
(device pages with filters and sorting, one device, ``/jobs``, one job, ``/api/v1/runs``,
``/health``) and writes (create a pool, delete it). Every concurrency level in
``--clients`` runs against the same server, one after the other, side by side in one
table. Any non-2xx answer or connection error is an error.

    .venv/bin/python bench/api_load.py --devices 1000 --clients 100,1000 --duration 30
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from netweave.core.runtime import Runtime
from netweave.foundation.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.fixtures.loadgen import (
    LoadReport,
    Target,
    run_load_sync,
    sample_server,
    seed,
    serve,
)

console = Console()


def measure(target: Target, server: Any, clients: int, duration: float) -> dict[str, Any]:
    server_cpu, client_cpu = server.cpu_seconds(), time.process_time()
    with sample_server(server) as peaks:
        report: LoadReport = run_load_sync(target, clients, duration)
    row = report.as_dict()
    row["server_peak_sockets"] = int(peaks["sockets"])
    row["server_peak_rss_mib"] = round(peaks["rss_mib"], 1)
    row["server_cpu_s"] = round(server.cpu_seconds() - server_cpu, 2)
    row["client_cpu_s"] = round(time.process_time() - client_cpu, 2)
    row["server_cpu_ms_per_request"] = round(
        1000 * row["server_cpu_s"] / max(report.requests, 1), 2
    )
    return row


def print_tables(rows: list[dict[str, Any]], devices: int, backend: str) -> None:
    labels = sorted({label for row in rows for label in row["endpoints"]})
    table = Table(title=f"API under load: {devices} devices, {backend}, p50 / p90 / p99 ms")
    table.add_column("endpoint")
    for row in rows:
        table.add_column(f"{row['clients']} clients", justify="right")
    for label in labels:
        cells = []
        for row in rows:
            stats = row["endpoints"].get(label)
            cells.append(
                "-"
                if stats is None
                else f"{stats['p50_ms']:.0f} / {stats['p90_ms']:.0f} / {stats['p99_ms']:.0f}"
            )
        table.add_row(label, *cells)
    table.add_section()
    table.add_row(
        "all requests",
        *("{p50_ms:.0f} / {p90_ms:.0f} / {p99_ms:.0f}".format(**r["overall"]) for r in rows),
    )
    table.add_row("requests/s", *(f"{r['requests_per_s']:,.0f}" for r in rows))
    table.add_row("requests (errors)", *(f"{r['requests']:,} ({r['errors']})" for r in rows))
    table.add_row(
        "per client min-max",
        *(f"{r['requests_per_client']['min']}-{r['requests_per_client']['max']}" for r in rows),
    )
    table.add_row("server sockets (peak)", *(str(r["server_peak_sockets"]) for r in rows))
    table.add_row("server CPU ms/request", *(f"{r['server_cpu_ms_per_request']:.2f}" for r in rows))
    table.add_row(
        "CPU s server / clients",
        *(f"{r['server_cpu_s']:.1f} / {r['client_cpu_s']:.1f}" for r in rows),
    )
    table.add_row("server RSS MiB (peak)", *(f"{r['server_peak_rss_mib']:.0f}" for r in rows))
    console.print(table)
    if len(rows) > 1:
        base = rows[0]
        ratios = Table(title=f"ratios against {base['clients']} clients")
        for column in ("clients", "x clients", "requests/s", "p50", "p99"):
            ratios.add_column(column, justify="right")
        for row in rows[1:]:
            ratios.add_row(
                str(row["clients"]),
                f"{row['clients'] / base['clients']:.1f}",
                f"{row['requests_per_s'] / base['requests_per_s']:.2f}",
                f"{row['overall']['p50_ms'] / max(base['overall']['p50_ms'], 0.1):.1f}",
                f"{row['overall']['p99_ms'] / max(base['overall']['p99_ms'], 0.1):.1f}",
            )
        console.print(ratios)
    for row in rows:
        for sample in row["error_samples"][:5]:
            console.print(f"[red]{row['clients']} clients:[/] {sample}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--clients", default="100,1000", help="comma-separated levels")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per level")
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    parser.add_argument("--json", default="bench/results/api_load.json")
    args = parser.parse_args()
    levels = [int(level) for level in args.clients.split(",")]

    data_dir = Path(tempfile.mkdtemp(prefix="nw-api-load-"))
    runtime = Runtime.open(Settings(data_dir=data_dir, database_url=args.database_url))
    seeded = seed(runtime, devices=args.devices)
    backend = runtime.engine.dialect.name
    runtime.close()
    rows = []
    with serve(data_dir, database_url=args.database_url) as server:
        target = Target(server.url, seeded.keys, seeded.device_ids, seeded.job_ids)
        for clients in levels:
            console.print(f"{clients} clients for {args.duration:.0f} s ...")
            rows.append(measure(target, server, clients, args.duration))
            time.sleep(2)  # let the last connections close before the next level
    print_tables(rows, args.devices, backend)
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "devices": args.devices,
                "backend": backend,
                "machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} cpus, "
                f"Python {platform.python_version()}",
                "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                "server": "netweave serve (uvicorn, own process)",
                "levels": rows,
            },
            indent=2,
        )
    )
    if any(row["errors"] for row in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
