"""The audit of refused authentication and authorization: failed logins, bad, expired or
revoked API keys, bad login sessions, CSRF failures and every 403 — who (when known), from
which address, what (method and path), why. Never the presented password or key.

Bounded: the same failure (kind, user, address, method, path, reason) repeated within
``coalesce`` seconds of its last occurrence only bumps ``count`` on one row, and the table
keeps the newest ``max_rows`` rows, so a flood cannot fill the database."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from netweave.db.models import AuthFailure
from netweave.foundation.errors import AuthenticationFailed, NetWeaveError, PermissionDenied
from netweave.foundation.settings import Settings

log = logging.getLogger(__name__)
Kind = Literal["login", "rate_limited", "api_key", "session", "csrf", "forbidden"]


class CredentialsRejected(AuthenticationFailed):
    """Presented credentials were refused (401, audited). ``reason`` is what the audit
    records (may say more than the client is told, e.g. "unknown user")."""

    def __init__(
        self, message: str, *, kind: str, username: str | None = None, reason: str | None = None
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.username = username
        self.reason = reason or message


class CsrfRejected(PermissionDenied):
    """A state-changing request with a login cookie but without the right CSRF token."""


class TooManyAttempts(NetWeaveError):
    """Too many failed logins for a username or a client address (429 + Retry-After)."""

    status_code = 429

    def __init__(self, message: str, *, retry_after: int, username: str | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.username = username


@dataclass(frozen=True)
class Failure:
    kind: str
    username: str | None
    client_ip: str
    method: str
    path: str
    reason: str


@dataclass(frozen=True)
class Bounds:
    coalesce: float  # seconds
    max_rows: int

    @classmethod
    def of(cls, settings: Settings) -> Bounds:
        return cls(settings.auth_failure_coalesce, settings.auth_failure_max_rows)


def classify(
    exc: Exception, *, username: str | None, client_ip: str, method: str, path: str
) -> Failure | None:
    """The audit entry for an error answered to a caller, or None when it is not an auth
    failure (including a request that presented no credentials at all)."""
    kind: str
    if isinstance(exc, CredentialsRejected):
        kind, username, reason = exc.kind, exc.username or username, exc.reason
    elif isinstance(exc, TooManyAttempts):
        kind, username, reason = "rate_limited", exc.username, exc.message
    elif isinstance(exc, CsrfRejected):
        kind, reason = "csrf", exc.to_detail()
    elif isinstance(exc, PermissionDenied):
        kind, reason = "forbidden", exc.to_detail()
    else:
        return None
    return Failure(
        kind=kind,
        username=username[:64] if username else None,
        client_ip=client_ip[:64],
        method=method[:16],
        path=path[:255],
        reason=reason[:255],
    )


def record(session: Session, failure: Failure, bounds: Bounds, now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    if bounds.coalesce > 0:
        recent = session.scalar(
            select(AuthFailure.id)
            .where(
                AuthFailure.last_at >= now - timedelta(seconds=bounds.coalesce),
                AuthFailure.kind == failure.kind,
                AuthFailure.username.is_(None)
                if failure.username is None
                else AuthFailure.username == failure.username,
                AuthFailure.client_ip == failure.client_ip,
                AuthFailure.method == failure.method,
                AuthFailure.path == failure.path,
                AuthFailure.reason == failure.reason,
            )
            .order_by(AuthFailure.id.desc())
            .limit(1)
        )
        if recent is not None:
            session.execute(
                update(AuthFailure)
                .where(AuthFailure.id == recent)
                .values(count=AuthFailure.count + 1, last_at=now)
            )
            return
    row = AuthFailure(
        first_at=now,
        last_at=now,
        count=1,
        kind=failure.kind,
        username=failure.username,
        client_ip=failure.client_ip,
        method=failure.method,
        path=failure.path,
        reason=failure.reason,
    )
    session.add(row)
    session.flush()
    session.execute(delete(AuthFailure).where(AuthFailure.id <= row.id - bounds.max_rows))


def note(sessions: sessionmaker[Session], failure: Failure | None, bounds: Bounds) -> None:
    """Record in its own transaction; an audit problem never changes the answer."""
    if failure is None:
        return
    try:
        with sessions() as session, session.begin():
            record(session, failure, bounds)
    except Exception:
        log.exception("could not record an auth failure (%s %s)", failure.kind, failure.path)


def query(
    session: Session,
    *,
    kind: str | None,
    username: str | None,
    client_ip: str | None,
    since: datetime | None,
    limit: int,
    offset: int,
) -> tuple[list[AuthFailure], int]:
    statement = select(AuthFailure)
    if kind:
        statement = statement.where(AuthFailure.kind == kind)
    if username:
        statement = statement.where(AuthFailure.username == username)
    if client_ip:
        statement = statement.where(AuthFailure.client_ip == client_ip)
    if since:
        statement = statement.where(AuthFailure.last_at >= since)
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    ordered = statement.order_by(AuthFailure.last_at.desc(), AuthFailure.id.desc())
    return list(session.scalars(ordered.limit(limit).offset(offset))), total
