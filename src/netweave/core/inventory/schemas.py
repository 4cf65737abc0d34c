"""Create/Update/Read schemas for the inventory. One definition each, used by API, CLI and
import/export alike."""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from netweave.core.text_filter import EXACT_HELP
from netweave.foundation.bounded import check_bounded

KNOWN_DRIVERS = ("netmiko", "napalm", "scrapli", "paramiko", "pyeapi")
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:/@+-]{0,254}$"
TAG_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:/+-]{0,63}$"
PLATFORM_PATTERN = r"^[a-z0-9_]{1,64}$"
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*\.?$")


def _check_host(value: str) -> str:
    value = value.strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        pass
    if not _HOSTNAME.match(value):
        raise ValueError("must be an IPv4/IPv6 address or a DNS host name")
    return value


def _check_driver(value: str) -> str:
    if value not in KNOWN_DRIVERS:
        raise ValueError(f"unknown driver; one of {', '.join(KNOWN_DRIVERS)}")
    return value


def _check_custom_fields(value: dict[str, Any]) -> dict[str, Any]:
    for key, item in value.items():
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$", key):
            raise ValueError(f"custom field name {key!r} must be an identifier")
        if item is not None and not isinstance(item, str | int | float | bool):
            raise ValueError(f"custom field {key!r} must be a string, number or boolean")
    return value


Host = Annotated[str, Field(min_length=1, max_length=255), AfterValidator(_check_host)]
Name = Annotated[str, Field(pattern=NAME_PATTERN)]
Tag = Annotated[str, Field(pattern=TAG_PATTERN)]
Driver = Annotated[
    str, AfterValidator(_check_driver), Field(json_schema_extra={"enum": list(KNOWN_DRIVERS)})
]
Platform = Annotated[str, Field(pattern=PLATFORM_PATTERN)]
CustomFields = Annotated[
    dict[str, Any], BeforeValidator(check_bounded), AfterValidator(_check_custom_fields)
]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]
Port = Annotated[int, Field(ge=1, le=65535)]
ShortText = Annotated[str, Field(max_length=128)]

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class DeviceFilter(BaseModel):
    """Device selection. String fields match exactly, or as a glob when they contain
    ``*`` or ``?`` (case-insensitive). ``tags`` must all be present. ``q`` searches name,
    host, site, vendor and model."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, description=EXACT_HELP)
    host: str | None = Field(default=None, description=EXACT_HELP)
    platform: str | None = Field(default=None, description=EXACT_HELP)
    driver: str | None = Field(default=None, description=EXACT_HELP)
    vendor: str | None = Field(default=None, description=EXACT_HELP)
    model: str | None = Field(default=None, description=EXACT_HELP)
    os_version: str | None = Field(default=None, description=EXACT_HELP)
    site: str | None = Field(default=None, description=EXACT_HELP)
    tags: list[str] = Field(
        default_factory=list, description=f"Every tag must be present. {EXACT_HELP}"
    )
    credential: str | None = Field(default=None, description=f"Credential name. {EXACT_HELP}")
    q: str | None = Field(
        default=None,
        max_length=255,
        description="Name, host, site, vendor or model contains (case-insensitive)",
    )

    def is_empty(self) -> bool:
        return not any(v for v in self.model_dump().values())


# -- credentials -----------------------------------------------------------------------


CredentialSource = Literal["stored", "vault"]
VAULT_FIELDS = ("username", "password", "ssh_key", "enable_secret")
DEFAULT_VAULT_MOUNT = "secret"
_VAULT_SEGMENT = r"[A-Za-z0-9_.@:+=~-]+"
VaultMount = Annotated[
    str,
    Field(
        pattern=rf"^{_VAULT_SEGMENT}(/{_VAULT_SEGMENT})*$",
        max_length=255,
        description="KV v2 secrets engine mount (default secret)",
    ),
]
VaultPath = Annotated[
    str,
    Field(
        pattern=rf"^{_VAULT_SEGMENT}(/{_VAULT_SEGMENT})*$",
        max_length=1024,
        description="Secret path inside the mount, e.g. network/core (no /data/ prefix)",
    ),
]
VaultKey = Annotated[str, Field(min_length=1, max_length=255)]


def _check_vault_fields(value: dict[str, str]) -> dict[str, str]:
    unknown = sorted(set(value) - set(VAULT_FIELDS))
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)}; one of {', '.join(VAULT_FIELDS)}")
    return value


VaultFields = Annotated[
    dict[str, VaultKey],
    AfterValidator(_check_vault_fields),
    Field(
        description="Which key of the secret gives each of username, password, ssh_key and "
        "enable_secret (default: the same names)"
    ),
]


def vault_fields(mapping: dict[str, str] | None) -> dict[str, str]:
    """The effective mapping: the defaults, overridden by the credential's own."""
    return {**{name: name for name in VAULT_FIELDS}, **(mapping or {})}


