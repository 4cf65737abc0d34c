"""Named leases in SQL: a duty (a scheduled firing, a controller role) taken by exactly one
process with one conditional UPDATE, which is atomic on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from netweave.db.models import Lease

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def take(
    sessions: sessionmaker[Session],
    name: str,
    holder: str,
    duration: timedelta,
    *,
    renew: bool = False,
) -> bool:
    """True when ``holder`` now holds ``name`` until now + ``duration``: the lease was free
    (expired) or, with ``renew``, already held by ``holder``."""
    now = datetime.now(UTC)
    with sessions() as session:
        try:
            with session.begin():
                if session.get(Lease, name) is None:
                    session.add(Lease(name=name, holder="", until=EPOCH))
        except IntegrityError:
            pass  # another process created it first: fine
    free = Lease.until < now
    condition = or_(free, Lease.holder == holder) if renew else free
    with sessions() as session, session.begin():
        taken = session.execute(
            update(Lease)
            .where(Lease.name == name, condition)
            .values(holder=holder, until=now + duration)
        )
        return bool(taken.rowcount)  # type: ignore[attr-defined]
