"""``netweave migrate``: bring another tool's installation in (eNMS)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from netweave.cli.console import console, err_console, open_runtime
from netweave.cli.inventory import print_rejected
from netweave.core.migration.enms import MigrationReport, migrate_path
from netweave.foundation.errors import ImportRejected, NetWeaveError

app = typer.Typer(help="Bring another tool's installation in.", no_args_is_help=True)


@app.command("enms")
def enms_command(
    path: Path = typer.Argument(
        ...,
        exists=True,
        readable=True,
        help="An eNMS spreadsheet (.xls, .xlsx), or a migration folder (a directory of "
        "<type>.yaml files, or a .zip / .tar.gz of it)",
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show what would be created, changed and skipped; write nothing"
    ),
) -> None:
    """Import an eNMS spreadsheet (devices, links, the devices' logins as scoped
    credentials) or migration folder (also pools, credentials, users, services, workflows
    and tasks). All or nothing; running it again changes nothing."""
    runtime = open_runtime()
    try:
        with runtime.transaction() as session:
            report = migrate_path(
                session, runtime.box, runtime.catalog, path, dry_run=dry_run, creator="cli"
            )
    except ImportRejected as rejected:
        print_rejected(rejected)
        raise typer.Exit(1) from rejected
    except NetWeaveError as exc:
        err_console.print(f"[red]error:[/] {exc.to_detail()}")
        raise typer.Exit(1) from exc
    finally:
        runtime.close()
    print_report(path.name, report)


def print_report(name: str, report: MigrationReport) -> None:
    title = f"{name}: " + ("dry run, nothing written" if report.dry_run else "imported")
    table = Table("kind", "created", "changed", "unchanged", "skipped", title=title)
    for kind, outcome in report.objects.items():
        counts = (outcome.created_count, outcome.changed_count, outcome.unchanged)
        table.add_row(kind, *(str(n) for n in counts), str(len(outcome.skipped)))
    console.print(table)
    skipped = [(kind, s) for kind, r in report.objects.items() for s in r.skipped]
    if skipped:
        reasons = Table("kind", "name", "skipped because", title="Skipped")
        for kind, item in skipped:
            reasons.add_row(kind, item.name, item.reason)
        console.print(reasons)
    for note in report.notes:
        console.print(f"  • {note}", highlight=False)
