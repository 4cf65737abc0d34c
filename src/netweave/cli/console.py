"""Shared Rich console and the runtime opener for CLI commands."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

if TYPE_CHECKING:  # the engine and the settings load only in the commands that use them
    from netweave.core.runtime import Runtime
    from netweave.foundation.settings import Settings

console = Console()
err_console = Console(stderr=True)


DEMO_DIR = Path(".demo-data")  # where `make demo` keeps its installation


def open_runtime(
    overrides: dict[str, object] | None = None, *, migrate: bool = True, bootstrap: bool = True
) -> Runtime:
    """``migrate``/``bootstrap`` are for the server and admin commands; worker nodes only
    check that the schema is current (no two processes race to migrate or bootstrap).
    Says on stderr which installation (data directory, database) the command acts on."""
    from pydantic import ValidationError

    from netweave.core.runtime import Runtime
    from netweave.foundation.errors import NetWeaveError
    from netweave.foundation.settings import Settings

    try:
        settings = Settings(**(overrides or {}))  # type: ignore[arg-type]
        new = not settings.data_dir.exists()
        _refuse_a_stray_installation(settings, new)
        runtime = Runtime.open(settings, migrate=migrate, bootstrap=bootstrap)
        err_console.print(f"[dim]{installation(settings, new)}[/]", highlight=False, soft_wrap=True)
        return runtime
    except NetWeaveError as exc:
        err_console.print(f"[red]error:[/] {exc.to_detail()}")
        raise typer.Exit(2) from exc
    except ValidationError as exc:
        for problem in exc.errors():
            where = ".".join(str(p) for p in problem["loc"]) or "settings"
            err_console.print(f"[red]error:[/] {where}: {problem['msg']}")
        raise typer.Exit(2) from exc


def installation(settings: Settings, new: bool = False) -> str:
    """``data: <dir> (SQLite <file> | PostgreSQL <url without password>)``."""
    from sqlalchemy.engine import make_url

    url = make_url(settings.effective_database_url)
    if url.get_backend_name() == "sqlite":
        database = f"SQLite {url.database}"
    else:
        database = url.render_as_string(hide_password=True)
    return f"data: {settings.data_dir.resolve()} ({database})" + (
        ", a new installation" if new else ""
    )


def _refuse_a_stray_installation(settings: Settings, new: bool) -> None:
    """The default data directory does not exist yet, nobody chose it, and the demo's sits
    right here: the user almost certainly meant the demo's (a second, empty installation
    with its own admin password would be created otherwise)."""
    chosen = "data_dir" in settings.model_fields_set
    if new and not chosen and DEMO_DIR.is_dir():
        err_console.print(
            f"[red]error:[/] no NetWeave installation in {settings.data_dir}, but the demo's "
            f"is in ./{DEMO_DIR}: run the command with NETWEAVE_DATA_DIR={DEMO_DIR} "
            f"(or set NETWEAVE_DATA_DIR={settings.data_dir} to create a new installation "
            "there)",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(2)


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
