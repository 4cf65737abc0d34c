"""Event rules CRUD, their firing log, and syslog search."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from netweave.core import bulk
from netweave.core.access import object_rights
from netweave.core.access.scopes import fence
from netweave.core.automation import definitions
from netweave.core.events.messages import SEVERITIES
from netweave.core.events.schemas import (
    MessageMatch,
    RuleCreate,
    RuleFiringRead,
    RuleRead,
    RuleUpdate,
    SeverityCount,
    SyslogDetail,
    SyslogQuery,
    SyslogRead,
)
from netweave.db.models import EventRule, RuleFiring, Run, SyslogEntry
from netweave.foundation.errors import Conflict, NotFound, PermissionDenied

Q = TypeVar("Q", bound="Select[*tuple[Any, ...]]")
# a message's rule firings are written in its ingest transaction: look for them this close
FIRING_WINDOW = timedelta(hours=1)


def rule_read(row: EventRule) -> RuleRead:
    return RuleRead(
        id=row.id,
        name=row.name,
        description=row.description,
        enabled=row.enabled,
        automation=row.automation,
        match=row.match,
        dedup_window=row.dedup_window,
        rate_limit=row.rate_limit,
        fired=row.fired,
        last_fired_at=row.last_fired_at,
    )


def rule_by_name(session: Session, name: str, actor: str | None = None) -> EventRule:
    """``actor``: one it may not read (per-object permissions) is a 404 too."""
    row = session.scalar(select(EventRule).where(EventRule.name == name))
    if row is None:
        raise NotFound(f"no event rule named {name!r}", field="name")
    object_rights.ensure(
        session, actor, "event_rule", row, "read", ref=f"named {name!r}", field="name"
    )
    return row


def _automation(session: Session, name: str, actor: str | None) -> None:
    """The service or workflow exists and ``actor`` may run it (a 404 or 403 naming the
    rule's field): the rule's firings run it with its owner's rights."""
    try:
        row = definitions.by_name(session, name)
    except NotFound as exc:
        raise NotFound(exc.message, field="automation") from exc
    object_rights.ensure(
        session, actor, row.kind, row, "run", ref=f"named {name!r}", field="automation"
    )


def _confine(session: Session, actor: str | None, match: dict[str, Any]) -> None:
    """A rule saved by a user fenced to pools must be confined to one of them by its
    ``pool`` criterion (a rule fires on any device's messages otherwise). Its runs are
    checked again, as that user, when it fires."""
    pools = fence(session, actor)
    if pools is None or match.get("pool") in {p.name for p in pools}:
        return
    where = ", ".join(p.name for p in pools) or "(pools since deleted)"
    raise PermissionDenied(
        f"{actor} may act only on devices in pool(s) {where}: "
        "an event rule it saves needs match.pool set to one of them",
        field="match.pool",
    )


def create_rule(session: Session, data: RuleCreate, creator: str | None = None) -> EventRule:
    _automation(session, data.automation, creator)
    if session.scalar(select(EventRule.id).where(EventRule.name == data.name)) is not None:
        raise Conflict(f"an event rule named {data.name!r} exists", field="name")
    row = EventRule(
        name=data.name,
        description=data.description,
        enabled=data.enabled,
        automation=data.automation,
        match=data.match.model_dump(mode="json", exclude_defaults=True),
        dedup_window=data.dedup_window,
        rate_limit=data.rate_limit,
        created_by=creator or "",
    )
    _confine(session, creator, row.match)
    session.add(row)
    session.flush()
    return row


def update_rule(
    session: Session, name: str, data: RuleUpdate, actor: str | None = None
) -> EventRule:
    """The editor becomes the rule's owner (whose rights and fence its runs obey)."""
    row = rule_by_name(session, name, actor)
    object_rights.ensure(session, actor, "event_rule", row, "edit", field="name")
    if data.automation is not None:
        row.automation = data.automation
    if data.automation is not None or actor is not None:
        _automation(session, row.automation, actor)
    if data.match is not None:
        row.match = data.match.model_dump(mode="json", exclude_defaults=True)
    for field in ("description", "enabled", "dedup_window", "rate_limit"):
        value = getattr(data, field)
        if value is not None:
            setattr(row, field, value)
    if fence(session, actor) is not None:
        _confine(session, actor, row.match or {})
    if actor is not None:  # the last editor owns it: its firings act with its rights
        row.created_by = actor
    session.flush()
    return row


def delete_rule(session: Session, name: str, actor: str | None = None) -> None:
    """A user fenced to pools deletes only a rule it could save: one confined to its pools."""
    row = rule_by_name(session, name, actor)
    object_rights.ensure(session, actor, "event_rule", row, "edit", field="name")
    if fence(session, actor) is not None:
        _confine(session, actor, row.match or {})
    session.delete(row)
    session.flush()


def delete_rules(session: Session, names: list[str], actor: str | None = None) -> bulk.BulkResult:
    """Each through :func:`delete_rule`, all or nothing."""
    return bulk.each(
        names,
        noun="event rule",
        name_of=lambda n: rule_by_name(session, n, actor).name,
        act=lambda n: delete_rule(session, n, actor),
        field="names",
    )


def list_rules(session: Session, actor: str | None = None) -> list[EventRule]:
    """Only what ``actor`` may read (None: everything)."""
    query = select(EventRule).order_by(EventRule.name)
    visible = object_rights.readable_clause(session, actor, "event_rule")
    if visible is not None:
        query = query.where(visible)
    return list(session.scalars(query))


def rule_firings(
    session: Session, name: str, status: str | None, limit: int, actor: str | None = None
) -> list[RuleFiringRead]:
    rule = rule_by_name(session, name, actor)
    query = select(RuleFiring).where(RuleFiring.rule_id == rule.id)
    if status:
        query = query.where(RuleFiring.status == status)
    rows = session.scalars(query.order_by(RuleFiring.id.desc()).limit(limit))
    return [
        RuleFiringRead(
            id=r.id,
            rule=rule.name,
            at=r.at,
            status=r.status,
            device=r.device_name,
            groups=r.groups,
            message=r.message,
            message_id=r.message_id,
            run_id=r.run_id,
            error=r.error,
        )
        for r in rows
    ]


def _filtered(query: Q, where: SyslogQuery) -> Q:
    if where.device:
        query = query.where(SyslogEntry.device_name == where.device)
    if where.max_severity is not None:
        query = query.where(SyslogEntry.severity <= where.max_severity)
    if where.program:
        query = query.where(SyslogEntry.program == where.program)
    if where.q:
        query = query.where(SyslogEntry.message.icontains(where.q, autoescape=True))
    if where.since:
        query = query.where(SyslogEntry.received_at >= where.since)
    if where.until:
        query = query.where(SyslogEntry.received_at < where.until)
    return query


def _read(row: SyslogEntry) -> SyslogRead:
    return SyslogRead(
        id=row.id,
        received_at=row.received_at,
        source=row.source,
        device=row.device_name,
        facility=row.facility,
        severity=row.severity,
        hostname=row.hostname,
        program=row.program,
        message=row.message,
        extra=row.extra,
    )


def search(
    session: Session, where: SyslogQuery, *, limit: int, offset: int
) -> tuple[list[SyslogRead], int]:
    """Newest first. The text search ignores case (and takes % and _ literally)."""
    query = _filtered(select(SyslogEntry), where)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(SyslogEntry.id.desc()).limit(limit).offset(offset))
    return [_read(r) for r in rows], total


