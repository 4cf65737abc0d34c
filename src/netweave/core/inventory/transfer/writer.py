"""The write half of an import: validated changes applied in bulk, a few statements per
kind whatever the number of rows (executemany INSERT/UPDATE, set-based deletes)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import delete, insert, update
from sqlalchemy.orm import Session

from netweave.core.inventory.credential_scope import stored_scope
from netweave.core.inventory.schemas import CredentialScope
from netweave.core.inventory.transfer.document import COLUMNS, SECRET_FIELDS
from netweave.core.inventory.transfer.exporter import names
from netweave.db.base import utcnow
from netweave.db.models import Credential, Device, DeviceTag, Link, Pool, PoolMember
from netweave.foundation.secrets import SecretBox

if TYPE_CHECKING:
    from netweave.core.inventory.transfer.importer import Change

CHUNK = 500  # ids per IN (...) list
T = TypeVar("T")
_DEVICE_COLUMNS = [c for c in COLUMNS["devices"] if c not in ("tags", "credential", "bastion")]


def apply(session: Session, box: SecretBox, changes: dict[str, list[Change]]) -> None:
    """Write in reference order: credentials, devices, links, pools; then the scopes of
    credentials scoped by pools of this same import (written as "nowhere" until then)."""
    deferred = _credentials(session, box, changes["credentials"])
    _devices(session, changes["devices"])
    _links(session, changes["links"])
    _pools(session, changes["pools"])
    for name, scope in deferred.items():
        session.execute(
            update(Credential)
            .where(Credential.name == name)
            .values(scope=stored_scope(session, scope))
        )
    session.expire_all()  # bulk statements bypass the identity map


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _split(changes: list[Change]) -> tuple[list[Change], list[Change]]:
    new = [c for c in changes if c.existing is None]
    return new, [c for c in changes if c.existing is not None]


def _insert(session: Session, model: Any, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Bulk INSERT ... RETURNING id, name."""
    if not rows:
        return {}
    result = session.execute(insert(model).returning(model.id, model.name), rows)
    return {name: ident for ident, name in result}


def _update(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """Bulk UPDATE by primary key (rows carry ``id``)."""
    if rows:
        now = utcnow()
        session.execute(update(model), [{**row, "updated_at": now} for row in rows])


def _credentials(
    session: Session, box: SecretBox, changes: list[Change]
) -> dict[str, CredentialScope]:
    """Credentials written; returns the scopes naming pools not written yet, by name."""
    new, changed = _split(changes)
    pools = set(names(session, "pools")) if changes else set()
    deferred: dict[str, CredentialScope] = {}

    def sealed(change: Change, every: bool) -> dict[str, Any]:
        secrets: dict[str, str | None] = {
            f"{k}_enc": box.encrypt(v) for k, v in change.secrets.items()
        }
        if every:  # a new credential: the secrets not given are NULL
            secrets = {f"{k}_enc": secrets.get(f"{k}_enc") for k in SECRET_FIELDS}
        values = dict(change.values)
        if "scope" in values:  # pools by name in the file, by id in the column
            scope = values["scope"]
            parsed = None if scope is None else CredentialScope.model_validate(scope)
            if parsed is not None and not pools.issuperset(parsed.pools):
                deferred[str(values["name"])] = parsed  # a pool of this import: set after it
                parsed = parsed.model_copy(update={"pools": []})
            values["scope"] = stored_scope(session, parsed)
        return {**values, **secrets}

    _insert(session, Credential, [sealed(c, every=True) for c in new])
    # Rows differ in which secrets they change: group by the set of columns written.
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for change in changed:
        assert change.existing is not None
        row = {"id": change.existing.id, **sealed(change, every=False)}
        groups.setdefault(tuple(sorted(row)), []).append(row)
    for rows in groups.values():
        _update(session, Credential, rows)
    return deferred


def _devices(session: Session, changes: list[Change]) -> None:
    if not changes:
        return
    credential_ids = names(session, "credentials")
    bastion_ids = names(session, "bastions")
    new, changed = _split(changes)

    def columns(change: Change) -> dict[str, Any]:
        values = {c: change.values[c] for c in _DEVICE_COLUMNS}
        credential = change.values["credential"]
        values["credential_id"] = credential_ids[credential] if credential else None
        bastion = change.values.get("bastion")
        values["bastion_id"] = bastion_ids[bastion] if bastion else None
        return values

    ids = _insert(session, Device, [columns(c) for c in new])
    updated = []
    for change in changed:
        assert change.existing is not None
        ids[change.values["name"]] = change.existing.id
        updated.append({"id": change.existing.id, **columns(change)})
    _update(session, Device, updated)
    for chunk in _chunks([row["id"] for row in updated]):
        session.execute(delete(DeviceTag).where(DeviceTag.device_id.in_(chunk)))
    tags = [
        {"device_id": ids[c.values["name"]], "tag": tag}
        for c in changes
        for tag in c.values["tags"]
    ]
    if tags:
        session.execute(insert(DeviceTag), tags)


def _links(session: Session, changes: list[Change]) -> None:
    if not changes:
        return
    device_ids = names(session, "devices")
    new, changed = _split(changes)

    def columns(change: Change) -> dict[str, Any]:
        values = dict(change.values)
        values["source_id"] = device_ids[values.pop("source")]
        values["destination_id"] = device_ids[values.pop("destination")]
        return values

    _insert(session, Link, [columns(c) for c in new])
    rows = []
    for change in changed:
        assert change.existing is not None
        rows.append({"id": change.existing.id, **columns(change)})
    _update(session, Link, rows)


def _pools(session: Session, changes: list[Change]) -> None:
    if not changes:
        return
    device_ids = names(session, "devices")
    new, changed = _split(changes)

    def columns(change: Change) -> dict[str, Any]:
        return {k: v for k, v in change.values.items() if k != "devices"}

    ids = _insert(session, Pool, [columns(c) for c in new])
    rows = []
    for change in changed:
        assert change.existing is not None
        ids[change.values["name"]] = change.existing.id
        rows.append({"id": change.existing.id, **columns(change)})
    _update(session, Pool, rows)
    for chunk in _chunks([row["id"] for row in rows]):
        session.execute(delete(PoolMember).where(PoolMember.pool_id.in_(chunk)))
    members = [
        {"pool_id": ids[c.values["name"]], "device_id": device_ids[name]}
        for c in changes
        for name in c.values["devices"]
    ]
    if members:
        session.execute(insert(PoolMember), members)
