"""User management and argon2 password hashing."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from netweave.core.access import key_cache
from netweave.core.access import password_policy as policies
from netweave.core.access.groups import effective_role
from netweave.core.access.password_policy import PasswordPolicy
from netweave.core.access.schemas import UserCreate, UserUpdate
from netweave.db.base import utcnow
from netweave.db.models import LoginSession, Role, User
from netweave.foundation.errors import Conflict, InvalidInput, NotFound
from netweave.foundation.secrets import sha256_hex

_hasher = PasswordHasher()


def configure_hashing(memory_kib: int, time_cost: int) -> None:
    """The argon2id cost of new hashes (settings ``password_hash_*``). Verification reads
    each hash's own parameters, so stored hashes keep working when the cost changes."""
    global _hasher
    if (_hasher.memory_cost, _hasher.time_cost) != (memory_kib, time_cost):
        _hasher = PasswordHasher(memory_cost=memory_kib, time_cost=time_cost)
        _UNKNOWN_USER_HASH.clear()


def needs_rehash(password_hash: str) -> bool:
    """True when a stored hash was made with other costs than the configured ones."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_UNKNOWN_USER_HASH: list[str] = []


def verify_unknown(password: str) -> None:
    """Spend the time of a password check for a user who does not exist."""
    if not _UNKNOWN_USER_HASH:
        _UNKNOWN_USER_HASH.append(_hasher.hash(secrets.token_urlsafe(16)))
    verify_password(_UNKNOWN_USER_HASH[0], password)


def generate_password() -> str:
    return secrets.token_urlsafe(18)


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id}", field="user_id")
    return user


def is_admin(session: Session, username: str | None) -> bool:
    """None is the system (scheduler, event rules, CLI); a removed user is not an admin."""
    if username is None:
        return True
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        return False
    return effective_role(session, user) is Role.admin


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def _choose(
    user: User, password: str, policy: PasswordPolicy | None, field: str = "password"
) -> None:
    """Set a password a person chose: ``policy`` checked (None: the system's, e.g. a
    generated one, exempt), the earlier ones refused, the new one remembered."""
    policies.ensure_local(user, field)
    kept = policy or PasswordPolicy()
    if policy is not None:
        policies.check(policy, password, user.username, field)
        policies.check_history(policy, user, password, field)
    user.password_hash = hash_password(password)
    policies.remember(kept, user, user.password_hash)


def create_user(session: Session, data: UserCreate, policy: PasswordPolicy | None = None) -> User:
    """``policy``: the password policy a person's chosen password must meet (None: the
    system's, e.g. a generated password)."""
    if find_user(session, data.username) is not None:
        raise Conflict(f"user {data.username!r} already exists", field="username")
    user = User(username=data.username, role=data.role.value, source="local")
    _choose(user, data.password.get_secret_value(), policy)
    session.add(user)
    session.flush()
    return user


def update_user(
    session: Session,
    user_id: int,
    data: UserUpdate,
    actor_id: int | None = None,
    policy: PasswordPolicy | None = None,
) -> User:
    """``actor_id``: the admin making the change, who may not disable themselves; ``policy``:
    the one a password set here must meet (None: the system's)."""
    user = get_user(session, user_id)
    if data.must_change_password is not None:
        policies.ensure_local(user, "must_change_password")
    if data.is_active is False and user.id == actor_id:
        raise Conflict("you cannot disable yourself", field="is_active")
    if data.role is not None and data.role is not Role.admin and user.role == Role.admin:
        _ensure_other_active_admin(session, user, "demoted", "role")
    if data.is_active is False and user.role == Role.admin:
        _ensure_other_active_admin(session, user, "disabled", "is_active")
    if data.password is not None:
        _choose(user, data.password.get_secret_value(), policy)
        user.must_change_password = False
    if data.must_change_password is not None:
        # true: the current password signs in once more (tokens.login spends it), into a
        # session that may only choose a new one
        user.must_change_password = data.must_change_password
    if data.role is not None:
        user.role = data.role.value
    if data.is_active is not None:
        user.is_active = data.is_active
    session.flush()
    key_cache.clear()  # a role or state change applies to cached API keys at once
    return user


def reset_password(session: Session, user_id: int, actor_id: int | None = None) -> tuple[User, str]:
    """A one-time password (returned once, never stored in clear): it signs in once, and that
    session may only choose a new password. The user's open login sessions end."""
    user = get_user(session, user_id)
    if user.id == actor_id:
        raise Conflict("change your own password instead of resetting it", field="user_id")
    policies.ensure_local(user, "user_id")
    secret = generate_password()
    user.password_hash = hash_password(secret)  # random: not a chosen one (no history)
    user.password_changed_at = utcnow()
    user.must_change_password = True
    session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    session.flush()
    return user, secret


def change_password(
    session: Session,
    user_id: int,
    current: str | None,
    new: str,
    keep_session: str | None,
    policy: PasswordPolicy | None = None,
) -> User:
    """The caller's own password. ``current`` is required unless the caller signed in with a
    one-time password (which the sign-in already spent). Other login sessions end."""
    user = get_user(session, user_id)
    policies.ensure_local(user, "new_password")
    if not user.must_change_password:
        if current is None:
            raise InvalidInput("required to change your password", field="current_password")
        if not verify_password(user.password_hash, current):
            raise InvalidInput("wrong password", field="current_password")
    if current is not None and current == new:
        raise InvalidInput("must differ from the current password", field="new_password")
    _choose(user, new, policy, "new_password")
    user.must_change_password = False
    others = delete(LoginSession).where(LoginSession.user_id == user.id)
    if keep_session is not None:
        others = others.where(LoginSession.token_hash != sha256_hex(keep_session))
    session.execute(others)
    session.flush()
    return user


def ensure_deletable(session: Session, user: User, actor_id: int | None) -> None:
    """409: yourself, the last active admin."""
    if user.id == actor_id:
        raise Conflict("you cannot delete yourself", field="user_id")
    if user.role == Role.admin:
        _ensure_other_active_admin(session, user, "deleted", "user_id")


def delete_user(session: Session, user_id: int, actor_id: int | None = None) -> None:
    """What the user owns stays, with its owner gone: see :mod:`handover` to hand it over."""
    user = get_user(session, user_id)
    ensure_deletable(session, user, actor_id)
    session.delete(user)
    session.flush()
    key_cache.clear()


def _ensure_other_active_admin(session: Session, user: User, action: str, field: str) -> None:
    others = session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.role == Role.admin.value, User.is_active.is_(True), User.id != user.id)
    )
    if not others:
        raise Conflict(
            f"{user.username} is the last active admin and cannot be {action}", field=field
        )


def count_users(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0


@dataclass(frozen=True)
class BootstrapResult:
    username: str
    password: str | None  # only when it was generated (printed once)
    created: bool


def ensure_first_admin(session: Session, username: str, password: str | None) -> BootstrapResult:
    """On first run (no users at all) create an admin. No default password: the one given
    (``NETWEAVE_ADMIN_PASSWORD``) or a generated one, returned so it can be printed once."""
    if count_users(session) > 0:
        return BootstrapResult(username=username, password=None, created=False)
    generated = password is None
    secret = password or generate_password()
    first = User(username=username, role=Role.admin, source="local")
    _choose(first, secret, None)  # NETWEAVE_ADMIN_PASSWORD, checked by the settings
    session.add(first)
    session.flush()
    return BootstrapResult(username=username, password=secret if generated else None, created=True)
