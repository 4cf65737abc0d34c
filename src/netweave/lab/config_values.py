"""The typed values configuration commands take, parsed as the platforms' parsers do:
IPv4 addresses and masks, VLAN id lists, AS numbers, bounded integers. Each parser returns
``None`` when the text is not a valid value."""

from __future__ import annotations

VLAN_LOW, VLAN_HIGH = 1, 4094
ASN_LOW, ASN_HIGH = 1, 4294967295
OSPF_PROCESS_LOW, OSPF_PROCESS_HIGH = 1, 65535


def number(text: str, low: int, high: int) -> int | None:
    """A decimal integer within [low, high] (digits only: no sign, no spaces)."""
    if not text.isdigit() or not text.isascii():
        return None
    value = int(text)
    return value if low <= value <= high else None


def ipv4(text: str) -> int | None:
    """A dotted quad with four decimal octets 0-255, as an integer."""
    parts = text.split(".")
    if len(parts) != 4:
        return None
    value = 0
    for part in parts:
        octet = number(part, 0, 255)
        if octet is None or len(part) > 3:
            return None
        value = value << 8 | octet
    return value


def mask_length(mask: int) -> int | None:
    """The prefix length of a contiguous netmask (``255.255.255.0`` → 24), else ``None``."""
    inverted = ~mask & 0xFFFFFFFF
    if inverted & (inverted + 1):
        return None  # the zero bits are not all at the right: 255.0.255.0
    return 32 - inverted.bit_length()


def prefix_mask(length: int) -> int:
    return (0xFFFFFFFF << (32 - length)) & 0xFFFFFFFF


def ipv4_prefix(text: str) -> tuple[int, int] | None:
    """``10.0.0.1/24`` → (address, 24)."""
    address_text, slash, length_text = text.partition("/")
    if not slash:
        return None
    address, length = ipv4(address_text), number(length_text, 0, 32)
    if address is None or length is None:
        return None
    return address, length


def dotted(value: int) -> str:
    return ".".join(str(value >> shift & 0xFF) for shift in (24, 16, 8, 0))


def vlan_ids(text: str) -> list[int] | None:
    """A VLAN list as IOS/EOS take it: ``10``, ``10,20-30``; every id 1-4094, ranges
    ascending."""
    ids: list[int] = []
    for item in text.split(","):
        low_text, dash, high_text = item.partition("-")
        low = number(low_text, VLAN_LOW, VLAN_HIGH)
        high = number(high_text, VLAN_LOW, VLAN_HIGH) if dash else low
        if low is None or high is None or high < low:
            return None
        ids.extend(range(low, high + 1))
    return ids


def asn(text: str) -> int | None:
    """A BGP AS number: asplain 1-4294967295 or asdot ``high.low`` (each 0-65535)."""
    high_text, dot, low_text = text.partition(".")
    if dot:
        high, low = number(high_text, 0, 65535), number(low_text, 0, 65535)
        if high is None or low is None:
            return None
        value = high << 16 | low
        return value if value >= ASN_LOW else None
    return number(text, ASN_LOW, ASN_HIGH)
