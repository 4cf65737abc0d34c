"""Links between devices (the logical topology)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from netweave.core.inventory.devices import device_by_name
from netweave.core.inventory.query import paged, parse_sort
from netweave.core.inventory.schemas import LinkCreate, LinkRead, LinkUpdate
from netweave.core.text_filter import match_text
from netweave.db.models import Device, Link
from netweave.foundation.errors import Conflict, InvalidInput, NotFound
from netweave.services.builtin.interface_names import interface_key

LINK_SORT_FIELDS: Mapping[str, InstrumentedAttribute[Any]] = {
    "id": Link.id,
    "name": Link.name,
    "source_interface": Link.source_interface,
    "destination_interface": Link.destination_interface,
    "created_at": Link.created_at,
}


def to_read(link: Link) -> LinkRead:
    return LinkRead(
        id=link.id,
        name=link.name,
        source=link.source.name,
        source_id=link.source_id,
        destination=link.destination.name,
        destination_id=link.destination_id,
        source_interface=link.source_interface,
        destination_interface=link.destination_interface,
        description=link.description,
        created_at=link.created_at,
        updated_at=link.updated_at,
    )


def default_link_name(source: str, src_if: str, destination: str, dst_if: str) -> str:
    left = f"{source}:{src_if}" if src_if else source
    right = f"{destination}:{dst_if}" if dst_if else destination
    return f"{left}--{right}"[:255]


def list_links(
    session: Session,
    *,
    device: str | None = None,
    name: str | None = None,
    sort: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Link], int]:
    query: Select[Any] = select(Link)
    if name:
        query = query.where(match_text(Link.name, name))
    if device:
        ids = select(Device.id).where(match_text(Device.name, device))
        query = query.where(or_(Link.source_id.in_(ids), Link.destination_id.in_(ids)))
    return paged(session, query, parse_sort(sort, LINK_SORT_FIELDS), limit, offset)


def get_link(session: Session, link_id: int) -> Link:
    link = session.get(Link, link_id)
    if link is None:
        raise NotFound(f"no link with id {link_id}", field="link_id")
    return link


def create_link(session: Session, data: LinkCreate) -> Link:
    source = device_by_name(session, data.source, field="source")
    destination = device_by_name(session, data.destination, field="destination")
    if source.id == destination.id:
        raise InvalidInput("a link needs two different devices", field="destination")
    name = data.name or default_link_name(
        source.name, data.source_interface, destination.name, data.destination_interface
    )
    if session.scalar(select(Link.id).where(Link.name == name)) is not None:
        raise Conflict(f"link {name!r} already exists", field="name")
    link = Link(
        name=name,
        source=source,
        destination=destination,
        source_interface=data.source_interface,
        destination_interface=data.destination_interface,
        description=data.description,
    )
    session.add(link)
    session.flush()
    return link


def update_link(session: Session, link_id: int, data: LinkUpdate) -> Link:
    link = get_link(session, link_id)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if "name" in changes and changes["name"] != link.name:
        if session.scalar(select(Link.id).where(Link.name == changes["name"])) is not None:
            raise Conflict(f"link {changes['name']!r} already exists", field="name")
    if "source" in changes:
        link.source = device_by_name(session, changes.pop("source"), field="source")
    if "destination" in changes:
        link.destination = device_by_name(session, changes.pop("destination"), field="destination")
    if link.source.id == link.destination.id:
        raise InvalidInput("a link needs two different devices", field="destination")
    for key, value in changes.items():
        setattr(link, key, value)
    session.flush()
    return link


def delete_link(session: Session, link_id: int) -> None:
    session.delete(get_link(session, link_id))
    session.flush()


# -- links found by the devices (CDP/LLDP topology discovery) ------------------------------


@dataclass
class LinkSync:
    """What recording a device's discovered links did: link names per outcome."""

    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[str]]:
        return {"created": self.created, "kept": self.kept, "removed": self.removed}


def _joins(link: Link, one: tuple[int, str], other: tuple[int, str]) -> bool:
    """Does ``link`` join these two (device id, interface) ends, in either direction? An
    end the inventory holds without an interface matches any interface of its device."""

    def same(device_id: int, interface: str, end: tuple[int, str]) -> bool:
        return device_id == end[0] and (not interface or interface_key(interface) == end[1])

    forward = same(link.source_id, link.source_interface, one) and same(
        link.destination_id, link.destination_interface, other
    )
    backward = same(link.source_id, link.source_interface, other) and same(
        link.destination_id, link.destination_interface, one
    )
    return forward or backward


def sync_discovered_links(
    session: Session,
    device: str,
    found: Iterable[tuple[str, str, str]],
    *,
    remove_stale: bool = False,
    description: str = "",
) -> LinkSync:
    """Record the links ``device`` found, each ``(local interface, neighbour device,
    neighbour interface)``. A cable already in the inventory (from either end, whatever
    its name, interfaces compared without case or abbreviation) is kept; a new one is
    created with its ends in name order, named by :func:`default_link_name`, so that both
    ends' discoveries make the same link. ``remove_stale``: the device's links that were
    not found are deleted. A concurrent discovery creating the same link makes the flush
    fail on the unique name: the caller retries, and finds it."""
    me = device_by_name(session, device, field="device")
    rows = list(
        session.scalars(
            select(Link).where(or_(Link.source_id == me.id, Link.destination_id == me.id))
        )
    )
    outcome = LinkSync()
    seen: set[int] = set()
    for local_interface, peer_name, peer_interface in found:
        peer = device_by_name(session, peer_name, field="remote_device")
        if peer.id == me.id:
            continue  # a device cabled to itself: not a link between devices
        one, other = (
            (me.id, interface_key(local_interface)),
            (peer.id, interface_key(peer_interface)),
        )
        match = next((row for row in rows if _joins(row, one, other)), None)
        if match is None:
            (source, source_if), (destination, destination_if) = sorted(
                [(me, local_interface), (peer, peer_interface)], key=lambda end: end[0].name
            )
            name = default_link_name(source.name, source_if, destination.name, destination_if)
            match = session.scalar(select(Link).where(Link.name == name))
            if match is None:
                match = Link(
                    name=name,
                    source=source,
                    destination=destination,
                    source_interface=source_if,
                    destination_interface=destination_if,
                    description=description,
                )
                session.add(match)
                session.flush()
                outcome.created.append(name)
                rows.append(match)
        if match.id not in seen and match.name not in outcome.created:
            outcome.kept.append(match.name)
        seen.add(match.id)
    if remove_stale:
        for row in rows:
            if row.id not in seen:
                outcome.removed.append(row.name)
                session.delete(row)
        session.flush()
    return outcome
