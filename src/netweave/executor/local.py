"""In-process executor: a thread pool draining one queue of job ids. Threads, not forks:
a fork would kill the SSH sessions the pool keeps open."""

from __future__ import annotations

import os
import queue
import socket
import threading
import time
from collections.abc import Sequence

from netweave.executor.base import Executor, JobRunner, QueuedJob, WorkerInfo, WorkerThread

_STOP = "__stop__"


class LocalExecutor(Executor):
    name = "local"

    def __init__(self, threads: int = 32, node: str | None = None) -> None:
        self.threads = threads
        self.node = node or socket.gethostname()
        self._queue: queue.Queue[str] = queue.Queue()
        self._workers: list[WorkerThread] = []
        self._handles: list[threading.Thread] = []
        self._runner: JobRunner | None = None

    def start(self, runner: JobRunner) -> None:
        if self._runner is not None:
            return
        self._runner = runner
        for number in range(self.threads):
            state = WorkerThread(f"{self.node}-local-{number}")
            handle = threading.Thread(
                target=self._loop, args=(state,), name=state.name, daemon=True
            )
            self._workers.append(state)
            self._handles.append(handle)
            handle.start()

    def _loop(self, state: WorkerThread) -> None:
        assert self._runner is not None
        while (job_id := self._queue.get()) != _STOP:
            state.run(self._runner, job_id)

    def submit(self, jobs: Sequence[QueuedJob]) -> None:
        for job in jobs:  # one process holds every session: no routing needed
            self._queue.put(job.id)

    def queue_depth(self) -> int:
        return self._queue.qsize()

    def workers(self) -> list[WorkerInfo]:
        return [w.info(self.node, os.getpid(), ["local"]) for w in self._workers]

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
