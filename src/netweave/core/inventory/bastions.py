"""Bastions (SSH jump hosts) of the inventory: CRUD for admins, and the chain of hops a
device is reached through, with each hop's login resolved just in time.

Trust rules: only admins create or change a bastion (it sees every session it carries); its
credential is offered only if the credential's scope holds the bastion's address; a chain has
at most two hops and no loop."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from netweave.core.inventory.credential_scope import Destination, ensure_in_scope
from netweave.core.inventory.credentials import credential_by_name, resolve_credential
from netweave.core.inventory.schemas import BastionCreate, BastionRead, BastionUpdate
from netweave.db.models import Bastion, Device
from netweave.drivers.base import JumpHost
from netweave.foundation.errors import Conflict, InvalidInput, NotFound
from netweave.foundation.secrets import SecretBox

MAX_HOPS = 2


def to_read(session: Session, row: Bastion) -> BastionRead:
    devices = session.scalar(
        select(func.count()).select_from(Device).where(Device.bastion_id == row.id)
    )
    return BastionRead(
        id=row.id,
        name=row.name,
        description=row.description,
        host=row.host,
        port=row.port,
        credential=row.credential.name if row.credential else None,
        via=row.via.name if row.via else None,
        devices=devices or 0,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def list_bastions(session: Session) -> list[Bastion]:
    return list(session.scalars(select(Bastion).order_by(Bastion.name)))


def get_bastion(session: Session, bastion_id: int) -> Bastion:
    row = session.get(Bastion, bastion_id)
    if row is None:
        raise NotFound(f"no bastion with id {bastion_id}", field="bastion_id")
    return row


def bastion_by_name(session: Session, name: str, field: str = "bastion") -> Bastion:
    row = session.scalar(select(Bastion).where(Bastion.name == name))
    if row is None:
        raise NotFound(f"no bastion named {name!r}", field=field)
    return row


def create_bastion(session: Session, data: BastionCreate) -> Bastion:
    if session.scalar(select(Bastion.id).where(Bastion.name == data.name)) is not None:
        raise Conflict(f"bastion {data.name!r} already exists", field="name")
    row = Bastion(
        name=data.name,
        description=data.description,
        host=data.host,
        port=data.port,
        credential=credential_by_name(session, data.credential),
        via=bastion_by_name(session, data.via, "via") if data.via else None,
    )
    session.add(row)
    session.flush()
    _check(session, row, "credential")
    return row


def update_bastion(session: Session, bastion_id: int, data: BastionUpdate) -> Bastion:
    row = get_bastion(session, bastion_id)
    changes = data.model_dump(exclude_unset=True)
    name = changes.get("name")
    if name and name != row.name:
        if session.scalar(select(Bastion.id).where(Bastion.name == name)) is not None:
            raise Conflict(f"bastion {name!r} already exists", field="name")
    if "credential" in changes:
        if not changes["credential"]:
            raise InvalidInput("a bastion needs a credential", field="credential")
        row.credential = credential_by_name(session, changes.pop("credential"))
    if "via" in changes:
        via = changes.pop("via")
        row.via = bastion_by_name(session, via, "via") if via else None
    for key, value in changes.items():
        if value is not None:
            setattr(row, key, value)
    session.flush()
    field = "credential" if "credential" in data.model_fields_set else "host"
    _check(session, row, field)
    return row


def delete_bastion(session: Session, bastion_id: int) -> None:
    row = get_bastion(session, bastion_id)
    users = session.scalar(
        select(func.count()).select_from(Device).where(Device.bastion_id == row.id)
    )
    behind = session.scalar(
        select(func.count()).select_from(Bastion).where(Bastion.via_id == row.id)
    )
    if users or behind:
        raise Conflict(
            f"bastion {row.name!r} is in front of {users} device(s) and {behind} bastion(s)",
            field="bastion_id",
        )
    session.delete(row)
    session.flush()


def chain(row: Bastion) -> list[Bastion]:
    """The hops to pass to reach what is behind ``row``, first hop first."""
    hops = [row]
    while hops[0].via is not None:
        if hops[0].via in hops:
            raise InvalidInput(f"bastion {row.name!r} is in a loop", field="via")
        hops.insert(0, hops[0].via)
    return hops


def _check(session: Session, row: Bastion, field: str) -> None:
    hops = chain(row)
    if len(hops) > MAX_HOPS:
        raise InvalidInput(
            f"bastion {row.name!r} would be reached through {len(hops)} hops; "
            f"at most {MAX_HOPS} are supported",
            field="via",
        )
    behind = session.scalars(select(Bastion).where(Bastion.via_id == row.id)).all()
    if behind and row.via is not None:
        raise InvalidInput(
            f"bastion {behind[0].name!r} is behind {row.name!r}: a chain has at most "
            f"{MAX_HOPS} hops",
            field="via",
        )
    if row.credential is not None:  # its login is offered at its own address only
        ensure_in_scope(session, row.credential, Destination(row.host, row.port, None, field))


def jump_hosts(session: Session, box: SecretBox, bastion_id: int) -> list[JumpHost]:
    """Worker side, just in time: the hops in front of a device, each with its login (the
    credential's scope is checked against the bastion's own address before any secret is
    read)."""
    hops: list[JumpHost] = []
    for row in chain(get_bastion(session, bastion_id)):
        if row.credential_id is None:
            raise InvalidInput(f"bastion {row.name!r} has no credential", field="bastion")
        destination = Destination(row.host, row.port, None, f"bastion {row.name}")
        login = resolve_credential(session, box, row.credential_id, destination)
        hops.append(
            JumpHost.model_validate(
                {
                    "name": row.name,
                    "host": row.host,
                    "port": row.port,
                    "username": login.username,
                    "password": login.password,
                    "pkey": login.ssh_key,
                }
            )
        )
    return hops
