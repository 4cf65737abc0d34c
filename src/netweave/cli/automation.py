"""``netweave automation``: service types, run a service or workflow with live progress,
YAML export/import."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from netweave.cli.console import console, err_console, open_runtime
from netweave.core.automation import definitions
from netweave.core.automation.runs import RunService
from netweave.core.automation.schemas import RunRead, RunRequest, TargetSpec
from netweave.foundation.errors import NetWeaveError

app = typer.Typer(help="Services and workflows.", no_args_is_help=True)
FINAL = ("success", "failure", "stopped", "error", "interrupted")


def _variables(pairs: list[str]) -> dict[str, object]:
    variables: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"{pair!r}: expected name=value", param_hint="--var")
        try:
            variables[key] = json.loads(value)
        except json.JSONDecodeError:
            variables[key] = value
    return variables


@app.command("types")
def types() -> None:
    """Service types with their source and whether they are enabled."""
    runtime = open_runtime()
    try:
        runtime.catalog.sync()
        table = Table("type", "title", "source", "enabled", "per device")
        with runtime.sessions() as session:
            for item in runtime.catalog.types(session):
                enabled = "yes" if item.enabled else "[yellow]no[/]"
                if item.error:
                    enabled = f"[red]error: {item.error[:60]}[/]"
                table.add_row(item.name, item.title, item.source, enabled, str(item.per_device))
        console.print(table)
    finally:
        runtime.close()


@app.command("run")
def run(
    name: str = typer.Argument(..., help="Service or workflow name"),
    devices: str | None = typer.Option(None, "--devices", "-d", help="Names, comma-separated"),
    pool: list[str] = typer.Option([], "--pool", "-p", help="Inventory pool(s)"),
    var: list[str] = typer.Option([], "--var", "-v", help="name=value (JSON values allowed)"),
    mode: str | None = typer.Option(None, help="Workflows: per_device or per_run"),
    timeout: float = typer.Option(3600, help="Stop waiting after this many seconds"),
) -> None:
    """Run with a live progress bar; exit code 0 only when every device succeeded."""
    runtime = open_runtime()
    runtime.recover_jobs = False  # a server may be running on the same database
    try:
        spec = None
        names = [n.strip() for n in (devices or "").split(",") if n.strip()]
        if names or pool:
            spec = TargetSpec(devices=names, pools=pool)
        request = RunRequest.model_validate(
            {"targets": spec, "variables": _variables(var), "mode": mode}
        )
        run = runtime.runs.launch(name, request, "cli", trigger="cli")
        run = _follow(runtime.runs, run, timeout)
    except NetWeaveError as exc:
        err_console.print(f"[red]error:[/] {exc.to_detail()}")
        raise typer.Exit(2) from exc
    finally:
        runtime.close()
    _report(run)
    raise typer.Exit(0 if run.status == "success" else 1)


def _follow(runs: RunService, run: RunRead, timeout: float) -> RunRead:
    total = max(len(run.targets), 1) if run.mode == "per_device" else 1
    deadline = time.monotonic() + timeout
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[steps]} step results"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(run.name, total=total, steps=0)
        while run.status not in FINAL and time.monotonic() < deadline:
            run = runs.wait(run.id, 0.5)
            counts = run.summary.get("counts", {})
            finished = sum(v for k, v in counts.items() if k != "running")
            steps = sum(sum(c.values()) for c in run.summary.get("steps", {}).values())
            progress.update(task, completed=finished, steps=steps)
    return run


def _report(run: RunRead) -> None:
    table = Table("device", "outcome", "path", title=f"{run.name}: {run.status}")
    for device, info in sorted(run.summary.get("devices", {}).items()):
        path = " → ".join(
            f"[{'green' if p['success'] else 'red'}]{p['step']}[/]" for p in info["path"]
        )
        colour = {"success": "green", "failure": "red"}.get(info["outcome"], "yellow")
        table.add_row(device, f"[{colour}]{info['outcome']}[/]", path)
    console.print(table)
    console.print(f"run {run.id}  counts {run.summary.get('counts', {})}")


@app.command("export")
def export(
    names: list[str] = typer.Argument(..., help="Services/workflows (with what they use)"),
    output: Path | None = typer.Option(None, "--output", "-o", help="File (default stdout)"),
) -> None:
    runtime = open_runtime()
    try:
        with runtime.sessions() as session:
            text = definitions.export_yaml(session, names)
    except NetWeaveError as exc:
        err_console.print(f"[red]error:[/] {exc.to_detail()}")
        raise typer.Exit(2) from exc
    finally:
        runtime.close()
    if output is None:
        console.print(text, end="", markup=False, highlight=False)
    else:
        output.write_text(text)
        console.print(f"wrote {output}")


@app.command("import")
def import_(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="A YAML export"),
    replace: bool = typer.Option(False, help="Update existing names instead of refusing"),
) -> None:
    runtime = open_runtime()
    try:
        runtime.catalog.sync()
        with runtime.transaction() as session:
            rows = definitions.import_yaml(
                session, runtime.catalog, path.read_text(), "cli", replace=replace, admin=True
            )
            written = [f"{row.kind} {row.name}" for row in rows]
    except NetWeaveError as exc:
        err_console.print(f"[red]error:[/] {exc.to_detail()}")
        raise typer.Exit(2) from exc
    finally:
        runtime.close()
    console.print(f"imported {len(written)}: " + ", ".join(written))
