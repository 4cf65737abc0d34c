"""Validate a whole document first, then apply it in the caller's transaction (upsert by
name). Any bad row rejects the file: nothing is written.

A row updates only the fields its file gives: an absent column keeps the stored value, an
empty cell in a present column clears it, a ``cf_<name>`` column sets or (empty) removes
one custom field. Rows are validated through the Create schemas after that merge, so an
update row needs only the name and the fields that change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, SecretStr, ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy import select
from sqlalchemy.orm import Session

from netweave.core.inventory.credential_scope import (
    Destination,
    ensure_in_scope,
    pool_device_ids,
)
from netweave.core.inventory.links import default_link_name
from netweave.core.inventory.transfer.document import (
    KINDS,
    SCHEMAS,
    SECRET_FIELDS,
    Document,
    Row,
    row_columns,
)
from netweave.core.inventory.transfer.exporter import Stored, canonical_filter, names, stored_rows
from netweave.core.inventory.transfer.formats import format_from_name, load
from netweave.core.inventory.transfer.writer import apply
from netweave.db.models import Credential
from netweave.foundation.errors import ImportRejected, PermissionDenied
from netweave.foundation.secrets import SecretBox

MAX_REPORTED_ERRORS = 1000
# Stands in for the stored secrets while an existing credential row without any is validated.
_KEEP = "<stored secret kept>"
_REFERENCES = {
    "devices": (("credential", "credentials"), ("bastion", "bastions")),
    "links": (("source", "devices"), ("destination", "devices")),
    "pools": (("devices", "devices"),),
}


@dataclass
class ImportSummary:
    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    updated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    unchanged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    dry_run: bool = False


@dataclass
class Change:
    """One validated row that creates or changes a record."""

    row: Row
    values: dict[str, Any]  # the record as exported (schema-shaped, no secrets)
    existing: Stored | None
    secrets: dict[str, str] = field(default_factory=dict)  # credentials: secrets to (re)seal


@dataclass
class Plan:
    changes: dict[str, list[Change]]
    summary: ImportSummary


def import_file(
    session: Session,
    box: SecretBox,
    content: bytes,
    *,
    fmt: str | None = None,
    filename: str | None = None,
    kind: str = "devices",
    dry_run: bool = False,
    credentials_allowed: bool = True,
) -> ImportSummary:
    """Parse ``content`` (``fmt``, or the format named by ``filename``) and import it."""
    document = load(content, fmt or format_from_name(filename), kind)
    return import_document(
        session, box, document, dry_run=dry_run, credentials_allowed=credentials_allowed
    )


def import_document(
    session: Session,
    box: SecretBox,
    document: Document,
    *,
    dry_run: bool = False,
    credentials_allowed: bool = True,
) -> ImportSummary:
    """Validate everything (raising ``ImportRejected`` with every bad row), then unless
    ``dry_run`` write credentials, devices, links and pools in bulk. The caller commits.
    ``credentials_allowed`` False (a non-admin): a credential row that would change is
    refused (403). A device whose credential, host or port changes must be inside that
    credential's scope (403 naming both), dry run or not."""
    return import_plan(
        session, box, document, dry_run=dry_run, credentials_allowed=credentials_allowed
    ).summary


def import_plan(
    session: Session,
    box: SecretBox,
    document: Document,
    *,
    dry_run: bool = False,
    credentials_allowed: bool = True,
) -> Plan:
    """``import_document``, answering the plan: every row that creates or changes a record
    (with the record before), not only the counts."""
    plan = plan_import(session, document)
    plan.summary.dry_run = dry_run
    if plan.changes["credentials"] and not credentials_allowed:
        raise PermissionDenied(
            f"only an admin may create or change credentials "
            f"({len(plan.changes['credentials'])} credential row(s) in this import)",
            field="credentials",
        )
    if not dry_run:
        apply(session, box, plan.changes)
        session.flush()
    _ensure_device_scopes(session, plan.changes["devices"], written=not dry_run)
    return plan


def _ensure_device_scopes(session: Session, changes: list[Change], *, written: bool) -> None:
    """Credential scopes: an imported device may not carry its credential to another host.
    One query per credential (and for its pools' members), whatever the number of devices."""
    credentials: dict[str, Credential | None] = {}
    members: dict[str, set[int]] = {}
    device_ids = names(session, "devices") if written and changes else {}
    for change in changes:
        values, before = change.values, (change.existing.row if change.existing else {})
        name = values.get("credential")
        if not name or all(values.get(k) == before.get(k) for k in ("credential", "host", "port")):
            continue
        if name not in credentials:
            credentials[name] = session.scalar(select(Credential).where(Credential.name == name))
        credential = credentials[name]
        if credential is None:  # in the same file, not written (dry run): checked when it is
            continue
        device_id = device_ids.get(values["name"]) if written else None
        if device_id is not None and name not in members:
            members[name] = pool_device_ids(session, credential.scope)
        field = f"devices.row[{change.row.number}].host"
        destination = Destination(str(values["host"]), int(values["port"]), device_id, field)
        ensure_in_scope(session, credential, destination, members.get(name))


