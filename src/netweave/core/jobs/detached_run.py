"""The worker side of a detached task (see ``detached``): the command streams on a device
session of its own (never the pooled one: other jobs on the device go on meanwhile), its
output goes to a bounded log, stored in the job row about twice a second and, with
``push_interval`` and a webhook, pushed as ``detached.log_push`` events."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import update

from netweave.core.jobs.detached import DetachedLimits
from netweave.core.jobs.webhooks import open_webhook
from netweave.db.models import Job
from netweave.drivers.base import BaseConnectionArgs, Driver, DriverError
from netweave.sessions.cancel import CancelToken

if TYPE_CHECKING:
    from netweave.core.jobs.runner import JobRunner

log = logging.getLogger(__name__)
OK, FAILED, CANCELED = 1, 2, 3
SYNC_INTERVAL = 0.5  # seconds between writes of a running task's output to its job row


class TaskLog:
    """The output of one task, kept up to ``limit`` characters; what comes after is dropped
    and a line says so (the command keeps running)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.text = ""
        self.truncated = False
        self._lock = threading.Lock()

    def write(self, chunk: str) -> None:
        with self._lock:
            if self.truncated or not chunk:
                return
            room = self.limit - len(self.text)
            if len(chunk) <= room:
                self.text += chunk
                return
            self.text += chunk[:room]
            self.text += (
                f"\n[netweave: output cut at {self.limit} characters; the command ran on]\n"
            )
            self.truncated = True

    def snapshot(self) -> tuple[str, bool]:
        with self._lock:
            return self.text, self.truncated


class _Sync:
    """Stores the log in the job row and pushes new output to the webhook, in a thread."""

    def __init__(self, runner: JobRunner, job: Job, task_log: TaskLog, item: dict[str, Any]):
        self.runner, self.job, self.log, self.item = runner, job, task_log, item
        self.interval = job.request.get("push_interval")
        self.spec = webhook_spec(runner, job) if self.interval else None
        self.stored = self.pushed = 0  # characters stored / pushed so far
        self.pushed_at = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"detached-{job.id[:8]}")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.push(final=True)

    def _loop(self) -> None:
        while not self._stop.wait(SYNC_INTERVAL):
            try:
                self.store()
                if self.interval and time.monotonic() - self.pushed_at >= self.interval:
                    self.push()
            except Exception:  # the task goes on; the next round tries again
                log.warning("detached task %s: could not sync its output", self.job.id)

    def store(self) -> None:
        text, truncated = self.log.snapshot()
        if len(text) == self.stored:
            return
        self.stored = len(text)
        result = {"type": OK, "retval": [self.result_item(text, truncated)], "error": None}
        self.runner.writer.update(self.job.id, expect_worker=self.job.worker, result=result)

    def result_item(self, text: str, truncated: bool) -> dict[str, Any]:
        metadata = {
            **self.item["metadata"],
            "truncated": truncated,
            "synced_at": datetime.now(UTC).isoformat(),
        }
        return {**self.item, "stdout": text, "metadata": metadata}

    def push(self, final: bool = False) -> None:
        """The output since the last push, as a ``detached.log_push`` event."""
        if self.spec is None:
            return
        text, _ = self.log.snapshot()
        self.pushed_at = time.monotonic()
        if len(text) == self.pushed:
            return
        start, self.pushed = self.pushed, len(text)
        chunk = {**self.item, "stdout": text[start:]}
        self.runner.webhooks.send(
            self.spec,
            {
                "id": self.job.id,
                "task_id": self.job.id,
                "status": "running",
                "event_type": "detached.log_push",
                "final": False,
                "timestamp": datetime.now(UTC).isoformat(),
                "result": {"type": OK, "retval": [chunk], "error": None},
                "device": {
                    "host": self.job.device_host,
                    "device_type": str(self.item["metadata"].get("device_type") or ""),
                },
                "command": self.item["command"].split("\n"),
                "offset": start,
                "next_offset": len(text),
                "last": final,
            },
        )


def webhook_spec(runner: JobRunner, job: Job) -> dict[str, Any] | None:
    """The job's webhook with its sealed parts opened; None without one."""
    return open_webhook(runner.box, dict(job.webhook)) if job.webhook else None


def run_detached(
    runner: JobRunner,
    job: Job,
    driver_cls: type[Driver],
    args: BaseConnectionArgs,
    token: CancelToken,
    limits: DetachedLimits,
) -> None:
    """Run the task's commands one after the other on a session of its own; end the job
    with the whole log as its one result item. Killed (the job canceled): the session is
    cut, the log it had is stored with the cancel."""
    from netweave.core.jobs.runner import as_list

    commands = as_list(job.request.get("command"))
    task_log = TaskLog(limits.max_log_chars)
    item: dict[str, Any] = {
        "command": "\n".join(commands),
        "stdout": "",
        "stderr": "",
        "exit_status": 0,
        "metadata": {
            **runner._metadata(job, args.host, args.port, 0.0, False),
            "detached": True,
            "device_type": args.device_type,
        },
        "parsed": None,
    }
    sync = _Sync(runner, job, task_log, item)
    started = time.perf_counter()
    error: dict[str, Any] | None = None
    sync.start()
    try:
        _stream(driver_cls, args, commands, task_log, runner._options(job), token)
    except DriverError as exc:
        error = {"type": exc.kind, "message": exc.message}
        if exc.cause:
            error["cause"] = exc.cause
    except Exception as exc:  # a bug in a driver must end the task, not hang it
        log.exception("detached task %s", job.id)
        error = {"type": "internal", "message": f"{type(exc).__name__}: {exc}"}
    finally:
        sync.stop()
    text, truncated = task_log.snapshot()
    final = sync.result_item(text, truncated)
    final["metadata"]["duration_seconds"] = round(time.perf_counter() - started, 4)
    if token.canceled:
        _acknowledge_kill(runner, job, final)
        return
    if error is not None:
        final["exit_status"] = 1
        result = {"type": FAILED, "retval": [final], "error": error}
        runner._finish(job, "failed", result, error)
        return
    runner._finish(job, "finished", {"type": OK, "retval": [final], "error": None}, None)


def _stream(
    driver_cls: type[Driver],
    args: BaseConnectionArgs,
    commands: list[str],
    task_log: TaskLog,
    options: dict[str, Any],
    token: CancelToken,
) -> None:
    session = driver_cls().connect(args)  # its own: never the pooled session
    try:
        with token.attached(session):  # a kill cuts it, wherever this runs
            for command in commands:
                token.check()
                session.stream_command(command, task_log.write, options)
    finally:
        if token.canceled:
            session.abort()
        else:
            session.close()


def _acknowledge_kill(runner: JobRunner, job: Job, item: dict[str, Any]) -> None:
    """Whoever ended the job (a kill, the reaper) wrote its end; the log it had is added
    while the row is still this worker's (a kill answers once it is there)."""
    with runner.sessions() as session, session.begin():
        row = session.get(Job, job.id, with_for_update=True)
        if row is None or row.worker != job.worker or row.status in ("queued", "started"):
            return
        session.execute(
            update(Job)
            .where(Job.id == job.id, Job.worker == job.worker, Job.status == row.status)
            .values(result={**(row.result or {"type": CANCELED}), "retval": [item]})
        )
