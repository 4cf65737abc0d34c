"""A UI login: rate limited per (username, client address) and per address, then the
password check."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from netweave.core.access import directory_signin, throttle, tokens
from netweave.core.access.failures import TooManyAttempts
from netweave.core.access.password_policy import PasswordPolicy
from netweave.core.access.schemas import UserRead
from netweave.core.access.users import find_user
from netweave.foundation.settings import Settings


def sign_in(
    sessions: sessionmaker[Session],
    limits: throttle.Limits,
    username: str,
    password: str,
    client_ip: str,
    ttl: timedelta,
    settings: Settings | None = None,
) -> tuple[UserRead, str]:
    """The user and the session token (for the cookie). The attempt is counted in its own
    transaction first, so a refused password still counts; success resets the pair's counter."""
    with sessions() as session, session.begin():
        wait = throttle.attempt(session, limits, username, client_ip)
    if wait is not None:
        with sessions() as session:
            known = find_user(session, username)
        raise TooManyAttempts(
            f"too many failed logins from this address: try again in {wait} s",
            retry_after=wait,
            username=known.username if known is not None else None,
        )
    check = directory_signin.external(settings)  # LDAP/AD or RADIUS, when set
    if check is not None:
        with sessions() as session:
            local = directory_signin.is_local(session, username)
        if not local:  # the directory answers (outside any transaction: a network call)
            found = check(username, password)
            assert settings is not None
            user, token = directory_signin.sign_in(
                sessions, found, username, ttl, settings.directory_require_group
            )
            with sessions() as session, session.begin():
                throttle.reset(session, username, client_ip)
            return UserRead.model_validate(user), token
    with sessions() as session, session.begin():
        policy = PasswordPolicy.from_settings(settings) if settings is not None else None
        user, token = tokens.login(session, username, password, ttl, policy)
        throttle.reset(session, username, client_ip)
        return UserRead.model_validate(user), token
