"""Signing in with a directory account (LDAP / Active Directory, or a RADIUS server): the
directory checks the password (:mod:`netweave.core.access.directory`, :mod:`radius`);
NetWeave keeps a user row for them (``source`` "directory", no usable password here),
refreshes their group memberships from the directory groups mapped to NetWeave groups at
every sign-in, and opens a session.
A local account of the same name always wins (the first admin is always local), and a
disabled user stays out whatever the directory says."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import partial

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from netweave.core.access import directory, groups, radius, tokens
from netweave.core.access.directory import DirectoryConfig, DirectoryUser
from netweave.core.access.failures import CredentialsRejected
from netweave.core.access.radius import RadiusConfig
from netweave.core.access.users import hash_password
from netweave.db.models import Role, User
from netweave.foundation.settings import Settings

REFUSED = "wrong username or password"


def config_from(settings: Settings) -> DirectoryConfig | None:
    """The directory NetWeave signs users in against; None when none is set."""
    if not settings.directory_url:
        return None
    return DirectoryConfig(
        url=settings.directory_url,
        start_tls=settings.directory_start_tls,
        ca_file=settings.directory_ca_file,
        verify=settings.directory_verify,
        bind_dn=settings.directory_bind_dn,
        bind_password=settings.directory_bind_password or SecretStr(""),
        user_base=settings.directory_user_base,
        user_filter=settings.directory_user_filter,
        username_attribute=settings.directory_username_attribute,
        group_base=settings.directory_group_base,
        group_filter=settings.directory_group_filter,
        group_name_attribute=settings.directory_group_name_attribute,
        timeout=settings.directory_timeout,
    )


def radius_config_from(settings: Settings) -> RadiusConfig | None:
    """The RADIUS server NetWeave signs users in against (when no LDAP directory is set)."""
    if not settings.radius_server or settings.directory_url:
        return None
    return RadiusConfig(
        server=settings.radius_server,
        port=settings.radius_port,
        secret=settings.radius_secret or SecretStr(""),
        timeout=settings.radius_timeout,
        retries=settings.radius_retries,
        group_attribute=settings.radius_group_attribute,
        nas_identifier=settings.radius_nas_identifier,
    )


def external(settings: Settings | None) -> Callable[[str, str], DirectoryUser | None] | None:
    """Who checks the passwords of users who are not local: the LDAP directory, else the
    RADIUS server, else nobody (local accounts only)."""
    if settings is None:
        return None
    directory_config = config_from(settings)
    if directory_config is not None:
        return partial(directory.authenticate, directory_config)
    radius_config = radius_config_from(settings)
    if radius_config is not None:
        return partial(radius.authenticate, radius_config)
    return None


def is_local(session: Session, username: str) -> bool:
    """Whether ``username`` is a local account (checked here, never in the directory)."""
    source = session.scalar(select(User.source).where(User.username == username))
    return source == "local"


def _user(session: Session, found: DirectoryUser) -> User:
    user = session.scalar(select(User).where(User.username == found.username))
    if user is None:
        user = User(
            username=found.username,
            password_hash=hash_password(secrets.token_urlsafe(32)),  # never used: no password here
            role=Role.viewer.value,
            source="directory",
        )
        session.add(user)
        session.flush()
    elif user.source != "directory":  # "Alice" typed, a local "alice" exists: never merged
        raise CredentialsRejected(
            REFUSED, kind="login", username=user.username, reason="a local account has this name"
        )
    return user


def sign_in(
    sessions: sessionmaker[Session],
    found: DirectoryUser | None,
    typed: str,
    ttl: timedelta,
    require_group: bool,
) -> tuple[User, str]:
    """After the directory answered for ``typed``: the user and a session token."""
    if found is None:
        raise CredentialsRejected(REFUSED, kind="login", reason="the directory refused")
    with sessions() as session, session.begin():  # memberships follow the directory, kept
        user = _user(session, found)
        groups.sync_directory_memberships(session, user, found.groups)
        rights = groups.effective(session, user)
        user_id, active = user.id, user.is_active
    if not active:
        raise CredentialsRejected(
            REFUSED, kind="login", username=found.username, reason="user disabled"
        )
    if require_group and not rights.groups:
        raise CredentialsRejected(
            REFUSED,
            kind="login",
            username=found.username,
            reason=f"directory user {typed!r} is in no NetWeave group "
            "(map a directory group to one)",
        )
    with sessions() as session, session.begin():
        user = session.get_one(User, user_id)
        token = tokens.open_session(session, user, ttl)
        session.expunge(user)
        return user, token
