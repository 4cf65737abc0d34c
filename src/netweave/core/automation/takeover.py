"""Runs outlive the process that drives them.

**The lease.** A run is driven by the process named in its row (``runs.process``) for as
long as that process renews ``runs.heartbeat_at`` (every second, with the live summary):
the row is the lease, taken with one conditional UPDATE like ``core.leases`` — and held
from the run's creation in the same transaction, so no other process can take a new run
before its controller starts. A lease not renewed for ``run_lease_seconds`` (setting, default
15) is free; a process that leaves releases its leases (``heartbeat_at`` NULL) at once.

**The takeover.** Every ``serve`` process looks every ``SCAN_EVERY`` seconds (and once at
start) for active runs (``running``, ``stopping``) with a free lease, takes each with a
conditional UPDATE (exactly one process wins), and then, by this rule:

- a run being stopped (``stopping``) is finished as stopped: its queued and running jobs
  are canceled (jobs that ran in the dead process are canceled on the spot), every device's
  state is recorded, and the run ends ``stopped``;
- a run whose unfinished steps are all still tracked in SQL — queued (the taker enqueues
  them again: the SQL claim lets one delivery run), running on a live worker node (rq), or
  ended with their result — is **resumed**: the walk is rebuilt from the run's jobs and
  results and continues from there, no step queued twice;
- otherwise a step's job was lost with the process (the local executor runs jobs in the
  server's own threads; a job that ended ``worker_lost`` before its result was taken in):
  the run ends ``interrupted``, its queued and running jobs are canceled, and it can be
  restarted from any step (``POST /runs/{id}/restart``).
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import or_, select, update

from netweave.db.models import Job, Result, Run
from netweave.engine import Graph, Walk
from netweave.executor import QueuedJob

if TYPE_CHECKING:
    from netweave.core.automation.runs import RunService

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=15)  # default: a run whose lease was not renewed this long is free
SCAN_EVERY = 3.0  # seconds between looks for runs to take over
ACTIVE = ("queued", "running", "stopping")


class RunTakeover:
    def __init__(self, owner: RunService) -> None:
        self.owner = owner
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- the watch ------------------------------------------------------------------------
    def start(self, every: float | None = None) -> None:
        if every is None:  # a few looks per lease
            every = min(SCAN_EVERY, self.owner.lease.total_seconds() / 4)
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._loop, args=(every,), name="run-takeover", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _loop(self, every: float) -> None:
        while not self._stop.wait(every):
            try:
                self.tick()
            except Exception as exc:  # a database away: the next look tries again
                log.warning("run takeover: %s: %s", type(exc).__name__, exc)

    def tick(self) -> int:
        """Take over every active run whose lease is free; how many were taken."""
        cutoff = datetime.now(UTC) - self.owner.lease
        with self.owner.sessions() as session:
            orphans = list(
                session.scalars(
                    select(Run.id).where(
                        Run.status.in_(ACTIVE),
                        or_(Run.heartbeat_at.is_(None), Run.heartbeat_at < cutoff),
                    )
                )
            )
        return sum(self.take(run_id) for run_id in orphans if not self.owner.drives(run_id))

    # -- one run --------------------------------------------------------------------------
    def take(self, run_id: str) -> bool:
        """Take ``run_id`` when its lease is free, then stop, resume or interrupt it."""
        if not self._claim(run_id):
            return False
        with self.owner.sessions() as session:
            run = session.get(Run, run_id)
            assert run is not None
            status, definition, start_at = run.status, run.definition, run.start_at
            in_flight = session.execute(
                select(Job.id, Job.status, Job.worker, Job.queue).where(
                    Job.run_id == run_id, Job.status.in_(("queued", "started"))
                )
            ).all()
            consumed = set(session.scalars(select(Result.job_id).where(Result.run_id == run_id)))
            lost_ended = [
                job_id
                for job_id, error in session.execute(
                    select(Job.id, Job.error).where(Job.run_id == run_id, Job.status == "failed")
                ).all()
                if (error or {}).get("type") == "worker_lost" and job_id not in consumed
            ]
        alive = self.owner.jobs.executor.alive_nodes()  # None: jobs ran in the dead process
        lost = [
            job_id
            for job_id, job_status, worker, _ in in_flight
            if job_status == "started"
            and (alive is None or (worker or "").rsplit(".", 1)[0] not in alive)
        ]
        if status == "stopping":
            self._cancel_lost(lost)
            log.warning("run %s: taken over to finish its stop", run_id)
            self.owner.resume(run_id)
            return True
        problem = _unwalkable(definition, start_at)
        if problem is None and (lost or lost_ended):
            problem = f"{len(lost) + len(lost_ended)} step job(s) were lost with it"
        if problem is not None:
            self._interrupt(run_id, lost, problem)
            return True
        queued = [QueuedJob.from_queue(i, q) for i, s, _, q in in_flight if s == "queued"]
        self.owner.jobs.executor.submit(queued)  # its queue may have died with it
        log.warning("run %s: taken over and resumed (%d job(s) queued)", run_id, len(queued))
        self.owner.resume(run_id)
        return True

    def _claim(self, run_id: str) -> bool:
        now = datetime.now(UTC)
        with self.owner.sessions() as session, session.begin():
            taken = session.execute(
                update(Run)
                .where(
                    Run.id == run_id,
                    Run.status.in_(ACTIVE),
                    or_(Run.heartbeat_at.is_(None), Run.heartbeat_at < now - self.owner.lease),
                )
                .values(process=self.owner.process, heartbeat_at=now)
            )
            return bool(taken.rowcount)  # type: ignore[attr-defined]

    def _cancel_lost(self, lost: list[str]) -> None:
        """Jobs that ran in the dead process: canceled, with no worker left to answer."""
        if not lost:
            return
        self.owner.jobs.cancel_jobs(lost, "the run was stopped")
        with self.owner.sessions() as session, session.begin():
            session.execute(update(Job).where(Job.id.in_(lost)).values(worker=None))

    def _interrupt(self, run_id: str, lost: list[str], problem: str) -> None:
        now = datetime.now(UTC)
        error = {"type": "worker_lost", "message": "the process running its run stopped"}
        with self.owner.sessions() as session, session.begin():
            if lost:
                session.execute(
                    update(Job)
                    .where(Job.id.in_(lost), Job.status == "started")
                    .values(
                        status="failed",
                        worker=None,
                        ended_at=now,
                        error=error,
                        result={"type": 2, "retval": None, "error": error},
                    )
                )
        with self.owner.sessions() as session:
            left = list(
                session.scalars(
                    select(Job.id).where(
                        Job.run_id == run_id, Job.status.in_(("queued", "started"))
                    )
                )
            )
        self.owner.jobs.cancel_jobs(left, "the run was interrupted")
        log.warning("run %s: interrupted (%s)", run_id, problem)
        self.owner.finish(
            run_id,
            "interrupted",
            {},
            f"the process running it stopped ({problem}); restart it from a step",
        )


def _unwalkable(definition: dict[str, object], start_at: str | None) -> str | None:
    """Why the run's stored definition cannot be walked again; None when it can."""
    try:
        graph = Graph.from_dict(definition.get("graph") or {})  # type: ignore[arg-type]
        Walk(graph, ["*"]).begin(start_at)
    except (KeyError, TypeError, ValueError) as exc:
        return f"its definition cannot be walked: {exc}"
    return None
