"""Credential scopes (issue 13, trust model): a credential is offered only to the hosts its
admin-set scope names, however it is asked for. :func:`ensure_in_scope` is the one check;
``resolve_credential`` calls it before any secret is decrypted or read from vault, job
submission and device edits call it earlier so the user hears of it at once.

A scope is ``{"networks": [CIDR], "hosts": [glob], "pools": [pool id]}``: an address
literal is inside when one of ``networks`` holds it; a DNS name when it matches one of
``hosts`` (case-insensitive, fnmatch); any host when it is the address of a device member of
one of ``pools`` (an inventory device: its own membership; an inline host: some member has
that host and port). No scope, or an empty one: offered nowhere (fail closed)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, lazyload

from netweave.core.inventory.schemas import (
    CredentialScope,
    normalized_hosts,
    normalized_networks,
)
from netweave.db.models import Credential, Device, Pool
from netweave.foundation.errors import InvalidInput, NotFound, PermissionDenied


@dataclass(frozen=True)
class Destination:
    """Where a credential is about to be offered. ``port`` None: any port (a service that
    logs in elsewhere, e.g. a REST API). ``field`` names where the host came from."""

    host: str
    port: int | None = 22
    device_id: int | None = None
    field: str = "host"


def stored_scope(session: Session, scope: CredentialScope | None) -> dict[str, list[Any]] | None:
    """The column value: normalized networks and globs, pools by id (422 naming the pool)."""
    if scope is None:
        return None
    pool_ids: list[int] = []
    for index, name in enumerate(scope.pools):
        ident = session.scalar(select(Pool.id).where(Pool.name == name))
        if ident is None:
            raise InvalidInput(f"no pool named {name!r}", field=f"scope.pools[{index}]")
        pool_ids.append(ident)
    return {
        "networks": normalized_networks(scope),
        "hosts": normalized_hosts(scope),
        "pools": sorted(set(pool_ids)),
    }


def read_scope(session: Session, stored: dict[str, list[Any]] | None) -> CredentialScope | None:
    """For the API: pools by name (deleted pools are dropped)."""
    if stored is None:
        return None
    ids = [int(i) for i in stored.get("pools") or []]
    names = list(session.scalars(select(Pool.name).where(Pool.id.in_(ids)).order_by(Pool.name)))
    return CredentialScope(
        networks=list(stored.get("networks") or []),
        hosts=list(stored.get("hosts") or []),
        pools=names,
    )


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(host.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _in_networks(address: ipaddress.IPv4Address | ipaddress.IPv6Address, nets: list[Any]) -> bool:
    for text in nets:
        try:
            network = ipaddress.ip_network(str(text))
        except ValueError:
            continue
        if network.version == address.version and address in network:
            return True
    return False


def _in_pools(session: Session, pool_ids: list[Any], destination: Destination) -> bool:
    if not pool_ids:
        return False
    from netweave.core.inventory.pools import membership_clause  # pools imports devices

    pools = list(  # the membership is a subquery: never load the members themselves
        session.scalars(
            select(Pool)
            .where(Pool.id.in_([int(i) for i in pool_ids]))
            .options(lazyload(Pool.member_rows))
        )
    )
    if not pools:
        return False
    inside = or_(*(membership_clause(pool) for pool in pools))
    query = select(Device.id).where(inside)
    if destination.device_id is not None:
        query = query.where(Device.id == destination.device_id)
    else:
        hosts = {destination.host.strip(), destination.host.strip().strip("[]")}
        address = _address(destination.host)
        if address is not None:
            hosts.add(str(address))
        query = query.where(Device.host.in_(hosts))
        if destination.port is not None:
            query = query.where(Device.port == destination.port)
    return session.scalar(query.limit(1)) is not None


def pool_device_ids(session: Session, scope: dict[str, list[Any]] | None) -> set[int]:
    """The devices of the scope's pools, in one query: for checking many devices at once."""
    pool_ids = [int(i) for i in (scope or {}).get("pools") or []]
    if not pool_ids:
        return set()
    from netweave.core.inventory.pools import membership_clause  # pools imports devices

    pools = session.scalars(
        select(Pool).where(Pool.id.in_(pool_ids)).options(lazyload(Pool.member_rows))
    ).all()
    if not pools:
        return set()
    return set(session.scalars(select(Device.id).where(or_(*map(membership_clause, pools)))))


