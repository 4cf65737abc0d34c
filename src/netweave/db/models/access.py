"""Users, API keys, UI login sessions, login throttling and the audit of auth failures."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Float, ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from netweave.db.base import Base, utcnow


class Role(StrEnum):
    admin = "admin"
    operator = "operator"
    viewer = "viewer"

    @property
    def rank(self) -> int:
        return {"viewer": 0, "operator": 1, "admin": 2}[self.value]


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.viewer.value)
    is_active: Mapped[bool] = mapped_column(default=True)
    # set by an admin's password reset: the next sign-in must choose a new password
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    # operators restricted to these pools (ids) when acting on devices; empty/None: all
    pool_ids: Mapped[list[int] | None] = mapped_column(JSON, default=None)
    # "local": a password kept here; "directory": signs in against LDAP/AD, no password here
    source: Mapped[str] = mapped_column(String(16), default="local", server_default="local")
    # when the password was last set (created, changed, set by an admin, reset): its expiry
    password_changed_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    # argon2 hashes of the passwords this person chose, newest first (settings
    # password_history): none of them may be chosen again
    password_history: Mapped[list[str]] = mapped_column(JSON, default=list)

    api_keys: Mapped[list[ApiKey]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )


class ApiKey(Base):
    """An API key is shown once; only its SHA-256 is stored, found by its public prefix."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    scope: Mapped[str] = mapped_column(String(32), default="full")  # full | trigger

    user: Mapped[User] = relationship(back_populates="api_keys")


class LoginSession(Base):
    """A browser login; the cookie carries the token, the table only its SHA-256."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

    user: Mapped[User] = relationship()


class AuthFailure(Base):
    """A refused authentication or authorization: who (when known), from where, what,
    why. Repeats within a short window are coalesced into one row (``count``), and the
    table is capped, so a flood cannot fill the database. Never holds a presented secret."""

    __tablename__ = "auth_failures"
    __table_args__ = (Index("ix_auth_failures_kind_last_at", "kind", "last_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    first_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    count: Mapped[int] = mapped_column(default=1)
    kind: Mapped[str] = mapped_column(String(16))  # login|api_key|session|csrf|forbidden
    username: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    client_ip: Mapped[str] = mapped_column(String(64), default="")
    method: Mapped[str] = mapped_column(String(16), default="")
    path: Mapped[str] = mapped_column(String(255), default="")
    reason: Mapped[str] = mapped_column(String(255), default="")


class LoginThrottle(Base):
    """Login attempts per username and per client address in the current window, shared by
    every server process through the database. ``key`` is a SHA-256 (a username typed by
    mistake may be a password)."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[float] = mapped_column(Float, index=True)  # Unix time
    attempts: Mapped[int] = mapped_column(default=0)


class Group(Base):
    """Users with the same rights: a role and pool fences (a user's rights are the union of
    their own and their groups'). ``directory_groups`` names the LDAP/AD groups whose
    members belong to it, refreshed at each directory sign-in."""

    __tablename__ = "groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(String(255), default="")
    role: Mapped[str] = mapped_column(String(16), default=Role.viewer.value)
    pool_ids: Mapped[list[int] | None] = mapped_column(JSON, default=None)  # None: unfenced
    directory_groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class GroupMember(Base):
    """``source`` "local": set by an admin; "directory": from the directory at sign-in
    (replaced each time, so leaving the directory group leaves the NetWeave group)."""

    __tablename__ = "group_members"
    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    source: Mapped[str] = mapped_column(String(16), default="local")
