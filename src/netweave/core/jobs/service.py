"""Job use cases behind the NetPulse-compatible API."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from pydantic import ValidationError
from sqlalchemy import Engine, bindparam, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from netweave.core.access import object_rights
from netweave.core.access.principal import Principal
from netweave.core.access.scopes import ensure_allowed
from netweave.core.jobs.credential_refs import credential_key, inventory_index
from netweave.core.jobs.detached import OPERATION, admit, check_request
from netweave.core.jobs.housekeeping import Housekeeper
from netweave.core.jobs.reads import (
    ENDED,
    READ_COLUMNS,
    ended_read,
    expired,
    job_read,
    queued_read,
)
from netweave.core.jobs.runner import JobRunner, as_list
from netweave.core.jobs.schemas import (
    BulkFailure,
    BulkRequest,
    ExecRequest,
    JobRead,
    TestRequest,
    TestResponse,
    WorkerRead,
    _Common,
)
from netweave.core.jobs.targets import (
    InventoryIndex,
    Target,
    ensure_scope,
    ensure_server_files_allowed,
    resolve_target,
    seal,
)
from netweave.core.jobs.waiters import JobWaiters
from netweave.core.jobs.webhooks import WebhookSender, seal_webhook
from netweave.core.jobs.workers import find_workers
from netweave.core.jobs.writer import JOBS, JobWriter
from netweave.core.lazy_modules import templates
from netweave.db.async_reads import AsyncRowReader, ReadFailed
from netweave.db.engine import autocommit_reads
from netweave.db.models import Job, Role
from netweave.drivers.base import Driver, DriverError, registry
from netweave.executor import Executor, QueuedJob
from netweave.foundation.errors import Conflict, InvalidInput, NetWeaveError, NotFound
from netweave.foundation.secrets import SecretBox
from netweave.sessions import SessionPool

DEFAULT_RESULT_TTL = 1800
SHUTDOWN_CANCEL = "canceled: the process running it shut down before it ended"
INTERRUPTED_END_S = 3.0  # an interrupted job's thread records its end within this
TERMINAL = ENDED
RECHECK_S = 2.0  # a long poll re-reads its job this often even without a notice
CANCELABLE = ("queued", "started")
CANCELED = 3  # NetPulse's result type of a canceled job

log = logging.getLogger(__name__)
_BY_ID = select(*READ_COLUMNS).where(Job.id == bindparam("id"))  # one cached statement
_INSERT_JOB = insert(JOBS)  # Core: the ORM's bulk insert costs ~0.13 ms more a call


def _found(row: Any, job_id: str) -> JobRead:
    if row is None or expired(cast(Job, row)):
        raise NotFound(f"no job with id {job_id}", field="id")
    return job_read(cast(Job, row))


class JobService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        box: SecretBox,
        executor: Executor,
        pool: SessionPool,
    ) -> None:
        self.sessions = sessions
        self.engine: Engine = sessions.kw["bind"]
        self.box = box
        self.executor = executor
        self.pool = pool
        self.waiters = JobWaiters()
        self.writer = JobWriter(sessions, on_commit=self._committed_here)
        self.async_reads = AsyncRowReader.for_engine(self.engine, _BY_ID)  # the polls' read
        self.webhooks = WebhookSender()
        self.runner = JobRunner(sessions, box, pool, self.writer, self.webhooks)
        # A node missing for its heartbeat TTL plus one housekeeping round is lost.
        ttl = float(getattr(executor, "heartbeat_ttl", 10.0))
        self.housekeeper = Housekeeper(sessions, executor, grace=ttl + 2.0)
        self.listeners: list[Callable[[set[str]], None]] = []  # told of committed job ids
        self.started = False

    def _committed_here(
        self, job_ids: set[str], values: dict[str, dict[str, Any]] | None = None
    ) -> None:
        self._notify(job_ids, values)
        self.executor.announce(job_ids)  # waiters in other processes (rq)

    def _notify(self, job_ids: set[str], values: dict[str, dict[str, Any]] | None = None) -> None:
        self.waiters.changed(job_ids, values)  # a long poll answers from the values pushed
        for listener in self.listeners:
            listener(job_ids)

    def wait(self, job_id: str, timeout: float) -> JobRead:
        """Return once the job is terminal or ``timeout`` passes (long poll): woken when
        this job is committed, here or in another process, with a re-read every
        :data:`RECHECK_S` in case a notice from another process was lost."""
        key = job_id.removeprefix("task_")
        deadline = time.monotonic() + timeout
        while True:
            with self.waiters.watch(key) as changed:
                job = self.get(job_id)
                remaining = deadline - time.monotonic()
                if job.status in TERMINAL or remaining <= 0:
                    return job
                changed.wait(min(remaining, RECHECK_S))

    async def wait_async(self, job_id: str, timeout: float) -> JobRead:
        """:meth:`wait` on the caller's event loop: no thread is held while it waits
        (the reads, short, are :meth:`get_async`)."""
        key = job_id.removeprefix("task_")
        deadline = time.monotonic() + timeout
        while True:
            with self.waiters.watch_async(key) as waiter:
                job = await self.get_async(job_id)
                remaining = deadline - time.monotonic()
                if job.status in TERMINAL or remaining <= 0:
                    return job
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waiter.event.wait(), min(remaining, RECHECK_S))
                ended = ended_read(job, waiter.values)  # the writer's values: no re-read
                if ended is not None:
                    return ended

    # -- lifecycle --------------------------------------------------------------------
    def start(self, *, recover: bool = True) -> None:
        """``recover`` belongs to the server process (the controller): a CLI or a worker
        node sharing the database must not fail or re-run the server's jobs."""
        if self.started:
            return
        self.started = True
        self.writer.start()
        self.pool.start()
        self.listeners.append(self.runner.running.changed)  # a cancel noticed elsewhere
        self.runner.running.start()
        self.executor.start(self.runner)
        self.executor.subscribe(self._notify)
        if recover:
            self.executor.queue_was_lost()  # set the marker: this start recovers anyway
            self.housekeeper.counters.requeued += self.housekeeper.recover()
            self.housekeeper.start()

    def stop(self, grace: float = 10.0) -> None:
        """Queued jobs stay queued (the next start recovers them); running ones get
        ``grace`` seconds to end. Those still running then are canceled, their device
        sessions cut, and say so: no row is left ``started`` by a process that is gone."""
        if not self.started:
            return
        self.housekeeper.stop()
        self.executor.stop(timeout=grace)
        left = sorted(self.runner.running.running())
        if left:
            log.warning("shutdown: canceling %d job(s) still running", len(left))
            self.cancel_jobs(left, SHUTDOWN_CANCEL)
            deadline = time.monotonic() + INTERRUPTED_END_S  # their threads end once cut
            while self.runner.running.running() and time.monotonic() < deadline:
                time.sleep(0.05)
        self.runner.running.stop()
        self.writer.stop()
        self.webhooks.close()
        self.pool.close()
        self.started = False

    # -- submission -----------------------------------------------------------------------
    def _driver(self, name: str) -> type[Driver]:
        return registry.get(name, field="driver")

    def _prepare(self, request: _Common) -> dict[str, Any]:
        """The stored request: rendered operation, validated driver_args, no secrets.
        The driver's own driver_args are checked by its model; any other must be taken by
        the library call it goes to (``Driver.pass_through_driver_args``), else a 422."""
        driver = self._driver(request.driver)
        own_names = driver.driver_args.model_fields
        own = {k: v for k, v in request.driver_args.items() if k in own_names}
        library = {k: v for k, v in request.driver_args.items() if k not in own_names}
        try:
            options = driver.driver_args.model_validate(own)
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(p) for p in problem["loc"])
            raise InvalidInput(problem["msg"], field=f"driver_args.{where}") from exc
        driver.pass_through_driver_args(library)  # ArgumentRefused: a 422 naming the field
        check_request(request, driver, self.runner.detached)  # detach, push_interval
        for name in ("enable_mode", "save"):  # request-level options: honoured, or a 422
            if getattr(request, name) and not (
                name in driver.driver_args.model_fields or name in driver.implied_options
            ):
                raise InvalidInput(
                    f"{name}: the {driver.name} driver cannot honour it (no {name} there)",
                    field=name,
                )
        operation = "config" if request.config is not None else "command"
        lines = as_list(getattr(request, operation))
        if request.rendering is not None:
            template = request.rendering.template or "\n".join(lines)
            lines = as_list(
                templates().render(template, request.rendering.context, "rendering.template")
            )
        stored = request.model_dump(
            exclude={"connection_args", "devices", "credential", "rendering", "webhook", "retries"},
            exclude_none=True,
        )
        stored[operation] = lines
        stored.pop("config" if operation == "command" else "command", None)
        stored["driver_args"] = {**options.model_dump(exclude_unset=True), **library}
        return stored

    def _row(
        self,
        request: _Common,
        stored: dict[str, Any],
        target: Target,
        owner: int | None,
        now: datetime,
    ) -> dict[str, Any]:
        driver = self._driver(request.driver)
        strategy = request.queue_strategy or driver.default_queue_strategy
        queue = f"pinned:{target.host}:{target.port}" if strategy == "pinned" else "fifo"
        return {
            "id": str(uuid.uuid4()),
            "status": "queued",
            "queue": queue,
            "driver": request.driver,
            "operation": OPERATION  # a detached task
            if request.detach
            else "file_transfer"
            if stored.get("file_transfer")
            else ("config" if "config" in stored else "command"),
            "device_host": target.host,
            "device_port": target.port,
            "device_user": str(target.connection_args.get("username") or ""),
            "device_id": target.device_id,
            "credential_id": target.credential_id,
            "request": {**stored, "connection_args": target.connection_args},
            "secret_enc": seal(self.box, target.secrets),
            "webhook": self._sealed_webhook(request),
            "owner_id": owner or None,  # 0 = the CLI, no user row
            "ttl": request.ttl,
            "retries": request.retries,
            "execution_timeout": request.execution_timeout,
            "result_ttl": request.result_ttl or DEFAULT_RESULT_TTL,
            "created_at": now,
            "enqueued_at": now,
        }

    def _sealed_webhook(self, request: _Common) -> dict[str, Any] | None:
        """Webhook headers, cookies and auth often carry tokens: stored encrypted."""
        if request.webhook is None:
            return None
        return seal_webhook(self.box, request.webhook.model_dump(mode="json"))

    def submit_rows(self, rows: list[dict[str, Any]]) -> None:
        """Queue prepared job rows (service steps of a run): one insert, then the queue."""
        if not rows:
            return
        with self.sessions() as session, session.begin():
            session.execute(_INSERT_JOB, rows)
        self.executor.submit([QueuedJob.from_queue(row["id"], row["queue"]) for row in rows])

    def cancel_run(self, run_id: str) -> int:
        """Cancel every queued or running job of a run (a stop); how many were canceled."""
        with self.sessions() as session:
            ids = list(
                session.scalars(
                    select(Job.id).where(Job.run_id == run_id, Job.status.in_(CANCELABLE))
                )
            )
        return len(self.cancel_jobs(ids, "the run was stopped"))

    def cancel_jobs(self, job_ids: list[str], message: str) -> list[str]:
        """Queued or running → ``canceled`` (error type ``canceled``), each with one
        conditional UPDATE (a job ending meanwhile keeps its own end); then the processes
        running them are told (see ``cancellation``). The canceled ids."""
        if not job_ids:
            return []
        now = datetime.now(UTC)
        error = {"type": "canceled", "message": message}
        done: list[str] = []
        with self.sessions() as session, session.begin():
            ttls = dict(
                session.execute(select(Job.id, Job.result_ttl).where(Job.id.in_(job_ids))).all()
            )
            for job_id, ttl in ttls.items():
                changed = session.execute(
                    update(Job)
                    .where(Job.id == job_id, Job.status.in_(CANCELABLE))
                    .values(
                        status="canceled",
                        ended_at=now,
                        error=error,
                        result={"type": CANCELED, "retval": None, "error": error},
                        expires_at=now + timedelta(seconds=ttl or DEFAULT_RESULT_TTL),
                    )
                )
                if changed.rowcount:  # type: ignore[attr-defined]
                    done.append(job_id)
        for job_id in done:
            self.runner.running.cancel(job_id, message)  # runs here: interrupted at once
        if done:
            self._committed_here(set(done))  # waiters, run controllers, worker nodes
        return done

    def submit_exec(self, request: ExecRequest, principal: Principal) -> JobRead:
        driver = self._driver(request.driver)
        stored = self._prepare(request)
        with self.sessions() as session, session.begin():
            index = _index(session, [request.connection_args], request, self.box)
            target = resolve_target(
                request.connection_args, _cred(request), index, "connection_args", driver
            )
            _ensure_allowed(session, principal, [target], "connection_args.host")
            ensure_scope(session, target, "connection_args.host")  # credential scopes
            admit(session, 1 if request.detach else 0, self.runner.detached)  # 429 when full
            row = self._row(request, stored, target, principal.user_id, datetime.now(UTC))
            session.execute(_INSERT_JOB, [row])
        read = queued_read(row)
        self.executor.submit([QueuedJob.from_queue(row["id"], row["queue"])])
        return read

    def submit_bulk(
        self, request: BulkRequest, principal: Principal
    ) -> tuple[list[JobRead], list[BulkFailure]]:
        """Every device becomes one queued job, in one transaction; a bad device entry is
        reported in ``failed`` and never blocks the others. No capacity limit: it queues.
        An extra argument of the shared ``connection_args`` the driver refuses is a 422."""
        driver = self._driver(request.driver)
        stored = self._prepare(request)
        shared = request.connection_args
        device_type = shared.get("device_type")
        driver.pass_through_connection_args(
            {k: v for k, v in shared.items() if k not in driver.connection_args.model_fields},
            device_type if isinstance(device_type, str) else None,
            "connection_args",
        )
        now = datetime.now(UTC)
        rows: list[dict[str, Any]] = []
        targets: list[Target] = []
        failed: list[BulkFailure] = []
        merged = [{**request.connection_args, **entry} for entry in request.devices]
        with self.sessions() as session, session.begin():
            index = _index(session, merged, request, self.box)
            for position, args in enumerate(merged):
                try:
                    target = resolve_target(
                        args, _cred(request), index, f"devices[{position}]", driver
                    )
                    ensure_scope(session, target, f"devices[{position}].host")
                except NetWeaveError as exc:
                    failed.append(
                        BulkFailure(host=str(args.get("host", "")), reason=exc.to_detail())
                    )
                    continue
                targets.append(target)
                rows.append(self._row(request, stored, target, principal.user_id, now))
            _ensure_allowed(session, principal, targets, "devices")
            admit(session, len(rows) if request.detach else 0, self.runner.detached)
            if rows:
                session.execute(_INSERT_JOB, rows)
        reads = [queued_read(row) for row in rows]
        self.executor.submit([QueuedJob.from_queue(row["id"], row["queue"]) for row in rows])
        return reads, failed

    def test_connection(
        self, request: TestRequest, principal: Principal | None = None
    ) -> TestResponse:
        driver_cls = self._driver(request.driver)
        with self.sessions() as session:
            index = _index(session, [request.connection_args], request, self.box)
            target = resolve_target(
                request.connection_args, _cred(request), index, "connection_args", driver_cls
            )
            if principal is not None:
                _ensure_allowed(session, principal, [target], "connection_args.host")
            ensure_scope(session, target, "connection_args.host")  # credential scopes
            fake = Job(
                request={"connection_args": target.connection_args},
                credential_id=target.credential_id,
                device_id=target.device_id,
                secret_enc=seal(self.box, target.secrets),
            )
            from netweave.core.jobs.targets import live_connection_args

            args = live_connection_args(session, self.box, fake, driver_cls)
        started = time.perf_counter()
        try:
            live = driver_cls().connect(args)
        except DriverError as exc:
            return TestResponse(
                success=False,
                latency=None,
                error=f"{exc.kind}: {exc.message}",
                host=args.host,
                driver=request.driver,
                timestamp=datetime.now(UTC),
            )
        latency = time.perf_counter() - started
        info = dict(live.info)
        live.close()
        return TestResponse(
            success=True,
            latency=round(latency, 4),
            error=None,
            host=args.host,
            driver=request.driver,
            timestamp=datetime.now(UTC),
            result=info,
        )

    # -- queries ------------------------------------------------------------------------
    def get(self, job_id: str) -> JobRead:
        """The columns a :class:`JobRead` needs, read without the ORM's object loading or
        a transaction (the hot path of every long poll and ``GET /jobs/{id}``)."""
        with autocommit_reads(self.engine) as connection:
            key = job_id.removeprefix("task_")  # task_: discover_jobs
            return _found(connection.execute(_BY_ID, {"id": key}).one_or_none(), job_id)

    async def get_async(self, job_id: str) -> JobRead:
        """:meth:`get` from an event loop: on the loop's own asyncio connections where it
        has them (PostgreSQL, in the API's lifespan), else in its thread pool."""
        if self.async_reads is not None:
            key = job_id.removeprefix("task_")
            try:
                row = await self.async_reads.fetch_one({"id": key})
            except ReadFailed:
                pass  # the engine's read says what is wrong, or succeeds on a new connection
            else:
                return _found(row, job_id)
        return await asyncio.to_thread(self.get, job_id)

    def list_jobs(
        self,
        *,
        status: str | None = None,
        queue: str | None = None,
        node: str | None = None,
        host: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[JobRead]:
        query = select(Job).order_by(Job.created_at.desc()).limit(limit).offset(offset)
        if status:
            query = query.where(Job.status == status)
        if queue:
            query = query.where(Job.queue == queue)
        if node:  # a node's workers: "<node>.<n>" on worker nodes, "<node>-local-<n>" in the server
            query = query.where(
                (Job.worker == node)
                | Job.worker.startswith(f"{node}.", autoescape=True)
                | Job.worker.startswith(f"{node}-local-", autoescape=True)
            )
        if host:
            query = query.where(Job.device_host == host)
        now = datetime.now(UTC)
        query = query.where((Job.expires_at.is_(None)) | (Job.expires_at > now))
        with self.sessions() as session:
            return [job_read(job) for job in session.scalars(query)]

    def cancel(self, job_id: str) -> JobRead:
        """Cancel a queued job (it never runs) or a running one: its device session is
        aborted within about a second, wherever it runs, and discarded; the job ends
        ``canceled`` with error type ``canceled``. A job already ended is a 422."""
        with self.sessions() as session:
            job = session.get(Job, job_id)
            if job is None or expired(job):
                raise NotFound(f"no job with id {job_id}", field="id")
            status = job.status
        if status not in CANCELABLE or not self.cancel_jobs([job_id], "canceled by request"):
            ended = self.get(job_id).status if status in CANCELABLE else status
            raise InvalidInput(
                f"job is {ended}; only queued or running jobs can be canceled", field="id"
            )
        return self.get(job_id)

    def cancel_many(self, *, queue: str | None = None, host: str | None = None) -> list[str]:
        """Cancel every queued job, of one queue and/or one device address."""
        with self.sessions() as session, session.begin():
            query = select(Job).where(Job.status == "queued")
            if queue:
                query = query.where(Job.queue == queue)
            if host:
                query = query.where(Job.device_host == host)
            ids = []
            for job in session.scalars(query):
                job.status, job.ended_at = "canceled", datetime.now(UTC)
                job.result = {
                    "type": 3,
                    "retval": None,
                    "error": {"type": "canceled", "message": "canceled by request"},
                }
                ids.append(job.id)
            return ids

    def workers(
        self, *, queue: str | None = None, node: str | None = None, host: str | None = None
    ) -> list[WorkerRead]:
        return [
            WorkerRead(
                name=w.name,
                status=w.state,
                pid=w.pid,
                hostname=w.hostname,
                queues=w.queues,
                current_job=w.current_job,
                birth_at=w.birth,
                last_heartbeat=w.last_heartbeat,
                successful_job_count=w.successful_jobs,
                failed_job_count=w.failed_jobs,
            )
            for w in find_workers(self.executor, queue=queue, node=node, host=host)
        ]

    def stop_worker(self, name: str) -> str:
        """Drain and stop a worker node (by node or worker name)."""
        if self.executor.alive_nodes() is None:
            raise Conflict(
                "the local executor's workers live in the server; stop the server instead",
                field="name",
            )
        if not self.executor.stop_node(name):
            raise NotFound(f"no live worker node named {name!r}", field="name")
        return name

    def stats(self) -> dict[str, Any]:
        with self.sessions() as session:
            by_status = dict(
                session.execute(select(Job.status, func.count()).group_by(Job.status)).all()
            )
        workers = self.executor.workers()
        nodes = self.executor.nodes()
        return {
            "executor": self.executor.name,
            "placement": getattr(self.executor, "placement", None),
            "workers": {"total": len(workers), "busy": sum(w.state == "busy" for w in workers)},
            "nodes": None if nodes is None else [asdict(node) for node in nodes],
            "queue_depth": self.executor.queue_depth(),
            "jobs": by_status,
            "sessions": self.pool.stats(),
            "self_healing": asdict(self.housekeeper.counters),
            "webhooks": {"delivered": self.webhooks.delivered, "failed": self.webhooks.failed},
        }


def _ensure_allowed(
    session: Session, principal: Principal, targets: list[Target], field: str
) -> None:
    """A user restricted to pools acts only on their devices (inventory names, or an
    address + port of one of them); options that read server files are for admins."""
    admin = principal.has_role(Role.admin)
    for target in targets:
        ensure_server_files_allowed(admin, target, field)
    ensure_allowed(
        session,
        None if admin else principal.username,  # an admin is never fenced: no queries
        device_ids=[t.device_id for t in targets if t.device_id is not None],
        addresses=[(t.host, t.port) for t in targets if t.device_id is None],
        field=field,
    )
    object_rights.ensure_credentials(  # a restricted credential needs its use right
        session, principal.username, [t.credential_id for t in targets], "credential"
    )


def _cred(request: _Common | TestRequest) -> str | None:
    return credential_key(request.credential)


def _index(
    session: Session,
    args_list: list[dict[str, Any]],
    request: _Common | TestRequest,
    box: SecretBox,
) -> InventoryIndex:
    names = {str(a.get("host")) for a in args_list if a.get("host")}
    return inventory_index(session, names, request.credential, box)  # vault_kv refs too
