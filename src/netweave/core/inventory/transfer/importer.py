"""Validate a whole document first, then apply it in one transaction (upsert by name).
Any bad row rejects the file: nothing is written."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from netweave.core.inventory import credentials, links, pools
from netweave.core.inventory.devices import update_device
from netweave.core.inventory.schemas import (
    CredentialCreate,
    CredentialUpdate,
    DeviceCreate,
    DeviceUpdate,
    LinkCreate,
    LinkUpdate,
    PoolCreate,
    PoolUpdate,
)
from netweave.core.inventory.transfer.document import KINDS, SECRET_COLUMNS, Document, Row
from netweave.db.models import Credential, Device, DeviceTag, Link, Pool
from netweave.foundation.errors import ImportRejected
from netweave.foundation.secrets import SecretBox

SCHEMAS: dict[str, type[BaseModel]] = {
    "credentials": CredentialCreate,
    "devices": DeviceCreate,
    "links": LinkCreate,
    "pools": PoolCreate,
}
MAX_REPORTED_ERRORS = 1000


@dataclass
class ImportSummary:
    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    updated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    dry_run: bool = False


@dataclass
class _Plan:
    valid: dict[str, list[tuple[Row, BaseModel]]]
    existing: dict[str, dict[str, int]]


def _names(session: Session, model: type[Credential | Device | Link | Pool]) -> dict[str, int]:
    return {name: ident for ident, name in session.execute(select(model.id, model.name))}


def _error(row: Row, field_name: str, message: str) -> dict[str, Any]:
    return {"sheet": row.kind, "row": row.number, "field": field_name, "message": message}


def _validate(session: Session, document: Document) -> _Plan:
    existing = {
        "credentials": _names(session, Credential),
        "devices": _names(session, Device),
        "links": _names(session, Link),
        "pools": _names(session, Pool),
    }
    errors: list[dict[str, Any]] = []
    valid: dict[str, list[tuple[Row, BaseModel]]] = {kind: [] for kind in KINDS}
    in_file: dict[str, set[str]] = {kind: set() for kind in KINDS}
    for kind in KINDS:
        for row in document.rows[kind]:
            data = {k: v for k, v in row.data.items() if not str(k).startswith("has_")}
            name = data.get("name")
            if kind == "credentials" and name in existing["credentials"]:
                if not any(data.get(secret) for secret in SECRET_COLUMNS):
                    data["password"] = "unchanged"  # placeholder to pass validation only
                    row.data = {**data, "_keep_secrets": True}
            try:
                model = SCHEMAS[kind].model_validate(
                    {k: v for k, v in data.items() if not k.startswith("_")}
                )
            except ValidationError as exc:
                for problem in exc.errors():
                    location = ".".join(str(p) for p in problem["loc"]) or "row"
                    errors.append(_error(row, location, problem["msg"]))
                continue
            name = getattr(model, "name", None) or _link_name(model)
            if name in in_file[kind]:
                errors.append(_error(row, "name", f"duplicate {kind[:-1]} name {name!r} in file"))
                continue
            in_file[kind].add(name)
            valid[kind].append((row, model))
    known = {kind: set(existing[kind]) | in_file[kind] for kind in KINDS}
    errors += _reference_errors(document, known)
    if errors:
        errors.sort(key=lambda e: (KINDS.index(e["sheet"]), e["row"]))
        raise ImportRejected(errors[:MAX_REPORTED_ERRORS])
    return _Plan(valid, existing)


def _reference_errors(document: Document, known: dict[str, set[str]]) -> list[dict[str, Any]]:
    """Names that point at nothing, checked on every row (valid or not) for a full report."""
    errors = []
    for row in document.rows["devices"]:
        reference = row.data.get("credential")
        if isinstance(reference, str) and reference and reference not in known["credentials"]:
            errors.append(_error(row, "credential", f"no credential named {reference!r}"))
    for row in document.rows["links"]:
        for end in ("source", "destination"):
            name = row.data.get(end)
            if isinstance(name, str) and name and name not in known["devices"]:
                errors.append(_error(row, end, f"no device named {name!r}"))
    for row in document.rows["pools"]:
        members = row.data.get("devices") or []
        for position, member in enumerate(members if isinstance(members, list) else []):
            if isinstance(member, str) and member not in known["devices"]:
                errors.append(_error(row, f"devices[{position}]", f"no device named {member!r}"))
    return errors


def _link_name(model: BaseModel) -> str:
    data = model.model_dump()
    return links.default_link_name(
        data["source"], data["source_interface"], data["destination"], data["destination_interface"]
    )


def import_document(
    session: Session, box: SecretBox, document: Document, *, dry_run: bool = False
) -> ImportSummary:
    """Validate everything, then (unless ``dry_run``) apply in the caller's transaction."""
    plan = _validate(session, document)
    summary = ImportSummary(dry_run=dry_run)
    for kind in KINDS:
        for _, model in plan.valid[kind]:
            name = getattr(model, "name", None) or _link_name(model)
            bucket = summary.updated if name in plan.existing[kind] else summary.created
            bucket[kind] += 1
    if dry_run:
        return summary
    _apply_credentials(session, box, plan)
    _apply_devices(session, plan)
    _apply_links(session, plan)
    _apply_pools(session, plan)
    session.flush()
    return summary


