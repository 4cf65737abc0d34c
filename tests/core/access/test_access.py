from datetime import UTC, datetime, timedelta

import pytest

from netweave.core.access import tokens, users
from netweave.core.access.schemas import ApiKeyCreate, UserCreate, UserUpdate
from netweave.core.runtime import Runtime
from netweave.db.models import ApiKey, Role, User
from netweave.foundation.errors import (
    AuthenticationFailed,
    Conflict,
    PermissionDenied,
)


def _principal(user: User) -> tokens.Principal:
    return tokens.Principal(user.id, user.username, Role(user.role), "test")


def test_password_hash_is_argon2_and_verifies() -> None:
    digest = users.hash_password("correct horse battery")
    assert digest.startswith("$argon2id$")
    assert users.verify_password(digest, "correct horse battery")
    assert not users.verify_password(digest, "wrong")
    assert not users.verify_password("not-a-hash", "x")


def test_first_admin_is_created_once_with_generated_password(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        for user in users.list_users(session):
            session.delete(user)
    with runtime.transaction() as session:
        first = users.ensure_first_admin(session, "admin", None)
        second = users.ensure_first_admin(session, "admin", None)
    assert first.created and first.password and len(first.password) >= 20
    assert not second.created and second.password is None
    with runtime.transaction() as session:
        admin = users.find_user(session, "admin")
        assert admin is not None and admin.role == Role.admin
        assert users.verify_password(admin.password_hash, first.password)
        assert first.password not in admin.password_hash


def test_api_key_shown_once_stored_hashed_and_revocable(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        admin = users.find_user(session, "admin")
        assert admin is not None
        row, key = tokens.create_api_key(session, _principal(admin), ApiKeyCreate(name="ci"))
        assert key not in (row.key_hash, row.prefix) and row.prefix in key
    with runtime.transaction() as session:
        assert tokens.authenticate_api_key(session, key).username == "admin"
        stored = session.get(ApiKey, row.id)
        assert stored is not None and stored.last_used_at is not None
        with pytest.raises(AuthenticationFailed):
            tokens.authenticate_api_key(session, key[:-1] + ("A" if key[-1] != "A" else "B"))
        tokens.revoke_api_key(session, _principal(admin), row.id)
    with runtime.transaction() as session, pytest.raises(AuthenticationFailed, match="revoked"):
        tokens.authenticate_api_key(session, key)


def test_expired_api_key_is_refused(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        admin = users.find_user(session, "admin")
        assert admin is not None
        row, key = tokens.create_api_key(
            session,
            _principal(admin),
            ApiKeyCreate(name="short", expires_at=datetime.now(UTC) + timedelta(hours=1)),
        )
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    with runtime.transaction() as session, pytest.raises(AuthenticationFailed, match="expired"):
        tokens.authenticate_api_key(session, key)


def test_only_admins_create_keys_for_others(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        viewer = users.create_user(
            session,
            UserCreate(username="v", password="long-enough-pass", role=Role.viewer),  # type: ignore[arg-type]
        )
        admin = users.find_user(session, "admin")
        assert admin is not None
        with pytest.raises(PermissionDenied):
            tokens.create_api_key(
                session, _principal(viewer), ApiKeyCreate(name="x", user_id=admin.id)
            )
        _, key = tokens.create_api_key(
            session, _principal(admin), ApiKeyCreate(name="for-v", user_id=viewer.id)
        )
    with runtime.transaction() as session:
        assert tokens.authenticate_api_key(session, key).role is Role.viewer


def test_login_session_and_disabled_user(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        user = users.create_user(
            session,
            UserCreate(username="op", password="long-enough-pass", role=Role.operator),  # type: ignore[arg-type]
        )
        with pytest.raises(AuthenticationFailed):
            tokens.login(session, "op", "wrong-password", timedelta(hours=1))
        _, token = tokens.login(session, "op", "long-enough-pass", timedelta(hours=1))
    with runtime.transaction() as session:
        assert tokens.authenticate_session(session, token).role is Role.operator
        users.update_user(session, user.id, UserUpdate(is_active=False))
    with runtime.transaction() as session, pytest.raises(AuthenticationFailed, match="disabled"):
        tokens.authenticate_session(session, token)


def test_last_admin_cannot_be_demoted_or_deleted(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        admin = users.find_user(session, "admin")
        assert admin is not None
        with pytest.raises(Conflict, match="last active admin"):
            users.update_user(session, admin.id, UserUpdate(role=Role.viewer))
        with pytest.raises(Conflict, match="last active admin"):
            users.delete_user(session, admin.id)
        with pytest.raises(Conflict):
            users.create_user(
                session,
                UserCreate(username="admin", password="long-enough-pass"),  # type: ignore[arg-type]
            )


def test_cached_api_key_stops_working_when_its_user_is_disabled(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        user = users.create_user(
            session,
            UserCreate(username="cached", password="long-enough-pass", role=Role.operator),  # type: ignore[arg-type]
        )
        _, key = tokens.create_api_key(session, _principal(user), ApiKeyCreate(name="k"))
    with runtime.transaction() as session:
        assert tokens.authenticate_api_key(session, key).username == "cached"  # now cached
        users.update_user(session, user.id, UserUpdate(is_active=False))
    with runtime.transaction() as session, pytest.raises(AuthenticationFailed, match="disabled"):
        tokens.authenticate_api_key(session, key)
