"""Operational data: the show commands captured with each configuration backup (per
platform), the parts of their output that change on their own (uptime, counters, route
ages) and are ignored when deciding whether the output changed, and the file-name slug
of a command (``show ip route`` -> ``show-ip-route``: the API path and the file name in
the configuration repository).

Plain functions over strings, shared by the backup service (``services``), the store
(``core``) and the settings (validation)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

MAX_COMMAND_LENGTH = 255
MAX_SLUG_LENGTH = 100

DEFAULT_OPERATIONAL_COMMANDS: dict[str, list[str]] = {
    "cisco_ios": ["show version", "show ip route", "show interfaces"],
    "cisco_xe": ["show version", "show ip route", "show interfaces"],
    "cisco_nxos": ["show version", "show ip route", "show interface"],
    "arista_eos": ["show version", "show ip route", "show interfaces"],
    "juniper_junos": ["show version", "show route", "show interfaces terse"],
}
"""Per platform (the device's ``platform``); a platform not listed captures nothing."""

_AGE = r"\b\d+:\d\d:\d\d\b|\b(\d+[wdhms]){1,4}\b|\b\d+w\d+d\b"  # 01:02:03, 2d03h, 1w2d
_COUNTERS = [
    r"^\s*Last input.*",
    r"^\s*Last clearing.*",
    r"^\s*\d+ minute (input|output) rate.*",
    r"^\s*\d+ packets (input|output).*",
    r"^\s*Received \d+ broadcasts.*",
    r"^\s*\d+ (input|output) errors.*",
    r"^\s*\d+ runts.*",
    r"^\s*\d+ unknown protocol drops.*",
    r"^\s*\d+ output buffer failures.*",
    r"^\s*Input queue:.*",
    r"\d+ interface resets",
    r"(In|Out)put packets:.*",
    r"^\s*Up \d+ .*",  # EOS: Up 2 days, 3 hours
]
DEFAULT_VOLATILE_PATTERNS: dict[str, list[str]] = {
    "show version": [
        r"uptime is .*",  # IOS: sw1 uptime is 2 days, 4 hours, 3 minutes
        r"^Uptime: .*",  # EOS
        r"^Free memory: .*",  # EOS
        r"^System restarted at .*",
        r"[Tt]ime since .*",
    ],
    "show interfaces": _COUNTERS,
    "show interface": _COUNTERS,
    "show ip route": [_AGE],
    "show route": [_AGE],
}
"""Per show command: regular expressions whose matches are removed from each output line
before two outputs are compared (a line left empty is dropped). Output that differs only
there is the same version: no new version, no commit."""


def normalize_command(command: str) -> str:
    """One spelling per command: surrounding and repeated whitespace collapsed."""
    return " ".join(command.split())


def command_slug(command: str) -> str:
    """``show ip route`` -> ``show-ip-route``; ``show run | include x`` ->
    ``show-run-include-x`` (lower case letters, digits, ``.``, ``_`` and ``-``)."""
    slug = re.sub(r"[^a-z0-9._]+", "-", normalize_command(command).lower()).strip("-.")
    return slug[:MAX_SLUG_LENGTH].rstrip("-.") or "output"


def check_commands(table: Mapping[str, Iterable[str]], field: str) -> dict[str, list[str]]:
    """``table`` with every command normalized; ValueError naming ``field`` for an empty or
    over-long command."""
    checked: dict[str, list[str]] = {}
    for key, commands in table.items():
        normalized = []
        for command in commands:
            text = normalize_command(str(command))
            if not text or len(text) > MAX_COMMAND_LENGTH:
                raise ValueError(
                    f"{field}.{key}: a command is 1 to {MAX_COMMAND_LENGTH} characters"
                )
            if text not in normalized:
                normalized.append(text)
        checked[str(key)] = normalized
    return checked


class VolatileFilter:
    """Compiled volatile patterns per command: :meth:`stable` is what is compared."""

    def __init__(self, patterns: Mapping[str, Iterable[str]]) -> None:
        self._patterns = {
            normalize_command(command): [re.compile(p) for p in items]
            for command, items in patterns.items()
        }

    def stable(self, command: str, text: str) -> str:
        """``text`` without the volatile parts of ``command``'s output (itself when the
        command has no patterns, as for the running configuration)."""
        patterns = self._patterns.get(normalize_command(command)) if command else None
        if not patterns:
            return text
        kept = []
        for line in text.splitlines():
            for pattern in patterns:
                line = pattern.sub("", line)
            if line.strip():
                kept.append(line.rstrip())
        return "\n".join(kept) + "\n"
