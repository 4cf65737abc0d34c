"""The asyncio read connections of a serving loop are handed out first come, first served:
a poll that waits for one is not overtaken by polls arriving after it (asyncio.Queue let
them barge in, and on a saturated loop some polls waited several times as long as the
rest); a slot freed by a failed connection goes to the next waiter."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from netweave.db import async_reads
from netweave.db.async_reads import ReadFailed, _LoopPool
from tests.fixtures.database import ONE_BACKEND

pytestmark = ONE_BACKEND


def _pool() -> tuple[_LoopPool, list[str]]:
    names = (f"c{n}" for n in itertools.count())
    opened: list[str] = []

    async def connect() -> str:
        opened.append(next(names))
        return opened[-1]

    return _LoopPool(connect), opened


def test_a_released_connection_goes_to_the_oldest_waiter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(async_reads, "CONNECTIONS", 1)

    async def scenario() -> list[str]:
        pool, _ = _pool()
        held = await pool.acquire()
        served: list[str] = []

        async def poll(name: str) -> None:
            connection = await pool.acquire()
            served.append(name)
            await pool.release(connection)

        early = [asyncio.create_task(poll(f"early{n}")) for n in range(3)]
        await asyncio.sleep(0)  # the three wait, in order
        await pool.release(held)
        await poll("late")  # asks at once, before the oldest waiter has run
        await asyncio.gather(*early)
        return served

    assert asyncio.run(scenario()) == ["early0", "early1", "early2", "late"]


def test_a_dropped_connection_frees_its_slot_for_the_next_waiter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(async_reads, "CONNECTIONS", 1)

    async def scenario() -> tuple[str, list[str]]:
        pool, opened = _pool()
        broken = await pool.acquire()
        waiting = asyncio.create_task(pool.acquire())
        await asyncio.sleep(0)
        await pool.drop(broken)  # the server ended it mid-read
        return await asyncio.wait_for(waiting, 5), opened

    replacement, opened = asyncio.run(scenario())
    assert opened == ["c0", "c1"] and replacement == "c1"


def test_a_closed_pool_tells_its_waiters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(async_reads, "CONNECTIONS", 1)

    async def scenario() -> None:
        pool, _ = _pool()
        busy = await pool.acquire()
        waiting = asyncio.create_task(pool.acquire())
        await asyncio.sleep(0)
        await pool.close()
        with pytest.raises(ReadFailed):
            await asyncio.wait_for(waiting, 5)
        await pool.release(busy)  # closed on its way back
        assert pool.opened == [] and not pool.idle

    asyncio.run(scenario())


def test_a_freed_slot_is_the_waiters_not_a_newcomers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The slot a dropped connection frees goes to the poll already waiting; one arriving
    meanwhile waits behind it, and no more than ``CONNECTIONS`` are ever open."""
    monkeypatch.setattr(async_reads, "CONNECTIONS", 1)

    async def scenario() -> tuple[list[str], list[str]]:
        pool, opened = _pool()
        broken = await pool.acquire()
        served: list[str] = []

        async def poll(name: str) -> None:
            connection = await pool.acquire()
            served.append(name)
            assert len(pool.opened) + pool.opening <= 1
            await pool.release(connection)

        waiting = asyncio.create_task(poll("waiting"))
        await asyncio.sleep(0)
        await pool.drop(broken)
        await poll("newcomer")  # asks before the waiter has run
        await waiting
        return served, opened

    served, opened = asyncio.run(scenario())
    assert served == ["waiting", "newcomer"] and opened == ["c0", "c1"]
