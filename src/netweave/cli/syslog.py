"""``netweave syslog``: receive syslog (UDP + TCP) into the database and run event rules."""

from __future__ import annotations

import typer

from netweave.cli.console import console, err_console, open_runtime
from netweave.cli.shutdown import SHUTDOWN_GRACE_S, ShutdownSignals
from netweave.foundation import guarded
from netweave.foundation.logging import configure_logging
from netweave.syslog import SyslogServer


def syslog(
    host: str | None = typer.Option(None, help="Listen address (default: settings)"),
    port: int | None = typer.Option(None, min=1, max=65535, help="UDP and TCP port"),
) -> None:
    """Until SIGTERM/SIGINT; on the way out, what is queued is still stored."""
    signals = ShutdownSignals().install()
    runtime = open_runtime(migrate=False, bootstrap=False)
    configure_logging(runtime.settings.log_level)
    runtime.recover_jobs = False
    settings = runtime.settings
    server = None
    try:
        try:
            server = SyslogServer(
                runtime.events,
                host or settings.syslog_host,
                port or settings.syslog_port,
                capacity=settings.syslog_queue,
            ).start()
        except OSError as exc:
            err_console.print(f"[red]error:[/] syslog: cannot listen: {exc}")
            raise typer.Exit(2) from exc
        console.print(f"syslog up: udp {server.udp_port}, tcp {server.tcp_port}")
        signals.wait()
    finally:
        if server is not None:
            server.stop()  # what is queued is still stored
        runtime.close(grace=SHUTDOWN_GRACE_S)
        guarded.shutdown()
    stats = server.stats()
    console.print(
        f"syslog stopped: received {stats.received}, stored {stats.stored}, dropped {stats.dropped}"
    )
