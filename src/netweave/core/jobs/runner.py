"""Runs one job on a pooled session and records the outcome (worker side)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from netweave.core.jobs import file_transfer
from netweave.core.jobs.cancellation import RunningJobs
from netweave.core.jobs.detached import OPERATION, DetachedLimits
from netweave.core.jobs.detached_run import run_detached
from netweave.core.jobs.housekeeping import aware
from netweave.core.jobs.staging import Staging
from netweave.core.jobs.targets import live_connection_args
from netweave.core.jobs.webhooks import WebhookSender, netpulse_body, open_webhook
from netweave.core.jobs.writer import JOBS, JobWriter
from netweave.core.lazy_modules import templates
from netweave.db import errors as db_errors
from netweave.db.models import Job
from netweave.drivers.base import CommandOutput, ConfigOutcome, DriverError, DriverSession, registry
from netweave.foundation.errors import NetWeaveError
from netweave.foundation.secrets import SecretBox
from netweave.foundation.vault import VaultError
from netweave.sessions import SessionPool
from netweave.sessions.cancel import CancelToken
from netweave.sessions.cancel import current as current_token

# queued → started, atomically, returning the row: one prepared statement per claim
CLAIM = (
    update(JOBS)
    .where(JOBS.c.id == bindparam("job_id"), JOBS.c.status == "queued")
    .values(
        status="started",
        started_at=bindparam("now", type_=JOBS.c.started_at.type),
        worker=bindparam("me"),
        attempts=JOBS.c.attempts + 1,
    )
    .returning(*JOBS.c)
)
_COLUMNS = [(attr.key, attr.columns[0].name) for attr in sa_inspect(Job).column_attrs]
log = logging.getLogger(__name__)
OK, FAILED, CANCELED = 1, 2, 3
# A service step's outcome: job status, job result, job error, rows to commit with it.
StepOutcome = tuple[str, dict[str, Any], dict[str, Any] | None, list[Any]]


def as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [line for line in value.splitlines() if line.strip()] or [value]
    return [str(v) for v in value]


class JobRunner:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        box: SecretBox,
        pool: SessionPool,
        writer: JobWriter,
        webhooks: WebhookSender,
    ) -> None:
        self.sessions = sessions
        self.box = box
        self.pool = pool
        self.writer = writer
        self.webhooks = webhooks
        self.running = RunningJobs(sessions)  # what a cancel interrupts here
        self.detached = DetachedLimits()  # set from the settings by the runtime
        # Runs a service step (operation "service"): wired by the runtime.
        self.services: Callable[[Job], StepOutcome] | None
        self.services = None
        self.staging: Staging | None = None  # file transfers' staged files: wired likewise

    def __call__(self, job_id: str) -> None:
        """Run one job. A database that is restarting or unreachable is waited for before
        any device work: the job stays queued in SQL (or claimed by this thread) meanwhile,
        never dropped by the worker that took it off the queue."""
        delay, resuming = 0.5, False
        while True:
            try:
                self._run(job_id, resuming)
                return
            except DBAPIError as exc:
                if not db_errors.transient(exc):
                    raise
                log.warning(
                    "job %s waits for the database, retry in %.1f s: %s",
                    job_id,
                    delay,
                    db_errors.describe(exc),
                )
            time.sleep(delay)
            delay, resuming = min(delay * 2, 5.0), True

    def _run(self, job_id: str, resuming: bool) -> None:
        """``resuming``: an earlier try of this same call may have claimed the job already.
        Once claimed, the job runs under a cancel token (see ``cancellation``)."""
        me = threading.current_thread().name
        token = CancelToken(job_id)  # followed once the job is claimed
        try:
            with token.active():
                self._claimed(job_id, resuming, me, token)
        finally:
            self.running.end(job_id)

    def _claimed(self, job_id: str, resuming: bool, me: str, token: CancelToken) -> None:
        with self.sessions() as session:
            job, fresh = self._take(session, job_id, resuming, me)
            if job is None:
                return  # canceled, or another worker (or process) got it first
            enqueued = job.enqueued_at or job.created_at
            waited = aware(job.started_at or enqueued) - aware(enqueued)
            if fresh and waited.total_seconds() > job.ttl:
                self._finish(
                    job,
                    "failed",
                    None,
                    {
                        "type": "ttl_expired",
                        "message": f"waited in the queue longer than its ttl ({job.ttl} s)",
                    },
                )
                return
            self.running.begin(job.id, me, token)
            if job.operation == "service":
                if job in session:
                    session.expunge(job)  # the step runner opens its own sessions
            else:
                try:
                    driver_cls = registry.get(job.driver)
                    args = live_connection_args(session, self.box, job, driver_cls)
                    if job.execution_timeout:  # logging in is bounded by it too
                        args.timeout = min(args.timeout, job.execution_timeout)
                except NetWeaveError as exc:
                    kind = "credential_error" if isinstance(exc, VaultError) else "invalid_request"
                    self._finish(job, "failed", None, {"type": kind, "message": exc.to_detail()})
                    return
                request = job.request
        if job.operation == "service":
            self._service_step(job, token)
            return
        try:
            if job.operation == OPERATION:  # a detached task: a session of its own
                run_detached(self, job, driver_cls, args, token, self.detached)
            elif job.operation == "file_transfer":
                file_transfer.run(self, job, driver_cls, args)
            elif job.operation == "config":
                outcome, reused = self.pool.run(
                    driver_cls(),
                    args,
                    lambda s: s.push_config(as_list(request.get("config")), self._options(job)),
                    retry_on_dead_session=False,
                )
                self._config_result(job, args.host, args.port, outcome, reused)
            else:
                commands = as_list(request.get("command"))
                outputs, reused = self.pool.run(
                    driver_cls(),
                    args,
                    lambda s: self._commands(s, commands, job),
                    retry_on_dead_session=True,
                )
                self._command_result(job, args.host, args.port, outputs, reused)
        except DriverError as exc:  # type: NetPulse's error type; cause: what happened
            error = {"type": exc.kind, "message": exc.message}
            if exc.cause:
                error["cause"] = exc.cause
            self._finish(job, "failed", None, error)
        except Exception as exc:  # a bug in a driver must end the job, not hang it
            log.exception("job %s", job.id)
            self._finish(
                job, "failed", None, {"type": "internal", "message": f"{type(exc).__name__}: {exc}"}
            )

    def _service_step(self, job: Job, token: CancelToken) -> None:
        error: dict[str, Any] | None
        if self.services is None:
            error = {"type": "internal", "message": "this process cannot run services"}
            self._finish(job, "failed", None, error)
            return
        rows: list[Any] = []
        try:
            status, result, error, rows = self.services(job)
        except Exception as exc:  # storing the result failed (database gone): fail the job
            log.exception("service step %s", job.id)
            error = {"type": "internal", "message": f"{type(exc).__name__}: {exc}"}
            status, result = "failed", {"type": FAILED, "retval": None, "error": error}
        if token.canceled:
            self._acknowledge_cancel(job, result, rows)
            return
        self._finish(job, status, result, error, rows)

    def _acknowledge_cancel(self, job: Job, result: dict[str, Any], rows: list[Any]) -> None:
        """A canceled step stays ``canceled``; its result rows (what it did before the stop,
        its attempts) are stored with the job's step marker, while the row is still this
        worker's (the run controller stops waiting for them after a grace and then takes
        the job from the worker: a late acknowledgment then stores nothing)."""
        marker = {**result, "type": CANCELED}
        try:
            with self.sessions() as session, session.begin():
                applied = session.execute(
                    update(Job)
                    .where(Job.id == job.id, Job.status == "canceled", Job.worker == job.worker)
                    .values(result=marker)
                )
                if applied.rowcount and rows:  # type: ignore[attr-defined]
                    session.add_all(rows)
        except DBAPIError as exc:  # the controller records the stop itself after its grace
            log.warning("job %s: cancel not acknowledged: %s", job.id, db_errors.describe(exc))

    def _take(
        self, session: Session, job_id: str, resuming: bool, me: str
    ) -> tuple[Job | None, bool]:
        """The job this thread now holds, and whether it was just claimed (queued →
        started in one ``UPDATE ... RETURNING``: exactly one worker gets it); None when it
        is not queued (canceled, or taken elsewhere). ``resuming``: an earlier try of this
        call may hold it already. A claimed job is a transient object (no ORM load)."""
        if resuming:
            held = session.get(Job, job_id)
            if held is not None and held.status == "started" and held.worker == me:
                return held, False
        now = datetime.now(UTC)
        row = session.execute(CLAIM, {"job_id": job_id, "now": now, "me": me}).first()
        session.commit()
        if row is None:
            return None, False
        return Job(**{key: row._mapping[column] for key, column in _COLUMNS}), True

    def _options(self, job: Job) -> dict[str, Any]:
        options = dict(job.request.get("driver_args") or {})
        for key in ("enable_mode", "save"):
            if job.request.get(key) is not None:
                options[key] = job.request[key]
        if job.execution_timeout:
            options.setdefault("read_timeout", job.execution_timeout)
        return options

    def _commands(
        self, session: DriverSession, commands: list[str], job: Job
    ) -> list[CommandOutput]:
        return session.run_commands(commands, self._options(job))

    def _metadata(
        self, job: Job, host: str, port: int, duration: float, reused: bool
    ) -> dict[str, Any]:
        return {
            "host": host,
            "port": port,
            "device": job.request.get("connection_args", {}).get("name") or host,
            "driver": job.driver,
            "duration_seconds": round(duration, 4),
            "session_reused": reused,
        }

    def _command_result(
        self, job: Job, host: str, port: int, outputs: list[CommandOutput], reused: bool
    ) -> None:
        parsing = job.request.get("parsing")
        platform = job.request.get("connection_args", {}).get("device_type")
        items = []
        for output in outputs:
            parsed = output.parsed  # structured already (NAPALM getters)
            if parsing:
                try:
                    parsed = templates().parse_spec(
                        output.stdout, parsing, platform=platform, command=output.command
                    )
                except NetWeaveError as exc:
                    parsed = {"error": exc.to_detail()}
            items.append(
                {
                    "command": output.command,
                    "stdout": output.stdout,
                    "stderr": output.stderr,
                    "exit_status": output.exit_status,
                    "metadata": self._metadata(job, host, port, output.duration_seconds, reused),
                    "parsed": parsed,
                }
            )
        self._finish(job, "finished", {"type": OK, "retval": items, "error": None}, None)

    def _config_result(
        self, job: Job, host: str, port: int, outcome: ConfigOutcome, reused: bool
    ) -> None:
        metadata = self._metadata(job, host, port, outcome.duration_seconds, reused)
        metadata.update(
            diff=outcome.diff,
            committed=outcome.committed,
            applied=outcome.applied,
            failed_line=outcome.failed_line,
            skipped=outcome.skipped,
            saved=outcome.saved,
        )
        item = {
            "command": "\n".join(as_list(job.request.get("config"))),
            "stdout": outcome.output,
            "stderr": outcome.error or "",
            "exit_status": 0 if outcome.ok else 1,
            "metadata": metadata,
            "parsed": None,
        }
        if outcome.ok:
            self._finish(job, "finished", {"type": OK, "retval": [item], "error": None}, None)
        else:
            error = {
                "type": "config_error",
                "message": f"rejected line {outcome.failed_line!r}; "
                f"{len(outcome.skipped)} line(s) skipped, nothing saved",
            }
            self._finish(job, "failed", {"type": FAILED, "retval": [item], "error": error}, error)

    def _finish(
        self,
        job: Job,
        status: str,
        result: dict[str, Any] | None,
        error: dict[str, Any] | None,
        insert: list[Any] | None = None,
    ) -> None:
        token = current_token()
        if token is not None and token.canceled:
            return  # the canceller wrote the job's end (and no webhook tells otherwise)
        ended = datetime.now(UTC)
        if result is None:
            result = {"type": FAILED, "retval": None, "error": error}
        start: dict[str, Any] = {}
        if job.status == "started":  # written again with the end: a long poll's answer
            start = {"started_at": job.started_at, "worker": job.worker}
        self.writer.update(
            job.id,
            expect_worker=job.worker if job.status == "started" else None,
            insert=insert,
            status=status,
            ended_at=ended,
            result=result,
            error=error,
            expires_at=ended + timedelta(seconds=job.result_ttl),
            **start,
        )
        if job.webhook:
            spec = open_webhook(self.box, dict(job.webhook))
            self.webhooks.send(spec, netpulse_body(job.id, status, result, job.request))


def elapsed(start: float) -> float:
    return time.perf_counter() - start
