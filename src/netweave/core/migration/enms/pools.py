"""eNMS pools as NetWeave pools.

eNMS selects a pool's devices by properties: for each one a value, a match kind
(``device_<prop>_match``: inclusion, equality or regex) and ``device_<prop>_invert``; every
property with a value must match. NetWeave's pool filter matches a field exactly, or as a
case-insensitive glob (``*``, ``?``), all fields together. So:

- inclusion ``v`` → ``*v*``; equality ``v`` → ``v``; a regex made only of literal text,
  ``.``, ``.*``, ``.+`` and the anchors ``^``/``$`` → the same glob (an unanchored end
  gets ``*``); an empty value is no constraint;
- eNMS properties map to NetWeave's fields: name, ip_address → host, vendor, model,
  os_version, location → site, netmiko_driver → platform;
- what cannot be said that way skips the pool with the reason: an inverted match, a
  regex with classes, alternation or groups, an equality or inclusion value holding ``*``
  or ``?``, a property NetWeave has no field for, ``operator: any`` over several
  properties;
- a ``manually_defined`` pool keeps its ``devices`` as static members.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from netweave.core.inventory.transfer import Row

FILTER_FIELD = {
    "name": "name",
    "ip_address": "host",
    "vendor": "vendor",
    "model": "model",
    "os_version": "os_version",
    "location": "site",
    "netmiko_driver": "platform",
}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/@+-]{0,254}\Z")
_ESCAPABLE = set(".^$+()[]{}|\\/-_ #:@,;=<>!'\"&%~")


def inventory_name(name: str) -> str:
    """A NetWeave inventory name for an eNMS name (spaces and other characters → ``-``)."""
    if _NAME.match(name):
        return name
    slug = re.sub(r"[^A-Za-z0-9_.:/@+-]+", "-", name).strip("-_.:/@+")
    return (slug or "enms")[:255]


@dataclass
class PoolTranslation:
    rows: list[Row] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # eNMS name → NetWeave name
    skipped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def translate_pools(records: Iterable[tuple[int, dict[str, Any]]]) -> PoolTranslation:
    result = PoolTranslation()
    case_note = False
    for number, record in records:
        source = str(record.get("name") or "").strip()
        if not source:
            result.skipped.append((f"#{number}", "no name"))
            continue
        name = inventory_name(source)
        data: dict[str, Any] = {"name": name, "description": str(record.get("description") or "")}
        if record.get("manually_defined") is True:
            data["devices"] = sorted({str(d) for d in record.get("devices") or [] if d})
        else:
            device_filter, problem, regex = _filter(record)
            if problem:
                result.skipped.append((source, problem))
                continue
            case_note = case_note or regex
            data["device_filter"] = device_filter or {"name": "*"}
        if name != source:
            result.notes.append(f"pool {source!r} is named {name!r} (NetWeave's name rules)")
        result.names[source] = name
        result.rows.append(Row("pools", number, data))
    if case_note:
        result.notes.append(
            "pool regular expressions became globs, which NetWeave matches case-insensitively"
        )
    return result


def _filter(record: dict[str, Any]) -> tuple[dict[str, str], str | None, bool]:
    """(NetWeave device filter, the reason it cannot be translated, a regex was used)."""
    device_filter: dict[str, str] = {}
    used_regex = False
    constraints = 0
    for key, raw in record.items():
        if not key.startswith("device_") or key.endswith(("_match", "_invert")):
            continue
        prop = key[len("device_") :]
        value = "" if raw is None else str(raw)
        if isinstance(raw, list | dict) or not value:
            continue
        constraints += 1
        match = str(record.get(f"{key}_match") or "inclusion").lower()
        if record.get(f"{key}_invert") is True:
            return {}, f"{prop}: NetWeave pool filters cannot invert a match", used_regex
        target = FILTER_FIELD.get(prop)
        if target is None:
            return {}, f"{prop}: NetWeave pools cannot filter on this property", used_regex
        if match == "regex":
            glob = regex_glob(value)
            if glob is None:
                return (
                    {},
                    f"{prop}: the regular expression {value!r} has no glob equivalent",
                    used_regex,
                )
            used_regex = True
        elif match in ("inclusion", "equality"):
            if "*" in value or "?" in value:
                return {}, f"{prop}: {value!r} holds * or ?, which NetWeave reads as a glob", False
            glob = f"*{value}*" if match == "inclusion" else value
        else:
            return {}, f"{prop}: unknown match kind {match!r}", used_regex
        if glob != "*":
            device_filter[target] = glob
    operator = str(record.get("operator") or "all").lower()
    if operator == "any" and constraints > 1:
        return {}, "operator 'any': NetWeave pool filters match all fields together", used_regex
    return device_filter, None, used_regex


def regex_glob(pattern: str) -> str | None:
    """The glob matching what ``re.search(pattern)`` matches, or None when there is none."""
    start = pattern.startswith("^")
    body = pattern[1:] if start else pattern
    end = body.endswith("$") and not body.endswith("\\$")
    body = body[:-1] if end else body
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        following = body[index + 1] if index + 1 < len(body) else ""
        if char == "\\":
            if following in _ESCAPABLE and following:
                out.append(following)
                index += 2
                continue
            return None  # \d, \s, \*, \? ...: no glob says it
        if char == ".":
            if following == "*":
                out.append("*")
                index += 2
            elif following == "+":
                out.append("?*")
                index += 2
            else:
                out.append("?")
                index += 1
            continue
        if char in "^$*+?()[]{}|":
            return None
        out.append(char)
        index += 1
    glob = ("" if start else "*") + "".join(out) + ("" if end else "*")
    while "**" in glob:
        glob = glob.replace("**", "*")
    return glob
