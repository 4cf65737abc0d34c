"""Shared Rich console and the runtime opener for CLI commands."""

from __future__ import annotations

import typer
from pydantic import ValidationError
from rich.console import Console

from netweave.core.runtime import Runtime
from netweave.foundation.errors import NetWeaveError
from netweave.foundation.settings import Settings

console = Console()
err_console = Console(stderr=True)


def open_runtime(
    overrides: dict[str, object] | None = None, *, migrate: bool = True, bootstrap: bool = True
) -> Runtime:
    """``migrate``/``bootstrap`` are for the server and admin commands; worker nodes only
    check that the schema is current (no two processes race to migrate or bootstrap)."""
    try:
        settings = Settings(**(overrides or {}))  # type: ignore[arg-type]
        return Runtime.open(settings, migrate=migrate, bootstrap=bootstrap)
    except NetWeaveError as exc:
        err_console.print(f"[red]error:[/] {exc.to_detail()}")
        raise typer.Exit(2) from exc
    except ValidationError as exc:
        for problem in exc.errors():
            where = ".".join(str(p) for p in problem["loc"]) or "settings"
            err_console.print(f"[red]error:[/] {where}: {problem['msg']}")
        raise typer.Exit(2) from exc


def announce_bootstrap(runtime: Runtime) -> None:
    result = runtime.bootstrap
    if result is None or not result.created:
        return
    console.print(f"[bold green]Created the first admin user[/] [bold]{result.username}[/]")
    if result.password:
        console.print(
            f"  password: [bold yellow]{result.password}[/]  "
            "(shown once: store it now; change it with `netweave user set-password`)"
        )
