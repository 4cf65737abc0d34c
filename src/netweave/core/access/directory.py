"""Sign-in against an LDAP directory (OpenLDAP, Active Directory, ...), with ``ldap3``.

The usual search-then-bind: NetWeave binds as a service account, searches the one entry
matching the username, binds as that entry's DN with the password the user typed (the
directory checks it; NetWeave never sees a hash), then, as the service account again, lists
the groups the entry is a member of.

Two outcomes are kept apart: wrong credentials (an unknown user, a username matching several
entries, a refused password) are ``None``; a directory NetWeave cannot use (unreachable, a
TLS failure, the service account refused, a search base that does not exist) raises
:class:`DirectoryUnavailable`, whose message names the URL and never a password.

An empty password is refused before any network call: a simple bind with a DN and no
password is an *unauthenticated* bind (RFC 4513 5.1.2) that many servers answer with
success. The username is escaped (RFC 4515) before it goes into a search filter, so ``*``
or ``)(`` cannot widen the search.
"""

from __future__ import annotations

import contextlib
import math
import ssl
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ldap3 import NONE, SIMPLE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from netweave.foundation.errors import Unavailable

MAX_USERNAME_LENGTH = 256
GROUP_PAGE_SIZE = 500
MAX_GROUP_PAGES = 40  # 20,000 groups: past that, a loop
PAGED_RESULTS_OID = "1.2.840.113556.1.4.319"
_SUCCESS, _SIZE_LIMIT_EXCEEDED = 0, 4


class DirectoryUnavailable(Unavailable):
    """The directory cannot be used right now (or is misconfigured): not a wrong password."""


