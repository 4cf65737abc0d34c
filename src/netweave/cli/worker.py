"""``netweave worker``: a node that runs queued jobs from Redis, holding device sessions."""

from __future__ import annotations

import re
import signal
import threading

import typer

from netweave.cli.console import console, err_console, open_runtime
from netweave.foundation.errors import NetWeaveError
from netweave.foundation.logging import configure_logging


def worker(
    threads: int = typer.Option(32, min=1, max=1024, help="Jobs run at once (one per device)"),
    node: str | None = typer.Option(None, help="Node name (default: host-pid)"),
    capacity: int | None = typer.Option(
        None, min=1, max=100_000, help="Pinned devices this node may own (default: 8 x threads)"
    ),
) -> None:
    """Consume the Redis queue (NETWEAVE_REDIS_URL) until SIGTERM/SIGINT; then finish the
    running jobs and close every device session."""
    runtime = open_runtime(migrate=False, bootstrap=False)
    configure_logging(runtime.settings.log_level)
    try:
        jobs = runtime.start_worker(threads, node, capacity)
    except NetWeaveError as exc:
        err_console.print(f"[red]error:[/] {exc.to_detail()}")
        raise typer.Exit(2) from exc
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    info = jobs.executor.nodes() or []
    mine = next((n for n in info if n.name == getattr(jobs.executor, "node", "")), None)
    console.print(
        f"worker {getattr(jobs.executor, 'node', '?')} up: {threads} threads, capacity "
        f"{mine.capacity if mine else capacity} devices, queue {runtime.settings.queue_name!r} "
        f"({re.sub(r'//[^@/]*@', '//***@', runtime.settings.redis_url or '')})"
    )
    asked = getattr(jobs.executor, "stop_requested", threading.Event())
    while not stop.wait(0.2):
        if asked.is_set():
            console.print("stop requested through the API")
            break
    console.print("draining: finishing running jobs, closing sessions ...")
    jobs.stop()
    runtime.close()
