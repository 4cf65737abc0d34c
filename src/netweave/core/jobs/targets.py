"""From a request's ``connection_args`` (+ credential reference) to a job row, and back to
live connection arguments in the worker. Inventory names resolve to host/port/platform and
their stored credential; inline passwords are sealed with Fernet, never stored in clear."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from netweave.core.inventory.credential_scope import Destination, ensure_id_in_scope
from netweave.core.inventory.credentials import resolve_credential
from netweave.db.models import Credential, Device, Job
from netweave.drivers.base import BaseConnectionArgs, Driver
from netweave.foundation.errors import InvalidInput, NotFound
from netweave.foundation.secrets import SecretBox

SECRET_KEYS = ("password", "secret", "passphrase", "key_passphrase", "api_key", "token")


@dataclass
class Target:
    connection_args: dict[str, Any]  # without secrets
    secrets: dict[str, str]
    device_id: int | None
    credential_id: int | None

    @property
    def host(self) -> str:
        return str(self.connection_args["host"])

    @property
    def port(self) -> int:
        return int(self.connection_args.get("port") or 22)


class InventoryIndex:
    """Name → device and credential lookups loaded once per request (bulk-friendly)."""

    def __init__(self, session: Session, names: set[str], credential_names: set[str]) -> None:
        self.devices: dict[str, Device] = {}
        if names:
            for device in session.scalars(select(Device).where(Device.name.in_(names))):
                self.devices[device.name] = device
        self.credentials: dict[str, int] = {}
        if credential_names:
            rows = session.execute(
                select(Credential.id, Credential.name).where(Credential.name.in_(credential_names))
            )
            self.credentials = {name: ident for ident, name in rows}


def resolve_target(
    args: dict[str, Any], credential_name: str | None, index: InventoryIndex, field: str
) -> Target:
    host = args.get("host")
    if not isinstance(host, str) or not host.strip():
        raise InvalidInput("host is required", field=f"{field}.host")
    clean = {k: v for k, v in args.items() if k not in SECRET_KEYS}
    secrets = {k: str(v) for k, v in args.items() if k in SECRET_KEYS and v not in (None, "")}
    device = index.devices.get(host)
    device_id = credential_id = None
    if device is not None:
        device_id = device.id
        clean["host"] = device.host
        if clean.get("port") in (None, ""):
            clean["port"] = device.port
        if str(clean["port"]) != str(device.port):  # its credential and fence are for its port
            raise InvalidInput(
                f"{device.name} is at port {device.port}; to reach another port, give an "
                "address as host",
                field=f"{field}.port",
            )
        clean.setdefault("device_type", device.platform)
        clean["name"] = device.name
        if not secrets and not clean.get("username"):
            credential_id = device.credential_id
    if credential_name:
        if credential_name not in index.credentials:
            raise NotFound(f"no credential named {credential_name!r}", field="credential.name")
        credential_id = index.credentials[credential_name]
    try:
        BaseConnectionArgs.model_validate({**clean, **secrets})
    except Exception as exc:
        raise InvalidInput(
            f"invalid connection arguments: {exc}".splitlines()[0], field=field
        ) from exc
    return Target(clean, secrets, device_id, credential_id)


def seal(box: SecretBox, secrets: dict[str, str]) -> str | None:
    return box.encrypt(json.dumps(secrets)) if secrets else None


def live_connection_args(
    session: Session, box: SecretBox, job: Job, driver: type[Driver]
) -> BaseConnectionArgs:
    """Worker side: the request's connection args plus secrets, resolved just in time."""
    args: dict[str, Any] = dict(job.request.get("connection_args", {}))
    args.pop("name", None)
    if job.credential_id is not None:
        destination = Destination(
            str(args.get("host", "")),
            int(args.get("port") or 22),
            job.device_id,
            "connection_args.host",
        )
        credential = resolve_credential(session, box, job.credential_id, destination)
        args.setdefault("username", credential.username)
        args["username"] = args.get("username") or credential.username
        if credential.password is not None:
            args["password"] = credential.password
        if credential.enable_secret is not None:
            args["secret"] = credential.enable_secret
    if job.secret_enc:
        args.update(json.loads(box.decrypt(job.secret_enc)))
    return driver.connection_args.model_validate(args)


def ensure_scope(session: Session, target: Target, field: str) -> None:
    """At submission already: the target's credential (named, or the device's) must be
    allowed there (403 naming the credential and the host); the worker checks again."""
    if target.credential_id is not None:
        destination = Destination(target.host, target.port, target.device_id, field)
        ensure_id_in_scope(session, target.credential_id, destination)
