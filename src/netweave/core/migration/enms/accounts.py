"""eNMS credentials and users.

- **Credentials** (``credential.yaml``): ``username``, base64 ``password`` and
  ``enable_password``, ``private_key`` (``subtype`` key), ``device_pools``. Each becomes a
  stored credential of the same name scoped to the translated pools. When the devices'
  own logins (which the inventory translation turns into ``enms-<username>``
  credentials) hold the very same secrets, that credential is this one: the devices point
  at it and its scope keeps their addresses too. ``priority`` has no NetWeave meaning (a
  device uses its own credential; a service names one).
- **Users** (``user.yaml``): admin when ``is_admin``, else operator. eNMS's argon2 hash
  (base64 of ``$argon2...``) is kept: NetWeave verifies argon2 (argon2-cffi). Any other
  hash cannot be verified: the user is made with a random password it does not know and
  must have it reset by an admin. An existing NetWeave user of the same name is never
  changed.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import extract_parameters
from argon2.exceptions import InvalidHashError
from sqlalchemy import select
from sqlalchemy.orm import Session

from netweave.core.access.schemas import USERNAME_PATTERN
from netweave.core.access.users import hash_password
from netweave.core.inventory.transfer import Document, Row
from netweave.core.migration.enms.pools import inventory_name
from netweave.core.migration.enms.report import KindReport
from netweave.db.models import Credential, Role, User
from netweave.foundation.errors import ConfigurationError
from netweave.foundation.secrets import SecretBox

SECRETS = ("password", "ssh_key", "enable_secret")


def decode(value: Any) -> str | None:
    """eNMS's base64 secret as text; None when it is not base64 of UTF-8 text."""
    if value in (None, ""):
        return ""
    try:
        return base64.b64decode(str(value), validate=True).decode()
    except (binascii.Error, ValueError):
        return None


def _private_key(value: Any) -> str | None:
    text = str(value or "").strip()
    if not text or "-----BEGIN" in text:
        return text
    decoded = decode(text)
    return decoded if decoded and "-----BEGIN" in decoded else None


def add_credentials(
    document: Document,
    records: list[tuple[int, dict[str, Any]]],
    pools: dict[str, str],
    report: KindReport,
    notes: list[str],
) -> None:
    """Credential rows for ``credential.yaml``, merged with the device-derived ones."""
    derived = {
        (
            row.data.get("username", ""),
            row.data.get("password", ""),
            row.data.get("enable_secret", ""),
        ): row
        for row in document.rows["credentials"]
    }
    taken = {str(row.data["name"]) for row in document.rows["credentials"]}
    renamed: dict[str, str] = {}
    priorities = 0
    for number, record in records:
        source = str(record.get("name") or "").strip()
        if not source:
            report.skip(f"#{number}", "no name")
            continue
        name = inventory_name(source)
        password, enable = decode(record.get("password")), decode(record.get("enable_password"))
        if password is None or enable is None:
            what = "password" if password is None else "enable_password"
            report.skip(source, f"{what} is not base64 text (eNMS exports it base64-encoded)")
            continue
        key = _private_key(record.get("private_key"))
        if key is None:
            report.skip(source, "private_key is neither a PEM/OpenSSH key nor base64 of one")
            continue
        if str(record.get("subtype") or "password") == "key" and not key:
            report.skip(source, "subtype key without a private_key")
            continue
        username = str(record.get("username") or "")
        if record.get("priority") not in (None, "", 1):
            priorities += 1
        scope_pools: list[str] = []
        missing: list[str] = []
        for pool in record.get("device_pools") or []:
            (scope_pools if str(pool) in pools else missing).append(str(pool))
        if missing:
            notes.append(
                f"credential {source!r}: pool(s) {', '.join(missing)} not imported, "
                "left out of its scope"
            )
        data: dict[str, Any] = {
            "name": name,
            "description": str(record.get("description") or "from eNMS"),
            "username": username,
            "scope": {"pools": sorted({pools[p] for p in scope_pools})},
        }
        if password:
            data["password"] = password
        if enable:
            data["enable_secret"] = enable
        if key:
            data["ssh_key"] = key
        same = derived.pop((username, password, enable), None) if not key else None
        if same is not None:  # the devices' own login: one credential
            old = str(same.data["name"])
            scope = same.data.get("scope") or {}
            data["scope"] = {
                "networks": scope.get("networks", []),
                "hosts": scope.get("hosts", []),
                "pools": sorted({*scope.get("pools", []), *data["scope"]["pools"]}),
            }
            data["description"] = f"{data['description']} (and the login of eNMS devices)"
            renamed[old] = name
            taken.discard(old)
            document.rows["credentials"].remove(same)
        if name in taken:
            report.skip(source, f"a second credential named {name!r} in the folder")
            continue
        taken.add(name)
        if not data["scope"].get("pools") and not data["scope"].get("networks"):
            notes.append(f"credential {name!r} has no pool: it is offered nowhere until scoped")
        document.rows["credentials"].append(Row("credentials", number, data))
    for row in document.rows["devices"]:
        if row.data.get("credential") in renamed:
            row.data["credential"] = renamed[row.data["credential"]]
    if renamed:
        notes.append(
            f"{len(renamed):,} device login(s) are eNMS credentials: "
            + ", ".join(sorted(renamed.values()))
        )
    if priorities:
        notes.append(
            f"{priorities:,} credential priority value(s) left out: a NetWeave device uses its "
            "own credential"
        )


