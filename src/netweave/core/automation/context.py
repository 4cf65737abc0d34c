"""The worker-side :class:`ServiceContext`: device sessions from the pool, credentials
resolved just in time, earlier results of the run, the configuration store."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any, TypeVar

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from netweave.core import audit, templates
from netweave.core.automation import configs, reports
from netweave.core.automation.git_store import history as git_history
from netweave.core.automation.notify import MailRelay
from netweave.core.inventory import links as links_store
from netweave.core.inventory.credential_scope import Destination
from netweave.core.inventory.credentials import resolve_credential
from netweave.core.jobs.targets import live_connection_args
from netweave.db.models import Credential, Device, Job, Result, Run
from netweave.drivers.base import CommandOutput, ConfigOutcome, registry
from netweave.foundation.errors import ConfigurationError, InvalidInput, NetWeaveError, NotFound
from netweave.foundation.operational import MAX_COMMAND_LENGTH, normalize_command
from netweave.foundation.secrets import SecretBox
from netweave.services import DeviceFacts, SavedConfig, ServiceContext
from netweave.services.base import DiscoveredLink
from netweave.sessions import SessionPool

R = TypeVar("R")


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
    def _args(
        self,
        driver: str,
        port: int | None = None,
        *,
        device_type: str | None = None,
        credential: str | None = None,
    ) -> Any:
        """(driver class, connection args) for ``device``, on its own port or ``port``, as
        its own device type or ``device_type``, with the step's credential or the stored
        ``credential`` of that name (its scope is checked for the device all the same)."""
        key = f"{driver}:{port}:{device_type}:{credential}"
        if key in self._connection:
            return self._connection[key]
        if self.device is None:
            raise NotFound("this step runs once, not on a device", field="device")
        driver_cls = registry.get(driver)
        credential_id = self.credential_id
        if credential is not None:
            with self.sessions() as session:
                credential_id = session.scalar(
                    select(Credential.id).where(Credential.name == credential)
                )
            if credential_id is None:
                raise NotFound(f"no credential named {credential!r}", field="credential")
        probe = Job(
            request={
                "connection_args": {
                    "host": self.device.host,
                    "port": self.device.port if port is None else port,
                    "device_type": device_type or self.device.platform,
                }
            },
            credential_id=credential_id,
            device_id=self.device.id,
            secret_enc=None,
        )
        with self.sessions() as session:
            args = live_connection_args(session, self.box, probe, driver_cls)
        args.timeout = min(args.timeout, self.timeout)  # the step's timeout bounds the login
        resolved = driver_cls, args
        self._connection[key] = resolved
        return resolved

    def commands(
        self,
        commands: list[str],
        *,
        driver: str | None = None,
        options: dict[str, Any] | None = None,
        device_type: str | None = None,
        credential: str | None = None,
    ) -> list[CommandOutput]:
        name = driver or (self.device.driver if self.device else "netmiko")
        driver_cls, args = self._args(name, device_type=device_type, credential=credential)
        opts = {"read_timeout": min(self.timeout, 3600), **(options or {})}
        if name == "netmiko" and getattr(args, "secret", None) is not None:
            opts.setdefault("enable_mode", True)  # show running-config needs privilege
        started = time.perf_counter()
        outputs, reused = self.pool.run(
            driver_cls(), args, lambda s: s.run_commands(commands, opts), retry_on_dead_session=True
        )
        label = name if device_type is None else f"{name} as {device_type}"
        self.log(
            f"{label}: {len(commands)} command(s) in {time.perf_counter() - started:.2f} s"
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

    def session_call(
        self,
        action: Callable[[Any], R],
        *,
        driver: str | None = None,
        read_only: bool = True,
        port: int | None = None,
    ) -> R:
        name = driver or (self.device.driver if self.device else "netmiko")
        driver_cls, args = self._args(name, port)
        result, _ = self.pool.run(driver_cls(), args, action, retry_on_dead_session=read_only)
        return result

    # -- configuration store --------------------------------------------------------------
    store: configs.StoreOptions = configs.StoreOptions()  # set by the step runner
    _stored_new = False  # a version was stored: the repository syncs at the step's end

    def save_config(self, text: str) -> SavedConfig:
        if self.device is None:
            raise NotFound("no device to store a configuration for", field="device")
        with self.sessions() as session, session.begin():
            saved = configs.save(session, self.device.id, text, "backup", self.run_id)
        self.log(f"configuration version {saved.version} ({'new' if saved.changed else 'same'})")
        self._stored_new = self._stored_new or saved.changed
        return saved

    def save_operational(self, command: str, text: str) -> SavedConfig:
        if self.device is None:
            raise NotFound("no device to store operational data for", field="device")
        command = normalize_command(command)
        if not command or len(command) > MAX_COMMAND_LENGTH:
            raise InvalidInput(
                f"a command is 1 to {MAX_COMMAND_LENGTH} characters", field="command"
            )
        with self.sessions() as session, session.begin():
            saved = configs.save(
                session,
                self.device.id,
                text,
                "backup",
                self.run_id,
                command=command,
                volatile=self.store.volatile,
            )
        state = "new" if saved.changed else "same"
        self.log(f"{command}: operational data version {saved.version} ({state})")
        self._stored_new = self._stored_new or saved.changed
        return saved

    def operational_commands(self) -> list[str]:
        if self.device is None:
            return []
        return list(self.store.commands.get(self.device.platform, []))

    def committed_config(self, commit: str) -> tuple[int | None, str] | None:
        if self.device is None or self.store.git is None:
            return None
        with self.sessions() as session:
            device = session.get(Device, self.device.id)
            if device is None:
                return None
            try:
                found = git_history.locate(session, self.store.git, device, "", commit)
            except NetWeaveError:
                return None
        return found.version, found.text

    def sync_store(self) -> None:
        """Commit what this step stored to the configuration repository (a failure is
        logged by the store and retried by the next sync: the backup stands)."""
        if self._stored_new and self.store.git is not None:
            self._stored_new = False
            report = self.store.git.sync_quietly()
            if report is None:
                self.log("configuration repository: not written now (see its status)")
            elif report.committed:
                self.log(f"configuration repository: {report.committed} commit(s)")

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

    # -- the run as a whole (notification steps) -------------------------------------------
    mail: MailRelay | None = None  # the smtp_* settings' relay (set by the step runner)

    def run_results(self) -> list[dict[str, Any]]:
        with self.sessions() as session:
            return reports.result_rows(session, self.run_id)

    def run_report(self) -> str | None:
        with self.sessions() as session:
            run = session.get(Run, self.run_id)
            if run is None:
                return None
            return reports.for_run(session, run, run.status, dict(run.summary or {}))

    def send_mail(self, message: EmailMessage) -> dict[str, Any]:
        if self.mail is None:
            raise ConfigurationError(
                "no mail relay is configured (NETWEAVE_SMTP_HOST)", field="smtp_host"
            )
        return self.mail.send(message, timeout=min(self.timeout, 60))

    # -- inventory: devices met by name, links found (topology discovery) ---------------------
    def find_devices(
        self, *, names: Sequence[str] = (), hosts: Sequence[str] = ()
    ) -> list[DeviceFacts]:
        from netweave.core.automation.steps import facts  # steps builds this context

        conditions = []
        if names:
            conditions.append(func.lower(Device.name).in_(sorted({n.lower() for n in names})))
        if hosts:
            conditions.append(Device.host.in_(sorted(set(hosts))))
        if not conditions:
            return []
        with self.sessions() as session:
            rows = session.scalars(select(Device).where(or_(*conditions)).order_by(Device.name))
            return [facts(row) for row in rows]

    def save_links(
        self, links: Sequence[DiscoveredLink], *, remove_stale: bool = False
    ) -> dict[str, list[str]]:
        if self.device is None:
            raise NotFound("links are saved for a device", field="device")
        name = self.device.name
        strangers = sorted({link.local_device for link in links} - {name})
        if strangers:
            raise InvalidInput(f"{name} may save only its own links, not {strangers[0]}'s")
        found = [
            (link.local_interface, link.remote_device, link.remote_interface) for link in links
        ]
        protocols = "/".join(sorted({link.protocol.upper() for link in links if link.protocol}))
        for attempt in range(3):  # both ends of a link found it at once: the second finds it
            try:
                with self.sessions() as session, session.begin():
                    session.info[audit.ACTOR_KEY] = f"run {self.run_id}"
                    outcome = links_store.sync_discovered_links(
                        session,
                        name,
                        found,
                        remove_stale=remove_stale,
                        description=f"found by {protocols or 'discovery'}",
                    )
                break
            except IntegrityError:
                if attempt == 2:
                    raise
        self.log(
            f"links: {len(outcome.created)} created, {len(outcome.kept)} kept, "
            f"{len(outcome.removed)} removed"
        )
        return outcome.as_dict()
