"""From a request's ``connection_args`` (+ credential reference) to a job row, and back to
live connection arguments in the worker. Inventory names resolve to host/port/platform and
their stored credential; inline passwords are sealed with Fernet, never stored in clear."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from netweave.core.inventory.bastions import jump_hosts
from netweave.core.inventory.credential_scope import Destination, ensure_id_in_scope
from netweave.core.inventory.credentials import resolve_credential
from netweave.db.models import Credential, Device, Job
from netweave.drivers.base import BaseConnectionArgs, Driver
from netweave.foundation.errors import InvalidInput, NotFound, PermissionDenied
from netweave.foundation.secrets import SecretBox

SECRET_KEYS = (
    "password",
    "secret",
    "passphrase",
    "key_passphrase",
    "api_key",
    "token",
    "proxy_password",
    "proxy_pkey",
    "proxy_passphrase",
)
# read from files on the server: an admin's option only (a hostile user would probe paths)
SERVER_FILE_KEYS = ("proxy_key_filename",)


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


_BY_NAME = select(Device).where(Device.name == bindparam("name"))
_BY_NAMES = select(Device).where(Device.name.in_(bindparam("names", expanding=True)))


class InventoryIndex:
    """Name → device and credential lookups loaded once per request (bulk-friendly)."""

    def __init__(self, session: Session, names: set[str], credential_names: set[str]) -> None:
        self.devices: dict[str, Device] = {}
        if names:
            params: dict[str, Any]
            if len(names) == 1:  # one device (an exec): a prepared equality, no IN list
                found, params = _BY_NAME, {"name": next(iter(names))}
            else:  # one expanding parameter: no literal coercion per name (a 1,000 bulk)
                found, params = _BY_NAMES, {"names": sorted(names)}
            for device in session.scalars(found, params):
                self.devices[device.name] = device
        self.credentials: dict[str, int] = {}
        if credential_names:
            rows = session.execute(
                select(Credential.id, Credential.name).where(Credential.name.in_(credential_names))
            )
            self.credentials = {name: ident for ident, name in rows}


def resolve_target(
    args: dict[str, Any],
    credential_name: str | None,
    index: InventoryIndex,
    field: str,
    driver: type[Driver] | None = None,
) -> Target:
    host = args.get("host")
    if not isinstance(host, str) or not host.strip():
        raise InvalidInput("host is required", field=f"{field}.host")
    if args.get("jump_hosts"):
        raise InvalidInput(
            "jump_hosts come from the inventory (a device's bastion); give one jump host "
            "with proxy_host/proxy_port/proxy_username/proxy_password",
            field=f"{field}.jump_hosts",
        )
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
        if device.bastion is not None and args.get("proxy_host"):
            raise InvalidInput(
                f"{device.name} is reached through bastion {device.bastion.name!r} (inventory); "
                "proxy_host cannot be combined with it",
                field=f"{field}.proxy_host",
            )
        if not secrets and not clean.get("username"):
            credential_id = device.credential_id
    if credential_name:
        if credential_name not in index.credentials:
            raise NotFound(f"no credential named {credential_name!r}", field="credential.name")
        credential_id = index.credentials[credential_name]
    model = driver.connection_args if driver is not None else BaseConnectionArgs
    try:
        parsed = model.model_validate(
            {k: v for k, v in {**clean, **secrets}.items() if k != "name"}
        )
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        message = str(problem["msg"]).removeprefix("Value error, ")
        raise InvalidInput(
            f"invalid connection argument {where}: {message}",
            field=f"{field}.{where}" if where else field,
        ) from exc
    if driver is not None and parsed.host_key is not None and not driver.checks_host_key:
        raise InvalidInput(
            f"host_key: the {driver.name} driver cannot check a pinned host key "
            "(netmiko and paramiko can)",
            field=f"{field}.host_key",
        )
    if driver is not None:  # extra keys: only those the driver's library takes (else a 422)
        driver.pass_through_connection_args(parsed.model_extra or {}, parsed.device_type, field)
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
    if job.credential_id is not None and args.get("proxy_host"):
        _ensure_proxy_in_scope(session, job.credential_id, args, "connection_args.proxy_host")
    if job.device_id is not None:  # the device's bastion chain, as the inventory says now
        device = session.get(Device, job.device_id)
        if device is not None and device.bastion_id is not None:
            args["jump_hosts"] = jump_hosts(session, box, device.bastion_id)
    return driver.connection_args.model_validate(args)


def _ensure_proxy_in_scope(
    session: Session, credential_id: int, args: dict[str, Any], field: str
) -> None:
    """A stored credential travels through a jump host of the request only if its scope
    holds that jump host too: whoever runs the jump host could forward the login to a host
    of their own."""
    port = args.get("proxy_port") or 22
    destination = Destination(str(args["proxy_host"]), int(port), None, field)
    ensure_id_in_scope(session, credential_id, destination)


def ensure_scope(session: Session, target: Target, field: str) -> None:
    """At submission already: the target's credential (named, or the device's) must be
    allowed there (403 naming the credential and the host); the worker checks again."""
    if target.credential_id is not None:
        destination = Destination(target.host, target.port, target.device_id, field)
        ensure_id_in_scope(session, target.credential_id, destination)
        if target.connection_args.get("proxy_host"):
            proxy_field = field.rsplit(".", 1)[0] + ".proxy_host"
            _ensure_proxy_in_scope(
                session, target.credential_id, target.connection_args, proxy_field
            )


def ensure_server_files_allowed(principal_is_admin: bool, target: Target, field: str) -> None:
    """Arguments that read files on the server (a jump host's key file) are for admins."""
    for name in SERVER_FILE_KEYS:
        if target.connection_args.get(name) and not principal_is_admin:
            raise PermissionDenied(
                f"{name} reads a file on the NetWeave server: only admins may use it "
                "(give the key itself in proxy_pkey)",
                field=f"{field.removesuffix('.host')}.{name}",
            )
