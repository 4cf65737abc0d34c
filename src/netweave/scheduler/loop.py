"""The scheduler loop: one tick per second (RQ-style small loop); everything that matters
(due times, firings, exactly-once) lives in ``core.schedules.firing``."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid

from netweave.core.runtime import Runtime
from netweave.core.schedules.firing import TaskFirer

log = logging.getLogger(__name__)


class SchedulerLoop:
    def __init__(self, runtime: Runtime, every: float = 1.0, name: str | None = None) -> None:
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.firer = TaskFirer(runtime.sessions, runtime.runs, self.name)
        self.every = every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run(self) -> None:
        """Tick until ``stop()``; a failing tick (database restarting) is retried next time."""
        while not self._stop.is_set():
            try:
                self.firer.tick()
            except Exception:
                log.exception("scheduler tick")
            self._stop.wait(self.every)

    def start(self) -> SchedulerLoop:
        self._thread = threading.Thread(target=self.run, name="scheduler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
