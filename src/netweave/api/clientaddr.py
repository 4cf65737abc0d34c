"""The client's address: the TCP peer, or — only when the peer is one of
``trusted_proxies`` — the nearest untrusted hop of its ``X-Forwarded-For`` header. Anyone
else sending the header cannot spoof their address (login throttling, audit)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from starlette.requests import HTTPConnection

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=32)
def _networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in trusted)


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def resolve(peer: str, forwarded: Iterable[str], trusted: Iterable[str]) -> str:
    """The address to believe, walking X-Forwarded-For from the right (the hop our trusted
    proxy saw) past further trusted proxies."""
    networks = _networks(tuple(trusted))
    if not networks or not _trusted(peer, networks):
        return peer
    hops = [hop.strip() for value in forwarded for hop in value.split(",") if hop.strip()]
    believed = peer
    for hop in reversed(hops):
        try:
            address = str(ipaddress.ip_address(hop))
        except ValueError:
            return believed  # garbage from further left is not believed
        believed = address
        if not _trusted(address, networks):
            return address
    return believed


def client_address(connection: HTTPConnection) -> str:
    peer = connection.client.host if connection.client else ""
    trusted = connection.app.state.runtime.settings.trusted_proxies
    return resolve(peer, connection.headers.getlist("x-forwarded-for"), trusted)
