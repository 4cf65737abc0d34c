"""The catalog of service types: built-ins and entry points, plus custom Python services
from a folder. Kept in SQL so an API process lists them (with their form schema) without
importing user code; only a process that runs services imports the folder. Custom types
start disabled, and a changed file is disabled again until an admin enables it."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from netweave.core.access.users import is_admin
from netweave.core.automation import secret_inputs
from netweave.core.automation.schemas import ServiceTypeRead
from netweave.db.models import Automation, ServiceType
from netweave.foundation.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from netweave.foundation.secrets import SecretBox
from netweave.services import Service, registry
from netweave.services.custom import discover_folder

log = logging.getLogger(__name__)
BUILTIN_PREFIX = "netweave.services."


def is_privileged(row: ServiceType) -> bool:
    """A built-in type says (``Service.privileged``); any other (entry point, custom
    Python) is third-party code: privileged."""
    if row.source != "builtin" or row.name not in registry.names():
        return True
    return bool(registry.get(row.name, field="type").privileged)


def preview_inputs(row: ServiceType) -> dict[str, Any] | None:
    """A built-in configuration type's dry-run inputs (``Service.preview_inputs``)."""
    if row.source != "builtin" or row.name not in registry.names():
        return None
    found = registry.get(row.name, field="type").preview_inputs
    return dict(found) if found is not None else None


def ensure_may_give_inputs(
    session: Session, automation: str, inputs: dict[str, Any] | None, actor: str | None
) -> None:
    """Saving inputs for a service (a task's ``inputs``, a trigger's input mapping) is
    authoring it: for a privileged type, admins only (403 naming ``inputs``)."""
    if not inputs or is_admin(session, actor):
        return
    row = session.scalar(select(Automation).where(Automation.name == automation))
    if row is None or row.kind != "service":
        return
    kind = session.get(ServiceType, row.type)
    if kind is None or is_privileged(kind):
        raise PermissionDenied(
            f"service {row.name!r} is of the privileged type {row.type!r}: only admins may "
            f"give it other inputs (run it as saved, without inputs)",
            field="inputs",
        )


def type_read(row: ServiceType) -> ServiceTypeRead:
    return ServiceTypeRead(
        name=row.name,
        source=row.source,
        title=row.title,
        description=row.description,
        input_schema=row.input_schema,
        per_device=row.per_device,
        driver=row.driver,
        enabled=row.enabled,
        error=row.error,
        module=row.module,
        privileged=is_privileged(row),
        preview_inputs=preview_inputs(row),
    )