def _apply_credentials(session: Session, box: SecretBox, plan: _Plan) -> None:
    existing = plan.existing["credentials"]
    for row, model in plan.valid["credentials"]:
        assert isinstance(model, CredentialCreate)
        if model.name not in existing:
            credentials.create_credential(session, box, model)
            continue
        fields = model.model_dump(exclude={"name"}, exclude_none=True)
        if row.data.get("_keep_secrets"):
            fields = {k: v for k, v in fields.items() if k not in SECRET_COLUMNS}
        credentials.update_credential(
            session, box, existing[model.name], CredentialUpdate.model_validate(fields)
        )


def _apply_devices(session: Session, plan: _Plan) -> None:
    credential_ids = _names(session, Credential)
    existing = plan.existing["devices"]
    new_rows: list[dict[str, Any]] = []
    new_tags: dict[str, list[str]] = {}
    for _, model in plan.valid["devices"]:
        assert isinstance(model, DeviceCreate)
        if model.name in existing:
            update_device(
                session, existing[model.name], DeviceUpdate.model_validate(model.model_dump())
            )
            continue
        values = model.model_dump(exclude={"tags", "credential"})
        values["credential_id"] = credential_ids.get(model.credential or "")
        new_rows.append(values)
        new_tags[model.name] = sorted(set(model.tags))
    if not new_rows:
        return
    inserted = session.execute(insert(Device).returning(Device.id, Device.name), new_rows)
    tag_rows = [
        {"device_id": ident, "tag": tag} for ident, name in inserted for tag in new_tags[name]
    ]
    if tag_rows:
        session.execute(insert(DeviceTag), tag_rows)


def _apply_links(session: Session, plan: _Plan) -> None:
    existing = _names(session, Link)
    for _, model in plan.valid["links"]:
        assert isinstance(model, LinkCreate)
        name = model.name or _link_name(model)
        if name in existing:
            links.update_link(
                session, existing[name], LinkUpdate.model_validate(model.model_dump())
            )
        else:
            links.create_link(session, model)


def _apply_pools(session: Session, plan: _Plan) -> None:
    existing = plan.existing["pools"]
    for _, model in plan.valid["pools"]:
        assert isinstance(model, PoolCreate)
        if model.name in existing:
            data = model.model_dump(exclude={"name"})
            update = PoolUpdate.model_validate(data)
            update.clear_filter = model.device_filter is None
            pools.update_pool(session, existing[model.name], update)
        else:
            pools.create_pool(session, model)
