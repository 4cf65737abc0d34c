"""API keys and login sessions: issue, verify, revoke. Only SHA-256 digests are stored."""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from netweave.core.access import groups, key_cache
from netweave.core.access.failures import CredentialsRejected
from netweave.core.access.password_policy import PasswordPolicy, apply_expiry
from netweave.core.access.principal import Principal
from netweave.core.access.schemas import ApiKeyCreate
from netweave.core.access.users import (
    find_user,
    get_user,
    hash_password,
    needs_rehash,
    verify_password,
    verify_unknown,
)
from netweave.db.models import ApiKey, LoginSession, Role, User
from netweave.foundation.errors import (
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from netweave.foundation.secrets import sha256_hex

log = logging.getLogger(__name__)

API_KEY_PREFIX = "nwk"
_LAST_USED_RESOLUTION = timedelta(minutes=1)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _principal(session: Session, user: User, via: str, scope: str = "full") -> Principal:
    return Principal(
        user_id=user.id,
        username=user.username,
        role=groups.effective_role(session, user),  # their own and their groups' highest
        via=via,
        scope=scope,
        must_change_password=via == "session" and user.must_change_password,
    )


def create_api_key(
    session: Session, caller: Principal, data: ApiKeyCreate, max_days: float = 0
) -> tuple[ApiKey, str]:
    """``max_days`` > 0 caps the key's lifetime (a key without an expiry gets the cap)."""
    owner_id = data.user_id if data.user_id is not None else caller.user_id
    if owner_id != caller.user_id and caller.role is not Role.admin:
        raise PermissionDenied("only admins create API keys for other users", field="user_id")
    get_user(session, owner_id)
    now = datetime.now(UTC)
    expires_at = _aware(data.expires_at)
    if expires_at is not None and expires_at <= now:
        raise InvalidInput("must be in the future", field="expires_at")
    if max_days > 0:
        latest = now + timedelta(days=max_days)
        if expires_at is None:
            expires_at = latest
        elif expires_at > latest:
            raise InvalidInput(
                f"at most {max_days:g} days from now (api_key_max_days)", field="expires_at"
            )
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = f"{API_KEY_PREFIX}_{prefix}_{secret}"
    row = ApiKey(
        user_id=owner_id,
        name=data.name,
        prefix=prefix,
        key_hash=sha256_hex(key),
        expires_at=expires_at,
        scope=data.scope,
    )
    session.add(row)
    session.flush()
    return row, key


def list_api_keys(session: Session, caller: Principal, all_users: bool = False) -> list[ApiKey]:
    query = select(ApiKey).order_by(ApiKey.id)
    if not (all_users and caller.role is Role.admin):
        query = query.where(ApiKey.user_id == caller.user_id)
    return list(session.scalars(query))


def revoke_api_key(session: Session, caller: Principal, key_id: int) -> ApiKey:
    row = session.get(ApiKey, key_id)
    if row is None or (row.user_id != caller.user_id and caller.role is not Role.admin):
        raise NotFound(f"no API key with id {key_id}", field="key_id")
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
    session.flush()
    key_cache.clear()
    return row


def cached_api_key(presented: str) -> Principal | None:
    """The key's owner when the key was verified recently (no database read); None
    otherwise (verify it with :func:`authenticate_api_key`)."""
    cached = key_cache.get(sha256_hex(presented))
    return cached if isinstance(cached, Principal) else None


def authenticate_api_key(session: Session, presented: str) -> Principal:
    """The key's owner; its ``last_used_at`` is updated in ``session`` (see ``record_use``)."""
    digest = sha256_hex(presented)
    cached = key_cache.get(digest)
    if isinstance(cached, Principal):
        return cached
    principal, expires_at = _verify_api_key(session, presented, digest)
    left = (expires_at - datetime.now(UTC)).total_seconds() if expires_at else key_cache.TTL
    key_cache.put(digest, principal, left)
    return principal


def record_use(session: Session) -> None:
    """Commit a key's ``last_used_at``. Bookkeeping only: when the database cannot take the
    write (disk full, a read-only replica) the request goes on without it."""
    try:
        session.commit()
    except SQLAlchemyError as exc:
        session.rollback()
        log.info("API key use not recorded (%s)", type(exc).__name__)


def _verify_api_key(
    session: Session, presented: str, digest: str
) -> tuple[Principal, datetime | None]:
    parts = presented.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
        raise CredentialsRejected("invalid API key", kind="api_key")
    row = session.scalar(select(ApiKey).where(ApiKey.prefix == parts[1]))
    if row is None or not secrets.compare_digest(row.key_hash, digest):
        raise CredentialsRejected("invalid API key", kind="api_key")
    now = datetime.now(UTC)
    owner = row.user.username
    known = f" (key {row.name!r}, prefix {row.prefix})"  # the public part, never the secret
    if row.revoked_at is not None:
        raise CredentialsRejected(
            "API key revoked", kind="api_key", username=owner, reason="API key revoked" + known
        )
    expires_at = _aware(row.expires_at)
    if expires_at is not None and expires_at <= now:
        raise CredentialsRejected(
            "API key expired", kind="api_key", username=owner, reason="API key expired" + known
        )
    if not row.user.is_active:
        raise CredentialsRejected("user disabled", kind="api_key", username=owner)
    last_used = _aware(row.last_used_at)
    if last_used is None or now - last_used > _LAST_USED_RESOLUTION:
        row.last_used_at = now
    return _principal(session, row.user, "api_key", row.scope or "full"), expires_at


def login(
    session: Session,
    username: str,
    password: str,
    ttl: timedelta,
    policy: PasswordPolicy | None = None,
) -> tuple[User, str]:
    """Check a password and open a login session; returns the user and the cookie token."""
    user = find_user(session, username)
    refused = "wrong username or password"
    if user is not None and user.source != "local":  # its password is the directory's
        verify_unknown(password)
        raise CredentialsRejected(
            refused, kind="login", username=user.username, reason="a directory account"
        )
    if user is None:
        verify_unknown(password)  # the same time as for a real user: no user enumeration
        raise CredentialsRejected(refused, kind="login", reason="unknown user")
    if not verify_password(user.password_hash, password):
        raise CredentialsRejected(
            refused, kind="login", username=user.username, reason="wrong password"
        )
    if not user.is_active:
        raise CredentialsRejected(
            refused, kind="login", username=user.username, reason="user disabled"
        )
    if policy is not None:
        apply_expiry(user, policy)  # an expired password is due for a change, like a reset
    if user.must_change_password:
        # a one-time password signs in once: this session may only choose a new password
        user.password_hash = hash_password(secrets.token_urlsafe(32))
    elif needs_rehash(user.password_hash):  # the configured argon2 cost changed
        user.password_hash = hash_password(password)
    return user, open_session(session, user, ttl)


def open_session(session: Session, user: User, ttl: timedelta) -> str:
    """A login session for ``user`` (already authenticated); the cookie token."""
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    session.add(LoginSession(user_id=user.id, token_hash=sha256_hex(token), expires_at=now + ttl))
    user.last_login_at = now
    session.flush()
    return token


def authenticate_session(session: Session, token: str) -> Principal:
    row = session.scalar(select(LoginSession).where(LoginSession.token_hash == sha256_hex(token)))
    if row is None:
        raise CredentialsRejected("not logged in", kind="session", reason="unknown login session")
    if _aware(row.expires_at) <= datetime.now(UTC):  # type: ignore[operator]
        raise CredentialsRejected(
            "login session expired", kind="session", username=row.user.username
        )
    if not row.user.is_active:
        raise CredentialsRejected("user disabled", kind="session", username=row.user.username)
    return _principal(session, row.user, "session")


def logout(session: Session, token: str) -> None:
    row = session.scalar(select(LoginSession).where(LoginSession.token_hash == sha256_hex(token)))
    if row is not None:
        session.delete(row)
        session.flush()


def csrf_token(session_token: str) -> str:
    """The double-submit token of a login session: readable by the UI's own scripts (a
    cookie without HttpOnly), unknown to another site, required on every state-changing
    request that authenticates with the session cookie."""
    return sha256_hex(f"csrf:{session_token}")[:40]
