"""The Cisco IOS / Arista EOS command line: user, enable and configuration modes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from netweave.lab import cli_ios_files as files
from netweave.lab import cli_ios_prompts as prompts
from netweave.lab import outputs_ios as out
from netweave.lab import outputs_neighbors as nbr
from netweave.lab import probes_ios as probes
from netweave.lab.cli_common import (
    FilterError,
    Reply,
    apply_filters,
    resolve,
    split_pipe,
    word_offsets,
)
from netweave.lab.config_ios import Block, ConfigError, IosConfig, section_mode
from netweave.lab.files import FileStore
from netweave.lab.interface_names import resolve_interface
from netweave.lab.interfaces import ios_interfaces
from netweave.lab.ios_grammar import Grammar, is_child_line
from netweave.lab.neighbors import Neighbor
from netweave.lab.platforms import PlatformProfile

USER_COMMANDS: list[tuple[str, ...]] = [
    ("enable",),
    ("exit",),
    ("logout",),
    ("quit",),
    ("ping",),
    ("traceroute",),
    ("terminal", "length"),
    ("terminal", "width"),
    ("terminal", "monitor"),
    ("terminal", "no"),
    ("show", "version"),
    ("show", "clock"),
    ("show", "interfaces"),
    ("show", "ip", "interface", "brief"),
    ("show", "ip", "route"),
    ("show", "inventory"),
    ("show", "lldp", "neighbors"),
    ("show", "lldp", "neighbors", "detail"),
    ("show", "cdp", "neighbors"),
    ("show", "cdp", "neighbors", "detail"),
    ("show", "hosts"),
    ("show", "users"),
    ("show", "privilege"),
]
ENABLE_COMMANDS: list[tuple[str, ...]] = [
    *USER_COMMANDS,
    ("disable",),
    ("configure", "terminal"),
    ("configure",),
    ("copy",),
    ("verify",),
    ("delete",),
    ("configure", "replace"),
    ("show", "archive", "config", "incremental-diffs"),
    ("show", "archive", "config", "differences"),
    ("write", "memory"),
    ("write",),
    ("show", "running-config"),
    ("show", "startup-config"),
    ("show", "archive"),
    ("clock", "set"),
    ("dir",),
    ("reload",),
]
INVALID = "% Invalid input detected at '^' marker."
# Commands that take no argument: a word after them is invalid input, as on the device.
NO_ARGUMENTS: frozenset[tuple[str, ...]] = frozenset(
    {
        ("disable",),
        ("exit",),
        ("logout",),
        ("quit",),
        ("configure",),
        ("configure", "terminal"),
        ("write", "memory"),
    }
)


class IosCli:
    """One interactive (or exec) session on a simulated IOS/EOS device."""

    def __init__(
        self,
        profile: PlatformProfile,
        config: IosConfig,
        index: int,
        boot: datetime,
        enable_secret: str,
        neighbors: Callable[[str], list[Neighbor]],
        saved: Callable[[], str],
        save: Callable[[], None],
        files: FileStore,
        *,
        reachable: probes.Reachable | None = None,
    ) -> None:
        self.profile = profile
        self.config = config
        self.index = index
        self.boot = boot
        self.enable_secret = enable_secret
        self.neighbors = neighbors  # protocol (cdp, lldp) -> who this device hears now
        self._saved = saved
        self._save = save
        self.files = files
        # other lab addresses that answer a ping (the whole lab's, from the device)
        self.reachable: probes.Reachable = reachable or (lambda address: False)
        self.interactive = True  # False on an exec channel: nobody answers questions
        self.question: prompts.Question | None = None  # asked, waiting for its answer
        self.mode = "user"
        self.section: Block | None = None
        self.section_mode = ""
        self.awaiting_secret = False
        self.eos = profile.family == "eos"
        self.grammar = Grammar(profile)

    # -- prompt ----------------------------------------------------------------------
    def prompt(self) -> str:
        host = self.config.hostname
        if self.question is not None:
            return self.question.text
        if self.awaiting_secret:
            return "Password: "
        if self.mode == "user":
            return f"{host}>"
        if self.mode == "enable":
            return f"{host}#"
        if self.section is not None:
            mode = self.section_mode
            if self.eos:
                mode = _eos_mode(mode, self.section.header)
            return f"{host}({mode})#"
        return f"{host}(config)#"

    # -- entry points -----------------------------------------------------------------
    def handle(self, line: str) -> Reply:
        if self.question is not None:
            question, self.question = self.question, None
            return question.answer(line.strip())
        if self.awaiting_secret:
            self.awaiting_secret = False
            if line == self.enable_secret:
                self.mode = "enable"
                return Reply()
            return Reply("% Access denied\n" if self.eos else "% Bad secrets\n")
        stripped = line.strip()
        if not stripped:
            return Reply()
        if self.mode in ("config", "section"):
            return self._config(stripped, line)
        return self._exec(stripped, line)

    def run_exec(self, command: str) -> Reply:
        self.mode = "enable"
        self.interactive = False
        reply = self._exec(command.strip(), command)
        if INVALID in reply.output or reply.output.startswith("% "):
            reply.exit_status = 1
        return reply

    # -- exec mode -------------------------------------------------------------------
    def _error(self, kind: str, line: str, position: int, word: str) -> Reply:
        """The platform's parser error; ``position``: the character of ``line`` where it
        stopped. IOS draws a caret under it; EOS names the word (``at token N``)."""
        if self.eos:
            if kind == "incomplete":
                return Reply("% Incomplete command\n")
            if kind == "ambiguous":
                return Reply("% Ambiguous command\n")
            offsets = word_offsets(line)
            token = max(sum(1 for start in offsets if start <= position) - 1, 0)
            found = line.split()[token] if token < len(offsets) else word
            return Reply(f"% Invalid input (at token {token}: '{found}')\n")
        if kind == "incomplete":
            return Reply("% Incomplete command.\n\n")
        if kind == "ambiguous":
            return Reply(f'% Ambiguous command:  "{line.strip()}"\n')
        caret = " " * (len(self.prompt()) + position) + "^"
        return Reply(f"{caret}\n{INVALID}\n\n")

    def _config_error(self, error: ConfigError, line: str) -> Reply:
        if error.kind == "message":
            return Reply(error.message + "\n")
        words, offsets = line.split(), word_offsets(line)
        if error.token is None or not words:
            return self._error(error.kind, line, 0, "")
        token = min(error.token, len(words) - 1)
        inner = min(error.inner, max(len(words[token]) - 1, 0))
        return self._error(error.kind, line, offsets[token] + inner, words[token])

    def _exec(self, stripped: str, raw: str) -> Reply:
        command_text, filters = split_pipe(stripped)
        table = USER_COMMANDS if self.mode == "user" else ENABLE_COMMANDS
        found = resolve(command_text.split(), table, raw.lstrip())
        if found.command is None:
            return self._error(found.error or "invalid", raw.lstrip(), found.position, found.word)
        if found.command in NO_ARGUMENTS and found.args:
            position = word_offsets(raw.lstrip())[len(command_text.split()) - len(found.args)]
            return self._error("invalid", raw.lstrip(), position, found.args[0])
        reply = self._run(found.command, found.args)
        if filters and not reply.close:
            try:
                reply.output = apply_filters(reply.output, filters, self.profile.family)
            except FilterError:
                return self._error("invalid", raw.lstrip(), raw.lstrip().index("|"), "|")
        return reply

    def _run(self, command: tuple[str, ...], args: list[str]) -> Reply:
        config, index = self.config, self.index
        match command:
            case ("enable",):
                if self.mode == "user":
                    self.awaiting_secret = True
                    return Reply(secret_input=True, no_newline_prompt=True)
                return Reply()
            case ("disable",):
                self.mode = "user"
                return Reply()
            case ("exit",) | ("logout",) | ("quit",):
                return Reply(close=True)
            case ("terminal", "width"):
                width = args[0] if args else "80"
                return Reply(f"Width set to {width} columns.\n" if self.eos else "")
            case ("terminal", "length"):
                if self.eos:
                    return Reply("Pagination disabled.\n" if args[:1] == ["0"] else "")
                return Reply()
            case ("terminal", _):
                return Reply()
            case ("configure", "terminal") | ("configure",):
                self.mode = "config"
                return Reply("Enter configuration commands, one per line.  End with CNTL/Z.\n")
            case ("write", "memory") | ("write",):
                self._save()
                return Reply("Building configuration...\n[OK]\n")
            case ("copy",):
                return files.copy_command(self, args)
            case ("verify",):
                return files.verify_command(self, args)
            case ("delete",):
                return files.delete_command(self, args)
            case ("configure", "replace"):
                return files.configure_replace(self, args)
            case ("show", "archive", "config", kind):
                return files.show_archive_config(self, args, kind)
            case ("show", "version"):
                if self.eos:
                    return Reply(out.show_version_eos(self.profile, index, self.boot))
                return Reply(out.show_version_ios(self.profile, config, index, self.boot))
            case ("show", "running-config"):
                return Reply(config.render() + "\n")
            case ("show", "startup-config"):
                return Reply(self._saved() + "\n")
            case ("show", "interfaces"):
                only = args[0] if args else None
                if self.eos:
                    return Reply(out.show_interfaces_eos(config, index, only))
                return Reply(out.show_interfaces_ios(config, index, only))
            case ("show", "ip", "interface", "brief"):
                return Reply(out.show_ip_interface_brief(config, index))
            case ("show", "ip", "route"):
                if self.eos:
                    return Reply(out.show_ip_route_eos(config, index))
                return Reply(out.show_ip_route_ios(config, index))
            case ("show", "clock"):
                return Reply(out.show_clock(self.eos))
            case ("show", "inventory"):
                return Reply(out.show_inventory(self.profile, index))
            case ("show", "lldp", "neighbors", *_) | ("show", "cdp", "neighbors", *_):
                return self._neighbors(command, args)
            case ("show", "hosts"):
                return Reply(out.show_hosts(config))
            case ("show", "privilege"):
                return Reply(f"Current privilege level is {15 if self.mode != 'user' else 1}\n")
            case ("show", "users"):
                return Reply("    Line       User       Host(s)              Idle       Location\n")
            case ("show", "archive"):
                return Reply("There are currently 0 archive configurations saved.\n")
            case ("ping",):
                return probes.ping(self._network(), args)
            case ("traceroute",):
                return probes.traceroute(self._network(), args)
            case ("reload",):
                if self.eos:  # not modelled on EOS
                    return Reply(f"{INVALID}\n")
                return prompts.reload(self)
            case ("clock", "set"):
                return Reply()
            case ("dir",):
                return files.dir_command(self, args)
        return Reply()

    def _neighbors(self, command: tuple[str, ...], args: list[str]) -> Reply:
        """``show cdp|lldp neighbors [INTERFACE] [detail]`` (CDP: IOS only, as on EOS)."""
        protocol = command[1]
        if protocol == "cdp" and self.eos:
            return Reply("% Invalid input (at token 1: 'cdp')\n")
        detail = "detail" in command or "detail" in args
        wanted = [a for a in args if a != "detail"]
        heard = self.neighbors(protocol)
        if wanted:
            name = resolve_interface(wanted[0], self.profile).name or wanted[0]
            heard = [n for n in heard if n.local_interface.lower() == name.lower()]
        if protocol == "cdp":
            return Reply(nbr.cdp_detail(heard) if detail else nbr.cdp_brief(heard))
        if self.eos:
            if detail:
                views = ios_interfaces(self.config, self.index)
                ports = [v.name for v in views if not v.loopback]
                extra = [n.local_interface for n in heard if n.local_interface not in ports]
                return Reply(nbr.lldp_detail_eos(heard, [*ports, *dict.fromkeys(extra)]))
            return Reply(nbr.lldp_brief_eos(heard))
        return Reply(nbr.lldp_detail_ios(heard) if detail else nbr.lldp_brief_ios(heard))

    def save(self) -> None:
        self._save()

    def saved_config(self) -> str:
        return self._saved()

    def _network(self) -> probes.Network:
        return probes.Network(self.profile, self.config, self.index, self.reachable)

    def merge_text(self, content: str) -> str:
        """Apply a config file line by line, as ``copy <file> running-config`` does; returns
        the error messages (empty when every line was accepted)."""
        saved_mode = self.mode
        self.mode, self.section, self.section_mode = "config", None, ""
        errors = []
        for raw in content.splitlines():
            stripped = raw.strip()
            if not stripped or stripped.startswith("!") or stripped == "end":
                continue
            reply = self._config(stripped, raw)
            if reply.output.strip():
                errors.append(reply.output)
        self.mode, self.section, self.section_mode = saved_mode, None, ""
        return "".join(errors)

    # -- configuration mode ---------------------------------------------------------------
    def _config(self, stripped: str, raw: str) -> Reply:
        words = stripped.split()
        first = words[0].lower()
        if first == "end":
            self._leave_config()
            return Reply()
        if first == "exit":
            if self.section is not None:
                self.section, self.section_mode, self.mode = None, "", "config"
            else:
                self._leave_config()
            return Reply()
        if first == "do" and len(words) > 1:
            saved_mode = self.mode
            self.mode = "enable"
            reply = self._exec(" ".join(words[1:]), " ".join(words[1:]))
            self.mode = saved_mode
            return reply
        line = _normalise(words)
        try:
            if self.section is not None and is_child_line(line, self.section_mode):
                line = self.grammar.check_child(line, self.section_mode)
                self.config.apply_child(self.section, line)
                return Reply()
            return self._config_top(line)
        except ConfigError as error:
            return self._config_error(error, raw.strip())

    def _config_top(self, line: str) -> Reply:
        line = self.grammar.check_global(line, self.config)
        mode = section_mode(line)
        if mode == "config-vlan" and self.config.find("vtp mode client") is not None:
            # Real IOS prints this without a "%": a line-by-line push does not notice.
            return Reply("VTP VLAN configuration not allowed when device is in CLIENT mode.\n")
        if mode is not None:
            self.section = self.config.section(line)
            self.section_mode = mode
            self.mode = "section"
            return Reply()
        self.section, self.section_mode, self.mode = None, "", "config"
        if line.startswith("no "):
            self.config.remove_top(line[3:])
        elif line.startswith("default "):
            self.config.remove_top(line[8:])
        else:
            self.config.set_line(line)
        return Reply()

    def _leave_config(self) -> None:
        self.mode, self.section, self.section_mode = "enable", None, ""


def _eos_mode(mode: str, header: str) -> str:
    """EOS names the instance in the prompt: ``config-if-Et1``, ``config-vlan-42``,
    ``config-router-bgp``."""
    argument = header.split()[1]
    if mode == "config-if":
        return f"config-if-{_eos_short(argument)}"
    if mode in ("config-vlan", "config-router"):
        return f"{mode}-{argument}"
    return mode


def _eos_short(name: str) -> str:
    for long, short in (
        ("Ethernet", "Et"),
        ("Management", "Ma"),
        ("Loopback", "Lo"),
        ("Port-Channel", "Po"),
        ("Vlan", "Vl"),
        ("Tunnel", "Tu"),
    ):
        if name.startswith(long):
            return short + name[len(long) :]
    return name


_KEYWORD_ABBREVIATIONS = {
    "int": "interface",
    "interf": "interface",
    "desc": "description",
    "shut": "shutdown",
    "hostn": "hostname",
}


def _normalise(words: list[str]) -> str:
    """Expand common keyword abbreviations: ``int gi0/1`` → ``interface gi0/1`` (the
    grammar resolves the interface name)."""
    first = _KEYWORD_ABBREVIATIONS.get(words[0].lower(), words[0])
    words = [first, *words[1:]]
    if first in ("no", "default") and len(words) > 1:
        words[1] = _KEYWORD_ABBREVIATIONS.get(words[1].lower(), words[1])
    return " ".join(words)
