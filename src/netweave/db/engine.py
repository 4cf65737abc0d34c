"""Engine and session factory. SQLite gets WAL, a busy timeout and foreign keys."""

from __future__ import annotations

import select
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc, make_url
from sqlalchemy.orm import Session, sessionmaker

from netweave.foundation.private import private_sqlite_file

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Pooled connections per engine, SQLite and PostgreSQL alike (the API caps the requests
# holding a session below this: see ``netweave.api.deps.API_DB_SESSIONS``).
POOL_SIZE = 10
POOL_OVERFLOW = 20
# A pooled PostgreSQL connection idle longer than this is pinged (a round trip) before use:
# a peer that vanished without a word (a firewall's idle timeout) is only found that way.
IDLE_PING_S = 30.0


def _normalise_url(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = _normalise_url(url)
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:" and not database.startswith("file:"):
            private_sqlite_file(Path(database))
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            # a SQLite connection is a file handle: keep them all rather than reconnect
            # (and re-run the pragmas) for every burst above the pool size
            **{"pool_size": POOL_SIZE + POOL_OVERFLOW, "max_overflow": 0, **kwargs},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_size", POOL_SIZE)
    kwargs.setdefault("max_overflow", POOL_OVERFLOW)
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _check_on_checkout(engine)
    return engine


def _check_on_checkout(engine: Engine) -> None:
    """A dead connection is replaced before use, at the cost of a round trip only when it
    is in doubt (``pool_pre_ping`` pays one on every checkout: on a ``GET /jobs/{id}``
    that was a third of the database time). A connection idle in the pool has nothing to
    read; when PostgreSQL ends it (a restart, ``pg_terminate_backend``, its own idle
    timeout) the server's last message and the close arrive on the socket, so a readable
    socket, seen by a zero-timeout poll, is pinged; so is one idle over
    :data:`IDLE_PING_S`. A failed ping makes the pool reconnect that slot, as a failed
    pre-ping would."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _alive(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None:  # a new connection
            return
        if time.monotonic() - idle_since < IDLE_PING_S and not _readable(dbapi_connection):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise exc.DisconnectionError(f"pooled connection lost: {error}") from error


def _readable(dbapi_connection: Any) -> bool:
    try:
        descriptor = dbapi_connection.fileno()
    except Exception:  # closed (psycopg raises on a closed connection): ping, and fail
        return True
    poller = select.poll()
    poller.register(descriptor, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


@contextmanager
def autocommit_reads(engine: Engine) -> Iterator[Connection]:
    """A connection for reads that need no transaction (one statement, say): no BEGIN
    before it and no ROLLBACK after, two round trips fewer than a session's on
    PostgreSQL. Each statement sees the data committed when it starts."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        yield connection


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with factory() as session, session.begin():
        yield session
