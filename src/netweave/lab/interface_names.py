"""Interface names a simulated device accepts: the physical ports of its modelled hardware
(full or abbreviated, ``Gi0/1``) and the virtual interfaces its configuration can create
(``Loopback7``, ``Vlan100``), from the platform profile."""

from __future__ import annotations

import re
from dataclasses import dataclass

from netweave.lab.config_values import number
from netweave.lab.platforms import PlatformProfile

_TYPE_AND_UNIT = re.compile(r"([A-Za-z][A-Za-z-]*?)(\s*)([0-9].*)?")
_SUBINTERFACE_HIGH = 4294967295


@dataclass(frozen=True)
class InterfaceResolution:
    """``name``: the canonical name, or ``None`` with ``offset`` (the character in the
    given text where the platform's parser stops) and ``incomplete`` (type without unit)."""

    name: str | None
    offset: int = 0
    incomplete: bool = False


def _physical_types(profile: PlatformProfile) -> list[str]:
    types: list[str] = []
    for name in profile.interfaces:
        kind = name.rstrip("0123456789/.")
        if kind not in types:
            types.append(kind)
    return types


def resolve_interface(text: str, profile: PlatformProfile) -> InterfaceResolution:
    """``Gi0/1`` / ``gigabitethernet 0/1`` → ``GigabitEthernet0/1``; ``Gi9/9/9`` (no such
    port) and ``Loopback-1`` are refused."""
    match = _TYPE_AND_UNIT.fullmatch(text.strip())
    if match is None:
        return InterfaceResolution(None)
    letters, gap, unit = match.group(1), match.group(2), match.group(3) or ""
    physical = _physical_types(profile)
    virtual = {kind.name: kind for kind in profile.virtual_interfaces}
    known = physical + [name for name in virtual if name not in physical]
    exact = [kind for kind in known if kind.lower() == letters.lower()]
    candidates = exact or [kind for kind in known if kind.lower().startswith(letters.lower())]
    if len(candidates) != 1:
        return InterfaceResolution(None)
    kind = candidates[0]
    unit_offset = len(letters) + len(gap)
    if not unit:
        return InterfaceResolution(None, unit_offset, incomplete=True)
    if kind in physical:
        base, dot, sub = unit.partition(".")
        if kind + base not in profile.interfaces:
            return InterfaceResolution(None, unit_offset)
        if not dot:
            return InterfaceResolution(kind + base)
        if not profile.subinterfaces or number(sub, 1, _SUBINTERFACE_HIGH) is None:
            return InterfaceResolution(None, unit_offset + len(base) + 1)
        return InterfaceResolution(f"{kind}{base}.{int(sub)}")
    limits = virtual[kind]
    value = number(unit, limits.low, limits.high)
    if value is None:
        return InterfaceResolution(None, unit_offset)
    return InterfaceResolution(f"{kind}{value}")


_JUNOS_NAME = re.compile(
    r"(?:(?:ge|xe|et|fe|mge|xle)-\d{1,2}/\d{1,2}/\d{1,3}(?::\d)?"
    r"|ae\d{1,4}|lo0|irb|vlan|vme|em\d|fxp\d|me\d)"
)


def junos_interface_name_valid(name: str) -> bool:
    """Junos checks the form of an interface name at entry (``ge-0/0/0``, ``ae1``, ``lo0``)
    but, like real Junos, accepts configuration for ports not present in the chassis."""
    return _JUNOS_NAME.fullmatch(name) is not None
