"""Commands loaded when they are used: ``netweave --help`` lists them from a table and
imports none of them, and ``netweave run`` imports the run command only (start-up time is
what a person waits for on every command)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import typer
from typer import _click as click  # Typer's own click (typer >= 0.20 vendors it)
from typer.core import TyperCommand, TyperGroup

from netweave.cli.import_phase import collector_paused


@dataclass(frozen=True)
class LazyCommand:
    module: str  # netweave.cli.<module>
    attribute: str  # a Typer app (a group of commands) or a command function
    help: str  # the one line ``netweave --help`` shows


COMMANDS: dict[str, LazyCommand] = {
    "serve": LazyCommand("serve", "serve", "Run the server: API, UI, scheduler, syslog."),
    "run": LazyCommand("run", "run", "Run commands or configuration on devices."),
    "worker": LazyCommand("worker", "worker", "Run a worker node that consumes the Redis queue."),
    "scheduler": LazyCommand("scheduler", "scheduler", "Run the scheduler on its own."),
    "syslog": LazyCommand("syslog", "syslog", "Run the syslog listener on its own."),
    "db": LazyCommand("db", "app", "Database schema migrations."),
    "user": LazyCommand("users", "app", "Users, roles and API keys."),
    "inventory": LazyCommand("inventory", "app", "Inventory files: Excel (.xlsx), CSV, YAML."),
    "lab": LazyCommand("lab", "app", "Device labs: simulated over SSH, or real FRR routers."),
    "automation": LazyCommand("automation", "app", "Services and workflows."),
    "migrate": LazyCommand("migrate", "app", "Bring another tool's installation in (eNMS)."),
}


def load(name: str) -> click.Command:
    entry = COMMANDS[name]
    with collector_paused():
        module = importlib.import_module(f"netweave.cli.{entry.module}")
    target: Any = getattr(module, entry.attribute)
    if isinstance(target, typer.Typer):  # a group, as add_typer would make it
        command: click.Command = typer.main.get_group(target)
    else:  # a function: a one-command app gives its click command
        single = typer.Typer(add_completion=False)
        single.command(name, help=target.__doc__)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


class LazyGroup(TyperGroup):
    """Lists the table's commands; loads one only to run it (or show its own help)."""

    listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *COMMANDS]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        if self.listing:  # the group's help: name and one line, nothing imported
            return TyperCommand(cmd_name, help=COMMANDS[cmd_name].help)
        return load(cmd_name)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self.listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self.listing = False
