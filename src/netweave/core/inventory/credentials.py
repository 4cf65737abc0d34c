"""Credentials, encrypted at rest. Secrets go in; only ``has_*`` flags come out, except
through ``resolve_credential`` which only the worker side calls."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from netweave.core.inventory.schemas import CredentialCreate, CredentialRead, CredentialUpdate
from netweave.db.models import Credential, Device
from netweave.foundation.errors import Conflict, NotFound
from netweave.foundation.secrets import SecretBox


@dataclass(frozen=True, repr=False)
class ResolvedCredential:
    username: str
    password: str | None
    ssh_key: str | None
    enable_secret: str | None

    def __repr__(self) -> str:  # never print the secrets
        return f"ResolvedCredential(username={self.username!r}, secrets=<hidden>)"


def to_read(row: Credential) -> CredentialRead:
    return CredentialRead(
        id=row.id,
        name=row.name,
        description=row.description,
        username=row.username,
        has_password=row.password_enc is not None,
        has_ssh_key=row.ssh_key_enc is not None,
        has_enable_secret=row.enable_secret_enc is not None,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _seal(box: SecretBox, value: SecretStr | None) -> str | None:
    return None if value is None else box.encrypt(value.get_secret_value())


def list_credentials(session: Session) -> list[Credential]:
    return list(session.scalars(select(Credential).order_by(Credential.name)))


def get_credential(session: Session, credential_id: int) -> Credential:
    row = session.get(Credential, credential_id)
    if row is None:
        raise NotFound(f"no credential with id {credential_id}", field="credential_id")
    return row


def credential_by_name(session: Session, name: str, field: str = "credential") -> Credential:
    row = session.scalar(select(Credential).where(Credential.name == name))
    if row is None:
        raise NotFound(f"no credential named {name!r}", field=field)
    return row


def create_credential(session: Session, box: SecretBox, data: CredentialCreate) -> Credential:
    if session.scalar(select(Credential.id).where(Credential.name == data.name)) is not None:
        raise Conflict(f"credential {data.name!r} already exists", field="name")
    row = Credential(
        name=data.name,
        description=data.description,
        username=data.username,
        password_enc=_seal(box, data.password),
        ssh_key_enc=_seal(box, data.ssh_key),
        enable_secret_enc=_seal(box, data.enable_secret),
    )
    session.add(row)
    session.flush()
    return row


def update_credential(
    session: Session, box: SecretBox, credential_id: int, data: CredentialUpdate
) -> Credential:
    row = get_credential(session, credential_id)
    if data.name is not None and data.name != row.name:
        if session.scalar(select(Credential.id).where(Credential.name == data.name)) is not None:
            raise Conflict(f"credential {data.name!r} already exists", field="name")
        row.name = data.name
    if data.description is not None:
        row.description = data.description
    if data.username is not None:
        row.username = data.username
    if data.password is not None:
        row.password_enc = _seal(box, data.password)
    if data.ssh_key is not None:
        row.ssh_key_enc = _seal(box, data.ssh_key)
    if data.enable_secret is not None:
        row.enable_secret_enc = _seal(box, data.enable_secret)
    session.flush()
    return row


def delete_credential(session: Session, credential_id: int) -> None:
    row = get_credential(session, credential_id)
    users = session.scalar(
        select(func.count()).select_from(Device).where(Device.credential_id == row.id)
    )
    if users:
        raise Conflict(
            f"credential {row.name!r} is used by {users} device(s)", field="credential_id"
        )
    session.delete(row)
    session.flush()


def resolve_credential(session: Session, box: SecretBox, credential_id: int) -> ResolvedCredential:
    row = get_credential(session, credential_id)

    def _open(token: str | None) -> str | None:
        return None if token is None else box.decrypt(token)

    return ResolvedCredential(
        username=row.username,
        password=_open(row.password_enc),
        ssh_key=_open(row.ssh_key_enc),
        enable_secret=_open(row.enable_secret_enc),
    )
