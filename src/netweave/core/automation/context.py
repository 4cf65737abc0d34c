"""The worker-side :class:`ServiceContext`: device sessions from the pool, credentials
resolved just in time, earlier results of the run, the configuration store."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from netweave.core import templates
from netweave.core.automation import configs
from netweave.core.inventory.credential_scope import Destination
from netweave.core.inventory.credentials import resolve_credential
from netweave.core.jobs.targets import live_connection_args
from netweave.db.models import Credential, Job, Result
from netweave.drivers.base import CommandOutput, ConfigOutcome, registry
from netweave.foundation.errors import NotFound
from netweave.foundation.secrets import SecretBox
from netweave.services import DeviceFacts, SavedConfig, ServiceContext
from netweave.sessions import SessionPool


class EarlierResults(Mapping[str, Any]):
    """``results.<step>`` in templates: loaded on first use."""

    def __init__(self, context: WorkerContext) -> None:
        self.context = context

    def __getitem__(self, step: str) -> Any:
        found = self.context.result(step)
        if found is None:
            raise KeyError(step)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


class WorkerContext(ServiceContext):
    def __init__(
        self,
        sessions: sessionmaker[Session],
        box: SecretBox,
        pool: SessionPool,
        *,
        run_id: str,
        device: DeviceFacts | None,
        devices: list[DeviceFacts],
        variables: dict[str, Any],
        credential_id: int | None,
        timeout: float,
    ) -> None:
        self.sessions = sessions
        self.box = box
        self.pool = pool
        self.run_id = run_id
        self.device = device
        self.devices = devices
        self.variables = dict(variables)
        self.credential_id = credential_id
        self.timeout = timeout
        self.lines: list[str] = []
        self._results: dict[str, dict[str, Any] | None] = {}
        self._connection: dict[str, Any] = {}  # per driver: resolved once per step

    # -- templates and payload ----------------------------------------------------------
    def render(self, text: str, **extra: Any) -> str:
        if "{" not in text:
            return text
        context = {
            "device": self.device.as_dict() if self.device else None,
            "devices": [d.as_dict() for d in self.devices],
            "vars": self.variables,
            "results": EarlierResults(self),
            **extra,
        }
        return templates.render(text, context, "inputs")

    def result(self, step: str) -> dict[str, Any] | None:
        if step in self._results:
            return self._results[step]
        with self.sessions() as session:
            query = select(Result).where(Result.run_id == self.run_id)
            if self.device is not None:
                query = query.where(
                    (Result.device_id == self.device.id) | (Result.device_id.is_(None))
                )
            rows = list(session.scalars(query.order_by(Result.id.desc())))
        found = None
        for matcher in (
            lambda r: r.step == step,
            lambda r: r.step.endswith(f"/{step}"),
            lambda r: r.service == step,
        ):
            match = next((r for r in rows if matcher(r)), None)
            if match is not None:
                found = {**match.result, "success": match.success}
                break
        self._results[step] = found
        return found

    # -- device access --------------------------------------------------------------------
    def _args(self, driver: str) -> Any:
        if driver in self._connection:
            return self._connection[driver]
        if self.device is None:
            raise NotFound("this step runs once, not on a device", field="device")
        driver_cls = registry.get(driver)
        probe = Job(
            request={
                "connection_args": {
                    "host": self.device.host,
                    "port": self.device.port,
                    "device_type": self.device.platform,
                }
            },
            credential_id=self.credential_id,
            device_id=self.device.id,
            secret_enc=None,
        )
        with self.sessions() as session:
            args = live_connection_args(session, self.box, probe, driver_cls)
        args.timeout = min(args.timeout, self.timeout)  # the step's timeout bounds the login
        resolved = driver_cls, args
        self._connection[driver] = resolved
        return resolved

    def commands(
        self,
        commands: list[str],
        *,
        driver: str | None = None,
        options: dict[str, Any] | None = None,
    ) -> list[CommandOutput]:
        name = driver or (self.device.driver if self.device else "netmiko")
        driver_cls, args = self._args(name)
        opts = {"read_timeout": min(self.timeout, 3600), **(options or {})}
        if name == "netmiko" and getattr(args, "secret", None) is not None:
            opts.setdefault("enable_mode", True)  # show running-config needs privilege
        started = time.perf_counter()
        outputs, reused = self.pool.run(
            driver_cls(), args, lambda s: s.run_commands(commands, opts), retry_on_dead_session=True
        )
        self.log(
            f"{name}: {len(commands)} command(s) in {time.perf_counter() - started:.2f} s"
            f"{' (session reused)' if reused else ''}: {', '.join(commands)[:200]}"
        )
        return list(outputs)

    def configure(
        self, lines: list[str], *, driver: str | None = None, options: dict[str, Any] | None = None
    ) -> ConfigOutcome:
        name = driver or (self.device.driver if self.device else "netmiko")
        driver_cls, args = self._args(name)
        opts = {"read_timeout": min(self.timeout, 3600), **(options or {})}
        outcome, _ = self.pool.run(
            driver_cls(), args, lambda s: s.push_config(lines, opts), retry_on_dead_session=False
        )
        state = "ok" if outcome.ok else f"rejected {outcome.failed_line!r}"
        self.log(f"{name}: configuration, {len(lines)} line(s): {state}")
        return outcome

    # -- configuration store --------------------------------------------------------------
    def save_config(self, text: str) -> SavedConfig:
        if self.device is None:
            raise NotFound("no device to store a configuration for", field="device")
        with self.sessions() as session, session.begin():
            saved = configs.save(session, self.device.id, text, "backup", self.run_id)
        self.log(f"configuration version {saved.version} ({'new' if saved.changed else 'same'})")
        return saved

    def stored_config(self, version: int | None = None) -> tuple[int, str] | None:
        if self.device is None:
            return None
        with self.sessions() as session:
            try:
                row = configs.get_version(session, self.device.id, version)
            except NotFound:
                return None
            return row.version, row.content

    def secret(self, credential: str, host: str, port: int | None = None) -> tuple[str, str]:
        with self.sessions() as session:
            ident = session.scalar(select(Credential.id).where(Credential.name == credential))
            if ident is None:
                raise NotFound(f"no credential named {credential!r}", field="credential")
            destination = Destination(host, port, None, "credential")
            resolved = resolve_credential(session, self.box, ident, destination)
        return resolved.username, resolved.password or ""

    def log(self, message: str) -> None:
        stamp = datetime.now(UTC).strftime("%H:%M:%S.%f")[:-3]
        self.lines.append(f"{stamp} {message}")
