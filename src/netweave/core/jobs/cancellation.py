"""Canceling jobs that are already running, in whatever process runs them.

SQL decides: a cancel moves the job row from ``started`` to ``canceled`` (one conditional
UPDATE, so it races safely with the worker's own end: the worker's final write only applies
while the row is still ``started`` by that worker). The process running the job learns it
three ways, fastest first:

- in the same process (the local executor), the canceller calls :meth:`RunningJobs.cancel`;
- other processes (``netweave worker`` nodes) get the executor's job notice (Redis pub/sub,
  the channel waiters already use) and look at the rows of the jobs they run;
- and every process running jobs looks at their rows once a second anyway, so a lost
  notice (Redis restarting) delays a cancel by a second, never loses it.

Whatever moved the row away from ``started`` by this worker (a cancel, the reaper ending
an overrun) cancels the job's :class:`~netweave.sessions.cancel.CancelToken`: its device
session is aborted and nothing is retried."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from netweave.db.models import Job
from netweave.sessions.cancel import CancelToken

log = logging.getLogger(__name__)
CHECK_INTERVAL = 1.0  # seconds between looks at the rows of the jobs running here


class RunningJobs:
    def __init__(self, sessions: sessionmaker[Session], interval: float = CHECK_INTERVAL) -> None:
        self.sessions = sessions
        self.interval = interval
        self._tokens: dict[str, tuple[CancelToken, str]] = {}  # job id → token, worker
        self._lock = threading.Lock()
        self._look = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- the job's side -------------------------------------------------------------------
    def begin(self, job_id: str, worker: str, token: CancelToken | None = None) -> CancelToken:
        """A claimed job runs here (its row is ``started`` by ``worker``) under ``token``."""
        token = token or CancelToken(job_id)
        with self._lock:
            self._tokens[job_id] = (token, worker)
        return token

    def end(self, job_id: str) -> None:
        with self._lock:
            self._tokens.pop(job_id, None)

    # -- the canceller's side -------------------------------------------------------------
    def cancel(self, job_id: str, reason: str) -> bool:
        """Interrupt ``job_id`` when it runs in this process."""
        with self._lock:
            found = self._tokens.get(job_id)
        return found is not None and found[0].cancel(reason)

    def changed(self, job_ids: set[str]) -> None:
        """Job notice listener: look now when one of them runs here."""
        with self._lock:
            mine = not job_ids.isdisjoint(self._tokens)
        if mine:
            self._look.set()

    def running(self) -> set[str]:
        with self._lock:
            return set(self._tokens)

    # -- the watch ------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="job-cancels", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._look.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._look.wait(self.interval)
            self._look.clear()
            if self._stop.is_set():
                return
            try:
                self.check()
            except Exception as exc:  # a database away: the next look tries again
                log.warning("job cancel watch: %s: %s", type(exc).__name__, exc)

    def check(self) -> int:
        """Cancel the jobs running here whose row is no longer ``started`` by their worker;
        how many were canceled."""
        with self._lock:
            tokens = dict(self._tokens)
        if not tokens:
            return 0
        with self.sessions() as session:
            rows = session.execute(
                select(Job.id, Job.status, Job.worker, Job.error).where(Job.id.in_(tokens))
            ).all()
        canceled = 0
        for job_id, status, worker, error in rows:
            token, mine = tokens[job_id]
            if status == "started" and worker == mine:
                continue
            reason = (error or {}).get("message") or f"the job is {status}"
            canceled += token.cancel(str(reason))
        return canceled
