"""The Junos command line: operational mode and configuration mode with commit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from netweave.lab import junos
from netweave.lab.cli_common import FilterError, Reply, apply_filters, resolve, split_pipe
from netweave.lab.junos_grammar import SCHEMA, SYNTAX_ERROR, check_set_path
from netweave.lab.neighbors import Neighbor
from netweave.lab.outputs_neighbors import lldp_junos
from netweave.lab.platforms import PlatformProfile

OPERATIONAL: list[tuple[str, ...]] = [
    ("show", "version"),
    ("show", "interfaces", "terse"),
    ("show", "interfaces"),
    ("show", "route"),
    ("show", "configuration"),
    ("show", "system", "uptime"),
    ("show", "chassis", "hardware"),
    ("show", "lldp", "neighbors"),
    ("set", "cli", "screen-length"),
    ("set", "cli", "screen-width"),
    ("set", "cli", "complete-on-space"),
    ("set", "cli", "timestamp"),
    ("configure",),
    ("exit",),
    ("quit",),
    ("ping",),
]
UNKNOWN = "unknown command."


class JunosCli:
    def __init__(
        self,
        profile: PlatformProfile,
        config: junos.JunosConfig,
        index: int,
        boot: datetime,
        username: str,
        neighbors: Callable[[str], list[Neighbor]] = lambda protocol: [],
    ) -> None:
        self.profile = profile
        self.neighbors = neighbors  # protocol (lldp) -> who this device hears now
        self.config = config
        self.index = index
        self.boot = boot
        self.username = username
        self.configuring = False
        self.confirm_exit = False

    def prompt(self) -> str:
        if self.confirm_exit:
            return "Exit with uncommitted changes? [yes,no] (yes) "
        marker = "#" if self.configuring else ">"
        return f"{self.username}@{self.config.hostname}{marker} "

    def handle(self, line: str) -> Reply:
        stripped = line.strip()
        if self.confirm_exit:
            self.confirm_exit = False
            if stripped in ("", "yes", "y"):
                self.configuring = False  # the shared candidate keeps the changes
                return Reply("Exiting configuration mode\n")
            return Reply("\n[edit]\n")
        if not stripped:
            return Reply("\n[edit]\n" if self.configuring else "")
        if self.configuring:
            return self._configure(stripped)
        return self._operational(stripped)

    def run_exec(self, command: str) -> Reply:
        reply = self._operational(command.strip())
        if UNKNOWN in reply.output or "syntax error" in reply.output:
            reply.exit_status = 1
        return reply

    def _error(self, line: str, position: int, kind: str) -> Reply:
        caret = " " * (len(self.prompt()) + position) + "^"
        if kind == "incomplete":
            return Reply(f"{caret}\nsyntax error, expecting <command>.\n")
        if kind == "ambiguous":
            return Reply(f"{caret}\n'{line.split()[0]}' is ambiguous.\n")
        return Reply(f"{caret}\n{UNKNOWN}\n")

    def _operational(self, stripped: str) -> Reply:
        text, filters = split_pipe(stripped)
        found = resolve(text.split(), OPERATIONAL, stripped)
        if found.command is None:
            return self._error(stripped, found.position, found.error or "invalid")
        display_set = any(f.replace(" ", "") == "displayset" for f in filters)
        reply = self._run(found.command, found.args, display_set)
        if filters:
            try:
                reply.output = apply_filters(reply.output, filters, "junos")
            except FilterError:
                return self._error(stripped, stripped.index("|"), "invalid")
        return reply

    def _run(self, command: tuple[str, ...], args: list[str], display_set: bool) -> Reply:
        profile, config, index = self.profile, self.config, self.index
        match command:
            case ("show", "version"):
                return Reply(junos.show_version(profile, config))
            case ("show", "interfaces", "terse"):
                return Reply(junos.show_interfaces(profile, config, index, terse=True))
            case ("show", "interfaces"):
                if args and args[0] == "terse":
                    return Reply(junos.show_interfaces(profile, config, index, terse=True))
                return Reply(junos.show_interfaces(profile, config, index, terse=False))
            case ("show", "route"):
                return Reply(junos.show_route(profile, config, index))
            case ("show", "configuration"):
                return Reply(config.render(display_set=display_set))
            case ("show", "system", "uptime"):
                return Reply(junos.show_system_uptime(self.boot))
            case ("show", "chassis", "hardware"):
                return Reply(junos.show_chassis_hardware(profile, index))
            case ("show", "lldp", "neighbors"):
                heard = self.neighbors("lldp")
                if args[:1] == ["interface"] and len(args) > 1:
                    heard = [n for n in heard if n.local_interface == args[1]]
                return Reply(lldp_junos(heard))
            case ("set", "cli", "screen-width"):
                return Reply(f"Screen width set to {args[0] if args else 80}\n")
            case ("set", "cli", "screen-length"):
                return Reply(f"Screen length set to {args[0] if args else 24}\n")
            case ("set", "cli", "complete-on-space"):
                state = "Disabling" if args[:1] == ["off"] else "Enabling"
                return Reply(f"{state} complete-on-space\n")
            case ("set", "cli", _):
                return Reply()
            case ("configure",):
                self.configuring = True
                return Reply("Entering configuration mode\n\n[edit]\n")
            case ("exit",) | ("quit",):
                return Reply(close=True)
            case ("ping",):
                return Reply(
                    f"PING {args[0] if args else '?'}: 56 data bytes\n--- ping statistics ---\n"
                )
        return Reply()

    def _configure(self, stripped: str) -> Reply:
        words = stripped.split()
        verb = words[0]
        rest = stripped[len(verb) :].strip()
        edit = "\n[edit]\n"
        if verb == "set":
            path = junos.split_words(rest)
            rejected = check_set_path(path)
            if rejected is not None:
                offsets = _offsets(stripped, path, start=len(verb))
                column = offsets[rejected.token] if rejected.token < len(offsets) else len(stripped)
                caret = " " * (len(self.prompt()) + column)
                return Reply(f"{caret}^\n{rejected.message}{edit}")
            self.config.set(rest)
            return Reply(edit)
        if verb == "delete":
            if not rest:
                return Reply(f"syntax error.{edit}")
            if words[1] not in SCHEMA.keywords:
                caret = " " * (len(self.prompt()) + stripped.index(words[1]))
                return Reply(f"{caret}^\n{SYNTAX_ERROR}{edit}")
            if self.config.delete(rest) == 0:
                return Reply(f"warning: statement not found{edit}")
            return Reply(edit)
        if verb == "commit":
            if "check" in words:
                return Reply(f"configuration check succeeds{edit}")
            self.config.commit()
            if "and-quit" in words:
                self.configuring = False
                return Reply("commit complete\nExiting configuration mode\n")
            return Reply(f"commit complete{edit}")
        if verb == "rollback":
            self.config.rollback()
            return Reply(f"load complete{edit}")
        if verb == "show":
            if "compare" in stripped:
                return Reply(self.config.compare() + edit)
            display_set = "display set" in stripped
            return Reply(self.config.render(self.config.candidate, display_set) + edit)
        if verb in ("top", "up", "edit"):
            return Reply(edit)
        if verb == "run":
            reply = self._operational(rest)
            reply.output += edit
            return reply
        if verb in ("exit", "quit"):
            if self.config.dirty and "configuration-mode" not in stripped:
                self.confirm_exit = True
                return Reply("The configuration has been changed but not committed\n")
            if self.config.dirty:
                self.confirm_exit = True
                return Reply("The configuration has been changed but not committed\n")
            self.configuring = False
            return Reply("Exiting configuration mode\n")
        offset = len(self.prompt())
        return Reply(f"{' ' * offset}^\n{UNKNOWN}{edit}")


def _offsets(line: str, words: list[str], start: int) -> list[int]:
    """Where each of ``words`` starts in ``line`` (searching from ``start``)."""
    offsets, cursor = [], start
    for word in words:
        cursor = line.find(word, cursor)
        offsets.append(cursor)
        cursor += len(word)
    return offsets
