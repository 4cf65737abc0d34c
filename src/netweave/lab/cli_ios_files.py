"""IOS file and archive commands: what NAPALM's ios config management drives
(``dir``, ``verify /md5``, ``copy``, ``delete``, ``configure replace``, ``show archive``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from netweave.lab import cli_ios_prompts as prompts
from netweave.lab.cli_common import Reply
from netweave.lab.config_ios import contextual_diff, incremental_diff, parse_config_text
from netweave.lab.files import file_name

if TYPE_CHECKING:
    from netweave.lab.cli_ios import IosCli


def _is_running(path: str) -> bool:
    return path in ("running-config", "system:running-config", "system:/running-config")


def _is_file(path: str) -> bool:
    return ":" in path and not path.startswith(("system:", "nvram:startup"))


def dir_command(cli: IosCli, args: list[str]) -> Reply:
    return Reply(cli.files.dir(args[0] if args else ""))


def verify_command(cli: IosCli, args: list[str]) -> Reply:
    """``verify /md5 PATH`` and ``verify /sha512 PATH`` (IOS XE's digests)."""
    if len(args) < 2 or args[0].lower() not in ("/md5", "/sha512"):
        return Reply("% Incomplete command.\n")
    algorithm = args[0].lower()[1:]
    digest = cli.files.digest(args[1], algorithm)
    if digest is None:
        return Reply(f"%Error opening {args[1]} (No such file or directory)\n")
    return Reply(f"verify /{algorithm} ({args[1]}) = {digest}\n")


def delete_command(cli: IosCli, args: list[str]) -> Reply:
    return prompts.delete(cli, args)


def copy_command(cli: IosCli, args: list[str]) -> Reply:
    """``copy SOURCE TARGET``; an interactive session is asked for the destination name
    first (see :mod:`cli_ios_prompts`)."""
    paths = [a for a in args if not a.startswith("/")]
    if len(paths) < 2:
        return Reply("% Incomplete command.\n")
    source, target = paths[0], paths[1]
    if _is_running(source) and target in ("startup-config", "nvram:startup-config"):
        return prompts.destination(
            cli, target, "startup-config", lambda _: _copy(cli, source, target), False
        )
    if _is_running(target):
        shown = "running-config"
    elif _is_file(target):
        shown = file_name(target)
    else:
        return Reply(f"%Error parsing filename ({target})\n")
    return prompts.destination(
        cli, target, shown, lambda chosen: _copy(cli, source, chosen), _is_file(target)
    )


def _copy(cli: IosCli, source: str, target: str) -> Reply:
    if _is_running(source) and target in ("startup-config", "nvram:startup-config"):
        cli.save()
        return Reply("Building configuration...\n[OK]\n")
    if _is_running(source) and _is_file(target):
        text = cli.config.render()
        cli.files.write(target, text)
        return Reply(f"{len(text.encode())} bytes copied in 0.012 secs\n")
    if _is_file(source) and _is_running(target):
        content = cli.files.read(source)
        if content is None:
            return Reply(f"%Error opening {source} (No such file or directory)\n")
        errors = cli.merge_text(content)
        return Reply(errors + f"{len(content.encode())} bytes copied in 0.020 secs\n")
    if _is_file(source) and _is_file(target):
        content = cli.files.read(source)
        if content is None:
            return Reply(f"%Error opening {source} (No such file or directory)\n")
        cli.files.write(target, content)
        return Reply(f"{len(content.encode())} bytes copied in 0.010 secs\n")
    return Reply(f"%Error parsing filename ({target})\n")


def configure_replace(cli: IosCli, args: list[str]) -> Reply:
    if not args:
        return Reply("% Incomplete command.\n")
    content = cli.files.read(args[0])
    if content is None:
        return Reply(f"%Error opening {args[0]} (No such file or directory)\n")
    blocks = parse_config_text(content)
    if not any(block.header.startswith("hostname ") for block in blocks):
        return Reply("%Rollback aborted: the replacement file has no hostname\n")
    cli.config.blocks = blocks
    return Reply("Total number of passes: 1\nRollback Done\n\n")


def show_archive_config(cli: IosCli, args: list[str], kind: str) -> Reply:
    if kind == "incremental-diffs":
        if not args:
            return Reply("% Incomplete command.\n")
        content = cli.files.read(args[0])
        if content is None:
            return Reply(f"%Error opening {args[0]} (No such file or directory)\n")
        lines = incremental_diff(cli.config.blocks, parse_config_text(content))
        if not lines:
            return Reply("!No changes were found\n")
        return Reply("!List of Commands:\n" + "\n".join(lines) + "\nend\n")
    if len(args) < 2:
        return Reply("% Incomplete command.\n")
    texts = []
    for path in args[:2]:
        text = cli.config.render() if _is_running(path) else cli.files.read(path)
        if text is None:
            return Reply(f"%Error opening {path} (No such file or directory)\n")
        texts.append(text)
    lines = contextual_diff(parse_config_text(texts[0]), parse_config_text(texts[1]))
    if not lines:
        return Reply("!Contextual Config Diffs:\n!No changes were found\n")
    return Reply("!Contextual Config Diffs:\n" + "\n".join(lines) + "\n")
