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
import weakref
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Engine, Select

CONNECTIONS = 4  # per event loop: a read takes ~0.1 ms of the database's time
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
        self._pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Queue[Any]]
        self._pools = weakref.WeakKeyDictionary()
        self._opened: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, list[Any]]
        self._opened = weakref.WeakKeyDictionary()
        _readers.add(self)

    @classmethod
    def for_engine(cls, engine: Engine, statement: Select[Any]) -> AsyncRowReader | None:
        if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
            return None
        return cls(engine, statement)

    async def _connection(self) -> Any:
        import psycopg  # only on PostgreSQL

        loop = asyncio.get_running_loop()
        if loop not in _serving:
            raise ReadFailed("this event loop does not serve: no asyncio connections")
        pool = self._pools.get(loop)
        if pool is None:
            pool = self._pools[loop] = asyncio.Queue()
            self._opened[loop] = []
        opened = self._opened[loop]
        if pool.empty() and len(opened) < CONNECTIONS:
            opened.append(None)  # the slot is taken while connecting
            try:
                args, kwargs = self._connect_args
                connection = await psycopg.AsyncConnection.connect(*args, **kwargs, autocommit=True)
            except psycopg.Error as error:
                opened.remove(None)
                raise ReadFailed(str(error)) from error
            opened[opened.index(None)] = connection
            return connection
        return await pool.get()

    async def fetch_one(self, params: dict[str, Any]) -> SimpleNamespace | None:
        """The row, its columns as attributes (as a SQLAlchemy row reads), or None."""
        import psycopg

        connection = await self._connection()
        loop = asyncio.get_running_loop()
        try:
            cursor = await connection.execute(self.sql, params, prepare=True)
            row = await cursor.fetchone()
        except (psycopg.Error, OSError) as error:
            await self._drop(loop, connection)
            raise ReadFailed(str(error)) from error
        except BaseException:  # cancelled mid-read: the connection's state is unknown
            await self._drop(loop, connection)
            raise
        pool = self._pools.get(loop)
        if pool is None:  # closed meanwhile
            await _close(connection)
        else:
            pool.put_nowait(connection)
        if row is None:
            return None
        return SimpleNamespace(
            **{
                key: value if process is None else process(value)
                for key, process, value in zip(self.keys, self._processors, row, strict=True)
            }
        )

    async def _drop(self, loop: asyncio.AbstractEventLoop, connection: Any) -> None:
        opened = self._opened.get(loop, [])
        if connection in opened:
            opened.remove(connection)
        await _close(connection)

    async def close(self) -> None:
        """Close the running loop's connections."""
        loop = asyncio.get_running_loop()
        for connection in self._opened.pop(loop, []):
            if connection is not None:
                await _close(connection)
        self._pools.pop(loop, None)


async def _close(connection: Any) -> None:
    try:
        await connection.close()
    except Exception:  # already broken: nothing to hand back
        return
