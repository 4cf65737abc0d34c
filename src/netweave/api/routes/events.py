"""Syslog messages (search, live counters) and the event rules they fire."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from netweave.api.deps import DbSession, Operator, RuntimeDep, Viewer
from netweave.api.params import Id, Limit, Offset
from netweave.api.responses import LOOKUP_CONFLICT, NOT_FOUND
from netweave.core.bulk import BulkNames, BulkResult
from netweave.core.events import records, trial
from netweave.core.events.schemas import (
    RuleCreate,
    RuleFiringRead,
    RuleRead,
    RuleTrial,
    RuleTrialRead,
    RuleUpdate,
    SeverityCount,
    SyslogDetail,
    SyslogQuery,
    SyslogRead,
    SyslogStats,
)
from netweave.core.inventory.schemas import Page

syslog_router = APIRouter(prefix="/api/v1/syslog", tags=["syslog"])
rules_router = APIRouter(prefix="/api/v1/event-rules", tags=["event rules"])


Device = Annotated[str | None, Query(description="Inventory device name")]
MaxSeverity = Annotated[int | None, Query(ge=0, le=7, description="This level or worse")]
Text = Annotated[str | None, Query(max_length=500, description="Text in the message (any case)")]
Since = Annotated[datetime | None, Query(description="Received at or after (ISO 8601)")]
Until = Annotated[datetime | None, Query(description="Received before (ISO 8601)")]


@syslog_router.get("", response_model=Page[SyslogRead])
def search_syslog(
    _: Viewer,
    db: DbSession,
    device: Device = None,
    max_severity: MaxSeverity = None,
    program: str | None = None,
    q: Text = None,
    since: Since = None,
    until: Until = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[SyslogRead]:
    """Newest first."""
    where = SyslogQuery(device, max_severity, program, q, since, until)
    items, total = records.search(db, where, limit=limit, offset=offset)
    return Page(items=items, total=total, limit=limit, offset=offset)


@syslog_router.get("/severities", response_model=list[SeverityCount])
def syslog_severities(
    _: Viewer,
    db: DbSession,
    device: Device = None,
    program: str | None = None,
    q: Text = None,
    since: Since = None,
    until: Until = None,
) -> list[SeverityCount]:
    """Messages per severity (0 emergency … 7 debug) under the same filters as the search."""
    return records.severity_counts(db, SyslogQuery(device, None, program, q, since, until))


@syslog_router.get("/stats", response_model=SyslogStats)
def syslog_stats(_: Viewer, runtime: RuntimeDep) -> SyslogStats:
    """Counters of the syslog server running in this process (received, dropped, queue);
    ``running`` false when none runs here."""
    if runtime.syslog_stats is None:
        return SyslogStats(
            running=False,
            received=0,
            stored=0,
            dropped=0,
            oversized=0,
            queue_depth=0,
            queue_capacity=0,
            rules_fired=0,
            tcp_connections=0,
            listening={"udp": None, "tcp": None},
        )
    return runtime.syslog_stats()


@syslog_router.get("/{message_id}", response_model=SyslogDetail, responses=NOT_FOUND)
def syslog_message(message_id: Id, _: Viewer, db: DbSession) -> SyslogDetail:
    """One message with the rules it matched: fired (and the run), deduplicated, …"""
    return records.message_detail(db, message_id)


@rules_router.get("", response_model=list[RuleRead])
def list_rules(principal: Viewer, db: DbSession) -> list[RuleRead]:
    """The rules the caller may read."""
    return [records.rule_read(r) for r in records.list_rules(db, principal.username)]


@rules_router.post("", response_model=RuleRead, status_code=201, responses=LOOKUP_CONFLICT)
def create_rule(body: RuleCreate, principal: Operator, db: DbSession) -> RuleRead:
    row = records.create_rule(db, body, principal.username)
    db.commit()
    return records.rule_read(row)


@rules_router.post("/test", response_model=RuleTrialRead, responses=NOT_FOUND)
def test_rule(body: RuleTrial, _: Viewer, db: DbSession) -> RuleTrialRead:
    """Try criteria (saved or not) on a message: the verdict the syslog server would reach,
    each criterion explained, and the variables a run would get. Nothing is stored or run."""
    return trial.try_rule(db, body)


@rules_router.post("/bulk-delete", response_model=BulkResult, responses=NOT_FOUND)
def bulk_delete_rules(body: BulkNames, principal: Operator, db: DbSession) -> BulkResult:
    """Delete every listed rule: all or nothing."""
    result = records.delete_rules(db, body.names, principal.username)
    db.commit()
    return result


@rules_router.get("/{name}", response_model=RuleRead, responses=NOT_FOUND)
def get_rule(name: str, principal: Viewer, db: DbSession) -> RuleRead:
    return records.rule_read(records.rule_by_name(db, name, principal.username))


@rules_router.patch("/{name}", response_model=RuleRead, responses=LOOKUP_CONFLICT)
def update_rule(name: str, body: RuleUpdate, principal: Operator, db: DbSession) -> RuleRead:
    row = records.update_rule(db, name, body, principal.username)
    db.commit()
    return records.rule_read(row)


@rules_router.delete("/{name}", status_code=204, responses=NOT_FOUND)
def delete_rule(name: str, principal: Operator, db: DbSession) -> None:
    records.delete_rule(db, name, principal.username)
    db.commit()


@rules_router.get("/{name}/firings", response_model=list[RuleFiringRead], responses=NOT_FOUND)
def rule_firings(
    name: str,
    principal: Viewer,
    db: DbSession,
    status: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[RuleFiringRead]:
    """Every match, with the message that caused it: fired, deduplicated, rate_limited."""
    return records.rule_firings(db, name, status, limit, principal.username)
