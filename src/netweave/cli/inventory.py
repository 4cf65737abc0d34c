"""``netweave inventory``: import and export Excel, CSV or YAML files."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from netweave.cli.console import console, err_console, open_runtime
from netweave.core.inventory import transfer
from netweave.core.inventory.transfer.formats import format_from_name
from netweave.foundation.errors import ImportRejected, NetWeaveError

app = typer.Typer(help="Inventory files: Excel, CSV, YAML.", no_args_is_help=True)


@app.command("import")
def import_command(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    format: str | None = typer.Option(None, help="xlsx, csv or yaml (default: from the name)"),
    kind: str = typer.Option("devices", help="What a CSV file holds"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate only"),
) -> None:
    """Import a file: every row is validated first; one bad row rejects the whole file."""
    runtime = open_runtime()
    try:
        document = transfer.load(path.read_bytes(), format or format_from_name(path.name), kind)
        with runtime.transaction() as session:
            summary = transfer.import_document(session, runtime.box, document, dry_run=dry_run)
            if dry_run:
                session.rollback()
    except ImportRejected as rejected:
        table = Table("sheet", "row", "field", "message", title=rejected.message)
        for error in rejected.errors:
            table.add_row(error["sheet"], str(error["row"]), error["field"], error["message"])
        err_console.print(table)
        raise typer.Exit(1) from rejected
    except NetWeaveError as exc:
        err_console.print(f"[red]error:[/] {exc.to_detail()}")
        raise typer.Exit(1) from exc
    table = Table(
        "kind", "created", "updated", title="dry run: nothing written" if dry_run else "imported"
    )
    for name in transfer.KINDS:
        table.add_row(name, str(summary.created[name]), str(summary.updated[name]))
    console.print(table)


@app.command("export")
def export_command(
    path: Path = typer.Argument(..., dir_okay=False),
    format: str | None = typer.Option(None, help="xlsx, csv or yaml (default: from the name)"),
    kind: str = typer.Option("devices", help="What a CSV file holds"),
) -> None:
    """Export the whole inventory (credentials without secrets)."""
    runtime = open_runtime()
    try:
        fmt = format or format_from_name(path.name)
        with runtime.transaction() as session:
            content = transfer.dump(transfer.export_document(session), fmt, kind)
    except NetWeaveError as exc:
        err_console.print(f"[red]error:[/] {exc.to_detail()}")
        raise typer.Exit(1) from exc
    path.write_bytes(content)
    console.print(f"wrote {path} ({len(content)} bytes)")