def keep_stored_secrets(session: Session, box: SecretBox, document: Document) -> None:
    """Leave out of a credential row the secrets the stored credential already holds, so a
    second import of the same file changes nothing (sealing again would be a change)."""
    rows = {str(row.data.get("name")): row for row in document.rows["credentials"]}
    if not rows:
        return
    stored = session.scalars(select(Credential).where(Credential.name.in_(list(rows))))
    for credential in stored:
        row = rows[credential.name]
        for secret in SECRETS:
            given, sealed = row.data.get(secret), getattr(credential, f"{secret}_enc")
            if not given or not sealed:
                continue
            try:
                same = box.decrypt(sealed) == given
            except ConfigurationError:  # sealed under a key no longer known: seal it again
                same = False
            if same:
                del row.data[secret]


# -- users ---------------------------------------------------------------------------------

MAX_MEMORY_KIB = 1 << 20  # an argon2 hash costing more (1 GiB per check) is not kept


@dataclass
class UserPlan:
    username: str
    role: str
    password_hash: str | None  # None: must be reset by an admin


def plan_users(
    session: Session,
    records: list[tuple[int, dict[str, Any]]],
    report: KindReport,
    notes: list[str],
) -> list[UserPlan]:
    plans: list[UserPlan] = []
    seen: set[str] = set()
    emails = 0
    for number, record in records:
        name = str(record.get("name") or "").strip()
        if not re.match(USERNAME_PATTERN, name):
            report.skip(name or f"#{number}", "not a NetWeave user name (letters, digits _ . @ -)")
            continue
        if name in seen:
            report.skip(name, "a second user of that name in the folder")
            continue
        seen.add(name)
        emails += bool(record.get("email"))
        role = Role.admin.value if record.get("is_admin") is True else Role.operator.value
        existing = session.scalar(select(User).where(User.username == name))
        if existing is not None:
            report.unchanged += 1
            if existing.role != role:
                notes.append(
                    f"user {name!r} exists in NetWeave as {existing.role}: left as it is "
                    f"(eNMS: {role})"
                )
            continue
        hashed = _argon2(record.get("password"))
        if hashed is None:
            notes.append(
                f"user {name!r}: eNMS's password hash is not argon2; an admin must reset "
                "the password (Users → Reset password) before they can sign in"
            )
        plans.append(UserPlan(name, role, hashed))
        report.create(name)
    if emails:
        notes.append(f"{emails:,} user e-mail address(es) left out: NetWeave users have none")
    return plans


def _argon2(value: Any) -> str | None:
    text = str(value or "").strip()
    candidates = [text]
    decoded = decode(text)
    if decoded:
        candidates.insert(0, decoded)
    for candidate in candidates:
        if candidate.startswith("$argon2") and len(candidate) <= 255:
            try:
                cost = extract_parameters(candidate)
            except (InvalidHashError, ValueError):
                continue
            if (
                cost.memory_cost <= MAX_MEMORY_KIB
                and cost.time_cost <= 20
                and cost.parallelism <= 64
            ):
                return candidate  # bounded: a sign-in must not cost a worker its memory
    return None


def apply_users(session: Session, plans: list[UserPlan]) -> None:
    for plan in plans:
        session.add(
            User(
                username=plan.username,
                role=plan.role,
                password_hash=plan.password_hash or hash_password(secrets.token_urlsafe(32)),
                must_change_password=False,
            )
        )
    session.flush()
