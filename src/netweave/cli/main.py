"""The ``netweave`` command. Its subcommands are loaded when used (cli/lazy_commands.py)."""

from __future__ import annotations

import typer

from netweave.cli.lazy_commands import LazyGroup

app = typer.Typer(
    cls=LazyGroup,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def main() -> None:
    """NetWeave: network automation server, device lab and tools."""


if __name__ == "__main__":
    app()
