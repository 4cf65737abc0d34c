"""Worker side: one service step on one device (or once for all targets) — inputs checked,
iterations, retries with delay, result validation — stored as a ``Result`` row."""

from __future__ import annotations

import logging
import time
import traceback
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from netweave.core.automation import secret_inputs
from netweave.core.automation.catalog import ServiceCatalog
from netweave.core.automation.configs import StoreOptions
from netweave.core.automation.context import WorkerContext
from netweave.core.automation.notify import MailRelay
from netweave.core.automation.schemas import ServiceOptions
from netweave.core.jobs.runner import StepOutcome
from netweave.db import errors as db_errors
from netweave.db.models import Device, Job, Result, ServiceType
from netweave.drivers.base import DriverError
from netweave.foundation.errors import NetWeaveError
from netweave.foundation.secrets import SecretBox
from netweave.services import DeviceFacts, Service, ServiceOutcome
from netweave.services.builtin.matching import evaluate
from netweave.sessions import SessionPool
from netweave.sessions.cancel import current as current_token

log = logging.getLogger(__name__)
OK, FAILED = 1, 2


def facts(device: Device) -> DeviceFacts:
    return DeviceFacts(
        id=device.id,
        name=device.name,
        host=device.host,
        port=device.port,
        platform=device.platform,
        driver=device.driver,
        vendor=device.vendor,
        model=device.model,
        os_version=device.os_version,
        site=device.site,
        tags=tuple(device.tags) if hasattr(device, "tags") else (),
        custom_fields=dict(device.custom_fields or {}),
    )


