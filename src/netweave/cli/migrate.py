"""``netweave migrate``: bring another tool's installation in (eNMS)."""

from __future__ import annotations

from pathlib import Path

import typer

from netweave.cli.console import console, err_console, open_runtime
from netweave.cli.inventory import print_rejected, print_summary
from netweave.core.migration.enms import migrate_workbook
from netweave.foundation.errors import ImportRejected, NetWeaveError

app = typer.Typer(help="Bring another tool's installation in.", no_args_is_help=True)


@app.command("enms")
def enms_command(
    path: Path = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True, help="An eNMS spreadsheet (.xls, .xlsx)"
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show what would be created, changed and left out; write nothing"
    ),
) -> None:
    """Import an eNMS spreadsheet (sheets ``device`` and ``link``): devices, links, and the
    devices' logins as scoped credentials. All or nothing; running it again changes nothing."""
    runtime = open_runtime()
    try:
        with runtime.transaction() as session:
            report = migrate_workbook(session, runtime.box, path.read_bytes(), dry_run=dry_run)
    except ImportRejected as rejected:
        print_rejected(rejected)
        raise typer.Exit(1) from rejected
    except NetWeaveError as exc:
        err_console.print(f"[red]error:[/] {exc.to_detail()}")
        raise typer.Exit(1) from exc
    finally:
        runtime.close()
    print_summary(path.name, report.summary)
    for note in report.notes:
        console.print(f"  • {note}", highlight=False)