class ServiceCatalog:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        folder: Path,
        *,
        runs_services: bool,
        box: SecretBox | None = None,
        playbooks_dir: Path | None = None,
        file_transfer_dir: Path | None = None,
    ):
        self.sessions = sessions
        self.folder = folder
        # what inputs are checked against, where saved and again where they run
        self.validation_context: dict[str, Any] = {
            "playbooks_dir": playbooks_dir,
            "file_transfer_dir": file_transfer_dir,
        }
        self.runs_services = runs_services
        self.box = box  # seals the secret fields of inputs
        self._custom: dict[str, type[Service[Any]]] = {}
        self._lock = threading.Lock()
        self._synced = False

    def sync(self) -> None:
        """Bring ``service_types`` up to date with what this process can see."""
        with self._lock:
            found: dict[str, dict[str, Any]] = {}
            for name in registry.names():
                cls = registry.get(name, field="type")
                builtin = cls.__module__.startswith(BUILTIN_PREFIX)
                found[name] = self._describe(cls, "builtin" if builtin else "entry_point")
                found[name]["module"] = cls.__module__
            custom: dict[str, type[Service[Any]]] = {}
            if self.runs_services:
                for item in discover_folder(self.folder):
                    if item.service is None:
                        found.setdefault(
                            item.name,
                            {"source": "folder", "error": item.error, "input_schema": {}},
                        )
                        found[item.name].update(module=item.module, digest=item.digest)
                        continue
                    if item.name in found and found[item.name]["source"] != "folder":
                        log.warning("custom service %s shadows a built-in: ignored", item.name)
                        continue
                    custom[item.name] = item.service
                    found[item.name] = self._describe(item.service, "folder")
                    found[item.name].update(module=item.module, digest=item.digest, error=None)
                self._custom = custom
            for attempt in range(3):  # processes starting together race to insert rows
                try:
                    self._store(found)
                    break
                except IntegrityError:
                    if attempt == 2:
                        raise
            self._synced = True

    def _store(self, found: dict[str, dict[str, Any]]) -> None:
        with self.sessions() as session, session.begin():
            rows = {row.name: row for row in session.scalars(select(ServiceType))}
            for name, info in found.items():
                row = rows.get(name)
                if row is None:
                    row = ServiceType(name=name, enabled=info["source"] == "builtin")
                    session.add(row)
                elif row.digest != info.get("digest", "") and info["source"] != "builtin":
                    row.enabled = False  # new code: an admin looks again
                for key, value in info.items():
                    setattr(row, key, value)
            if self.runs_services:  # a file removed from the folder: its type goes too
                for name, row in rows.items():
                    if row.source == "folder" and name not in found:
                        session.delete(row)

    @staticmethod
    def _describe(cls: type[Service[Any]], source: str) -> dict[str, Any]:
        return {
            "source": source,
            "title": cls.title or cls.__name__,
            "description": cls.description or (cls.__doc__ or "").strip().split("\n")[0],
            "input_schema": cls.schema(),
            "per_device": bool(cls.per_device),
            "driver": cls.driver,
            "digest": "",
            "error": None,
        }

    def fingerprint(self) -> tuple[tuple[str, float, int], ...]:
        if not self.folder.is_dir():
            return ()
        return tuple(
            (p.name, p.stat().st_mtime, p.stat().st_size) for p in sorted(self.folder.glob("*.py"))
        )

    def watch(self, every: float, stop: threading.Event) -> threading.Thread:
        """Rescan the folder when a file is added, changed or removed (worker nodes)."""

        def loop() -> None:
            seen = self.fingerprint()
            while not stop.wait(every):
                try:
                    now = self.fingerprint()
                    if now != seen:
                        self.sync()
                        seen = now
                except Exception:  # the database may be restarting: next round
                    log.exception("custom services rescan")

        thread = threading.Thread(target=loop, name="services-watch", daemon=True)
        thread.start()
        return thread

    def ensure_synced(self) -> None:
        if not self._synced:
            self.sync()

    def service_class(self, name: str) -> type[Service[Any]]:
        """The class to run (worker side); rescans the folder once for an unknown name."""
        self.ensure_synced()
        if name in self._custom:
            return self._custom[name]
        if name in registry.names():
            return registry.get(name, field="type")
        if self.runs_services:
            self.sync()
            if name in self._custom:
                return self._custom[name]
        raise NotFound(f"no service type {name!r} on this worker", field="type")

    def types(self, session: Session) -> list[ServiceTypeRead]:
        return [type_read(row) for row in session.scalars(select(ServiceType).order_by("name"))]

    def get(self, session: Session, name: str, *, usable: bool = False) -> ServiceType:
        row = session.get(ServiceType, name)
        if row is None:
            known = ", ".join(session.scalars(select(ServiceType.name).order_by("name")))
            raise InvalidInput(f"unknown service type {name!r}; one of {known}", field="type")
        if usable and row.error:
            raise Conflict(f"service type {name!r} failed to load: {row.error}", field="type")
        if usable and not row.enabled:
            raise Conflict(
                f"service type {name!r} is disabled until an admin enables it", field="type"
            )
        return row

    def ensure_may_author(
        self,
        session: Session,
        type_name: str,
        *,
        admin: bool,
        action: str = "create or change it",
        field: str = "type",
    ) -> None:
        """403 for a non-admin touching a privileged type (it runs code or reaches any host
        from a NetWeave host)."""
        if not admin and is_privileged(self.get(session, type_name)):
            raise PermissionDenied(
                f"service type {type_name!r} is privileged: only admins may {action}",
                field=field,
            )

    def set_enabled(self, session: Session, name: str, enabled: bool) -> ServiceTypeRead:
        row = session.get(ServiceType, name)
        if row is None:
            raise NotFound(f"no service type {name!r}", field="name")
        if enabled and row.error:
            raise Conflict(f"{name!r} failed to load and cannot be enabled: {row.error}")
        row.enabled = enabled
        session.flush()
        return type_read(row)

    def prepare_inputs(
        self,
        session: Session,
        type_name: str,
        inputs: dict[str, Any],
        previous: dict[str, Any] | None = None,
        field: str = "inputs",
    ) -> dict[str, Any]:
        """Inputs to store or queue: validated, secret fields sealed. ``********`` keeps the
        ``previous`` value of a secret; values already sealed with our key are accepted."""
        if self.box is None:
            raise RuntimeError("this catalog has no secret box to seal inputs with")
        merged = secret_inputs.keep_unchanged(inputs, previous or {})
        plain = secret_inputs.unseal(merged, self.box, field)
        self.validate_inputs(session, type_name, plain, field)
        schema = self.get(session, type_name).input_schema or {}
        return secret_inputs.seal(plain, schema, self.box)

    def validate_inputs(
        self, session: Session, type_name: str, inputs: dict[str, Any], field: str = "inputs"
    ) -> dict[str, Any]:
        """Validated inputs (defaults not filled in: stored as given). With the class in
        this process: its pydantic model; else the stored JSON Schema's keys."""
        row = self.get(session, type_name)
        cls = self._custom.get(type_name)
        if cls is None and type_name in registry.names():
            cls = registry.get(type_name, field="type")
        if cls is not None:
            try:
                cls.Inputs.model_validate(inputs, context=self.validation_context)
            except ValidationError as exc:
                problem = exc.errors()[0]
                where = ".".join(str(p) for p in problem["loc"])
                raise InvalidInput(
                    problem["msg"], field=f"{field}.{where}" if where else field
                ) from exc
            return inputs
        schema = row.input_schema or {}
        properties = schema.get("properties", {})
        for key in inputs:
            if key not in properties:
                raise InvalidInput("unknown input", field=f"{field}.{key}")
        for key in schema.get("required", []):
            if key not in inputs:
                raise InvalidInput("Field required", field=f"{field}.{key}")
        return inputs
