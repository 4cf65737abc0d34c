"""Interface names as devices abbreviate them (``Gi0/1``, ``Gig 0/1``, ``Et1``) made whole
(``GigabitEthernet0/1``, ``Ethernet1``), so that what a neighbour table says and what the
inventory holds compare equal. Lower-case names (Junos ``ge-0/0/0``, Linux ``eth0``) are
left as they are: they are not abbreviations."""

from __future__ import annotations

import re

_LONG_NAMES: dict[str, str] = {}
for _long, _shorts in (
    ("GigabitEthernet", ("gi", "gig", "gige")),
    ("TenGigabitEthernet", ("te", "ten", "tengig", "tengige")),
    ("TwentyFiveGigE", ("twe", "twentyfivegigabitethernet")),
    ("FortyGigabitEthernet", ("fo", "for", "fortygige")),
    ("HundredGigE", ("hu", "hundredgigabitethernet")),
    ("FastEthernet", ("fa", "fas")),
    ("Ethernet", ("et", "eth")),
    ("Management", ("ma", "mgmt")),
    ("Loopback", ("lo",)),
    ("Port-channel", ("po", "port-channel")),
    ("Vlan", ("vl",)),
    ("Tunnel", ("tu",)),
    ("Serial", ("se",)),
):
    _LONG_NAMES[_long.lower()] = _long
    for _short in _shorts:
        _LONG_NAMES[_short] = _long

_NAME = re.compile(r"([A-Za-z][A-Za-z-]*?)\s*(\d[\w/.:]*)")


def canonical_interface(name: str) -> str:
    """``Gi0/1`` → ``GigabitEthernet0/1``; ``ge-0/0/1``, ``eth0``, ``vlan.100`` unchanged."""
    text = name.strip()
    match = _NAME.fullmatch(text)
    if match is None or not text[:1].isupper():
        return text
    letters, number = match.groups()
    long = _LONG_NAMES.get(letters.lower())
    return f"{long}{number}" if long else text


def interface_key(name: str) -> str:
    """What two names of the same interface have in common (case and abbreviation aside)."""
    return canonical_interface(name).lower()
