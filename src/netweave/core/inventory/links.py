"""Links between devices (the logical topology)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from netweave.core.inventory.devices import device_by_name
from netweave.core.inventory.query import paged, parse_sort
from netweave.core.inventory.schemas import LinkCreate, LinkRead, LinkUpdate
from netweave.core.text_filter import match_text
from netweave.db.models import Device, Link
from netweave.foundation.errors import Conflict, InvalidInput, NotFound

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
