"""The ``netweave`` command."""

from __future__ import annotations

import typer

from netweave.cli import automation, db, inventory, lab, migrate, users
from netweave.cli.run import run
from netweave.cli.scheduler import scheduler
from netweave.cli.serve import serve
from netweave.cli.syslog import syslog
from netweave.cli.worker import worker

app = typer.Typer(
    help="NetWeave: network automation server, device lab and tools.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.command("serve")(serve)
app.command("run")(run)
app.command("worker")(worker)
app.command("scheduler")(scheduler)
app.command("syslog")(syslog)
app.add_typer(db.app, name="db")
app.add_typer(users.app, name="user")
app.add_typer(inventory.app, name="inventory")
app.add_typer(lab.app, name="lab")
app.add_typer(automation.app, name="automation")
app.add_typer(migrate.app, name="migrate")


if __name__ == "__main__":
    app()
