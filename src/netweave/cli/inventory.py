"""``netweave inventory``: import and export Excel, CSV or YAML files."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from netweave.cli.console import console, err_console, open_runtime
from netweave.core.inventory import transfer
from netweave.foundation.errors import ImportRejected, NetWeaveError

app = typer.Typer(help="Inventory files: Excel (.xlsx), CSV, YAML.", no_args_is_help=True)

FORMAT_HELP = "xlsx, csv or yaml (default: from the file extension)"
KIND_HELP = "What a CSV file holds: devices, links, pools or credentials"


@app.command("import")
def import_command(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    format: str | None = typer.Option(None, "--format", "-f", help=FORMAT_HELP),
    kind: str = typer.Option("devices", "--kind", "-k", help=KIND_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate and count, write nothing"),
) -> None:
    """Import (upsert by name). Every row is validated first; one bad row rejects the
    whole file and nothing is written."""
    runtime = open_runtime()
    try:
        with runtime.transaction() as session:
            summary = transfer.import_file(
                session,
                runtime.box,
                path.read_bytes(),
                fmt=format,
                filename=path.name,
                kind=kind,
                dry_run=dry_run,
            )
    except ImportRejected as rejected:
        print_rejected(rejected)
        raise typer.Exit(1) from rejected
    except NetWeaveError as exc:
        err_console.print(f"[red]error:[/] {exc.to_detail()}")
        raise typer.Exit(1) from exc
    finally:
        runtime.close()
    print_summary(path.name, summary)


def print_rejected(rejected: ImportRejected) -> None:
    table = Table("sheet", "row", "field", "message", title=rejected.message)
    for error in rejected.errors:
        table.add_row(error["sheet"], str(error["row"]), error["field"], error["message"])
    err_console.print(table)


def print_summary(name: str, summary: transfer.ImportSummary) -> None:
    title = f"{name}: " + ("dry run, nothing written" if summary.dry_run else "imported")
    table = Table("kind", "created", "updated", "unchanged", title=title)
    for kind in transfer.KINDS:
        counts = (summary.created[kind], summary.updated[kind], summary.unchanged[kind])
        table.add_row(kind, *(str(n) for n in counts))
    console.print(table)


@app.command("export")
def export_command(
    path: Path = typer.Argument(..., dir_okay=False, writable=True),
    format: str | None = typer.Option(None, "--format", "-f", help=FORMAT_HELP),
    kind: str = typer.Option("devices", "--kind", "-k", help=KIND_HELP),
) -> None:
    """Export the whole inventory (credentials without secrets). xlsx and YAML hold every
    kind; a CSV file holds one --kind."""
    runtime = open_runtime()
    try:
        with runtime.transaction() as session:
            rows = transfer.export_document(session)
        fmt = format or transfer.format_from_name(path.name)
        content = transfer.dump(rows, fmt, kind)
    except NetWeaveError as exc:
        err_console.print(f"[red]error:[/] {exc.to_detail()}")
        raise typer.Exit(1) from exc
    finally:
        runtime.close()
    path.write_bytes(content)
    kinds = [kind] if fmt == "csv" else list(transfer.KINDS)
    counts = ", ".join(f"{len(rows[k])} {k}" for k in kinds)
    console.print(f"wrote {path} ({counts}; {len(content):,} bytes)")
