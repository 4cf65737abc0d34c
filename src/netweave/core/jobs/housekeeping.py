"""The controller's housekeeping: every job reaches a terminal state within its limits,
no accepted job is lost, and worker nodes that join or die are taken into account.

Runs in the API server (``serve``); with several servers a Redis lease lets one of them
handle node changes while all of them reap (reaping is idempotent SQL).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, overload

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from netweave.db.models import Job
from netweave.executor import Executor, QueuedJob

log = logging.getLogger(__name__)
MAX_RUNTIME = 3600  # a job without execution_timeout is ended after this (+ grace)
RUNTIME_GRACE = 60


@overload
def aware(moment: datetime) -> datetime: ...
@overload
def aware(moment: None) -> None: ...
@overload
def aware(moment: datetime | None) -> datetime | None: ...
def aware(moment: datetime | None) -> datetime | None:
    """``moment`` in UTC when it came back from the database without a zone (SQLite)."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


@dataclass
class Counters:
    """Self-healing counts shown by /system/stats and /metrics."""

    reaped: int = 0  # started jobs ended (worker lost, overran)
    retried: int = 0  # started jobs re-queued after their node died (request allowed it)
    expired: int = 0  # queued jobs past their ttl
    requeued: int = 0  # queued jobs re-enqueued from SQL (Redis lost them, node died)
    purged: int = 0  # expired results deleted
    nodes_joined: int = 0
    nodes_lost: int = 0
    devices_released: int = 0  # a dead node's devices, free for the survivors
    devices_moved: int = 0  # rebalanced when a node joined


class Housekeeper:
    def __init__(
        self, sessions: sessionmaker[Session], executor: Executor, grace: float = 7.0
    ) -> None:
        """``grace``: how long a node that was seen alive may be missing from Redis before
        its running jobs are declared lost (a Redis restart wipes every heartbeat until the
        nodes beat again)."""
        self.sessions = sessions
        self.executor = executor
        self.counters = Counters()
        self.grace = grace
        self._last_seen: dict[str, float] = {}
        self._stop = threading.Event()

    def presumed_alive(self) -> set[str] | None:
        """Nodes heart-beating now, plus those seen within ``grace`` seconds."""
        alive = self.executor.alive_nodes()
        if alive is None:
            return None
        now = time.monotonic()
        for node in alive:
            self._last_seen[node] = now
        for node, seen in list(self._last_seen.items()):
            if now - seen > max(self.grace, 60.0) * 10:
                del self._last_seen[node]  # long gone: forget it
        return alive | {n for n, seen in self._last_seen.items() if now - seen <= self.grace}

    def start(self, interval: float = 60.0, every: float = 2.0) -> None:
        self._stop.clear()
        threading.Thread(
            target=self.loop, args=(interval, every), name="job-housekeeping", daemon=True
        ).start()

    def stop(self) -> None:
        self._stop.set()

    def loop(self, interval: float = 60.0, every: float = 2.0) -> None:
        """Every ``every`` s: node changes, lost queues, reaping; every ``interval`` s:
        delete expired results."""
        last_purge = time.monotonic()
        while not self._stop.wait(min(every, interval)):
            try:
                self.tick()
                if time.monotonic() - last_purge >= interval:
                    self.counters.purged += self.purge_expired()
                    last_purge = time.monotonic()
            except Exception as exc:  # a busy database or Redis must not kill the loop
                log.warning("housekeeping: %s: %s", type(exc).__name__, exc)

    def tick(self, now: datetime | None = None) -> None:
        if self.executor.queue_was_lost():
            # every heartbeat went with Redis: a fresh grace for every node known to be
            # running jobs, including those this controller had not seen beat yet
            now_seen = time.monotonic()
            known = {*self._last_seen, *self.running_nodes()}
            self._last_seen = {node: now_seen for node in known}
            self.counters.requeued += self.recover()  # SQL is the truth; Redis transports
        self.follow_nodes()
        self.reap(now)

    # -- nodes --------------------------------------------------------------------------
    def follow_nodes(self) -> None:
        """A dead node: its started jobs are reaped (or retried), and every queued job no
        queue holds any more is enqueued again (pinned ones to the devices' new owners). A
        joined node: idle devices are rebalanced onto it."""
        changes = self.executor.maintain()
        if changes is None:
            return
        self.counters.devices_released += changes.released
        if changes.dead:
            self.counters.nodes_lost += len(changes.dead)
            log.warning("worker node(s) lost: %s", ", ".join(changes.dead))
            self.reap()
            self.counters.requeued += self.requeue_orphans()
        if changes.joined:  # counted once handled: a watcher sees the join after the moves
            self.counters.devices_moved += self.executor.rebalance(self.busy_devices())
            self.counters.nodes_joined += len(changes.joined)

    def running_nodes(self) -> set[str]:
        """The worker nodes SQL says are running jobs (``<node>.<thread>`` workers)."""
        with self.sessions() as session:
            workers = session.scalars(
                select(Job.worker).where(Job.status == "started", Job.worker.is_not(None))
            )
            return {str(worker).rsplit(".", 1)[0] for worker in workers}

    def busy_devices(self) -> set[str]:
        """``host:port`` of the devices with pinned jobs queued or running."""
        with self.sessions() as session:
            queues = session.scalars(
                select(Job.queue)
                .where(Job.status.in_(("queued", "started")), Job.queue.like("pinned:%"))
                .distinct()
            )
            return {q.removeprefix("pinned:") for q in queues}

    def requeue_orphans(self) -> int:
        """Queued in SQL but in no queue (a dead node's queue, a job a dying worker had
        popped but not claimed): enqueue again. A duplicate is harmless: the SQL claim
        lets exactly one delivery run."""
        waiting = self.executor.queued_ids()
        if waiting is None:
            return 0
        with self.sessions() as session:
            rows = session.execute(
                select(Job.id, Job.queue).where(Job.status == "queued").order_by(Job.created_at)
            ).all()
        orphans = [QueuedJob.from_queue(i, q) for i, q in rows if i not in waiting]
        self.executor.submit(orphans)
        return len(orphans)

    # -- jobs ---------------------------------------------------------------------------
    def reap(self, now: datetime | None = None) -> int:
        """Nothing stays ``started`` or ``queued`` forever. A started job whose node stopped
        heart-beating fails with ``worker_lost`` (or is queued again when its ``retries``
        allow); one running past its limit fails with ``timeout``; a queued job past its
        ``ttl`` fails with ``ttl_expired`` (no worker took it in time)."""
        now = now or datetime.now(UTC)
        alive = self.presumed_alive()
        ended, retry = 0, []
        with self.sessions() as session:  # the verdicts from a few columns of each row
            live = session.execute(select(*VERDICT_COLUMNS).where(Job.status.in_(LIVE))).all()
        due = [row.id for row in live if _verdict(row, alive, now) is not None]
        if not due:
            return 0
        with self.sessions() as session, session.begin():  # only those rows, loaded again
            for job in session.scalars(select(Job).where(Job.id.in_(due), Job.status.in_(LIVE))):
                error = _verdict(job, alive, now)
                if error is None:
                    continue
                if error["type"] == "worker_lost" and job.attempts <= job.retries:
                    job.status, job.worker, job.started_at, job.enqueued_at = (
                        "queued",
                        None,
                        None,
                        now,
                    )
                    retry.append(QueuedJob.from_queue(job.id, job.queue))
                    continue
                _fail(job, error, now)
                ended += 1
                if error["type"] == "ttl_expired":
                    self.counters.expired += 1
                else:
                    self.counters.reaped += 1
        if retry:
            self.executor.submit(retry)
            self.counters.retried += len(retry)
        return ended

    def recover(self) -> int:
        """Queued jobs are enqueued again from SQL; in-process backends also fail the jobs
        the previous server process was running (nobody else can finish them)."""
        now = datetime.now(UTC)
        with self.sessions() as session, session.begin():
            if self.executor.alive_nodes() is None:
                for job in session.scalars(select(Job).where(Job.status == "started")):
                    _fail(
                        job,
                        {"type": "worker_lost", "message": "the server stopped while the job ran"},
                        now,
                    )
            rows = session.execute(
                select(Job.id, Job.queue).where(Job.status == "queued").order_by(Job.created_at)
            ).all()
        self.executor.submit([QueuedJob.from_queue(i, q) for i, q in rows])
        return len(rows)

    def purge_expired(self) -> int:
        with self.sessions() as session, session.begin():
            result = session.execute(delete(Job).where(Job.expires_at < datetime.now(UTC)))
            return int(result.rowcount or 0)  # type: ignore[attr-defined]


