"""Run use cases: start a service or workflow on targets, wait, stop, restart from a step,
list runs and results, compare two results, and stream a run's events."""

from __future__ import annotations

import difflib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from netweave.core.access import object_rights
from netweave.core.access.object_schemas import Right
from netweave.core.access.scopes import ensure_allowed
from netweave.core.access.users import is_admin
from netweave.core.automation import definitions, reports
from netweave.core.automation.catalog import ServiceCatalog
from netweave.core.automation.controller import RunController, mark
from netweave.core.automation.notify import Notifier
from netweave.core.automation.run_reads import result_read, run_read
from netweave.core.automation.run_rights import (
    ensure_may_run,
    ensure_run_reachable,
    ensure_target_credentials,
)
from netweave.core.automation.schemas import (
    RestartRequest,
    ResultDiff,
    ResultRead,
    RunRead,
    RunRequest,
    ServiceOptions,
    TargetSpec,
)
from netweave.core.automation.takeover import LEASE, RunTakeover
from netweave.core.automation.targets import resolve_targets
from netweave.core.jobs.service import JobService
from netweave.core.text_filter import match_text
from netweave.db.models import Automation, Credential, Device, Result, Run
from netweave.engine import END, START, Edge, Graph, Node, flatten
from netweave.foundation.errors import Conflict, InvalidInput, NotFound

log = logging.getLogger(__name__)
ACTIVE = ("queued", "running", "stopping")
FINAL = ("success", "failure", "stopped", "error", "interrupted")


