"""``netweave user``: accounts and API keys from the shell."""

from __future__ import annotations

import typer
from pydantic import ValidationError
from rich.table import Table

from netweave.cli.console import console, err_console, open_runtime
from netweave.core.access import tokens, users
from netweave.core.access.password_policy import PasswordPolicy
from netweave.core.access.schemas import ApiKeyCreate, UserCreate, UserUpdate
from netweave.db.models import Role
from netweave.foundation.errors import NetWeaveError

app = typer.Typer(help="Users, roles and API keys.", no_args_is_help=True)


def _fail(message: str) -> typer.Exit:
    err_console.print(f"[red]error:[/] {message}")
    return typer.Exit(1)


@app.command("list")
def list_command() -> None:
    """List users."""
    runtime = open_runtime()
    table = Table("id", "username", "role", "active", "last login")
    with runtime.transaction() as session:
        for user in users.list_users(session):
            table.add_row(
                str(user.id),
                user.username,
                user.role,
                str(user.is_active),
                str(user.last_login_at or "-"),
            )
    console.print(table)


@app.command("create")
def create_command(
    username: str,
    role: Role = typer.Option(Role.viewer, help="admin, operator or viewer"),
    password: str | None = typer.Option(None, help="Default: generated and printed once"),
) -> None:
    """Create a user."""
    runtime = open_runtime()
    secret = password or users.generate_password()
    try:
        data = UserCreate(username=username, password=secret, role=role)
        with runtime.transaction() as session:
            # a password given here meets the policy; a generated one is random (exempt)
            policy = PasswordPolicy.from_settings(runtime.settings) if password else None
            users.create_user(session, data, policy)
    except (ValidationError, NetWeaveError) as exc:
        raise _fail(str(exc)) from exc
    console.print(f"created [bold]{username}[/] ({role.value})")
    if password is None:
        console.print(f"  password: [bold yellow]{secret}[/] (shown once)")


@app.command("set-password")
def set_password_command(
    username: str,
    password: str | None = typer.Option(None, help="Default: generated and printed once"),
) -> None:
    """Set (or reset) a user's password."""
    runtime = open_runtime()
    secret = password or users.generate_password()
    try:
        with runtime.transaction() as session:
            user = users.find_user(session, username)
            if user is None:
                raise _fail(f"no user named {username!r}")
            policy = PasswordPolicy.from_settings(runtime.settings) if password else None
            users.update_user(session, user.id, UserUpdate(password=secret), policy=policy)
    except (ValidationError, NetWeaveError) as exc:
        raise _fail(str(exc)) from exc
    console.print(f"password of [bold]{username}[/] changed")
    if password is None:
        console.print(f"  password: [bold yellow]{secret}[/] (shown once)")


@app.command("api-key")
def api_key_command(
    username: str, name: str = typer.Option("cli", help="A label for the key")
) -> None:
    """Create an API key for a user; it is printed once."""
    runtime = open_runtime()
    with runtime.transaction() as session:
        user = users.find_user(session, username)
        if user is None:
            raise _fail(f"no user named {username!r}")
        owner = tokens.Principal(user.id, user.username, Role(user.role), "cli")
        _, key = tokens.create_api_key(
            session, owner, ApiKeyCreate(name=name), runtime.settings.api_key_max_days
        )
    console.print(f"API key for [bold]{username}[/]: [bold yellow]{key}[/] (shown once)")
