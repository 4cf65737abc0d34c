"""The changelog: every create, update and delete of the things people manage, and every
run start, recorded with who, what and when — from the ORM's flush, so no route can forget.
Secret columns are never copied: their change shows as ``"***"``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, func, insert, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from netweave.core.text_filter import match_text
from netweave.db.models import (
    ApiKey,
    Automation,
    ChangeRecord,
    Credential,
    Device,
    EventRule,
    Group,
    GroupMember,
    Link,
    ObjectAcl,
    ObjectGrant,
    Pool,
    Run,
    ServiceType,
    Task,
    TerminalSession,
    Trigger,
    User,
)

AUDITED: dict[type, str] = {
    Device: "device",
    Credential: "credential",
    Link: "link",
    Pool: "pool",
    User: "user",
    Group: "group",
    GroupMember: "group_member",
    ObjectAcl: "object_access",
    ObjectGrant: "object_grant",
    ApiKey: "api_key",
    Automation: "automation",
    ServiceType: "service_type",
    Task: "task",
    Trigger: "trigger",
    EventRule: "event_rule",
    Run: "run",
    TerminalSession: "terminal_session",
}
SECRET = {
    "password_hash",
    "password_history",
    "password_enc",
    "ssh_key_enc",
    "enable_secret_enc",
    "key_hash",
}
QUIET = {
    "updated_at",
    "last_used_at",
    "last_login_at",
    "next_fire_at",
    "checked_until",
    "last_fire_at",
    "fired",
    "last_fired_at",
    "discovered_at",
    "digest",
}
ACTOR_KEY = "audit_actor"  # session.info: who acts in this session
REQUEST_KEY = "audit_request"  # session.info: a request state carrying .actor


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, dict | list):
        return value
    return str(value)


def _name(obj: Any) -> str:
    for attribute in ("name", "device_name", "username", "prefix"):
        value = getattr(obj, attribute, None)
        if isinstance(value, str):
            return value
    return ""


def _actor(session: Session, obj: Any) -> str:
    if isinstance(obj, Run) and obj.creator:
        return obj.creator
    if isinstance(obj, TerminalSession):
        return obj.username
    actor = session.info.get(ACTOR_KEY)
    if actor:
        return str(actor)
    state = session.info.get(REQUEST_KEY)
    return str(getattr(state, "actor", "") or "system")


def _snapshot(obj: Any) -> dict[str, Any]:
    return {attr.key: _json(getattr(obj, attr.key)) for attr in inspect(obj).mapper.column_attrs}


def _changes(obj: Any) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for attr in inspect(obj).mapper.column_attrs:
        key = attr.key
        if key in QUIET:
            continue
        history = inspect(obj).attrs[key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if key in SECRET:
            changes[key] = "***"
        else:
            changes[key] = {"from": _json(old), "to": _json(new)}
    return changes


def _terminal(obj: TerminalSession, action: str) -> tuple[str, dict[str, Any]] | None:
    """A terminal session is logged when it opens and when it closes (never its transcript)."""
    if action == "create":
        return "open", {"host": obj.host, "port": obj.port, "client": obj.client}
    ended = inspect(obj).attrs["ended_at"].history
    if action != "update" or not ended.added or obj.ended_at is None:
        return None
    seconds = (obj.ended_at - obj.started_at).total_seconds() if obj.started_at else None
    return "close", {
        "reason": obj.close_reason,
        "bytes_in": obj.bytes_in,
        "bytes_out": obj.bytes_out,
        "duration_seconds": round(seconds, 1) if seconds is not None else None,
    }


def _after_flush(session: Session, _context: Any) -> None:
    rows: list[dict[str, Any]] = []
    now = datetime.now(UTC)
    for objects, action in (
        (session.new, "create"),
        (session.dirty, "update"),
        (session.deleted, "delete"),
    ):
        for obj in objects:
            kind = AUDITED.get(type(obj))
            if kind is None:
                continue
            if isinstance(obj, Run):
                if action != "create":
                    continue
                action_name, changes = "run", {"trigger": obj.trigger, "targets": len(obj.targets)}
            elif isinstance(obj, TerminalSession):
                entry = _terminal(obj, action)
                if entry is None:
                    continue
                action_name, changes = entry
            else:
                action_name = action
                changes = _changes(obj) if action == "update" else {}
                if isinstance(obj, ObjectAcl | ObjectGrant):  # what was granted on what
                    changes = _snapshot(obj)
                if action == "update" and not changes:
                    continue
            if isinstance(obj, Automation):
                kind = obj.kind
            ident = inspect(obj).identity
            rows.append(
                {
                    "at": now,
                    "actor": _actor(session, obj)[:128],
                    "action": action_name,
                    "object_type": kind,
                    "object_id": str(ident[0]) if ident else "",
                    "object_name": _name(obj)[:255],
                    "changes": changes,
                }
            )
    if rows:
        session.connection().execute(insert(ChangeRecord), rows)


def install(factory: sessionmaker[Session]) -> None:
    event.listen(factory, "after_flush", _after_flush)


def query(
    session: Session,
    *,
    actor: str | None,
    object_type: str | None,
    action: str | None,
    name: str | None,
    since: datetime | None,
    limit: int,
    offset: int,
) -> tuple[list[ChangeRecord], int]:
    statement = select(ChangeRecord)
    if actor:
        statement = statement.where(match_text(ChangeRecord.actor, actor))
    if object_type:
        statement = statement.where(match_text(ChangeRecord.object_type, object_type))
    if action:
        statement = statement.where(ChangeRecord.action == action)
    if name:
        statement = statement.where(match_text(ChangeRecord.object_name, name, contains=True))
    if since:
        statement = statement.where(ChangeRecord.at >= since)
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    ordered = statement.order_by(ChangeRecord.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(ordered)), total
