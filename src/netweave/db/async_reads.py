"""One-row reads on the event loop itself, for PostgreSQL: no thread-pool hop.

A long poll (``GET /jobs/{id}``) is one indexed read. Through the engine it runs in the
loop's thread pool: the hop, SQLAlchemy's execution and the thread's share of the GIL cost
~0.4 ms of the API process's CPU per read, on psycopg's asyncio connection ~0.1 ms. The
read is the same statement (a SQLAlchemy Core ``select``, compiled once by the engine's
dialect, prepared on each connection) and its columns go through the same result
processors (``UTCDateTime``), so a row reads exactly as the engine's would.

An event loop reads this way while it serves (``serving()``: the API application's
lifespan), with a few connections of its own (``CONNECTIONS``; autocommit, so no
transaction is held between polls) opened on first use with the engine's own connect
arguments, all closed when it stops serving; ``fetch_one`` on any other loop raises
``ReadFailed``. A connection that fails
is dropped and the caller is told (``ReadFailed``): it falls back to the engine, whose
pool reconnects and whose errors say what is wrong. SQLite has no such reader
(``for_engine`` is None): its reads are local file reads."""

from __future__ import annotations

import asyncio
import collections
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Engine, Select

CONNECTIONS = 8  # per event loop
TIMEOUT_S = 10.0  # a connection or read taking longer is dropped: the engine reads instead
_serving: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()
_readers: weakref.WeakSet[AsyncRowReader] = weakref.WeakSet()


@asynccontextmanager
async def serving() -> AsyncIterator[None]:
    """The running loop reads on its own connections inside this block; they are closed
    when it ends."""
    loop = asyncio.get_running_loop()
    _serving.add(loop)
    try:
        yield
    finally:
        _serving.discard(loop)
        for reader in list(_readers):
            await reader.close()


class ReadFailed(Exception):
    """The asyncio connection failed; read through the engine instead."""


class AsyncRowReader:
    """``fetch_one(params)``: the statement's one row, or None."""

    def __init__(self, engine: Engine, statement: Select[Any]) -> None:
        dialect = engine.dialect
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self.keys = [str(column.key) for column in statement.selected_columns]
        self._processors: list[Callable[[Any], Any] | None] = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.selected_columns
        ]
        args, kwargs = dialect.create_connect_args(engine.url)
        self._connect_args: tuple[Sequence[Any], dict[str, Any]] = (args, dict(kwargs))
        self._pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopPool]
        self._pools = weakref.WeakKeyDictionary()
        _readers.add(self)

    @classmethod
    def for_engine(cls, engine: Engine, statement: Select[Any]) -> AsyncRowReader | None:
        if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
            return None
        return cls(engine, statement)

    async def _connect(self) -> Any:
        import psycopg  # only on PostgreSQL

        args, kwargs = self._connect_args
        try:
            async with asyncio.timeout(TIMEOUT_S):
                return await psycopg.AsyncConnection.connect(*args, **kwargs, autocommit=True)
        except (psycopg.Error, OSError) as error:  # TimeoutError is an OSError
            raise ReadFailed(str(error) or type(error).__name__) from error

    def _pool(self) -> _LoopPool:
        loop = asyncio.get_running_loop()
        if loop not in _serving:
            raise ReadFailed("this event loop does not serve: no asyncio connections")
        pool = self._pools.get(loop)
        if pool is None:
            pool = self._pools[loop] = _LoopPool(self._connect)
        return pool

    async def fetch_one(self, params: dict[str, Any]) -> SimpleNamespace | None:
        """The row, its columns as attributes (as a SQLAlchemy row reads), or None."""
        import psycopg

        pool = self._pool()
        connection = await pool.acquire()
        try:
            async with asyncio.timeout(TIMEOUT_S):
                cursor = await connection.execute(self.sql, params, prepare=True)
                row = await cursor.fetchone()
        except (psycopg.Error, OSError) as error:  # TimeoutError is an OSError
            await pool.drop(connection)
            raise ReadFailed(str(error) or type(error).__name__) from error
        except BaseException:  # cancelled mid-read: the connection's state is unknown
            await pool.drop(connection)
            raise
        await pool.release(connection)
        if row is None:
            return None
        return SimpleNamespace(
            **{
                key: value if process is None else process(value)
                for key, process, value in zip(self.keys, self._processors, row, strict=True)
            }
        )

    def connections(self) -> list[Any]:
        """Every open connection, on every loop (for tests and diagnostics)."""
        return [c for pool in list(self._pools.values()) for c in pool.opened]

    async def close(self) -> None:
        """Close the running loop's connections."""
        pool = self._pools.pop(asyncio.get_running_loop(), None)
        if pool is not None:
            await pool.close()


class _LoopPool:
    """One loop's connections, handed to waiters first come, first served.

    ``asyncio.Queue`` would not do: a connection put back wakes the oldest waiter, but a
    request arriving before that waiter runs takes the connection, and the waiter goes to
    the back of the line again. On a saturated loop some polls waited several times as
    long as the rest."""

    def __init__(self, connect: Callable[[], Awaitable[Any]]) -> None:
        self.connect = connect
        self.idle: collections.deque[Any] = collections.deque()
        self.waiters: collections.deque[asyncio.Future[Any]] = collections.deque()
        self.opened: list[Any] = []
        self.opening = 0
        self.promised = 0  # free slots handed to waiters that have not run yet
        self.closed = False

    async def acquire(self) -> Any:
        if self.idle:  # only ever idle while nobody waits
            return self.idle.pop()
        if len(self.opened) + self.opening + self.promised < CONNECTIONS:
            return await self._open()
        waiter = asyncio.get_running_loop().create_future()
        self.waiters.append(waiter)
        try:
            given = await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():  # handed over as it was cancelled
                await self._hand_on(waiter.result())
            raise
        if given is None:  # the slot promised to this waiter
            self.promised -= 1
            return await self._open()
        return given

    async def _open(self) -> Any:
        """A new connection in a free slot (``opening`` holds the slot meanwhile)."""
        if self.closed:
            raise ReadFailed("the loop stopped serving")
        self.opening += 1
        try:
            connection = await self.connect()
        except BaseException:
            self.opening -= 1
            self._wake(None)  # the slot is free again: the next waiter tries
            raise
        self.opening -= 1
        self.opened.append(connection)
        return connection

    def _wake(self, given: Any) -> bool:
        """Give ``given`` (a connection, or None: a free slot) to the oldest waiter."""
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(given)
                if given is None:  # a slot, held for it until it opens a connection
                    self.promised += 1
                return True
        return False

    async def _hand_on(self, given: Any) -> None:
        if given is None:
            self.promised -= 1
            self._wake(None)
        else:
            await self.release(given)

    async def release(self, connection: Any) -> None:
        if self.closed:
            await self.drop(connection)
        elif not self._wake(connection):
            self.idle.append(connection)

    async def drop(self, connection: Any) -> None:
        if connection in self.opened:
            self.opened.remove(connection)
        await _close(connection)
        self._wake(None)

    async def close(self) -> None:
        """Idle connections close now, busy ones when released; waiters are told."""
        self.closed = True
        while self._wake(None):  # each finds the pool closed
            pass
        idle, self.idle = list(self.idle), collections.deque()
        for connection in idle:
            await self.drop(connection)


async def _close(connection: Any) -> None:
    try:
        await connection.close()
    except Exception:  # already broken: nothing to hand back
        return