def credential_problems(values: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, message) for every rule a credential breaks, once merged with what is stored.
    ``values``: source, username, vault_* and, for the secrets, whether each is set."""
    problems: list[tuple[str, str]] = []
    vault_columns = ("vault_mount", "vault_path", "vault_version", "vault_fields")
    if values.get("source", "stored") == "stored":
        if not values.get("username"):
            problems.append(("username", "required for a stored credential"))
        if not values.get("password") and not values.get("ssh_key"):
            problems.append(("password", "at least one of password or ssh_key is required"))
        for column in vault_columns:
            if values.get(column) is not None:
                problems.append((column, "only for a credential with source vault"))
        return problems
    if not values.get("vault_path"):
        problems.append(("vault_path", "required for a vault credential"))
    for secret in ("password", "ssh_key", "enable_secret"):
        if values.get(secret):
            problems.append(
                (
                    secret,
                    "a vault credential reads its secrets from vault: map a key of the "
                    "secret in vault_fields instead",
                )
            )
    if values.get("username") and "username" in (values.get("vault_fields") or {}):
        problems.append(
            (
                "vault_fields.username",
                "the username is fixed on the credential: set one or the other",
            )
        )
    return problems


_SECRETS = ("password", "ssh_key", "enable_secret")


def _raise_problems(title: str, problems: list[tuple[str, str]], values: dict[str, Any]) -> None:
    if problems:
        raise ValidationError.from_exception_data(
            title,
            [
                InitErrorDetails(
                    type=PydanticCustomError("credential", message),
                    loc=tuple(field.split(".")),
                    input=None if field in _SECRETS else values.get(field.split(".")[0]),
                )
                for field, message in problems
            ],
        )


_HOST_GLOB = re.compile(r"^[A-Za-z0-9*?\[\]!._-]{1,253}\Z")


class CredentialScope(BaseModel):
    """Where a credential may be offered (issue 13, credential scopes): address literals
    inside ``networks``, DNS names matching a ``hosts`` glob (case-insensitive), or the
    address of a device member of one of ``pools`` (by name). Empty: nowhere."""

    model_config = ConfigDict(extra="forbid")

    networks: list[str] = Field(
        default_factory=list, max_length=1000, description="CIDRs, e.g. 10.0.0.0/8, 2001:db8::/32"
    )
    hosts: list[str] = Field(
        default_factory=list, max_length=1000, description="DNS name globs, e.g. *.core.example.net"
    )
    pools: list[str] = Field(default_factory=list, max_length=1000, description="Pool names")

    def is_empty(self) -> bool:
        return not (self.networks or self.hosts or self.pools)


def scope_problems(scope: CredentialScope | None) -> list[tuple[str, str]]:
    """(field, message) for every network that is not a CIDR and glob that is not a host
    name pattern; the pools are checked against the database by the caller."""
    if scope is None:
        return []
    problems: list[tuple[str, str]] = []
    for index, network in enumerate(scope.networks):
        try:
            ipaddress.ip_network(network.strip())
        except ValueError as exc:
            problems.append((f"scope.networks[{index}]", f"not a network (CIDR): {exc}"))
    for index, glob in enumerate(scope.hosts):
        if not _HOST_GLOB.match(glob.strip()):
            problems.append(
                (f"scope.hosts[{index}]", "not a host name glob (letters, digits, - . * ? [])")
            )
    return problems


def normalized_networks(scope: CredentialScope) -> list[str]:
    return sorted({str(ipaddress.ip_network(n.strip())) for n in scope.networks})


def normalized_hosts(scope: CredentialScope) -> list[str]:
    return sorted({g.strip().lower().rstrip(".") for g in scope.hosts})


class CredentialCreate(BaseModel):
    """``source`` stored: the secrets are given here and sealed in the database. ``source``
    vault: they are read from a KV v2 secret (``vault_mount``/``vault_path``, optionally a
    pinned ``vault_version``) by the worker that needs them; ``username`` may be fixed here
    or read from the secret."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    description: str = Field(default="", max_length=2000)
    username: str = Field(
        default="", max_length=128, description="Required for stored; vault: empty = from secret"
    )
    password: SecretStr | None = Field(default=None, max_length=1024)
    ssh_key: SecretStr | None = Field(
        default=None, max_length=20000, description="Private key, PEM/OpenSSH text"
    )
    enable_secret: SecretStr | None = Field(default=None, max_length=1024)
    source: CredentialSource = Field(
        default="stored", description="stored (encrypted here) or vault (Vault/OpenBao KV v2)"
    )
    vault_mount: VaultMount | None = None
    vault_path: VaultPath | None = None
    vault_version: int | None = Field(
        default=None, ge=1, description="Pin a KV v2 version (default: the latest)"
    )
    vault_fields: VaultFields | None = None
    scope: CredentialScope | None = Field(
        default=None, description="Where it may be offered; none: nowhere (admin-set)"
    )

    @model_validator(mode="after")
    def _consistent(self) -> CredentialCreate:
        values = self.model_dump()
        problems = credential_problems(values) + scope_problems(self.scope)
        _raise_problems("CredentialCreate", problems, values)
        if self.source == "vault" and self.vault_mount is None:
            self.vault_mount = DEFAULT_VAULT_MOUNT
        return self


