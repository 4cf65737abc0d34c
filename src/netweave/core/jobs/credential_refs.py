"""NetPulse's credential reference ``{"name": "vault_kv", "ref": "<path>", "mount": ...}``
resolved to an inventory credential.

A request never reads an arbitrary Vault path: the reference must match a credential an
admin registered with ``source: vault`` (same mount, path and pinned version, or none), so
its scope (networks, host globs, pools) applies exactly as when the credential is named.
A reference that matches no credential is a 404 naming ``credential.ref`` (Vault is not
asked); one that matches several is a 422 asking for the credential's name instead.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from netweave.core.inventory.schemas import DEFAULT_VAULT_MOUNT, vault_fields
from netweave.core.jobs.schemas import CredentialRef
from netweave.core.jobs.targets import InventoryIndex
from netweave.db.models import Credential
from netweave.foundation.errors import InvalidInput, NotFound
from netweave.foundation.secrets import SecretBox
from netweave.foundation.vault import api_path

# NetPulse's field_mapping names connection_args keys; a vault credential's fields are these.
CONNECTION_ARG_FIELDS = {
    "username": "username",
    "password": "password",
    "secret": "enable_secret",
    "enable_secret": "enable_secret",
    "pkey": "ssh_key",
    "ssh_key": "ssh_key",
}


def credential_key(ref: CredentialRef | None) -> str | None:
    """How the request's credential is looked up in an :class:`InventoryIndex`: its name,
    or for a vault_kv reference a key no credential name can take (names have no NUL)."""
    if ref is None:
        return None
    if ref.ref is None:
        return ref.name
    return f"\0vault_kv\0{ref.mount or ''}\0{ref.ref}\0{ref.version or ''}"


def inventory_index(
    session: Session, names: set[str], ref: CredentialRef | None, box: SecretBox
) -> InventoryIndex:
    """The index for a request's devices and credential, a vault_kv reference resolved to
    the one credential it designates (``box``: its Vault client's namespace, if any)."""
    namespace = box.vault.config.namespace if box.vault is not None else None
    plain = {ref.name} if ref is not None and ref.ref is None else set()
    index = InventoryIndex(session, names, plain)
    if ref is not None and ref.ref is not None:
        key = credential_key(ref)
        assert key is not None
        index.credentials[key] = resolve_reference(session, ref, namespace).id
    return index


def resolve_reference(session: Session, ref: CredentialRef, namespace: str | None) -> Credential:
    assert ref.ref is not None
    mount = (ref.mount or DEFAULT_VAULT_MOUNT).strip("/")
    path = ref.ref.strip("/")
    where = api_path(mount, path, ref.version)
    if ref.namespace is not None and ref.namespace != (namespace or None):
        raise InvalidInput(
            f"namespace {ref.namespace!r}: this server reads Vault in "
            f"{'namespace ' + repr(namespace) if namespace else 'no namespace'}",
            field="credential.namespace",
        )
    rows = list(
        session.scalars(
            select(Credential)
            .where(
                Credential.source == "vault",
                Credential.vault_mount == mount,
                Credential.vault_path == path,
                Credential.vault_version.is_(None)
                if ref.version is None
                else Credential.vault_version == ref.version,
            )
            .order_by(Credential.name)
        )
    )
    if not rows:
        raise NotFound(
            f"no vault credential references {where}: an admin registers it as a credential "
            "(source vault) with a scope first",
            field="credential.ref",
        )
    if len(rows) > 1:
        names = ", ".join(repr(row.name) for row in rows)
        raise InvalidInput(
            f"{where} is referenced by several credentials ({names}): name one instead",
            field="credential.ref",
        )
    row = rows[0]
    _check_mapping(row, ref.field_mapping or {})
    return row


def _check_mapping(row: Credential, requested: dict[str, str]) -> None:
    """A request may restate the credential's field mapping, not change it: which key of
    the secret becomes the password is the admin's decision."""
    effective = vault_fields(row.vault_fields)
    for arg, key in requested.items():
        field = CONNECTION_ARG_FIELDS.get(arg)
        if field is None:
            raise InvalidInput(
                f"{arg!r} is not a credential field; one of {', '.join(CONNECTION_ARG_FIELDS)}",
                field=f"credential.field_mapping.{arg}",
            )
        if field == "username" and row.username:
            raise InvalidInput(
                f"credential {row.name!r} fixes the username; it is not read from the secret",
                field=f"credential.field_mapping.{arg}",
            )
        if effective[field] != key:
            raise InvalidInput(
                f"credential {row.name!r} reads {field} from key {effective[field]!r}, not "
                f"{key!r} (an admin sets the mapping on the credential)",
                field=f"credential.field_mapping.{arg}",
            )
