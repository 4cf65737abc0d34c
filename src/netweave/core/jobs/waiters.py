"""Who waits for which job. A long poll (``GET /jobs/{id}?wait=``, ``netweave run``, a
run's step) registers for its own job and is woken only when that job is committed, in
this process (the result writer) or another (the executor's notices). An async waiter holds
no thread while it waits: an API process keeps thousands of long polls open on its event
loop, each re-reading its job only when the job changed."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol


class _Waiter(Protocol):
    def wake(self, values: dict[str, Any] | None) -> None: ...


class _ThreadWaiter:
    def __init__(self) -> None:
        self.event = threading.Event()

    def wake(self, values: dict[str, Any] | None) -> None:
        self.event.set()


class LoopWaiter:
    """A long poll's registration: ``event`` is set when the job changes; ``values``: the
    columns this process's result writer just committed for it (None when the change came
    from elsewhere: a cancel, another process), so the poll can answer without a re-read."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.event = asyncio.Event()
        self.values: dict[str, Any] | None = None

    def wake(self, values: dict[str, Any] | None) -> None:  # from any thread
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
            self.loop.call_soon_threadsafe(self._woken, values)

    def _woken(self, values: dict[str, Any] | None) -> None:
        if values is not None:  # a later notice without values does not hide them
            self.values = values
        self.event.set()


class JobWaiters:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_job: dict[str, set[_Waiter]] = {}

    def changed(
        self, job_ids: Iterable[str], values: Mapping[str, dict[str, Any]] | None = None
    ) -> None:
        """Wake the waiters of these jobs (called from writer and notice threads); with
        ``values``, the columns just committed for each job, handed to its waiters."""
        with self._lock:
            woken = [(j, w) for j in job_ids for w in self._by_job.get(j, ())]
        for job_id, waiter in woken:
            waiter.wake(values.get(job_id) if values is not None else None)

    def watched(self, job_ids: Iterable[str]) -> bool:
        """Whether any of these jobs has a waiter now (cheap: no waiter, nothing to hand)."""
        with self._lock:
            return any(job_id in self._by_job for job_id in job_ids)

    def waiting(self) -> int:
        with self._lock:
            return sum(len(found) for found in self._by_job.values())

    def _add(self, job_id: str, waiter: _Waiter) -> None:
        with self._lock:
            self._by_job.setdefault(job_id, set()).add(waiter)

    def _remove(self, job_id: str, waiter: _Waiter) -> None:
        with self._lock:
            found = self._by_job.get(job_id)
            if found is not None:
                found.discard(waiter)
                if not found:
                    del self._by_job[job_id]

    @contextmanager
    def watch(self, job_id: str) -> Iterator[threading.Event]:
        """Registered before the caller reads the job, so no change between the read and
        the wait is missed; the event is set when the job changes."""
        waiter = _ThreadWaiter()
        self._add(job_id, waiter)
        try:
            yield waiter.event
        finally:
            self._remove(job_id, waiter)

    @contextmanager
    def watch_async(self, job_id: str) -> Iterator[LoopWaiter]:
        waiter = LoopWaiter(asyncio.get_running_loop())
        self._add(job_id, waiter)
        try:
            yield waiter
        finally:
            self._remove(job_id, waiter)