def plan_import(session: Session, document: Document) -> Plan:
    stored = {kind: stored_rows(session, kind) if document.rows[kind] else {} for kind in KINDS}
    known = {
        kind: set(stored[kind]) if document.rows[kind] else set(names(session, kind))
        for kind in KINDS
    }
    for kind in KINDS:
        known[kind].update(key for row in document.rows[kind] if (key := _key(kind, row.data)))
    known["bastions"] = set(names(session, "bastions"))  # made by admins, never imported
    errors: list[dict[str, Any]] = []
    plan = Plan({kind: [] for kind in KINDS}, ImportSummary())
    for kind in KINDS:
        first_row: dict[str, int] = {}
        for row in document.rows[kind]:
            key = _key(kind, row.data)
            if key is not None and key in first_row:
                message = f"duplicate name {key!r}: already on row {first_row[key]}"
                errors.append(_error(row, "name", message))
                continue
            if key is not None:
                first_row[key] = row.number
            existing = stored[kind].get(key) if key is not None else None
            merged = _merge(row, existing)
            problems = [_error(row, column, message) for column, message in row.problems]
            problems += _reference_errors(row, merged, known)
            change = _validate(row, merged, existing, problems)
            errors += problems
            if change is None or problems:
                continue
            if existing is None:
                plan.summary.created[kind] += 1
            elif change.values == existing.row and not change.secrets:
                plan.summary.unchanged[kind] += 1
                continue
            else:
                plan.summary.updated[kind] += 1
            plan.changes[kind].append(change)
    if errors:
        errors.sort(key=lambda e: (KINDS.index(e["sheet"]), e["row"]))
        bad_rows = len({(e["sheet"], e["row"]) for e in errors})
        raise ImportRejected(errors[:MAX_REPORTED_ERRORS], rows=bad_rows)
    return plan


def _key(kind: str, data: dict[str, Any]) -> str | None:
    """The name a row upserts: its ``name``, or for a link without one, the name derived
    from its endpoints (as the API does)."""
    name = data.get("name")
    if isinstance(name, str) and name:
        return name
    source, destination = data.get("source"), data.get("destination")
    if kind == "links" and isinstance(source, str) and isinstance(destination, str):
        return default_link_name(
            source,
            str(data.get("source_interface") or ""),
            destination,
            str(data.get("destination_interface") or ""),
        )
    return None


def _merge(row: Row, existing: Stored | None) -> dict[str, Any]:
    merged = {**(existing.row if existing else {}), **row.data}
    if row.custom:
        custom = dict(merged.get("custom_fields") or {})
        for name, value in row.custom.items():
            if value is None:
                custom.pop(name, None)
            else:
                custom[name] = value
        merged["custom_fields"] = custom
    return merged


def _validate(
    row: Row, merged: dict[str, Any], existing: Stored | None, errors: list[dict[str, Any]]
) -> Change | None:
    kind = row.kind
    secrets_given = [s for s in SECRET_FIELDS if row.data.get(s) not in (None, "")]
    data = dict(merged)
    if kind == "credentials" and existing is not None and data.get("source") != "vault":
        if not any(s in secrets_given for s in ("password", "ssh_key")):
            data["password"] = _KEEP  # validates; the stored secrets are kept
    try:
        model = SCHEMAS[kind].model_validate(data)
    except ValidationError as exc:
        errors += [_error(row, _location(p), _message(p)) for p in exc.errors()]
        return None
    values = _values(kind, model)
    if kind == "links" and values["source"] == values["destination"]:
        errors.append(_error(row, "destination", "a link needs two different devices"))
        return None
    secrets: dict[str, str] = {}
    for name in secrets_given:
        secret = getattr(model, name, None)
        if isinstance(secret, SecretStr):
            secrets[name] = secret.get_secret_value()
    return Change(row, values, existing, secrets)


def _values(kind: str, model: BaseModel) -> dict[str, Any]:
    """A validated row in the exported shape, so it compares with the stored record."""
    data = model.model_dump()
    if kind == "devices":
        data["tags"] = sorted(set(data["tags"]))
    elif kind == "pools":
        data["devices"] = sorted(set(data["devices"]))
        data["device_filter"] = canonical_filter(getattr(model, "device_filter", None))
    elif kind == "links":
        data["name"] = _key(kind, data)
    return {column: data[column] for column in row_columns(kind)}


def _reference_errors(
    row: Row, merged: dict[str, Any], known: dict[str, set[str]]
) -> list[dict[str, Any]]:
    """Names pointing at nothing in the database or the file (checked even on rows that
    fail validation, so one report lists everything)."""
    errors = []
    for column, target in _REFERENCES.get(row.kind, ()):
        value = merged.get(column)
        items = value if isinstance(value, list) else [value]
        for position, name in enumerate(items):
            if isinstance(name, str) and name and name not in known[target]:
                where = f"{column}[{position}]" if isinstance(value, list) else column
                errors.append(_error(row, where, f"no {target[:-1]} named {name!r}"))
    return errors


def _location(problem: ErrorDetails) -> str:
    text = ""
    for part in problem["loc"]:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "row"


def _message(problem: ErrorDetails) -> str:
    message = problem["msg"]
    return message.removeprefix("Value error, ")


def _error(row: Row, field_name: str, message: str) -> dict[str, Any]:
    return {"sheet": row.kind, "row": row.number, "field": field_name, "message": message}