LIVE = ("started", "queued")
# what _verdict reads: a Core row of these reads like the job
VERDICT_COLUMNS = (
    Job.id,
    Job.status,
    Job.worker,
    Job.created_at,
    Job.enqueued_at,
    Job.started_at,
    Job.ttl,
    Job.execution_timeout,
)


def _verdict(job: Any, alive: set[str] | None, now: datetime) -> dict[str, Any] | None:
    """Why a live job (a Job, or a row of VERDICT_COLUMNS) must end now; None: it may go on."""
    if job.status == "queued":
        enqueued = aware(job.enqueued_at) or aware(job.created_at) or now
        if (now - enqueued).total_seconds() > job.ttl + RUNTIME_GRACE:
            return {
                "type": "ttl_expired",
                "message": f"no worker took it within its ttl ({job.ttl} s)",
            }
        return None
    node = (job.worker or "").rsplit(".", 1)[0]
    if alive is not None and node and node not in alive:
        return {"type": "worker_lost", "message": f"worker node {node} stopped while the job ran"}
    started = aware(job.started_at) or now
    limit = (job.execution_timeout or MAX_RUNTIME) + RUNTIME_GRACE
    if (now - started).total_seconds() > limit:
        return {"type": "timeout", "message": f"still running after {limit} s"}
    return None


def _fail(job: Job, error: dict[str, Any], now: datetime) -> None:
    job.status, job.ended_at, job.error = "failed", now, error
    job.result = {"type": 2, "retval": None, "error": error}
    job.expires_at = now + timedelta(seconds=job.result_ttl)
