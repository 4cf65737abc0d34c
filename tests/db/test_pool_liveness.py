"""Issue 20 item 3: PostgreSQL connections are checked on checkout without a round trip
each time. A connection just used is handed out as is; one the server ended (here
``pg_terminate_backend``, as a restart does to all) is noticed by its readable socket,
pinged, found dead and replaced, so the caller never sees the error; one idle longer than
``IDLE_PING_S`` is pinged."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from netweave.db import engine as engine_module
from netweave.db.engine import autocommit_reads, make_engine
from tests.fixtures.database import PG_ADMIN_URL


@pytest.fixture
def pg_engine() -> Iterator[Engine]:
    engine = make_engine(PG_ADMIN_URL, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


@pytest.fixture
def pings(pg_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    seen: list[int] = []
    real = pg_engine.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        seen.append(1)
        return real(dbapi_connection)

    monkeypatch.setattr(pg_engine.dialect, "do_ping", counted)
    return seen


def _backend(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_just_used_is_not_pinged(pg_engine: Engine, pings: list[int]) -> None:
    first = _backend(pg_engine)
    for _ in range(5):
        assert _backend(pg_engine) == first  # the one pooled connection, reused
    assert pings == []


def test_a_connection_the_server_ended_is_replaced_before_use(
    pg_engine: Engine, pings: list[int]
) -> None:
    doomed = _backend(pg_engine)
    admin = make_engine(PG_ADMIN_URL)
    try:
        with admin.connect() as connection:
            ended = connection.execute(text(f"SELECT pg_terminate_backend({doomed})")).scalar()
        assert ended is True
        time.sleep(0.2)  # the server's goodbye reaches the pooled socket
        replacement = _backend(pg_engine)  # no error reaches the caller
    finally:
        admin.dispose()
    assert replacement != doomed
    assert pings == [1]  # the readable socket was pinged, the ping failed, a new connection
    assert _backend(pg_engine) == replacement and pings == [1]


def test_a_connection_idle_past_the_limit_is_pinged(
    pg_engine: Engine, pings: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _backend(pg_engine)
    monkeypatch.setattr(engine_module, "IDLE_PING_S", 0.0)
    assert _backend(pg_engine) == first  # alive: pinged, kept
    assert pings == [1]


def test_autocommit_reads_open_no_transaction(pg_engine: Engine) -> None:
    """In a transaction ``now()`` is when it began; here each statement is its own."""
    with autocommit_reads(pg_engine) as connection:
        connection.execute(text("SELECT pg_sleep(0.02)"))
        own = connection.execute(text("SELECT now() = statement_timestamp()")).scalar_one()
    with pg_engine.connect() as connection:  # the plain connection, for contrast
        connection.execute(text("SELECT pg_sleep(0.02)"))
        shared = connection.execute(text("SELECT now() = statement_timestamp()")).scalar_one()
    assert own is True and shared is False
