"""Issue 20 item 3: on PostgreSQL a serving event loop reads jobs on asyncio connections
of its own (no thread-pool hop); the answer is the engine's, a connection the server ends
is replaced without the caller seeing an error, and the connections close with the loop's
serving."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import text

from netweave.core.jobs.schemas import ExecRequest
from netweave.core.runtime import Runtime
from netweave.db import async_reads
from netweave.db.async_reads import AsyncRowReader, serving
from netweave.db.engine import make_engine
from netweave.foundation.errors import NotFound
from netweave.lab import LabThread
from tests.fixtures.database import ON_POSTGRESQL, PG_ADMIN_URL
from tests.fixtures.lab import first
from tests.fixtures.workers import ADMIN, LOGIN

pytestmark = ON_POSTGRESQL


def _backends(reader: AsyncRowReader) -> list[int]:
    """The backend pids of the reader's open connections, on every loop."""
    return [c.info.backend_pid for c in reader.connections()]


def _terminate(pid: int) -> None:
    admin = make_engine(PG_ADMIN_URL)
    try:
        with admin.connect() as connection:
            assert connection.execute(text(f"SELECT pg_terminate_backend({pid})")).scalar()
            connection.commit()
    finally:
        admin.dispose()


@pytest.fixture
def reader(runtime: Runtime) -> AsyncRowReader:
    """The job service's asyncio reader (PostgreSQL has one)."""
    assert runtime.jobs.async_reads is not None
    return runtime.jobs.async_reads


@pytest.fixture
def job_id(runtime: Runtime, lab: LabThread) -> str:
    """A finished job."""
    device = first(lab, "cisco_ios")
    request = ExecRequest(
        connection_args={**LOGIN, "host": device.host, "port": device.port}, command="show clock"
    )
    job = runtime.jobs.submit_exec(request, ADMIN)
    assert runtime.jobs.wait(job.id, 30).status == "finished"
    return str(job.id)


def test_a_serving_loop_reads_on_its_own_connections_as_the_engine_reads(
    runtime: Runtime, reader: AsyncRowReader, job_id: str
) -> None:
    by_engine = runtime.jobs.get(job_id)

    async def reads() -> list[Any]:
        async with serving():
            got = [await runtime.jobs.get_async(job_id)]
            got.append(await runtime.jobs.get_async(f"task_{job_id}"))
            with pytest.raises(NotFound):
                await runtime.jobs.get_async("no-such-job")
            got.append(_backends(reader))
            return got

    plain, discovered, backends = asyncio.run(reads())
    assert plain == by_engine and discovered == by_engine  # the same JobRead, field by field
    assert plain.created_at.utcoffset() is not None and plain.created_at == by_engine.created_at
    assert len(backends) == 1  # one connection served the three reads, in turn
    assert _backends(reader) == []  # closed when the loop stopped serving


def test_a_loop_that_does_not_serve_reads_through_the_engine(
    runtime: Runtime, reader: AsyncRowReader, job_id: str
) -> None:
    read = asyncio.run(runtime.jobs.get_async(job_id))
    assert read == runtime.jobs.get(job_id)
    assert _backends(reader) == []  # no connection of its own was opened


def test_a_connection_the_server_ended_is_replaced_unseen(
    runtime: Runtime, reader: AsyncRowReader, job_id: str
) -> None:
    expected = runtime.jobs.get(job_id)

    async def reads() -> tuple[list[int], list[int], Any, Any]:
        async with serving():
            await runtime.jobs.get_async(job_id)
            before = _backends(reader)
            await asyncio.to_thread(_terminate, before[0])
            after_failure = await runtime.jobs.get_async(job_id)  # answered by the engine
            again = await runtime.jobs.get_async(job_id)  # on a new connection
            return before, _backends(reader), after_failure, again

    before, after, after_failure, again = asyncio.run(reads())
    assert after_failure == expected and again == expected
    assert len(after) == 1 and after != before


def test_a_read_that_does_not_come_back_in_time_is_the_engines(
    runtime: Runtime, reader: AsyncRowReader, job_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection or a read past ``TIMEOUT_S`` (a peer gone silent) is dropped, never
    left holding the poll: the engine answers."""
    expected = runtime.jobs.get(job_id)

    async def reads() -> tuple[Any, list[int], Any, list[int]]:
        async with serving():
            first = await runtime.jobs.get_async(job_id)  # opens one connection
            opened = _backends(reader)
            monkeypatch.setattr(async_reads, "TIMEOUT_S", 0.0)
            late = await runtime.jobs.get_async(job_id)
            return first, opened, late, _backends(reader)

    first, opened, late, left = asyncio.run(reads())
    assert first == expected and late == expected
    assert len(opened) == 1 and left == []  # the late one was dropped
