"""What a database error means for the caller: the database is unreachable for a while
(restarting, network), or its disk is full — both pass once the operator acts, so work is
kept and retried — or anything else (a bad value: retrying would not help)."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

# SQLite says "database or disk is full" (SQLITE_FULL), PostgreSQL "No space left on device"
# (SQLSTATE 53100 disk_full), the OS ENOSPC the same.
_FULL_MARKERS = ("database or disk is full", "no space left on device", "disk full")
NO_SPACE = "no space left on device"


def _text(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    return (str(original).strip().splitlines() or [type(original).__name__])[0]


def disk_full(exc: BaseException) -> bool:
    sqlstate = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return sqlstate == "53100" or any(m in _text(exc).lower() for m in _FULL_MARKERS)


def transient(exc: BaseException) -> bool:
    """The database could not be reached or could not write for now: retry later."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def describe(exc: BaseException) -> str:
    """A one-line reason without SQL or parameters (they may hold data of any kind)."""
    if disk_full(exc):
        return f"{NO_SPACE} ({_text(exc)})"
    return f"database unavailable ({_text(exc)})"