def admits(
    session: Session,
    scope: dict[str, list[Any]] | None,
    destination: Destination,
    pool_devices: set[int] | None = None,
) -> bool:
    """Whether ``destination`` is inside ``scope`` (the stored column value).
    ``pool_devices``: the scope's pool members when known (``pool_device_ids``)."""
    if not scope:
        return False
    address = _address(destination.host)
    if address is not None:
        if _in_networks(address, list(scope.get("networks") or [])):
            return True
    else:
        name = destination.host.strip().lower().rstrip(".")
        globs = [str(g).lower() for g in scope.get("hosts") or []]
        if name and any(fnmatchcase(name, glob) for glob in globs):
            return True
    if pool_devices is not None and destination.device_id is not None:
        return destination.device_id in pool_devices
    return _in_pools(session, list(scope.get("pools") or []), destination)


def has_scope(scope: dict[str, list[Any]] | None) -> bool:
    if not scope:
        return False
    return any(scope.get(key) for key in ("networks", "hosts", "pools"))


def ensure_in_scope(
    session: Session,
    credential: Credential,
    destination: Destination,
    pool_devices: set[int] | None = None,
) -> None:
    """Refuse (403, naming the credential and the host) unless the credential may be
    offered to ``destination``."""
    if not has_scope(credential.scope):
        raise PermissionDenied(
            f"credential {credential.name!r} has no scope: an admin must set one "
            f"(networks, hosts or pools) before it is offered to any host",
            field=destination.field,
        )
    if not admits(session, credential.scope, destination, pool_devices):
        where = (
            destination.host
            if destination.port is None
            else (f"{destination.host}:{destination.port}")
        )
        raise PermissionDenied(
            f"credential {credential.name!r} may not be offered to {where}: outside its "
            f"scope (an admin may widen it)",
            field=destination.field,
        )


def ensure_id_in_scope(session: Session, credential_id: int, destination: Destination) -> None:
    credential = session.get(Credential, credential_id)
    if credential is None:
        raise NotFound(f"no credential with id {credential_id}", field="credential")
    ensure_in_scope(session, credential, destination)


# -- pools that scope a credential are admin-managed ----------------------------------------
# A pool in a credential's scope admits the addresses of its members: whoever adds a device
# to it (a static member, a device matching its filter, a member's new address, a widened
# filter) widens the credential's scope. So only an admin (or the system) may bring a new
# address into such a pool; operators keep editing everything else.

Membership = frozenset[tuple[int, int, str, int]]  # (pool id, device id, host, port)


def scoping_pools(session: Session) -> dict[int, list[str]]:
    """Pool id → the names of the credentials whose scope names it."""
    held: dict[int, list[str]] = {}
    for name, scope in session.execute(select(Credential.name, Credential.scope)):
        for ident in (scope or {}).get("pools") or []:
            held.setdefault(int(ident), []).append(name)
    return held


def scope_pool_members(session: Session, held: dict[int, list[str]]) -> Membership:
    """Every (pool, device, address) of the pools that scope a credential."""
    if not held:
        return frozenset()
    from netweave.core.inventory.pools import membership_clause  # pools imports devices

    members: set[tuple[int, int, str, int]] = set()
    for pool in session.scalars(select(Pool).where(Pool.id.in_(list(held)))):
        rows = session.execute(
            select(Device.id, Device.host, Device.port).where(membership_clause(pool))
        )
        members.update((pool.id, ident, host, port) for ident, host, port in rows)
    return frozenset(members)


def ensure_no_address_joined(
    session: Session, held: dict[int, list[str]], before: Membership, field: str
) -> None:
    """After a flushed change: refuse (403) when an address joined a pool that scopes a
    credential. The caller rolls back."""
    joined = scope_pool_members(session, held) - before
    if not joined:
        return
    pool_id, _, host, port = sorted(joined)[0]
    pool = session.get(Pool, pool_id)
    names = ", ".join(repr(n) for n in sorted(held.get(pool_id, [])))
    raise PermissionDenied(
        f"{host}:{port} would join pool {pool.name if pool else pool_id!r}, which scopes "
        f"credential(s) {names}: only an admin may add devices or addresses to it",
        field=field,
    )