class StepRunner:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        box: SecretBox,
        pool: SessionPool,
        catalog: ServiceCatalog,
        mail: MailRelay | None = None,
        store: StoreOptions | None = None,
    ) -> None:
        self.sessions = sessions
        self.box = box
        self.pool = pool
        self.catalog = catalog
        self.mail = mail  # notification steps send e-mail through it
        self.store = store or StoreOptions()  # configurations: git, operational data

    def __call__(self, job: Job) -> StepOutcome:
        request = job.request
        started = datetime.now(UTC)
        options = ServiceOptions.model_validate(request.get("options") or {})
        delay = 0.5
        while True:  # nothing has touched a device yet: wait out a database restart
            try:
                devices, device, enabled, variables = self._load(job)
                break
            except DBAPIError as exc:
                if not db_errors.transient(exc):
                    raise
                log.warning("step %s waits for the database: %s", job.id, db_errors.describe(exc))
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
        ctx = WorkerContext(
            self.sessions,
            self.box,
            self.pool,
            run_id=str(request["run_id"]),
            device=device,
            devices=devices,
            variables=variables,
            credential_id=job.credential_id,
            timeout=float(job.execution_timeout or options.timeout),
        )
        ctx.mail = self.mail
        ctx.store = self.store
        attempts = 0
        try:
            if not enabled:
                raise NetWeaveError(f"service type {request['type']!r} is disabled", field="type")
            if request.get("per_device") and device is None:
                raise NetWeaveError("the target device is gone from the inventory", field="device")
            cls = self.catalog.service_class(request["type"])
            plain = secret_inputs.unseal(request.get("inputs") or {}, self.box)
            # checked again where it runs (a playbook path against this worker's folder)
            inputs = cls.Inputs.model_validate(plain, context=self.catalog.validation_context)
            outcome = ServiceOutcome(False)
            token = current_token()  # a stop of the run or a cancel of the job
            for attempts in range(1, options.retries + 2):
                outcome = self._attempt(cls, ctx, inputs, options)
                if outcome.success or attempts > options.retries:
                    break
                if token is not None and token.canceled:
                    break  # stopped: never retried
                ctx.log(f"attempt {attempts} failed; retrying in {options.retry_delay:g} s")
                if token is not None and token.wait(options.retry_delay):
                    break
                if token is None:
                    time.sleep(options.retry_delay)
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(p) for p in problem["loc"])
            outcome = ServiceOutcome(False, {"error": f"inputs.{where}: {problem['msg']}"})
        except NetWeaveError as exc:
            outcome = ServiceOutcome(False, {"error": exc.to_detail()})
        ctx.sync_store()  # what a backup stored goes to git now (never fails the step)
        ctx.variables.clear()
        token = current_token()
        if token is not None and token.canceled:
            ctx.log(f"stopped: {token.reason}")
            outcome = ServiceOutcome(False, {**outcome.result, "state": "stopped"})
        row = Result(
            run_id=request["run_id"],
            step=request.get("step", ""),
            service=request["service"],
            device_id=device.id if device else None,
            device_name=device.name if device else ", ".join(d.name for d in devices)[:255],
            success=outcome.success,
            result=outcome.result,
            variables=outcome.variables,
            logs="\n".join(ctx.lines),
            attempts=max(attempts, 1),
            job_id=job.id,
            started_at=started,
            ended_at=datetime.now(UTC),
        )
        # the result row is committed with the job's end, in the writer's next batch
        retval = {"step_result": True, "success": outcome.success}
        if outcome.success:
            return "finished", {"type": OK, "retval": retval, "error": None}, None, [row]
        error = {"type": "service_failed", "message": str(outcome.result.get("error") or "")[:500]}
        return "failed", {"type": FAILED, "retval": retval, "error": error}, error, [row]

    def _load(
        self, job: Job
    ) -> tuple[list[DeviceFacts], DeviceFacts | None, bool | None, dict[str, Any]]:
        """The step's devices, its device (per-device steps), whether its type is enabled,
        and its variables (the run's, then those exported by this device's earlier steps)."""
        request = job.request
        with self.sessions() as session:
            device_ids = request.get("devices") or ([job.device_id] if job.device_id else [])
            rows = {
                d.id: d for d in session.scalars(select(Device).where(Device.id.in_(device_ids)))
            }
            devices = [facts(rows[i]) for i in device_ids if i in rows]
            enabled = session.scalar(
                select(ServiceType.enabled).where(ServiceType.name == request["type"])
            )
            device = devices[0] if request.get("per_device") and devices else None
            variables = dict(request.get("variables") or {})
            # variables exported by this device's earlier steps (oldest first, newest wins)
            exported = select(Result.variables).where(Result.run_id == request["run_id"])
            if device is not None:
                exported = exported.where(Result.device_id == device.id)
            for values in session.scalars(exported.order_by(Result.id)):
                variables.update(values or {})
        return devices, device, enabled, variables

    def _attempt(
        self,
        cls: type[Service[Any]],
        ctx: WorkerContext,
        inputs: Any,
        options: ServiceOptions,
    ) -> ServiceOutcome:
        values = options.iteration.values if options.iteration else [None]
        outcomes: list[ServiceOutcome] = []
        for value in values:
            if options.iteration is not None:
                ctx.variables[options.iteration.variable] = value
                ctx.log(f"iteration {options.iteration.variable}={value!r}")
            outcomes.append(self._once(cls, ctx, inputs, options))
        if options.iteration is None:
            return outcomes[0]
        return ServiceOutcome(
            all(o.success for o in outcomes),
            {
                "iterations": [
                    {"value": value, "success": o.success, "result": o.result}
                    for value, o in zip(values, outcomes, strict=True)
                ]
            },
            {k: v for o in outcomes for k, v in o.variables.items()},
        )

    def _once(
        self, cls: type[Service[Any]], ctx: WorkerContext, inputs: Any, options: ServiceOptions
    ) -> ServiceOutcome:
        try:
            outcome = cls().run(ctx, inputs)
        except DriverError as exc:
            ctx.log(f"{exc.kind}: {exc.message}")
            return ServiceOutcome(False, {"error": f"{exc.kind}: {exc.message}"})
        except NetWeaveError as exc:
            ctx.log(exc.to_detail())
            return ServiceOutcome(False, {"error": exc.to_detail()})
        except Exception as exc:  # a bug in a (custom) service fails the step, not the worker
            log.exception("service %s", cls.__name__)
            ctx.log("".join(traceback.format_exception_only(exc)).strip())
            return ServiceOutcome(False, {"error": f"{type(exc).__name__}: {exc}"})
        if options.validation:
            verdicts = [evaluate(check, outcome.result, ctx.render) for check in options.validation]
            outcome.result["validation"] = [
                {"passed": ok, "detail": detail} for ok, detail in verdicts
            ]
            outcome.success = outcome.success and all(ok for ok, _ in verdicts)
        return outcome
