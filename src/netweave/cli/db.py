"""``netweave db``: schema migrations."""

from __future__ import annotations

import typer

from netweave.cli.console import console, err_console
from netweave.db.engine import make_engine
from netweave.db.migrate import current_revision, head_revision, upgrade
from netweave.foundation.errors import NetWeaveError
from netweave.foundation.private import private_dir
from netweave.foundation.settings import Settings

app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)


def _engine_url() -> str:
    try:
        settings = Settings()
    except NetWeaveError as exc:
        err_console.print(f"[red]error:[/] {exc.to_detail()}")
        raise typer.Exit(2) from exc
    if settings.database_url is None:
        private_dir(settings.data_dir)
    return settings.effective_database_url


@app.command("upgrade")
def upgrade_command(revision: str = typer.Argument("head")) -> None:
    """Bring the database schema up to REVISION (default: the latest)."""
    engine = make_engine(_engine_url())
    before = current_revision(engine)
    upgrade(engine, revision)
    after = current_revision(engine)
    console.print(f"schema: {before or '(empty)'} → [bold]{after}[/]")
    engine.dispose()


@app.command("current")
def current_command() -> None:
    """Show the schema revision of the database and the latest one known."""
    engine = make_engine(_engine_url())
    console.print(
        f"database: {current_revision(engine) or '(empty)'}  latest: {head_revision(engine)}"
    )
    engine.dispose()
