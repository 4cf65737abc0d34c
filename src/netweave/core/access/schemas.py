"""Create/Update/Read schemas for users and API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from netweave.db.models import Role

USERNAME_PATTERN = r"^[A-Za-z0-9_.@-]{1,64}$"
# the floor of every chosen password; the policy (settings password_*) asks for more
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(pattern=USERNAME_PATTERN)
    password: SecretStr = Field(
        min_length=MIN_PASSWORD_LENGTH,
        max_length=MAX_PASSWORD_LENGTH,
        description="Checked against the password policy (settings password_*)",
    )
    role: Role = Role.viewer


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: SecretStr | None = Field(
        default=None,
        min_length=MIN_PASSWORD_LENGTH,
        max_length=MAX_PASSWORD_LENGTH,
        description="Checked against the password policy (settings password_*); 409 for a "
        "directory user",
    )
    role: Role | None = None
    is_active: bool | None = None
    must_change_password: bool | None = Field(
        default=None,
        description="true: the current password signs in once more, into a session that may "
        "only choose a new one (409 for a directory user); false: lift that",
    )


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    role: Role
    is_active: bool
    must_change_password: bool = Field(
        default=False, description="Signed in with a one-time password: must choose a new one"
    )
    created_at: datetime
    last_login_at: datetime | None
    source: str = Field(default="local", description="local, or directory (LDAP/AD sign-in)")
    password_changed_at: datetime | None = Field(
        default=None, description="When the password was last set (settings password_max_age_days)"
    )


class PasswordReset(BaseModel):
    user: UserRead
    password: str = Field(
        description="The one-time password: shown once; it signs in once, and that sign-in "
        "must choose a new password"
    )


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: SecretStr | None = Field(
        default=None,
        max_length=1024,
        description="Required unless signed in with a one-time password",
    )
    new_password: SecretStr = Field(
        min_length=MIN_PASSWORD_LENGTH,
        max_length=MAX_PASSWORD_LENGTH,
        description="Checked against the password policy (settings password_*)",
    )


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=128)
    expires_at: datetime | None = None
    user_id: int | None = Field(
        default=None,
        ge=1,
        le=2**31 - 1,
        description="Admins may create a key for another user",
    )
    scope: Literal["full", "trigger"] = Field(
        default="full", description="trigger: the key may only fire REST triggers"
    )


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    scope: str = "full"


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The API key. It is shown once and cannot be read again.")


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(max_length=64)
    password: SecretStr = Field(max_length=1024)


class UserPoolsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pools: list[str] = Field(
        max_length=1000, description="Pool names; an empty list lifts the restriction"
    )


class UserPoolsRead(BaseModel):
    user_id: int
    username: str
    role: Role
    pools: list[str] = Field(description="The pools this user may act in (empty: all)")
    restricted: bool = Field(description="Whether the restriction applies (never to admins)")
    missing_pools: int = Field(description="Pools of the set that were deleted since")


class AuthFailureRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    first_at: datetime
    last_at: datetime
    count: int = Field(description="Identical failures coalesced into this row")
    kind: str = Field(description="login, rate_limited, api_key, session, csrf or forbidden")
    username: str | None = Field(description="When known (never a name that does not exist)")
    client_ip: str
    method: str
    path: str
    reason: str


GROUP_NAME_PATTERN = r"^[A-Za-z0-9_. -]{1,64}$"
DIRECTORY_GROUP_PATTERN = r"^[^\x00-\x1f]{1,255}$"


class GroupCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=GROUP_NAME_PATTERN)
    description: str = Field(default="", max_length=255)
    role: Role = Field(default=Role.viewer, description="What its members may do")
    pools: list[str] = Field(
        default_factory=list,
        max_length=200,
        description="Its members act only on devices of these pools (none: every device)",
    )
    directory_groups: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="LDAP/AD groups (their names, e.g. the cn) whose members belong to it",
    )
    members: list[str] = Field(default_factory=list, max_length=10_000, description="Usernames")


class GroupUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str | None = Field(default=None, max_length=255)
    role: Role | None = None
    pools: list[str] | None = Field(default=None, max_length=200)
    directory_groups: list[str] | None = Field(default=None, max_length=100)
    members: list[str] | None = Field(
        default=None, max_length=10_000, description="Usernames: the members an admin set"
    )


class GroupRead(BaseModel):
    id: int
    name: str
    description: str
    role: Role
    pools: list[str]
    missing_pools: int = Field(description="Fence pools since deleted (it fails closed)")
    directory_groups: list[str]
    members: list[str] = Field(description="Set by an admin")
    directory_members: list[str] = Field(description="From the directory, at their sign-in")
    created_at: datetime


class Rights(BaseModel):
    """A user's effective rights: the union of their own and their groups'."""

    role: Role
    pools: list[str] | None = Field(description="Fenced to these pools; null: every device")
    groups: list[str]
