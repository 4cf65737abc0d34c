"""The audit rows of terminal sessions: opened, closed, listed (admins see everyone's)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from netweave.core.access.principal import Principal
from netweave.core.terminal.schemas import TerminalSessionDetail, TerminalSessionRead
from netweave.core.text_filter import match_text
from netweave.db.models import Device, Role, TerminalSession
from netweave.foundation.errors import InvalidInput, NotFound

SORTABLE = {
    "started_at": TerminalSession.started_at,
    "ended_at": TerminalSession.ended_at,
    "username": TerminalSession.username,
    "device_name": TerminalSession.device_name,
    "bytes_in": TerminalSession.bytes_in,
    "bytes_out": TerminalSession.bytes_out,
}


def to_read(row: TerminalSession) -> TerminalSessionRead:
    return TerminalSessionRead(**_fields(row))


def to_detail(row: TerminalSession) -> TerminalSessionDetail:
    return TerminalSessionDetail(**_fields(row), transcript=row.transcript)


def _fields(row: TerminalSession) -> dict[str, object]:
    duration = None
    if row.ended_at is not None:
        duration = round((row.ended_at - row.started_at).total_seconds(), 3)
    return {
        "id": row.id,
        "user_id": row.user_id,
        "username": row.username,
        "device_id": row.device_id,
        "device_name": row.device_name,
        "host": row.host,
        "port": row.port,
        "client": row.client,
        "started_at": row.started_at,
        "ended_at": row.ended_at,
        "duration_seconds": duration,
        "bytes_in": row.bytes_in,
        "bytes_out": row.bytes_out,
        "close_reason": row.close_reason,
        "transcript_chars": len(row.transcript),
        "transcript_truncated": row.transcript_truncated,
    }


def open_record(session: Session, caller: Principal, device: Device, client: str) -> int:
    row = TerminalSession(
        user_id=caller.user_id,
        username=caller.username,
        device_id=device.id,
        device_name=device.name,
        host=device.host,
        port=device.port,
        client=client[:64],
        started_at=datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    return row.id


def close_record(
    session: Session,
    record_id: int,
    *,
    reason: str,
    bytes_in: int,
    bytes_out: int,
    transcript: str,
    truncated: bool,
) -> None:
    row = session.get(TerminalSession, record_id)
    if row is None or row.ended_at is not None:
        return
    row.ended_at = datetime.now(UTC)
    row.close_reason = reason[:255]
    row.bytes_in = bytes_in
    row.bytes_out = bytes_out
    row.transcript = transcript
    row.transcript_truncated = truncated
    session.flush()


def list_sessions(
    session: Session,
    caller: Principal,
    *,
    username: str | None = None,
    device: str | None = None,
    q: str | None = None,
    open_only: bool = False,
    sort: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[TerminalSession], int]:
    """Newest first. Admins see every user's sessions, everyone else only their own."""
    statement = select(TerminalSession)
    if caller.role is not Role.admin:
        statement = statement.where(TerminalSession.user_id == caller.user_id)
    if username:
        statement = statement.where(match_text(TerminalSession.username, username, contains=True))
    if device:
        statement = statement.where(match_text(TerminalSession.device_name, device, contains=True))
    if q:
        statement = statement.where(
            or_(
                match_text(TerminalSession.device_name, q, contains=True),
                match_text(TerminalSession.username, q, contains=True),
                match_text(TerminalSession.close_reason, q, contains=True),
            )
        )
    if open_only:
        statement = statement.where(TerminalSession.ended_at.is_(None))
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    key = sort or "-started_at"
    column = SORTABLE.get(key.lstrip("-"))
    if column is None:
        raise InvalidInput(f"cannot sort by {key!r}: one of {', '.join(SORTABLE)}", field="sort")
    order = column.desc() if key.startswith("-") else column.asc()
    ordered = statement.order_by(order, TerminalSession.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(ordered)), total


def get_session(session: Session, caller: Principal, record_id: int) -> TerminalSession:
    row = session.get(TerminalSession, record_id)
    if row is None or (caller.role is not Role.admin and row.user_id != caller.user_id):
        raise NotFound(f"no terminal session with id {record_id}", field="session_id")
    return row
