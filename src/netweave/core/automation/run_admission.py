"""A service's or workflow's maximum number of concurrent runs: a run over the limit waits
``queued`` and is admitted, oldest first, when a running one ends. Admission is one
conditional UPDATE (after locking the automation's row on PostgreSQL), so two servers
admitting at once never both take the last slot."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from netweave.db.models import Automation, Run

GOING = ("running", "stopping")


def admit(
    sessions: sessionmaker[Session], run_id: str, automation_id: int | None, limit: int
) -> bool:
    """Move the run from ``queued`` to ``running`` when a slot is free; whether it runs."""
    with sessions() as session, session.begin():
        if automation_id is not None:
            session.execute(  # serialises admissions of one automation (PostgreSQL)
                select(Automation.id).where(Automation.id == automation_id).with_for_update()
            )
        status = session.scalar(select(Run.status).where(Run.id == run_id))
        if status != "queued":
            return status in GOING
        other = aliased(Run)
        me = select(Run.created_at).where(Run.id == run_id).scalar_subquery()
        going = (
            select(func.count())
            .select_from(other)
            .where(other.automation_id == automation_id, other.status.in_(GOING))
            .scalar_subquery()
        )
        older_queued = exists().where(
            and_(
                other.automation_id == automation_id,
                other.status == "queued",
                other.id != run_id,
                other.created_at < me,
            )
        )
        changed = session.execute(
            update(Run)
            .where(Run.id == run_id, Run.status == "queued", going < limit, ~older_queued)
            .values(status="running", started_at=datetime.now(UTC))
            .execution_options(synchronize_session=False)
        )
        return bool(changed.rowcount)  # type: ignore[attr-defined]
