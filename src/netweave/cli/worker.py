"""``netweave worker``: a node that runs queued jobs from Redis, holding device sessions."""

from __future__ import annotations

import re
import threading

import typer

from netweave.cli.console import console, err_console, open_runtime
from netweave.cli.import_phase import freeze_start_up_objects
from netweave.cli.open_files import raise_open_files_limit
from netweave.cli.shutdown import SHUTDOWN_GRACE_S, ShutdownSignals
from netweave.foundation import guarded
from netweave.foundation.errors import NetWeaveError
from netweave.foundation.logging import configure_logging


def worker(
    threads: int = typer.Option(32, min=1, max=1024, help="Jobs run at once (one per device)"),
    node: str | None = typer.Option(None, help="Node name (default: host-pid)"),
    capacity: int | None = typer.Option(
        None, min=1, max=100_000, help="Pinned devices this node may own (default: 8 x threads)"
    ),
) -> None:
    """Consume the Redis queue (NETWEAVE_REDIS_URL) until SIGTERM/SIGINT; then take no new
    job, let the running ones finish (up to 10 s), close every device session, leave the
    node directory and exit 0."""
    signals = ShutdownSignals().install()
    raise_open_files_limit()  # a descriptor per device session, and its channel's pipe
    runtime = open_runtime(migrate=False, bootstrap=False)
    configure_logging(runtime.settings.log_level)
    freeze_start_up_objects()
    try:
        try:
            jobs = runtime.start_worker(threads, node, capacity)
        except NetWeaveError as exc:
            err_console.print(f"[red]error:[/] {exc.to_detail()}")
            raise typer.Exit(2) from exc
        info = jobs.executor.nodes() or []
        name = getattr(jobs.executor, "node", "?")
        mine = next((n for n in info if n.name == name), None)
        console.print(
            f"worker {name} up: {threads} threads, capacity "
            f"{mine.capacity if mine else capacity} devices, queue "
            f"{runtime.settings.queue_name!r} "
            f"({re.sub(r'//[^@/]*@', '//***@', runtime.settings.redis_url or '')})"
        )
        asked = getattr(jobs.executor, "stop_requested", threading.Event())
        while not signals.wait(0.2):
            if asked.is_set():
                console.print("stop requested through the API")
                signals.request()
        console.print("draining: finishing running jobs, closing sessions ...")
    finally:
        # the node takes no new job, running ones get the grace, then the sessions close
        # and the heartbeat key is deleted (the node leaves the directory at once)
        runtime.close(grace=SHUTDOWN_GRACE_S)
        guarded.shutdown()
