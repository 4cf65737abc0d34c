"""Credentials, encrypted at rest or kept in Vault/OpenBao. Secrets go in; only ``has_*``
flags (and a vault reference) come out, except through ``resolve_credential`` which only the
side that connects to devices calls (the workers): vault is contacted there, never when a
job is accepted."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, object_session

from netweave.core.inventory.credential_scope import (
    Destination,
    ensure_in_scope,
    read_scope,
    stored_scope,
)
from netweave.core.inventory.schemas import (
    DEFAULT_VAULT_MOUNT,
    CredentialCreate,
    CredentialRead,
    CredentialScope,
    CredentialUpdate,
    credential_problems,
    vault_fields,
)
from netweave.db.models import Bastion, Credential, Device
from netweave.foundation.errors import Conflict, InvalidInput, NotFound
from netweave.foundation.secrets import SecretBox
from netweave.foundation.vault import VaultError, api_path


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
        source=row.source,
        vault_mount=row.vault_mount,
        vault_path=row.vault_path,
        vault_version=row.vault_version,
        vault_fields=_effective_fields(row),
        scope=_scope_read(row),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _scope_read(row: Credential) -> CredentialScope | None:
    session = object_session(row)
    if session is None or row.scope is None:
        return None
    return read_scope(session, row.scope)


def _effective_fields(row: Credential) -> dict[str, str] | None:
    """The key of the secret behind each value (a username fixed on the row needs none)."""
    if row.source != "vault":
        return None
    mapping = vault_fields(row.vault_fields)
    if row.username:
        mapping.pop("username")
    return mapping


def _seal(box: SecretBox, value: SecretStr | None) -> str | None:
    return None if value is None else box.encrypt(value.get_secret_value())


def list_credentials(
    session: Session, visible: ColumnElement[bool] | None = None
) -> list[Credential]:
    """``visible``: only the credentials it keeps (the caller's per-object read right)."""
    query = select(Credential).order_by(Credential.name)
    if visible is not None:
        query = query.where(visible)
    return list(session.scalars(query))


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


def create_credential(
    session: Session, box: SecretBox, data: CredentialCreate, creator: str = ""
) -> Credential:
    if session.scalar(select(Credential.id).where(Credential.name == data.name)) is not None:
        raise Conflict(f"credential {data.name!r} already exists", field="name")
    row = Credential(
        name=data.name,
        description=data.description,
        username=data.username,
        password_enc=_seal(box, data.password),
        ssh_key_enc=_seal(box, data.ssh_key),
        enable_secret_enc=_seal(box, data.enable_secret),
        source=data.source,
        vault_mount=data.vault_mount,
        vault_path=data.vault_path,
        vault_version=data.vault_version,
        vault_fields=data.vault_fields,
        scope=stored_scope(session, data.scope),
        created_by=creator,
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
    _check_update(row, data)
    if data.username is not None:
        row.username = data.username
    if data.source is not None and data.source != row.source:
        row.source = data.source
        if data.source == "vault":  # the sealed secrets are no longer used: drop them
            row.password_enc = row.ssh_key_enc = row.enable_secret_enc = None
        else:
            row.vault_mount = row.vault_path = row.vault_version = row.vault_fields = None
    if data.password is not None:
        row.password_enc = _seal(box, data.password)
    if data.ssh_key is not None:
        row.ssh_key_enc = _seal(box, data.ssh_key)
    if data.enable_secret is not None:
        row.enable_secret_enc = _seal(box, data.enable_secret)
    for column in ("vault_mount", "vault_path", "vault_version", "vault_fields"):
        if column in data.model_fields_set:  # an explicit null clears (version: the latest)
            setattr(row, column, getattr(data, column))
    if row.source == "vault" and row.vault_mount is None:
        row.vault_mount = DEFAULT_VAULT_MOUNT
    if "scope" in data.model_fields_set:  # an explicit null: offered nowhere
        row.scope = stored_scope(session, data.scope)
    session.flush()
    return row


def _check_update(row: Credential, data: CredentialUpdate) -> None:
    """The credential as it will be after the update must still be whole."""
    source = data.source or row.source
    switched = source != row.source
    given = data.model_fields_set
    vault_columns = ("vault_mount", "vault_path", "vault_version", "vault_fields")
    values: dict[str, object] = {
        "source": source,
        "username": data.username if data.username is not None else row.username,
    }
    if source == "vault":
        for secret in ("password", "ssh_key", "enable_secret"):
            values[secret] = getattr(data, secret) is not None
        for column in vault_columns:  # a switch starts from an empty reference
            kept = None if switched else getattr(row, column)
            values[column] = getattr(data, column) if column in given else kept
    else:
        keep = not switched  # a switch drops the vault reference: the secrets must come now
        values["password"] = data.password is not None or (keep and bool(row.password_enc))
        values["ssh_key"] = data.ssh_key is not None or (keep and bool(row.ssh_key_enc))
        for column in vault_columns:
            values[column] = getattr(data, column) if column in given else None
    problems = credential_problems(values)
    if problems:
        field, message = problems[0]
        raise InvalidInput(message, field=field)


def delete_credential(session: Session, credential_id: int) -> None:
    row = get_credential(session, credential_id)
    users = session.scalar(
        select(func.count()).select_from(Device).where(Device.credential_id == row.id)
    )
    bastions = session.scalar(
        select(func.count()).select_from(Bastion).where(Bastion.credential_id == row.id)
    )
    if users or bastions:
        raise Conflict(
            f"credential {row.name!r} is used by {users} device(s)"
            + (f" and {bastions} bastion(s)" if bastions else ""),
            field="credential_id",
        )
    session.delete(row)
    session.flush()


def resolve_credential(
    session: Session, box: SecretBox, credential_id: int, destination: Destination
) -> ResolvedCredential:
    """The secrets, in clear, for the code about to log in to ``destination``. Refused
    (403) first when ``destination`` is outside the credential's scope. Stored: decrypted
    here. Vault: read through ``box.vault`` (cached a few seconds); failures raise
    :class:`VaultError` naming the secret and the credential, never a value."""
    row = get_credential(session, credential_id)
    ensure_in_scope(session, row, destination)
    if row.source == "vault":
        return _from_vault(box, row)

    def _open(token: str | None) -> str | None:
        return None if token is None else box.decrypt(token)

    return ResolvedCredential(
        username=row.username,
        password=_open(row.password_enc),
        ssh_key=_open(row.ssh_key_enc),
        enable_secret=_open(row.enable_secret_enc),
    )


def _from_vault(box: SecretBox, row: Credential) -> ResolvedCredential:
    mount, path = row.vault_mount or DEFAULT_VAULT_MOUNT, row.vault_path or ""
    where = api_path(mount, path, row.vault_version)
    if box.vault is None:
        raise VaultError(
            f"vault: not configured (set NETWEAVE_VAULT_URL) to read {where} "
            f"for credential {row.name!r}"
        )
    try:
        secret = box.vault.read(mount, path, row.vault_version)
    except VaultError as exc:
        raise VaultError(f"{exc.message} (credential {row.name!r})") from None
    explicit = row.vault_fields or {}
    mapping = vault_fields(explicit)

    def pick(field: str) -> str | None:
        key = mapping[field]
        value = secret.data.get(key)
        if value is None or value == "":
            if field in explicit:  # a key the credential names must be there
                raise VaultError(
                    f"vault: secret {where} has no key {key!r} for {field} "
                    f"(credential {row.name!r})"
                )
            return None
        if isinstance(value, dict | list):
            raise VaultError(
                f"vault: key {key!r} of secret {where} is not a string (credential {row.name!r})"
            )
        return str(value)

    username = row.username or pick("username")
    if not username:
        raise VaultError(
            f"vault: secret {where} has no key {mapping['username']!r} and credential "
            f"{row.name!r} fixes no username"
        )
    password, ssh_key = pick("password"), pick("ssh_key")
    if password is None and ssh_key is None:
        raise VaultError(
            f"vault: secret {where} has neither {mapping['password']!r} nor "
            f"{mapping['ssh_key']!r} (credential {row.name!r})"
        )
    return ResolvedCredential(
        username=username,
        password=password,
        ssh_key=ssh_key,
        enable_secret=pick("enable_secret"),
    )
