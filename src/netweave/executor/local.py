"""In-process executor: a thread pool draining one queue of job ids. Threads, not forks:
a fork would kill the SSH sessions the pool keeps open."""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from netweave.executor.base import Executor, JobRunner, QueuedJob, WorkerInfo

log = logging.getLogger(__name__)
_STOP = "__stop__"


class _Thread:
    def __init__(self, name: str) -> None:
        self.name = name
        self.current: str | None = None
        self.ok = 0
        self.failed = 0
        self.birth = datetime.now(UTC)
        self.heartbeat = self.birth


class LocalExecutor(Executor):
    name = "local"

    def __init__(self, threads: int = 32, node: str | None = None) -> None:
        self.threads = threads
        self.node = node or socket.gethostname()
        self._queue: queue.Queue[str] = queue.Queue()
        self._workers: list[_Thread] = []
        self._handles: list[threading.Thread] = []
        self._runner: JobRunner | None = None

    def start(self, runner: JobRunner) -> None:
        if self._runner is not None:
            return
        self._runner = runner
        for number in range(self.threads):
            state = _Thread(f"{self.node}-local-{number}")
            handle = threading.Thread(
                target=self._loop, args=(state,), name=state.name, daemon=True
            )
            self._workers.append(state)
            self._handles.append(handle)
            handle.start()

    def _loop(self, state: _Thread) -> None:
        assert self._runner is not None
        while True:
            job_id = self._queue.get()
            if job_id == _STOP:
                return
            state.current = job_id
            state.heartbeat = datetime.now(UTC)
            try:
                self._runner(job_id)
                state.ok += 1
            except Exception:  # the runner records failures; this guards the thread itself
                log.exception("job %s crashed its runner", job_id)
                state.failed += 1
            finally:
                state.current = None
                state.heartbeat = datetime.now(UTC)

    def submit(self, jobs: Sequence[QueuedJob]) -> None:
        for job in jobs:  # one process holds every session: no routing needed
            self._queue.put(job.id)

    def queue_depth(self) -> int:
        return self._queue.qsize()

    def workers(self) -> list[WorkerInfo]:
        return [
            WorkerInfo(
                name=w.name,
                hostname=self.node,
                pid=os.getpid(),
                queues=["local"],
                state="busy" if w.current else "idle",
                current_job=w.current,
                birth=w.birth,
                last_heartbeat=w.heartbeat,
                successful_jobs=w.ok,
                failed_jobs=w.failed,
            )
            for w in self._workers
        ]

    def stop(self, timeout: float = 10.0) -> None:
        """Running jobs get ``timeout`` to finish; queued ones are not started (they stay
        queued in SQL: the next start recovers them)."""
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        for _ in self._handles:
            self._queue.put(_STOP)
        deadline = time.monotonic() + timeout  # one bound for all threads, not one each
        for handle in self._handles:
            handle.join(timeout=max(deadline - time.monotonic(), 0.0))