class RunService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        jobs: JobService,
        catalog: ServiceCatalog,
        notifier: Notifier,
        lease: timedelta = LEASE,
    ) -> None:
        self.sessions = sessions
        self.lease = lease
        self.jobs = jobs
        self.catalog = catalog
        self.notifier = notifier
        self.process = f"{uuid.uuid4().hex[:12]}"
        self._controllers: dict[str, RunController] = {}
        self._lock = threading.Lock()
        self._ended = threading.Condition()
        self.takeover = RunTakeover(self)
        jobs.listeners.append(self._jobs_changed)

    # -- lifecycle ------------------------------------------------------------------------
    def recover(self) -> int:
        """Take over, now, the runs whose process stopped renewing their lease: each is
        resumed, finished as stopped or ends ``interrupted`` (see ``takeover``)."""
        return self.takeover.tick()

    def watch(self) -> None:
        """Keep taking over orphaned runs every few seconds (servers)."""
        self.takeover.start()

    def close(self) -> None:
        """This process leaves: its controllers let go of their runs (lease released), so
        another server — or this one restarted — takes them over at once."""
        self.takeover.stop()
        with self._lock:
            controllers = list(self._controllers.values())
        for controller in controllers:
            controller.release()
        for controller in controllers:
            controller.join(timeout=10)

    def drives(self, run_id: str) -> bool:
        with self._lock:
            return run_id in self._controllers

    def resume(self, run_id: str) -> None:
        """Drive a run taken over from another process (its lease is ours)."""
        self._start(run_id, resume=True)

    def _jobs_changed(self, job_ids: set[str]) -> None:
        with self._lock:
            controllers = list(self._controllers.values())
        for controller in controllers:
            controller.jobs_changed(job_ids)

    # -- start -----------------------------------------------------------------------------
    def launch(
        self,
        name: str,
        request: RunRequest,
        creator: str,
        *,
        trigger: str = "api",
        acting_user: str | None = None,
    ) -> RunRead:
        """``acting_user``: whose pool restriction and role apply (None: the system's run).
        Only an admin overrides the inputs of a service of a privileged type."""
        with self.sessions() as session, session.begin():
            run_id = self.prepare(
                session, name, request, creator, trigger=trigger, acting_user=acting_user
            )
        self._start(run_id)
        return self.wait(run_id, request.wait) if request.wait else self.get(run_id)

    def prepare(
        self,
        session: Session,
        name: str,
        request: RunRequest,
        creator: str,
        *,
        trigger: str,
        acting_user: str | None,
        check: Callable[[Session, dict[str, Any]], None] | None = None,
    ) -> str:
        """The run's row (definition, targets, mode) added to ``session``; :meth:`start` it
        once committed. ``check`` may refuse the definition before anything is stored."""
        automation = definitions.by_name(session, name)
        if automation.kind == "service" and request.inputs:
            self.catalog.ensure_may_author(
                session,
                automation.type,
                admin=is_admin(session, acting_user),
                action="run it with other inputs (run the saved service as it is)",
                field="inputs",
            )
        options = ServiceOptions.model_validate(automation.options or {})
        definition = self._definition(session, automation, request.inputs)
        if check is not None:
            check(session, definition)
        spec = request.targets or options.targets
        devices = resolve_targets(session, spec, actor=acting_user)
        ensure_allowed(session, acting_user, device_ids=[d.id for d in devices])
        ensure_may_run(session, acting_user, automation, definition, devices)
        if automation.kind == "service":
            step = next(iter(definition["steps"].values()))
            method = options.run_method or ("per_device" if step["per_device"] else "once")
            mode = "per_device" if method == "per_device" else "per_run"
            if method == "per_device" and not devices:
                raise InvalidInput("no target devices", field="targets")
        else:
            mode = request.mode or options.mode
            if not devices:
                raise InvalidInput("no target devices", field="targets")
        if options.max_runs:
            definition["max_runs"] = options.max_runs  # admitted by the controller
        run = Run(
            id=str(uuid.uuid4()),
            automation_id=automation.id,
            name=automation.name,
            kind=automation.kind,
            status="queued" if options.max_runs else "running",
            mode=mode,
            definition=definition,
            targets=[_target(d) for d in devices],
            variables=request.variables,
            trigger=trigger,
            creator=creator,
            summary={},
            process=self.process,
            started_at=None if options.max_runs else datetime.now(UTC),
            heartbeat_at=datetime.now(UTC),
        )
        session.add(run)
        return run.id

    def launch_type(
        self,
        type_name: str,
        inputs: dict[str, Any],
        targets: TargetSpec,
        creator: str,
        *,
        wait: float = 0,
        label: str | None = None,
        trigger: str = "device",
        acting_user: str | None = None,
    ) -> RunRead:
        """An ad-hoc run of a service type on devices (the device page's backup, push and
        rollback): no stored service needed."""
        with self.sessions() as session, session.begin():
            kind = self.catalog.get(session, type_name, usable=True)
            self.catalog.ensure_may_author(
                session, type_name, admin=is_admin(session, acting_user), action="run it ad hoc"
            )
            inputs = self.catalog.prepare_inputs(session, type_name, inputs)
            devices = resolve_targets(session, targets, actor=acting_user)
            ensure_allowed(session, acting_user, device_ids=[d.id for d in devices])
            object_rights.ensure_credentials(
                session, acting_user, [d.credential_id for d in devices], "targets"
            )
            if kind.per_device and not devices:
                raise InvalidInput("no target devices", field="targets")
            name = label or kind.title or type_name
            step = {
                "service": name,
                "type": type_name,
                "inputs": inputs,
                "options": ServiceOptions().model_dump(
                    mode="json", exclude={"targets", "notification", "report", "max_runs"}
                ),
                "per_device": kind.per_device,
                "driver": kind.driver,
                "credential_id": None,
            }
            graph = Graph({"main": Node("main", name)}, [Edge(START, "main"), Edge("main", END)])
            run = Run(
                id=str(uuid.uuid4()),
                automation_id=None,
                name=name,
                kind="service",
                status="running",
                mode="per_device" if kind.per_device else "per_run",
                definition={"graph": graph.to_dict(), "steps": {"main": step}},
                targets=[_target(d) for d in devices],
                variables={},
                trigger=trigger,
                creator=creator,
                summary={},
                process=self.process,
                started_at=datetime.now(UTC),
                heartbeat_at=datetime.now(UTC),
            )
            session.add(run)
            run_id = run.id
        self._start(run_id)
        return self.wait(run_id, wait) if wait else self.get(run_id)

    def _definition(
        self, session: Session, automation: Automation, overrides: dict[str, Any]
    ) -> dict[str, Any]:
        """The flattened graph and a snapshot of every step's service (edits made while it
        runs do not change a run)."""
        if automation.kind == "service":
            inputs = {**automation.inputs, **overrides}
            if overrides:  # checked, and sealed where secret (the run stores its inputs)
                inputs = self.catalog.prepare_inputs(
                    session, automation.type, inputs, automation.inputs
                )
            graph = Graph(
                {"main": Node("main", automation.name)}, [Edge(START, "main"), Edge("main", END)]
            )
            return {
                "graph": graph.to_dict(),
                "steps": {"main": self._step(session, automation, inputs)},
            }
        if overrides:
            raise InvalidInput("a workflow takes variables, not inputs", field="inputs")

        def resolve(name: str) -> Graph:
            return Graph.from_dict(definitions.by_name(session, name, "workflow").graph or {})

        try:
            flat = flatten(
                Graph.from_dict(automation.graph or {}), resolve, seen=(automation.name,)
            )
        except ValueError as exc:
            raise InvalidInput(str(exc), field="graph") from exc
        steps = {}
        for node in flat.nodes.values():
            service = definitions.by_name(session, node.ref, "service")
            steps[node.id] = self._step(session, service, service.inputs)
        return {"graph": flat.to_dict(), "steps": steps}

    def _step(
        self, session: Session, service: Automation, inputs: dict[str, Any]
    ) -> dict[str, Any]:
        kind = self.catalog.get(session, service.type, usable=True)
        options = ServiceOptions.model_validate(service.options or {})
        credential_id = None
        if options.credential:
            credential_id = session.scalar(
                select(Credential.id).where(Credential.name == options.credential)
            )
            if credential_id is None:
                raise NotFound(
                    f"service {service.name!r}: no credential named {options.credential!r}",
                    field="options.credential",
                )
        return {
            "service": service.name,
            "type": service.type,
            "inputs": inputs,
            "options": options.model_dump(
                mode="json", exclude={"targets", "notification", "report", "max_runs"}
            ),
            "per_device": kind.per_device
            if options.run_method is None
            else options.run_method == "per_device",
            "driver": kind.driver,
            "credential_id": credential_id,
        }

    def start(self, run_id: str) -> None:
        """Drive a run :meth:`prepare` stored."""
        self._start(run_id)

    def _start(self, run_id: str, *, resume: bool = False) -> None:
        controller = RunController(self, run_id, resume=resume)
        with self._lock:
            if run_id in self._controllers:
                return
            self._controllers[run_id] = controller
        controller.start()

    def restart(
        self,
        run_id: str,
        request: RestartRequest,
        creator: str,
        *,
        acting_user: str | None = None,
    ) -> RunRead:
        """A new run of the same definition starting at ``start_at``, with the earlier run's
        results copied in (steps read them as payload)."""
        with self.sessions() as session, session.begin():
            parent = self._run(session, run_id, acting_user, "run")
            if parent.status in ACTIVE:
                raise Conflict("the run is still going; stop it first", field="id")
            nodes = {n["id"] for n in parent.definition["graph"]["nodes"]}
            if request.start_at not in nodes:
                raise InvalidInput(
                    f"no step {request.start_at!r}; one of {', '.join(sorted(nodes))}",
                    field="start_at",
                )
            targets = parent.targets
            if request.targets is not None:
                devices = resolve_targets(session, request.targets, actor=acting_user)
                targets = [_target(d) for d in devices]
            ensure_allowed(session, acting_user, device_ids=[t["id"] for t in targets])
            ensure_target_credentials(session, acting_user, parent.definition, targets)
            run = Run(
                id=str(uuid.uuid4()),
                automation_id=parent.automation_id,
                name=parent.name,
                kind=parent.kind,
                status="running",
                mode=parent.mode,
                definition=parent.definition,
                targets=targets,
                variables=parent.variables,
                trigger="restart",
                creator=creator,
                parent_id=parent.id,
                start_at=request.start_at,
                summary={},
                process=self.process,
                started_at=datetime.now(UTC),
                heartbeat_at=datetime.now(UTC),
            )
            session.add(run)
            session.flush()
            for row in session.scalars(select(Result).where(Result.run_id == parent.id)):
                session.add(
                    Result(
                        run_id=run.id,
                        step=row.step,
                        service=row.service,
                        device_id=row.device_id,
                        device_name=row.device_name,
                        success=row.success,
                        result=row.result,
                        variables=row.variables,
                        logs=row.logs,
                        attempts=row.attempts,
                        job_id=row.job_id,
                        copied=True,
                        started_at=row.started_at,
                        ended_at=row.ended_at,
                    )
                )
            new_id = run.id
        self._start(new_id)
        return self.wait(new_id, request.wait) if request.wait else self.get(new_id)

    # -- controller callbacks ----------------------------------------------------------
    def beat(self, run_id: str, summary: dict[str, Any]) -> bool:
        """Renew the run's lease (with its live summary); False: another process has it."""
        return mark(
            self.sessions,
            run_id,
            holder=self.process,
            heartbeat_at=datetime.now(UTC),
            summary=summary,
        )

    def release(self, run_id: str) -> None:
        """Give the run's lease up now (this process leaves): the next look takes it."""
        mark(self.sessions, run_id, holder=self.process, heartbeat_at=None)

    def finish(self, run_id: str, status: str, summary: dict[str, Any], error: str | None) -> None:
        """End the run, unless another process took it over meanwhile."""
        summary = reports.with_report(self.sessions, run_id, status, summary)  # if declared
        with self.sessions() as session, session.begin():
            run = session.get(Run, run_id)
            if run is None or run.process != self.process or run.status in FINAL:
                return
            run.status, run.ended_at, run.error = status, datetime.now(UTC), error
            if summary:
                run.summary = summary
            options = {}
            if run.automation_id is not None:
                automation = session.get(Automation, run.automation_id)
                options = (automation.options if automation else {}) or {}
            read = run_read(run)
        with self._ended:
            self._ended.notify_all()
        notification = options.get("notification")
        if notification:
            self.notifier.send(notification, read)

    def forget(self, run_id: str) -> None:
        with self._lock:
            self._controllers.pop(run_id, None)

    # -- control and queries ---------------------------------------------------------------
    def stop(self, run_id: str, actor: str | None = None) -> RunRead:
        """Queued steps are canceled, running ones interrupted (their device sessions are
        aborted), no device takes another step; the run ends ``stopped``. A run whose
        process died is taken over here to finish the stop."""
        with self.sessions() as session, session.begin():
            run = self._run(session, run_id, actor, "run")
            if run.status not in ACTIVE:
                raise Conflict(f"the run is {run.status}, not running", field="id")
            run.status = "stopping"
        with self._lock:
            controller = self._controllers.get(run_id)
        if controller is not None:
            controller.request_stop()
        else:
            self.takeover.take(run_id)  # only when its lease is free (its process died)
        return self.get(run_id)

    def wait(self, run_id: str, timeout: float) -> RunRead:
        deadline = time.monotonic() + timeout
        while True:
            read = self.get(run_id)
            remaining = deadline - time.monotonic()
            if read.status in FINAL or remaining <= 0:
                return read
            with self._ended:
                self._ended.wait(min(remaining, 0.5))

    def _run(
        self, session: Session, run_id: str, actor: str | None = None, right: Right = "read"
    ) -> Run:
        """``actor``: per-object permissions of the run's automation apply."""
        run = session.get(Run, run_id)
        if run is None:
            raise NotFound(f"no run {run_id}", field="id")
        ensure_run_reachable(session, actor, run, right)
        return run

    def get(self, run_id: str, actor: str | None = None) -> RunRead:
        with self.sessions() as session:
            return run_read(self._run(session, run_id, actor))

    def list_runs(
        self,
        *,
        name: str | None,
        device: str | None,
        status: str | None,
        limit: int,
        offset: int,
        actor: str | None = None,
    ) -> tuple[list[RunRead], int]:
        """``actor``: only runs of what they may read (and ad-hoc runs)."""
        query = select(Run)
        if name:
            query = query.where(match_text(Run.name, name))
        if status:
            query = query.where(Run.status == status)
        with self.sessions() as session:
            visible = object_rights.readable_clause(session, actor, "service")
            if visible is not None:
                readable = select(Automation.id).where(visible)
                query = query.where(
                    or_(Run.automation_id.is_(None), Run.automation_id.in_(readable))
                )
            if device:
                device_id = session.scalar(select(Device.id).where(Device.name == device))
                if device_id is None:
                    raise NotFound(f"no device named {device!r}", field="device")
                query = query.where(
                    Run.id.in_(select(Result.run_id).where(Result.device_id == device_id))
                )
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = session.scalars(
                query.order_by(Run.created_at.desc()).limit(limit).offset(offset)
            )
            return [run_read(r) for r in rows], total

    def results(
        self,
        run_id: str,
        *,
        step: str | None = None,
        device: str | None = None,
        after: int = 0,
        limit: int = 1000,
        actor: str | None = None,
    ) -> list[ResultRead]:
        with self.sessions() as session:
            self._run(session, run_id, actor)
            query = select(Result).where(Result.run_id == run_id, Result.id > after)
            if step:
                query = query.where(Result.step == step)
            if device:
                query = query.where(Result.device_name == device)
            rows = session.scalars(query.order_by(Result.id).limit(limit))
            return [result_read(r) for r in rows]

    def result(self, result_id: int, actor: str | None = None) -> ResultRead:
        with self.sessions() as session:
            row = session.get(Result, result_id)
            if row is None:
                raise NotFound(f"no result {result_id}", field="id")
            run = session.get(Run, row.run_id)
            try:
                if run is not None:
                    ensure_run_reachable(session, actor, run)
            except NotFound as exc:
                raise NotFound(f"no result {result_id}", field="id") from exc
            return result_read(row)

    def compare(self, first: int, second: int, actor: str | None = None) -> ResultDiff:
        a, b = self.result(first, actor), self.result(second, actor)

        def text(r: ResultRead) -> list[str]:
            body = r.result.get("text") if isinstance(r.result.get("text"), str) else None
            if body is None:
                body = json.dumps(r.result, indent=2, sort_keys=True, default=str)
            return [line + "\n" for line in body.splitlines()]  # a diff line per line

        diff = "".join(
            difflib.unified_diff(
                text(a), text(b), f"result {a.id} ({a.device})", f"result {b.id} ({b.device})"
            )
        )
        return ResultDiff(first=first, second=second, diff=diff)


def _target(device: Device) -> dict[str, Any]:
    return {
        "id": device.id,
        "name": device.name,
        "host": device.host,
        "port": device.port,
        "credential_id": device.credential_id,
    }
