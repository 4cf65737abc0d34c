"""The stored inventory as schema-shaped rows (never a secret), read in a few set-based
queries: the export's content and the importer's view of what already exists."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from netweave.core.inventory.credential_scope import read_scope
from netweave.core.inventory.schemas import DeviceFilter
from netweave.core.inventory.transfer.document import COLUMNS, KINDS, check_kind, row_columns
from netweave.core.inventory.transfer.formats import dump, format_from_name
from netweave.db.models import Bastion, Credential, Device, DeviceTag, Link, Pool, PoolMember

_MODELS: dict[str, type[Bastion | Credential | Device | Link | Pool]] = {
    "bastions": Bastion,  # referenced by name only (bastions are made by admins, not imported)
    "credentials": Credential,
    "devices": Device,
    "links": Link,
    "pools": Pool,
}
# Device fields stored as plain columns (the rest: tags, credential and bastion by name).
_DEVICE_COLUMNS = [c for c in COLUMNS["devices"] if c not in ("tags", "credential", "bastion")]


@dataclass(frozen=True)
class Stored:
    id: int
    row: dict[str, Any]  # the same shape an import row validates to (no secrets)


def names(session: Session, kind: str) -> dict[str, int]:
    model = _MODELS[kind]
    return {name: ident for ident, name in session.execute(select(model.id, model.name))}


def stored_rows(session: Session, kind: str) -> dict[str, Stored]:
    """Every stored record of ``kind`` by name, sorted by name."""
    reader = {
        "credentials": _credentials,
        "devices": _devices,
        "links": _links,
        "pools": _pools,
    }[check_kind(kind)]
    return dict(sorted(reader(session).items()))


def _credentials(session: Session) -> dict[str, Stored]:
    columns = [getattr(Credential, c) for c in row_columns("credentials")]
    result: dict[str, Stored] = {}
    for r in session.execute(select(Credential.id, *columns)):
        values = {c: getattr(r, c) for c in row_columns("credentials")}
        if "scope" in values:  # pools by name, as an import row gives them
            scope = read_scope(session, values["scope"])
            values["scope"] = None if scope is None else scope.model_dump()
        result[r.name] = Stored(r.id, values)
    return result


def _devices(session: Session) -> dict[str, Stored]:
    tags: dict[int, list[str]] = defaultdict(list)
    for device_id, tag in session.execute(
        select(DeviceTag.device_id, DeviceTag.tag).order_by(DeviceTag.device_id, DeviceTag.tag)
    ):
        tags[device_id].append(tag)
    query = (
        select(
            Device.id,
            *(getattr(Device, c) for c in _DEVICE_COLUMNS),
            Credential.name.label("cred"),
            Bastion.name.label("bastion_name"),
        )
        .outerjoin(Credential, Device.credential_id == Credential.id)
        .outerjoin(Bastion, Device.bastion_id == Bastion.id)
    )
    result: dict[str, Stored] = {}
    for r in session.execute(query):
        values = {c: getattr(r, c) for c in _DEVICE_COLUMNS}
        values["custom_fields"] = dict(values["custom_fields"] or {})
        values["tags"] = tags.get(r.id, [])
        values["credential"] = r.cred
        values["bastion"] = r.bastion_name
        result[r.name] = Stored(r.id, {c: values[c] for c in COLUMNS["devices"]})
    return result


def _links(session: Session) -> dict[str, Stored]:
    source, destination = aliased(Device), aliased(Device)
    query = (
        select(
            Link.id,
            Link.name,
            source.name.label("source"),
            Link.source_interface,
            destination.name.label("destination"),
            Link.destination_interface,
            Link.description,
        )
        .join(source, Link.source_id == source.id)
        .join(destination, Link.destination_id == destination.id)
    )
    return {
        r.name: Stored(r.id, {c: getattr(r, c) for c in COLUMNS["links"]})
        for r in session.execute(query)
    }


def _pools(session: Session) -> dict[str, Stored]:
    members: dict[int, list[str]] = defaultdict(list)
    for pool_id, device in session.execute(
        select(PoolMember.pool_id, Device.name)
        .join(Device, PoolMember.device_id == Device.id)
        .order_by(PoolMember.pool_id, Device.name)
    ):
        members[pool_id].append(device)
    result: dict[str, Stored] = {}
    for r in session.execute(select(Pool.id, Pool.name, Pool.description, Pool.device_filter)):
        values = {
            "name": r.name,
            "description": r.description,
            "devices": members.get(r.id, []),
            "device_filter": canonical_filter(r.device_filter),
        }
        result[r.name] = Stored(r.id, {c: values[c] for c in COLUMNS["pools"]})
    return result


def canonical_filter(value: DeviceFilter | dict[str, Any] | None) -> dict[str, Any] | None:
    """A pool filter as stored and exported: non-default fields only; empty = none."""
    if value is None:
        return None
    filt = value if isinstance(value, DeviceFilter) else DeviceFilter.model_validate(value)
    return filt.model_dump(exclude_defaults=True) or None


def export_document(session: Session) -> dict[str, list[dict[str, Any]]]:
    """The whole inventory, every kind, rows sorted by name. Credentials carry name,
    description and username only: secrets are never exported."""
    return {kind: [s.row for s in stored_rows(session, kind).values()] for kind in KINDS}


def export_file(
    session: Session, fmt: str | None, kind: str = "devices", filename: str | None = None
) -> bytes:
    """Export as ``fmt`` (or the format named by ``filename``'s extension)."""
    return dump(export_document(session), fmt or format_from_name(filename), kind)
