"""Syslog ingest: messages/s stored with 0 and 50 event rules (TCP, lossless, as fast as the
server takes them), and loss with UDP at a steady 5,000 messages/s — SQLite (embedded
default) and PostgreSQL side by side. The sender is a separate process (its own GIL).

    .venv/bin/python bench/syslog_ingest.py --messages 50000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, func, select, text

from netweave.core.automation import definitions
from netweave.core.automation.schemas import ServiceCreate
from netweave.core.events import records
from netweave.core.events.schemas import RuleCreate, RuleMatch
from netweave.core.runtime import Runtime
from netweave.db.models import SyslogEntry
from netweave.foundation.settings import Settings
from netweave.syslog import SyslogServer

PG_ADMIN = os.environ.get(
    "NETWEAVE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
console = Console()

SENDER = r"""
import socket, sys, time
mode, port, count, rate = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
lines = [
    (f"<187>{i}: *Nov 23 16:30:00.123: %LINK-3-UPDOWN: Interface Gi0/{i % 48}, changed state "
     f"to {'down' if i % 1000 == 0 else 'up'}").encode()
    for i in range(count)
]
started = time.perf_counter()
if mode == "tcp":
    s = socket.create_connection(("127.0.0.1", port))
    for i in range(0, count, 500):
        s.sendall(b"".join(b"%d %s" % (len(l), l) for l in lines[i:i + 500]))
    s.close()
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i, line in enumerate(lines):
        if rate:
            due = started + i / rate
            while time.perf_counter() < due:
                time.sleep(max(0.0, min(due - time.perf_counter(), 0.002)))
        s.sendto(line, ("127.0.0.1", port))
print(time.perf_counter() - started)
"""


def scratch_pg() -> str:
    name = f"nwbench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def drop_pg(url: str) -> None:
    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    engine.dispose()


def add_rules(runtime: Runtime, count: int) -> None:
    """``count`` rules: one matches 1 message in 1,000 (rate-limited), the others test
    their regex on every message and never match."""
    runtime.catalog.sync()
    with runtime.transaction() as session:
        definitions.create_service(
            session, runtime.catalog,
            ServiceCreate(name="Notify", type="rest_call",
                          inputs={"url": "http://127.0.0.1:9/{{ vars.interface }}"}),
            "bench",
        )
        for number in range(count):
            regex = (
                r"%LINK-3-UPDOWN: Interface (?P<interface>\S+), changed state to down"
                if number == 0
                else rf"%BGP-5-ADJCHANGE: neighbor 10\.{number}\.\d+\.\d+ (?P<state>Down|Up)"
            )
            records.create_rule(
                session,
                RuleCreate(name=f"rule-{number}", automation="Notify",
                           match=RuleMatch(regex=regex, max_severity=5), rate_limit=5),
            )


def stored(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(SyslogEntry)) or 0)


def send(mode: str, port: int, count: int, rate: float) -> float:
    out = subprocess.run(
        [sys.executable, "-c", SENDER, mode, str(port), str(count), str(rate)],
        capture_output=True, text=True, check=True, timeout=600,
    )
    return float(out.stdout.strip())


def measure(database: str | None, rules: int, count: int, directory: Path) -> dict[str, Any]:
    data = directory / uuid.uuid4().hex[:6]
    settings = Settings(data_dir=data, mode="dev", admin_password="x" * 20,
                        database_url=database, syslog_queue=200_000)  # type: ignore[call-arg]
    runtime = Runtime.open(settings)
    add_rules(runtime, rules) if rules else runtime.catalog.sync()
    server = SyslogServer(runtime.events, "127.0.0.1", 0, capacity=200_000).start()
    try:
        started = time.perf_counter()
        send("tcp", server.tcp_port or 0, count, 0)
        while stored(runtime) < count and time.perf_counter() - started < 600:
            time.sleep(0.05)
        tcp_rate = count / (time.perf_counter() - started)
        before = stored(runtime)
        steady = min(count, 50_000)
        received_before = server.stats().received
        sent_for = send("udp", server.udp_port or 0, steady, 5000)
        deadline = time.perf_counter() + 60
        while stored(runtime) - before < steady and time.perf_counter() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        got = stored(runtime) - before
        stats = server.stats()
        return {
            "database": "postgresql" if database else "sqlite",
            "rules": rules,
            "tcp_msgs_per_s": round(tcp_rate),
            "udp_sent": steady,
            "udp_rate": round(steady / sent_for),
            "udp_stored": got,
            "udp_lost": steady - got,
            "kernel_or_queue_lost": steady - (stats.received - received_before),
            "queue_dropped": stats.dropped,
            "rules_fired": stats.rules_fired,
        }
    finally:
        server.stop()
        runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--json", default="bench/results/syslog_ingest.json")
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="nw-syslog-bench-"))
    rows = [measure(None, 0, args.messages, directory), measure(None, 50, args.messages, directory)]
    pg = scratch_pg()
    try:
        rows.append(measure(pg, 50, args.messages, directory))
    finally:
        drop_pg(pg)
    table = Table(title=f"syslog ingest, {args.messages} messages, server and sender on 2 cores")
    for column in ("database", "rules", "TCP msgs/s", "vs 0 rules", "UDP @ rate", "UDP lost"):
        table.add_column(column)
    base = rows[0]["tcp_msgs_per_s"]
    for row in rows:
        table.add_row(row["database"], str(row["rules"]), f"{row['tcp_msgs_per_s']:,}",
                      f"{row['tcp_msgs_per_s'] / base:.2f}", f"{row['udp_rate']:,}/s",
                      f"{row['udp_lost']} of {row['udp_sent']:,}")
    console.print(table)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(
        {"machine": platform.platform(), "cpus": os.cpu_count(), "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
