"""The API under load: N concurrent clients against the real ``netweave serve``.

The server runs on the embedded default (SQLite, local executor; ``--database-url`` for
PostgreSQL) in its own process, seeded with ``--devices`` devices, 10 operators with an
API key each, finished jobs and runs. The clients (asyncio + httpx, one connection each,
``X-API-KEY``) run in this process and loop for ``--duration`` seconds over a mix of reads
(device pages with filters and sorting, one device, ``/jobs``, one job, ``/api/v1/runs``,
``/health``) and writes (create a pool, delete it). Every concurrency level in
``--clients`` runs against the same server, one after the other, side by side in one
table. Any non-2xx answer or connection error is an error.

``--workers 1,2`` runs the levels against ``netweave serve --workers N`` for each N, one
after the other in one run (several API processes need the rq executor: give a PostgreSQL
``--database-url`` and ``--redis-url``); ``--nginx`` puts Debian's nginx with the
documented site file (TLS) in front; ``--mix jobs`` asks only ``GET /jobs/{id}``.

    .venv/bin/python bench/api_load.py --devices 1000 --clients 100,1000 --duration 30
    .venv/bin/python bench/api_load.py --mix jobs --clients 1000 --workers 1,2 --nginx \
        --database-url postgresql://postgres@127.0.0.1/nw_bench --redis-url redis://127.0.0.1/14
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
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
from bench import wrk_load
from tests.fixtures.loadgen import (
    DEFAULT_MIX,
    LoadReport,
    Target,
    free_port,
    get_job,
    run_load_sync,
    sample_server,
    seed,
    serve,
)
from tests.fixtures.nginx import running_nginx

MIXES = {"default": DEFAULT_MIX, "jobs": ((get_job, 1),)}

console = Console()


def _client_cpu() -> float:
    """This process's CPU and that of its ended children (wrk runs as one)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def measure(
    target: Target,
    server: Any,
    clients: int,
    duration: float,
    mix: str = "default",
    client: str = "httpx",
    warmup: float = 0.0,
) -> dict[str, Any]:
    server_cpu, client_cpu = server.cpu_seconds(), _client_cpu()
    with sample_server(server) as peaks:
        if client == "wrk":
            if warmup > 0:  # keys verified and cached, pools and upstream connections open
                wrk_load.run_wrk(
                    target.url, list(target.keys), list(target.job_ids), clients, warmup, 2
                )
            server_cpu, client_cpu = server.cpu_seconds(), _client_cpu()
            row = wrk_load.as_row(
                wrk_load.run_wrk(
                    target.url,
                    list(target.keys),
                    list(target.job_ids),
                    clients,
                    duration,
                    threads=2,
                ),
                clients,
            )
            row["warmup_s"] = warmup
        else:
            report: LoadReport = run_load_sync(target, clients, duration, mix=MIXES[mix])
            row = report.as_dict()
    row["server_peak_sockets"] = int(peaks["sockets"])
    row["server_peak_rss_mib"] = round(peaks["rss_mib"], 1)
    row["server_cpu_s"] = round(server.cpu_seconds() - server_cpu, 2)
    row["client_cpu_s"] = round(_client_cpu() - client_cpu, 2)
    row["server_cpu_ms_per_request"] = round(
        1000 * row["server_cpu_s"] / max(row["requests"], 1), 2
    )
    return row


def print_tables(rows: list[dict[str, Any]], devices: int, backend: str) -> None:
    labels = sorted({label for row in rows for label in row["endpoints"]})
    table = Table(title=f"API under load: {devices} devices, {backend}, p50 / p90 / p99 ms")
    table.add_column("endpoint")
    for row in rows:
        where = f"{row['api_processes']} proc" + (" via nginx" if row["nginx"] else "")
        table.add_column(f"{row['clients']} clients, {where}", justify="right")
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
    parser.add_argument("--redis-url", default=None, help="for --workers above 1 (rq)")
    parser.add_argument("--workers", default="1", help="API processes, comma-separated")
    parser.add_argument("--nginx", action="store_true", help="nginx (TLS) in front")
    parser.add_argument("--mix", choices=sorted(MIXES), default="default")
    parser.add_argument(
        "--client",
        choices=("httpx", "wrk"),
        default="httpx",
        help="wrk (Debian's wrk, C) drives --mix jobs at a fraction of the clients' CPU",
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=5.0,
        help="wrk: seconds of the same load before each measured level (not counted); the "
        "measured run opens its connections (TLS handshakes included) anew",
    )
    parser.add_argument("--json", default="bench/results/api_load.json")
    args = parser.parse_args()
    levels = [int(level) for level in args.clients.split(",")]
    layouts = [int(count) for count in args.workers.split(",")]
    if args.client == "wrk" and args.mix != "jobs":
        parser.error("--client wrk drives --mix jobs only")
    if max(layouts) > 1 and not (args.redis_url and args.database_url):
        parser.error("--workers above 1 needs --database-url (PostgreSQL) and --redis-url")

    data_dir = Path(tempfile.mkdtemp(prefix="nw-api-load-"))
    runtime = Runtime.open(Settings(data_dir=data_dir, database_url=args.database_url))
    seeded = seed(runtime, devices=args.devices)
    backend = runtime.engine.dialect.name
    runtime.close()
    rows = []
    rq = {}
    if args.redis_url:
        rq = {"NETWEAVE_EXECUTOR": "rq", "NETWEAVE_REDIS_URL": args.redis_url,
              "NETWEAVE_QUEUE_NAME": f"api-load-{os.getpid()}"}  # fmt: skip
    if args.nginx:  # as docs/deployment/systemd/netweave.env.example: nginx logs requests
        rq["NETWEAVE_ACCESS_LOG"] = "false"
    for workers in layouts:
        with (
            serve(
                data_dir, database_url=args.database_url, workers=workers, env_extra=rq
            ) as server,
            contextlib.ExitStack() as stack,
        ):
            url, cafile = server.url, None
            if args.nginx:
                port = int(server.url.rsplit(":", 1)[1])
                where = Path(tempfile.mkdtemp(prefix="nw-api-load-nginx-"))
                proxy = stack.enter_context(
                    running_nginx(where, [port], free_port(), free_port(), workers=2)
                )
                url, cafile = proxy.url, str(proxy.cert)
            target = Target(url, seeded.keys, seeded.device_ids, seeded.job_ids, cafile)
            for clients in levels:
                console.print(
                    f"{clients} clients, {workers} API process(es)"
                    + (" via nginx" if args.nginx else "")
                    + f", {args.duration:.0f} s ..."
                )
                row = measure(
                    target, server, clients, args.duration, args.mix, args.client, args.warmup
                )
                row.update(api_processes=workers, nginx=args.nginx, mix=args.mix)
                rows.append(row)
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