def severity_counts(session: Session, where: SyslogQuery) -> list[SeverityCount]:
    """How many messages of each severity the filters select (the severity filter aside)."""
    query = _filtered(
        select(SyslogEntry.severity, func.count()).group_by(SyslogEntry.severity),
        SyslogQuery(**{**where.__dict__, "max_severity": None}),
    )
    counts: dict[int, int] = dict(session.execute(query).all())
    return [
        SeverityCount(severity=level, name=name, count=counts.get(level, 0))
        for level, name in enumerate(SEVERITIES)
    ]


def message_detail(session: Session, message_id: int) -> SyslogDetail:
    """One message, the rules it matched and what each did (a run and its status)."""
    row = session.get(SyslogEntry, message_id)
    if row is None:
        raise NotFound(f"no syslog message {message_id}", field="id")
    found = session.execute(
        select(RuleFiring, EventRule.name, Run.status)
        .join(EventRule, EventRule.id == RuleFiring.rule_id)
        .outerjoin(Run, Run.id == RuleFiring.run_id)
        .where(
            RuleFiring.message_id == row.id,
            RuleFiring.at >= row.received_at - FIRING_WINDOW,
            RuleFiring.at <= row.received_at + FIRING_WINDOW,
        )
        .order_by(EventRule.name)
    )
    matches = [
        MessageMatch(
            rule=name,
            at=firing.at,
            status=firing.status,
            device=firing.device_name,
            groups=firing.groups,
            run_id=firing.run_id,
            run_status=status,
            error=firing.error,
        )
        for firing, name, status in found
    ]
    return SyslogDetail(**_read(row).model_dump(), matches=matches)
