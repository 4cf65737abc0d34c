"""``netweave scheduler``: fire scheduled tasks (any number of these may run: each due
time fires once)."""

from __future__ import annotations

import typer

from netweave.cli.console import console, open_runtime
from netweave.cli.shutdown import SHUTDOWN_GRACE_S, ShutdownSignals
from netweave.foundation import guarded
from netweave.foundation.logging import configure_logging
from netweave.scheduler import SchedulerLoop


def scheduler(
    every: float = typer.Option(1.0, min=0.1, max=60, help="Seconds between ticks"),
) -> None:
    """Tick until SIGTERM/SIGINT. Runs it starts are driven from this process (the jobs run
    on this process's executor: local threads, or the rq workers)."""
    signals = ShutdownSignals().install()
    runtime = open_runtime(migrate=False, bootstrap=False)
    configure_logging(runtime.settings.log_level)
    runtime.recover_jobs = False  # the server owns job recovery
    loop = None
    try:
        loop = SchedulerLoop(runtime, every).start()
        console.print(f"scheduler {loop.name} up (tick {every:g} s)")
        signals.wait()
    finally:
        if loop is not None:
            loop.stop()
        runtime.close(grace=SHUTDOWN_GRACE_S)
        guarded.shutdown()
    totals = loop.firer.totals
    console.print(f"scheduler stopped: fired {totals.fired}, skipped {totals.skipped}")