class DirectoryConfig(BaseModel):
    """Where the directory is and how NetWeave finds users and their groups in it."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="ldap://host[:port] or ldaps://host[:port]")
    start_tls: bool = Field(default=False, description="StartTLS on an ldap:// URL")
    ca_file: str | None = Field(
        default=None, description="PEM file of the CA(s) to trust; the system's when unset"
    )
    verify: bool = Field(default=True, description="check the server's certificate and name")
    bind_dn: str = Field(min_length=1, description="the service account NetWeave binds as")
    bind_password: SecretStr
    user_base: str = Field(min_length=1)
    user_filter: str = Field(
        default="(uid={username})",
        description="{username} is replaced by the escaped username; "
        "AD: (sAMAccountName={username})",
    )
    username_attribute: str = Field(
        default="uid",
        description="the attribute holding the username (AD: sAMAccountName)",
    )
    group_base: str = Field(min_length=1)
    group_filter: str = Field(
        default="(member={user_dn})",
        description="{user_dn} and {username} are replaced (escaped); "
        "AD nested groups: (member:1.2.840.113556.1.4.1941:={user_dn})",
    )
    group_name_attribute: str = "cn"
    timeout: float = Field(default=5, gt=0, le=120, description="seconds, per network step")

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("ldap", "ldaps"):
            raise ValueError("must start with ldap:// or ldaps://")
        if not parts.hostname:
            raise ValueError("must name a host")
        try:
            parts.port  # noqa: B018 - raises on a bad port
        except ValueError as error:
            raise ValueError(f"bad port: {error}") from None
        if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
            raise ValueError("must be ldap[s]://host[:port] only")
        return value

    @field_validator("user_filter")
    @classmethod
    def _check_user_filter(cls, value: str) -> str:
        if "{username}" not in value:
            raise ValueError("must contain {username}")
        return _check_filter(value)

    @field_validator("group_filter")
    @classmethod
    def _check_group_filter(cls, value: str) -> str:
        if "{user_dn}" not in value and "{username}" not in value:
            raise ValueError("must contain {user_dn} or {username}")
        return _check_filter(value)

    @model_validator(mode="after")
    def _check_tls(self) -> DirectoryConfig:
        if self.start_tls and self.url.startswith("ldaps:"):
            raise ValueError("start_tls: only for ldap:// URLs (ldaps:// is TLS already)")
        return self


def _check_filter(value: str) -> str:
    if not (value.startswith("(") and value.endswith(")")):
        raise ValueError("must be an LDAP filter in parentheses")
    return value


@dataclass(frozen=True)
class DirectoryUser:
    username: str  # as stored in the directory (username_attribute), not as typed
    dn: str
    display_name: str | None
    email: str | None
    groups: list[str] = field(default_factory=list)


def authenticate(config: DirectoryConfig, username: str, password: str) -> DirectoryUser | None:
    """The directory's user for these credentials, with its group names; ``None`` when the
    credentials are wrong. Raises :class:`DirectoryUnavailable` when the directory cannot
    answer (see the module's docstring)."""
    if not password or not username or len(username) > MAX_USERNAME_LENGTH:
        return None  # before any network call: an empty password would be an anonymous bind
    secrets = (config.bind_password.get_secret_value(), password)
    server = _server(config)
    service = _connection(config, server, config.bind_dn, secrets[0])
    try:
        _open(config, service, secrets)
        if not _bind(config, service, secrets):
            raise DirectoryUnavailable(
                f"directory {config.url}: the service account {config.bind_dn!r} was refused "
                f"({_result_text(service)})"
            )
        entry = _find_user(config, service, username, secrets)
        if entry is None:
            return None
        dn = str(entry["dn"])
        if not _user_password_ok(config, server, dn, password, secrets):
            return None
        attributes = entry.get("attributes") or {}
        stored = _first(attributes, config.username_attribute) or username
        groups = _group_names(config, service, dn, stored, secrets)
    finally:
        _close(service)
    return DirectoryUser(
        username=stored,
        dn=dn,
        display_name=_first(attributes, "displayName") or _first(attributes, "cn"),
        email=_first(attributes, "mail"),
        groups=groups,
    )


def _server(config: DirectoryConfig) -> Any:
    parts = urlsplit(config.url)
    secure = parts.scheme == "ldaps"
    tls = None
    if secure or config.start_tls:
        tls = Tls(
            validate=ssl.CERT_REQUIRED if config.verify else ssl.CERT_NONE,
            ca_certs_file=config.ca_file,
        )
    return Server(
        parts.hostname,
        port=parts.port or (636 if secure else 389),
        use_ssl=secure,
        tls=tls,
        get_info=NONE,  # no schema/root DSE reads: one round trip less, nothing needs them
        connect_timeout=config.timeout,
    )


def _connection(config: DirectoryConfig, server: Any, user: str, password: str) -> Any:
    return Connection(
        server,
        user=user,
        password=password,
        authentication=SIMPLE,
        read_only=True,
        raise_exceptions=False,
        auto_referrals=False,  # AD answers with referrals to other domains: never chase them
        # whole seconds: ldap3 packs it into SO_RCVTIMEO as an integer
        receive_timeout=math.ceil(config.timeout),
    )


def _redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _unavailable(
    config: DirectoryConfig, step: str, error: BaseException, secrets: tuple[str, ...]
) -> DirectoryUnavailable:
    reason = _redact(str(error) or type(error).__name__, secrets)
    return DirectoryUnavailable(f"directory {config.url}: {step} failed: {reason}")


def _open(config: DirectoryConfig, connection: Any, secrets: tuple[str, ...]) -> None:
    try:
        connection.open()
    except (LDAPException, OSError) as error:
        raise _unavailable(config, "connecting", error, secrets) from None
    if config.start_tls:
        try:
            connection.start_tls()
        except (LDAPException, OSError) as error:
            raise _unavailable(config, "StartTLS", error, secrets) from None


def _bind(config: DirectoryConfig, connection: Any, secrets: tuple[str, ...]) -> bool:
    try:
        return bool(connection.bind())
    except (LDAPException, OSError) as error:
        raise _unavailable(config, "bind", error, secrets) from None


def _close(connection: Any) -> None:
    with contextlib.suppress(LDAPException, OSError):  # a broken connection: nothing to close
        connection.unbind()


def _result_text(connection: Any) -> str:
    result = connection.result or {}
    return str(result.get("description") or result.get("result") or "no answer")


def _search(
    config: DirectoryConfig,
    connection: Any,
    what: str,
    secrets: tuple[str, ...],
    **arguments: Any,
) -> list[dict[str, Any]]:
    """The entries found (referrals dropped); any result but success (or a size limit
    reached, the caller's own cap) raises."""
    try:
        connection.search(search_scope=SUBTREE, time_limit=math.ceil(config.timeout), **arguments)
    except (LDAPException, OSError) as error:
        raise _unavailable(config, f"the {what} search", error, secrets) from None
    code = (connection.result or {}).get("result")
    if code not in (_SUCCESS, _SIZE_LIMIT_EXCEEDED):
        raise DirectoryUnavailable(
            f"directory {config.url}: the {what} search in {arguments['search_base']!r} "
            f"failed ({_result_text(connection)})"
        )
    return [item for item in connection.response or [] if item.get("type") == "searchResEntry"]


def _find_user(
    config: DirectoryConfig, connection: Any, username: str, secrets: tuple[str, ...]
) -> dict[str, Any] | None:
    query = config.user_filter.replace("{username}", escape_filter_chars(username))
    entries = _search(
        config,
        connection,
        "user",
        secrets,
        search_base=config.user_base,
        search_filter=query,
        attributes=[config.username_attribute, "displayName", "cn", "mail"],
        size_limit=2,  # two is enough to know the name is not unique
    )
    return entries[0] if len(entries) == 1 else None


def _user_password_ok(
    config: DirectoryConfig,
    server: Any,
    dn: str,
    password: str,
    secrets: tuple[str, ...],
) -> bool:
    connection = _connection(config, server, dn, password)
    try:
        _open(config, connection, secrets)
        return _bind(config, connection, secrets)
    finally:
        _close(connection)


def _group_names(
    config: DirectoryConfig,
    connection: Any,
    dn: str,
    username: str,
    secrets: tuple[str, ...],
) -> list[str]:
    query = config.group_filter.replace("{user_dn}", escape_filter_chars(dn)).replace(
        "{username}", escape_filter_chars(username)
    )
    names: set[str] = set()
    cookie: bytes | None = None
    for _ in range(MAX_GROUP_PAGES):
        entries = _search(
            config,
            connection,
            "group",
            secrets,
            search_base=config.group_base,
            search_filter=query,
            attributes=[config.group_name_attribute],
            paged_size=GROUP_PAGE_SIZE,
            paged_cookie=cookie,
        )
        for entry in entries:
            name = _first(entry.get("attributes") or {}, config.group_name_attribute)
            if name:
                names.add(name)
        controls = (connection.result or {}).get("controls") or {}
        cookie = (controls.get(PAGED_RESULTS_OID) or {}).get("value", {}).get("cookie")
        if not cookie:
            break
    return sorted(names)


def _first(attributes: Any, name: str) -> str | None:
    value = attributes.get(name)
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    if value is None or value == "":
        return None
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
