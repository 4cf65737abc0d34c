"""One writer thread applies job updates in batches: SQLite sees one committer instead of
one per worker thread (no "database is locked" at 1,000 devices); PostgreSQL gets fewer
round trips."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from netweave.db.models import Job

log = logging.getLogger(__name__)
BATCH = 500
_EXPECT = "__expect_worker__"
_INSERT = "__insert__"


class JobWriter:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        on_commit: Callable[[set[str]], None] | None = None,
    ) -> None:
        self._sessions = sessions
        self._on_commit = on_commit
        self._queue: queue.Queue[tuple[str, dict[str, Any]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="job-writer", daemon=True)
        self._idle = threading.Event()
        self._idle.set()
        self._started = False

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
            self._queue.put(None)
            self._thread.join(timeout=10)
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
        for attempt in range(5):
            try:
                with self._sessions() as session, session.begin():
                    for job_id, values in merged.items():
                        values = dict(values)
                        rows = values.pop(_INSERT, [])
                        query = update(Job).where(Job.id == job_id)
                        if _EXPECT in values:
                            worker = values.pop(_EXPECT)
                            query = query.where(Job.status == "started", Job.worker == worker)
                        applied = session.execute(query.values(**values))
                        if rows and applied.rowcount:  # type: ignore[attr-defined]
                            session.add_all(rows)
                if self._on_commit is not None:
                    self._on_commit(set(merged))
                return
            except Exception:
                log.exception(
                    "job writer: batch of %d failed (attempt %d)", len(merged), attempt + 1
                )
                threading.Event().wait(0.2 * (attempt + 1))
