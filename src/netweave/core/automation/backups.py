"""Scheduled configuration backups of the whole inventory, every ``interval`` seconds.
With several servers, a SQL lease makes exactly one of them fire each period."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from netweave.core import leases
from netweave.core.automation.runs import RunService
from netweave.core.automation.schemas import TargetSpec
from netweave.core.inventory.schemas import DeviceFilter
from netweave.foundation.errors import NetWeaveError

log = logging.getLogger(__name__)
LEASE = "config_backup_schedule"


class BackupSchedule:
    def __init__(self, sessions: sessionmaker[Session], runs: RunService, interval: float):
        self.sessions = sessions
        self.runs = runs
        self.interval = interval
        self.fired = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> str | None:
        """Fire when this period's lease is free; the run id when it fired."""
        period = timedelta(seconds=self.interval)
        if not leases.take(self.sessions, LEASE, self.runs.process, period):
            return None
        try:
            run = self.runs.launch_type(
                "config_backup",
                {},
                TargetSpec(query=DeviceFilter()),
                "scheduler",
                label="Scheduled configuration backup",
                trigger="schedule",
            )
        except NetWeaveError as exc:  # an empty inventory: nothing to back up this time
            log.info("scheduled backup skipped: %s", exc.to_detail())
            return None
        self.fired += 1
        return run.id

    def start(self) -> None:
        def loop() -> None:
            while not self._stop.wait(min(30.0, max(self.interval / 4, 0.5))):
                try:
                    self.tick()
                except Exception:  # the database may be restarting: try next round
                    log.exception("scheduled backup")

        self._thread = threading.Thread(target=loop, name="config-backups", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