class CredentialUpdate(BaseModel):
    """Fields left out are kept. Switching ``source`` drops what the other source used
    (the sealed secrets, or the vault reference)."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    description: str | None = Field(default=None, max_length=2000)
    username: str | None = Field(default=None, max_length=128)
    password: SecretStr | None = Field(default=None, max_length=1024)
    ssh_key: SecretStr | None = Field(default=None, max_length=20000)
    enable_secret: SecretStr | None = Field(default=None, max_length=1024)
    source: CredentialSource | None = None
    vault_mount: VaultMount | None = None
    vault_path: VaultPath | None = None
    vault_version: int | None = Field(default=None, ge=1, description="null: the latest")
    vault_fields: VaultFields | None = None
    scope: CredentialScope | None = Field(default=None, description="null: offered nowhere")

    @model_validator(mode="after")
    def _scope(self) -> CredentialUpdate:
        values = self.model_dump()
        _raise_problems("CredentialUpdate", scope_problems(self.scope), values)
        return self


class CredentialRead(BaseModel):
    """Never carries a secret: only whether each one is set."""

    id: int
    name: str
    description: str
    username: str
    has_password: bool
    has_ssh_key: bool
    has_enable_secret: bool
    source: str = "stored"
    vault_mount: str | None = None
    vault_path: str | None = None
    vault_version: int | None = Field(default=None, description="null: the latest")
    vault_fields: dict[str, str] | None = Field(
        default=None, description="Effective key mapping (vault credentials)"
    )
    scope: CredentialScope | None = Field(default=None, description="null: offered nowhere")
    created_at: datetime
    updated_at: datetime


# -- bastions ---------------------------------------------------------------------------


class BastionCreate(BaseModel):
    """An SSH jump host. ``credential``: its login (scoped: the scope must hold this host);
    ``via``: the bastion in front of this one (two hops at most)."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    description: str = Field(default="", max_length=2000)
    host: Host
    port: Port = 22
    credential: str = Field(
        description="Credential name (its login at the bastion)",
        json_schema_extra={"x-lookup": "credentials"},
    )
    via: str | None = Field(
        default=None,
        description="Bastion in front of this one",
        json_schema_extra={"x-lookup": "bastions"},
    )


class BastionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    description: str | None = Field(default=None, max_length=2000)
    host: Host | None = None
    port: Port | None = None
    credential: str | None = None
    via: str | None = None


class BastionRead(BaseModel):
    id: int
    name: str
    description: str
    host: str
    port: int
    credential: str | None
    via: str | None
    devices: int = Field(description="Devices reached through it")
    created_at: datetime
    updated_at: datetime


# -- devices ----------------------------------------------------------------------------


class DeviceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    host: Host
    port: Port = 22
    platform: Platform = Field(description="Netmiko-style device_type, e.g. cisco_ios")
    driver: Driver = "netmiko"
    vendor: ShortText = ""
    model: ShortText = ""
    os_version: ShortText = ""
    site: ShortText = ""
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=64)
    custom_fields: CustomFields = Field(default_factory=dict)
    credential: str | None = Field(
        default=None, description="Credential name", json_schema_extra={"x-lookup": "credentials"}
    )
    bastion: str | None = Field(
        default=None,
        description="Bastion (SSH jump host) it is reached through",
        json_schema_extra={"x-lookup": "bastions"},
    )


class DeviceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    host: Host | None = None
    port: Port | None = None
    platform: Platform | None = None
    driver: Driver | None = None
    vendor: ShortText | None = None
    model: ShortText | None = None
    os_version: ShortText | None = None
    site: ShortText | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    tags: list[Tag] | None = Field(default=None, max_length=64)
    custom_fields: CustomFields | None = None
    credential: str | None = None
    bastion: str | None = None


class DeviceRead(BaseModel):
    id: int
    name: str
    host: str
    port: int
    platform: str
    driver: str
    vendor: str
    model: str
    os_version: str
    site: str
    latitude: float | None
    longitude: float | None
    tags: list[str]
    custom_fields: dict[str, Any]
    credential: str | None
    bastion: str | None = None
    created_at: datetime
    updated_at: datetime


# -- links ------------------------------------------------------------------------------


class LinkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = Field(default=None, description="Default: derived from the endpoints")
    source: str = Field(
        min_length=1, description="Source device name", json_schema_extra={"x-lookup": "devices"}
    )
    destination: str = Field(
        min_length=1,
        description="Destination device name",
        json_schema_extra={"x-lookup": "devices"},
    )
    source_interface: ShortText = ""
    destination_interface: ShortText = ""
    description: str = Field(default="", max_length=2000)


class LinkUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    source: str | None = Field(default=None, min_length=1)
    destination: str | None = Field(default=None, min_length=1)
    source_interface: ShortText | None = None
    destination_interface: ShortText | None = None
    description: str | None = Field(default=None, max_length=2000)


class LinkRead(BaseModel):
    id: int
    name: str
    source: str
    source_id: int
    destination: str
    destination_id: int
    source_interface: str
    destination_interface: str
    description: str
    created_at: datetime
    updated_at: datetime


# -- pools ------------------------------------------------------------------------------


class PoolCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    description: str = Field(default="", max_length=2000)
    devices: list[str] = Field(default_factory=list, description="Static member device names")
    device_filter: DeviceFilter | None = Field(
        default=None, description="Devices matching it are members too, resolved live"
    )


class PoolUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    description: str | None = Field(default=None, max_length=2000)
    devices: list[str] | None = None
    device_filter: DeviceFilter | None = None
    clear_filter: bool = False


class PoolRead(BaseModel):
    id: int
    name: str
    description: str
    devices: list[str]
    device_filter: DeviceFilter | None
    device_count: int
    created_at: datetime
    updated_at: datetime
