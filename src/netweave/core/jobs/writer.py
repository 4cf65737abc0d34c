"""One writer thread applies job updates in batches: SQLite sees one committer instead of
one per worker thread (no "database is locked" at 1,000 devices); PostgreSQL gets fewer
round trips."""

from __future__ import annotations

import functools
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import Connection, Table, Update, bindparam, update
from sqlalchemy.orm import Session, sessionmaker

from netweave.db import errors as db_errors
from netweave.db.models import Job

log = logging.getLogger(__name__)
BATCH = 500
_EXPECT = "__expect_worker__"
_INSERT = "__insert__"
MAX_RETRY_DELAY = 5.0
STOP_PATIENCE = 10.0  # seconds a stopping writer keeps retrying before it gives up


class JobWriter:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        on_commit: Callable[[set[str], dict[str, dict[str, Any]] | None], None] | None = None,
    ) -> None:
        self._sessions = sessions
        self._on_commit = on_commit
        self._queue: queue.Queue[tuple[str, dict[str, Any]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="job-writer", daemon=True)
        self._idle = threading.Event()
        self._idle.set()
        self._started = False
        self._stopping = False

    def start(self) -> None:
        if not self._started:
            self._started = True
            self._thread.start()

    def update(
        self,
        job_id: str,
        *,
        expect_worker: str | None = None,
        insert: list[Any] | None = None,
        **values: Any,
    ) -> None:
        """Queue an update; with ``expect_worker`` it only applies while that worker still
        holds the job (a job the reaper ended or re-queued is not overwritten by a worker
        that was presumed dead). ``insert``: ORM rows committed with it (a step's result),
        or not at all when the guarded update does not apply."""
        self._idle.clear()
        if expect_worker is not None:
            values[_EXPECT] = expect_worker
        if insert:
            values[_INSERT] = list(insert)
        self._queue.put((job_id, values))

    def flush(self, timeout: float = 10.0) -> bool:
        """Block until everything queued so far is committed."""
        return self._idle.wait(timeout)

    def stop(self) -> None:
        if self._started:
            self._stopping = True
            self._queue.put(None)
            self._thread.join(timeout=STOP_PATIENCE + 5)
            self._started = False

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            while len(batch) < BATCH:
                try:
                    following = self._queue.get_nowait()
                except queue.Empty:
                    break
                if following is None:
                    self._write(batch)
                    return
                batch.append(following)
            self._write(batch)
            if self._queue.empty():
                self._idle.set()

    def _write(self, batch: list[tuple[str, dict[str, Any]]]) -> None:
        merged: dict[str, dict[str, Any]] = {}
        for job_id, values in batch:  # later updates of one job win; inserts add up
            into = merged.setdefault(job_id, {})
            rows = into.get(_INSERT, []) + values.get(_INSERT, [])
            into.update(values)
            if rows:
                into[_INSERT] = rows
        delay, waited = 0.2, 0.0
        while True:
            try:
                self._commit(merged)
            except Exception as exc:  # every failure is handled below
                problem = exc
            else:
                self._committed(set(merged), merged)
                return
            # An update is never dropped: the database restarting or its disk full pass when
            # the operator acts; a result that cannot be stored ends its job as failed.
            if not db_errors.transient(problem) or db_errors.disk_full(problem):
                merged = self._one_by_one(merged)
                if not merged:
                    return
            if self._stopping and waited > STOP_PATIENCE:
                log.error(
                    "job writer: %d job update(s) not stored at shutdown: %s",
                    len(merged),
                    db_errors.describe(problem),
                )
                return
            log.warning(
                "job writer: %d update(s) waiting, retry in %.1f s: %s",
                len(merged),
                delay,
                db_errors.describe(problem),
            )
            time.sleep(delay)
            waited += delay
            delay = min(delay * 2, MAX_RETRY_DELAY)

    def _commit(self, merged: dict[str, dict[str, Any]]) -> None:
        """One transaction: the updates of the same shape as one executemany of a prepared
        Core statement (no ORM evaluation, no statement built per job); an update carrying
        rows runs alone, as the rows are added only when it applied. Without rows, on a
        bare connection (no ORM session: ~0.1 ms less per commit)."""
        if not any(values.get(_INSERT) for values in merged.values()):
            with self._sessions.kw["bind"].begin() as connection:
                self._updates(connection, merged)
            return
        with self._sessions() as session, session.begin():
            connection = session.connection()
            plain: dict[str, dict[str, Any]] = {}
            for job_id, values in merged.items():
                rows = values.get(_INSERT)
                if not rows:
                    plain[job_id] = values
                    continue
                shape, params = _update_of(job_id, values)
                if connection.execute(_statement(shape), params).rowcount:
                    session.add_all(rows)
            self._updates(connection, plain)

    @staticmethod
    def _updates(connection: Connection, merged: dict[str, dict[str, Any]]) -> None:
        shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for job_id, values in merged.items():
            shape, params = _update_of(job_id, values)
            shapes.setdefault(shape, []).append(params)
        for shape, batch in shapes.items():
            connection.execute(_statement(shape), batch)

    def _committed(
        self, job_ids: set[str], values: dict[str, dict[str, Any]] | None = None
    ) -> None:
        """Tell ``on_commit`` which jobs changed (and, when known, the values committed)."""
        if job_ids and self._on_commit is not None:
            try:
                self._on_commit(job_ids, values)
            except Exception as exc:  # waiters also poll: never write twice
                log.warning("job writer: could not announce %d job(s): %s", len(job_ids), exc)

    def _one_by_one(self, merged: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Apply each job's update alone, so one unstorable result does not hold up the
        others. A result refused for good (or for lack of disk) is replaced by a short
        failure naming the reason; what still cannot be written is returned, to retry."""
        pending: dict[str, dict[str, Any]] = {}
        done: set[str] = set()
        for job_id, values in merged.items():
            try:
                self._commit({job_id: values})
                done.add(job_id)
                continue
            except Exception as exc:  # decided just below
                problem = exc
                log.debug("job writer: job %s alone: %s", job_id, db_errors.describe(exc))
            if db_errors.transient(problem) and not db_errors.disk_full(problem):
                pending[job_id] = values  # the database itself is away: all of it later
                continue
            failure = _storage_failure(values, problem)
            if failure is None:
                log.error("job writer: update of job %s refused: %s", job_id, problem)
                continue
            try:
                self._commit({job_id: failure})
                done.add(job_id)
            except Exception as exc:  # not even that fits: keep it for later
                log.debug("job writer: job %s failure: %s", job_id, db_errors.describe(exc))
                pending[job_id] = values
        self._committed(done)
        return pending


JOBS = cast(Table, Job.__table__)  # the jobs table, for prepared Core statements


@functools.lru_cache(maxsize=64)
def _statement(shape: tuple[str, ...]) -> Update:
    """``UPDATE jobs SET <shape> WHERE id = :job_id`` (and, with ``_EXPECT``, only while
    that worker holds the job started), with a bound parameter per column, built once."""
    table = JOBS
    query = update(table).where(table.c.id == bindparam("job_id"))
    if _EXPECT in shape:
        query = query.where(
            table.c.status == "started", table.c.worker == bindparam(_param(_EXPECT))
        )
    columns = {
        key: bindparam(_param(key), type_=table.c[key].type) for key in shape if key != _EXPECT
    }
    return query.values(columns)


def _update_of(job_id: str, values: dict[str, Any]) -> tuple[tuple[str, ...], dict[str, Any]]:
    """A job's update: its shape (the columns it sets) and its parameters; the rows it
    carries to insert are not columns."""
    columns = {k: v for k, v in values.items() if k != _INSERT}
    return tuple(sorted(columns)), {"job_id": job_id, **{_param(k): v for k, v in columns.items()}}


def _param(key: str) -> str:
    """A column's parameter name (SQLAlchemy reserves the column names themselves)."""
    return "expect_worker" if key == _EXPECT else f"new_{key}"


def _storage_failure(values: dict[str, Any], problem: Exception) -> dict[str, Any] | None:
    """The short update that ends a job whose result could not be stored; None for an
    update that ends nothing."""
    if values.get("status") not in ("finished", "failed"):
        return None
    reason = db_errors.describe(problem) if db_errors.transient(problem) else "database error"
    error = {
        "type": "storage_error",
        "message": f"the job ran but its result could not be stored: {reason}",
    }
    failure = {key: values[key] for key in (_EXPECT, "ended_at", "expires_at") if key in values}
    failure.update(status="failed", error=error, result={"type": 2, "retval": None, "error": error})
    return failure
