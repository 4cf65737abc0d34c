"""Event rules compiled for speed: the cheap criteria first (severity, facility, device,
program), the regex last; then dedup window and rate limit per rule."""

from __future__ import annotations

import fnmatch
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from netweave.core.events.messages import SyslogMessage
from netweave.core.inventory.pools import membership_clause, pool_by_name
from netweave.db.models import Device, EventRule
from netweave.foundation.errors import NetWeaveError


@dataclass
class CompiledRule:
    id: int
    name: str
    automation: str
    dedup_window: float
    rate_limit: int
    devices: list[re.Pattern[str]]
    pool_members: set[str] | None
    facilities: set[int]
    max_severity: int | None
    program: re.Pattern[str] | None
    regex: re.Pattern[str] | None
    owner: str = ""  # who saved the rule: its runs obey that user's pool fence ("": system)
    recent: dict[tuple[Any, ...], float] = field(default_factory=dict)
    fired_at: deque[float] = field(default_factory=deque)

    def matches(self, message: SyslogMessage, device: str) -> dict[str, Any] | None:
        """The named groups (possibly empty) when every criterion holds, else None."""
        if self.max_severity is not None and message.severity > self.max_severity:
            return None
        if self.facilities and message.facility not in self.facilities:
            return None
        if self.program is not None and not self.program.match(message.program):
            return None
        groups: dict[str, Any] = {}
        if self.regex is not None:
            found = self.regex.search(message.message)
            if found is None:
                return None
            groups = {k: v for k, v in found.groupdict().items() if v is not None}
        subject = str(groups.get("device") or device)
        if self.devices and not any(p.match(subject) for p in self.devices):
            return None
        if self.pool_members is not None and subject not in self.pool_members:
            return None
        return groups

    def admit(self, key: tuple[Any, ...], now: float) -> str:
        """fired | deduplicated | rate_limited — and remember a firing."""
        last = self.recent.get(key)
        if last is not None and now - last < self.dedup_window:
            return "deduplicated"
        while self.fired_at and now - self.fired_at[0] >= 60:
            self.fired_at.popleft()
        if len(self.fired_at) >= self.rate_limit:
            return "rate_limited"
        self.fired_at.append(now)
        self.recent[key] = now
        if len(self.recent) > 10_000:  # forget the oldest keys past their window
            horizon = now - self.dedup_window
            self.recent = {k: v for k, v in self.recent.items() if v >= horizon}
        return "fired"


def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(pattern))


def pool_members(session: Session, pool: str | None) -> set[str] | None:
    """The device names of a rule's pool (None: no pool criterion)."""
    if not pool:
        return None
    try:
        found = pool_by_name(session, pool)
    except NetWeaveError:
        return set()  # a deleted pool matches nothing
    return set(session.scalars(select(Device.name).where(membership_clause(found))))


def compile_rule(
    match: dict[str, Any],
    members: set[str] | None,
    *,
    ident: int = 0,
    name: str = "",
    automation: str = "",
    dedup_window: float = 0.0,
    rate_limit: int = 1,
    owner: str = "",
) -> CompiledRule:
    return CompiledRule(
        id=ident,
        name=name,
        automation=automation,
        dedup_window=dedup_window,
        rate_limit=rate_limit,
        devices=[_glob(p) for p in match.get("devices", [])],
        pool_members=members,
        facilities=set(match.get("facilities", [])),
        max_severity=match.get("max_severity"),
        program=_glob(match["program"]) if match.get("program") else None,
        regex=re.compile(match["regex"]) if match.get("regex") else None,
        owner=owner,
    )


def compile_rules(session: Session, previous: dict[int, CompiledRule]) -> dict[int, CompiledRule]:
    """Enabled rules, keeping the dedup/rate state of rules that did not change."""
    compiled: dict[int, CompiledRule] = {}
    for rule in session.scalars(select(EventRule).where(EventRule.enabled.is_(True))):
        match = rule.match or {}
        item = compile_rule(
            match,
            pool_members(session, match.get("pool")),
            ident=rule.id,
            name=rule.name,
            automation=rule.automation,
            dedup_window=float(rule.dedup_window),
            rate_limit=rule.rate_limit,
            owner=rule.created_by or "",
        )
        old = previous.get(rule.id)
        if old is not None:
            item.recent, item.fired_at = old.recent, old.fired_at
        compiled[rule.id] = item
    return compiled
