"""Settings from ``NETWEAVE_*`` environment variables and an optional YAML file.

Precedence (highest first): init arguments, environment, YAML file, defaults.
The YAML file is ``$NETWEAVE_CONFIG`` or ``<data_dir>/netweave.yaml`` when it exists.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from netweave.foundation.errors import ConfigurationError
from netweave.foundation.operational import (
    DEFAULT_OPERATIONAL_COMMANDS,
    DEFAULT_VOLATILE_PATTERNS,
    check_commands,
    normalize_command,
)
from netweave.foundation.private import private_dir
from netweave.foundation.regex_safety import check_regex

PLACEHOLDER_SECRETS = frozenset(
    {
        "",
        "admin",
        "changeme",
        "change-me",
        "change_me",
        "password",
        "secret",
        "placeholder",
        "netweave",
        "xxx",
        "todo",
    }
)
MIN_SECRET_KEY_LENGTH = 16
SECRET_KEY_FILE = "secret.key"
DEFAULT_MAP_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
DEFAULT_MAP_TILE_ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)


class Mode(StrEnum):
    production = "production"
    dev = "dev"
    demo = "demo"


def default_data_dir() -> Path:
    return Path(os.environ.get("NETWEAVE_DATA_DIR", Path.home() / ".local/share/netweave"))


class YamlFileSource(PydanticBaseSettingsSource):
    """Reads settings from a YAML mapping; keys are the field names (``database_url``...)."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path | None) -> None:
        super().__init__(settings_cls)
        self.path = path

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        if self.path is None or not self.path.exists():
            return {}
        try:
            data = yaml.safe_load(self.path.read_text()) or {}
        except yaml.YAMLError as exc:
            raise ConfigurationError(f"{self.path}: not valid YAML ({exc})") from exc
        if not isinstance(data, dict):
            raise ConfigurationError(f"{self.path}: must hold a mapping of setting: value")
        known = set(self.settings_cls.model_fields)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigurationError(f"{self.path}: unknown setting(s) {', '.join(unknown)}")
        return data


def _yaml_path() -> Path | None:
    explicit = os.environ.get("NETWEAVE_CONFIG")
    if explicit:
        return Path(explicit)
    return default_data_dir() / "netweave.yaml"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NETWEAVE_", extra="ignore")

    mode: Mode = Mode.production
    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite file in the data dir"
    )
    redis_url: str | None = None
    executor: Literal["local", "rq"] = Field(
        default="local", description="local: in the server; rq: Redis + `netweave worker` nodes"
    )
    queue_name: str = Field(default="netweave", pattern=r"^[A-Za-z0-9_.:-]{1,100}$")
    node_heartbeat_ttl: float = Field(
        default=10, ge=1, le=600, description="A worker node silent this long is dead"
    )
    run_lease_seconds: float = Field(
        default=15,
        ge=2,
        le=600,
        description="A run whose serve process stopped renewing its lease this long is taken "
        "over by another (or the restarted) server",
    )
    placement: str = Field(
        default="bounded_hash",
        pattern=r"^[a-z0-9_]{1,64}$",
        description="Which node owns a pinned device: bounded_hash, least_load, "
        "load_weighted_random (or a netweave.placement plugin)",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Encrypts credentials at rest. Default: generated into <data_dir>/secret.key",
    )
    previous_secret_keys: list[SecretStr] = Field(
        default_factory=list, description="Older keys still accepted for decryption (rotation)"
    )
    admin_username: str = "admin"
    admin_password: SecretStr | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    session_ttl_hours: int = Field(default=12, ge=1, le=24 * 30)
    login_max_failures: int = Field(
        default=5,
        ge=0,
        le=10_000,
        description="Failed logins allowed per (username, client address) within "
        "login_failure_window; the next attempt gets 429 (0: no limit)",
    )
    login_failure_window: float = Field(
        default=60, gt=0, le=86_400, description="Seconds over which failed logins count"
    )
    api_key_max_days: float = Field(
        default=0,
        ge=0,
        le=36_500,
        description="Longest lifetime of a new API key in days; keys without an expiry get "
        "this one (0: no limit)",
    )
    auth_failure_coalesce: float = Field(
        default=60,
        ge=0,
        le=86_400,
        description="Identical auth failures within this many s share one audit row",
    )
    auth_failure_max_rows: int = Field(
        default=10_000, ge=100, description="Audit rows of auth failures kept (oldest dropped)"
    )
    log_level: str = "INFO"
    access_log: bool = Field(
        default=True,
        description="One log line per HTTP request (uvicorn's); behind a proxy that logs "
        "them (nginx), false saves the API process the work",
    )
    worker_threads: int = Field(default=32, ge=1, le=1024, description="Local executor threads")
    session_idle_ttl: float = Field(default=300, gt=0, description="Close idle device sessions")
    session_max_age: float = Field(default=3600, gt=0, description="Recycle sessions this old")
    session_keepalive: float = Field(default=60, gt=0, description="Probe idle sessions")
    config_backup_interval: float = Field(
        default=0, ge=0, description="Back up every device's configuration every N s (0: off)"
    )
    services_rescan: float = Field(
        default=30, gt=0, description="Seconds between rescans of the custom services folder"
    )
    embedded_scheduler: bool = Field(
        default=True, description="serve also fires scheduled tasks (or run netweave scheduler)"
    )
    embedded_syslog: bool = Field(
        default=True, description="serve also receives syslog (or run netweave syslog)"
    )
    syslog_host: str = Field(default="0.0.0.0", description="Syslog listen address")
    syslog_port: int = Field(default=5514, ge=1, le=65535, description="UDP and TCP port")
    syslog_queue: int = Field(default=100_000, ge=100, description="Messages buffered")
    syslog_retention_days: float = Field(default=30, gt=0, description="Then deleted")
    smtp_host: str | None = Field(default=None, description="Mail relay for notifications")
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_sender: str = "netweave@localhost"
    services_dir: Path | None = Field(
        default=None, description="Custom Python services folder (default <data_dir>/services)"
    )
    # -- privileged service types: where playbooks may come from --
    playbooks_dir: Path | None = Field(
        default=None,
        description="Folder of the playbooks ansible_playbook services may run, on the workers "
        "(default <data_dir>/playbooks); a service's playbook is a path relative to it",
    )
    file_transfer_dir: Path | None = Field(
        default=None,
        description="Folder on the workers that file_transfer services read uploads from and "
        "write downloads to (default <data_dir>/files); their local paths are relative to it",
    )
    # -- user templates and parsers: time and memory limits --
    template_timeout: float = Field(
        default=5,
        gt=0,
        le=3600,
        description="Seconds one template rendering or output parsing may take (then a 422)",
    )
    password_hash_memory_kib: int = Field(
        default=65536,
        ge=64,  # argon2 needs 8 KiB per lane (4 lanes)
        le=4_194_304,
        description="argon2id memory cost (KiB) of new password hashes (RFC 9106's second "
        "choice: 64 MiB); existing hashes keep theirs and are redone at the next sign-in",
    )
    password_hash_time_cost: int = Field(
        default=3, ge=1, le=100, description="argon2id passes over that memory (time cost)"
    )
    # -- password policy: every password a person chooses (not the one-time ones of a reset) --
    password_min_length: int = Field(
        default=12, ge=8, le=1024, description="Shortest password a person may choose"
    )
    password_min_classes: int = Field(
        default=1,
        ge=1,
        le=4,
        description="How many of the four character classes (lower case, upper case, digit, "
        "other) a chosen password must contain",
    )
    password_max_age_days: float = Field(
        default=0,
        ge=0,
        le=36_500,
        description="A local password older than this many days signs in into a session that "
        "may only choose a new one (0: passwords never expire; API keys are not affected)",
    )
    password_history: int = Field(
        default=0,
        ge=0,
        le=24,
        description="How many previous passwords, besides the current one, may not be chosen "
        "again (their argon2 hashes are kept; the current one is always refused)",
    )
    template_memory_mb: int = Field(
        default=512,
        ge=128,
        le=1_048_576,
        description="Address space (MB) of a process rendering or parsing user templates",
    )
    template_workers: int = Field(
        default=2, ge=1, le=64, description="Processes rendering and parsing user templates"
    )
    detached_max_tasks: int = Field(
        default=16,
        ge=0,
        le=10_000,
        description="Detached tasks (detach: true) waiting or running at once; more are "
        "refused with a 429 naming detach (0: detach refused). Each holds a worker thread",
    )
    detached_max_log_chars: int = Field(
        default=1_048_576,
        ge=1024,
        le=67_108_864,
        description="Characters of output kept per detached task; what comes after is "
        "dropped (the command keeps running) and the log says so",
    )
    terminal_idle_timeout: float = Field(
        default=900, gt=0, description="Close a web terminal after this many s without input"
    )
    terminal_max_sessions: int = Field(
        default=5, ge=1, le=1000, description="Web terminals one user may have open at once"
    )
    terminal_connect_timeout: float = Field(
        default=15, gt=0, le=600, description="Seconds to connect and log in to the device"
    )
    terminal_transcript_limit: int = Field(
        default=65536, ge=0, description="Characters of typed input kept per terminal session"
    )
    map_tile_url: str = Field(
        default=DEFAULT_MAP_TILE_URL,
        max_length=2000,
        description="2D map tiles, an {z}/{x}/{y} URL template (empty: only the offline map "
        "shipped with the UI)",
    )
    map_tile_attribution: str = Field(
        default=DEFAULT_MAP_TILE_ATTRIBUTION,
        max_length=2000,
        description="Credit shown on the map for the tiles (HTML)",
    )
    vault_url: str | None = Field(
        default=None,
        description="Vault/OpenBao address (http(s)://host:8200) for credentials of source "
        "vault; read by the workers only",
    )
    vault_auth_method: Literal["token", "approle"] = Field(
        default="token", description="token (NETWEAVE_VAULT_TOKEN) or approle (role/secret id)"
    )
    vault_token: SecretStr | None = None
    vault_role_id: SecretStr | None = None
    vault_secret_id: SecretStr | None = None
    vault_approle_mount: str = Field(default="approle", pattern=r"^[A-Za-z0-9_.-]{1,128}$")
    vault_namespace: str | None = Field(default=None, description="Vault Enterprise namespace")
    vault_cache_ttl: float = Field(
        default=30, ge=0, le=3600, description="Seconds a secret read from vault is reused"
    )
    vault_tls_verify: bool = Field(default=True, description="Verify the vault TLS certificate")
    vault_ca_cert: Path | None = Field(default=None, description="CA bundle for vault TLS")
    vault_timeout: float = Field(default=10, gt=0, le=300, description="Per vault request, s")
    # -- limits and hardening: bodies, proxies, cookies, login throttle, syslog storage --
    max_body_bytes: int = Field(
        default=2 * 2**20, ge=1024, description="Largest request body; larger ones get 413"
    )
    max_import_bytes: int = Field(
        default=50 * 2**20, ge=1024, description="Largest body of the inventory/automation imports"
    )
    login_max_failures_per_address: int = Field(
        default=100,
        ge=0,
        le=1_000_000,
        description="Failed logins allowed from one client address (any usernames) within "
        "login_failure_window, against password spraying (0: no limit)",
    )
    # -- directory sign-in (LDAP / Active Directory); local accounts keep working --
    directory_url: str | None = Field(
        default=None,
        description="ldap://host[:port] or ldaps://host[:port]; unset: local accounts only",
    )
    directory_start_tls: bool = Field(default=False, description="StartTLS on an ldap:// URL")
    directory_ca_file: str | None = Field(
        default=None, description="CA certificates (PEM) the directory's certificate must chain to"
    )
    directory_verify: bool = Field(default=True, description="Check the certificate and name")
    directory_bind_dn: str = Field(default="", description="The service account NetWeave binds as")
    directory_bind_password: SecretStr | None = None
    directory_user_base: str = Field(default="", description="Where users are searched")
    directory_user_filter: str = Field(
        default="(uid={username})", description="AD: (sAMAccountName={username})"
    )
    directory_username_attribute: str = Field(default="uid", description="AD: sAMAccountName")
    directory_group_base: str = Field(default="", description="Where groups are searched")
    directory_group_filter: str = Field(default="(member={user_dn})")
    directory_group_name_attribute: str = Field(
        default="cn", description="The group name NetWeave groups' directory_groups list"
    )
    directory_timeout: float = Field(default=5, gt=0, le=120)
    directory_require_group: bool = Field(
        default=True,
        description="Refuse a directory user who is in no NetWeave group (true), or let them "
        "in with their own role, viewer unless an admin changed it (false)",
    )
    # RADIUS sign-in (when no LDAP directory is set): PAP against this server; the reply's
    # group attribute values map to NetWeave groups like directory groups do
    radius_server: str | None = Field(default=None, description="Host name or address")
    radius_port: int = Field(default=1812, ge=1, le=65535)
    radius_secret: SecretStr | None = Field(default=None, description="The shared secret")
    radius_timeout: float = Field(default=3, gt=0, le=60, description="Seconds per try")
    radius_retries: int = Field(default=2, ge=0, le=5)
    radius_group_attribute: Literal["Filter-Id", "Class"] = Field(
        default="Filter-Id", description="Reply attribute whose values name the user's groups"
    )
    radius_nas_identifier: str = Field(default="netweave", min_length=1, max_length=64)
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses/CIDRs of reverse proxies whose X-Forwarded-For is believed "
        "(comma-separated); from anyone else the header is ignored",
    )
    cookie_secure: bool = Field(
        default=False, description="Mark the login and CSRF cookies Secure (HTTPS only)"
    )
    syslog_max_messages: int = Field(
        default=1_000_000, ge=1000, description="Syslog messages stored; the oldest go first"
    )
    # -- file transfers (NetPulse file_transfer): staged under <data_dir>/staging --
    file_upload_max_bytes: int = Field(
        default=100 * 2**20, ge=1, description="Largest file uploaded to a device (413 above)"
    )
    file_download_max_bytes: int = Field(
        default=100 * 2**20, ge=1, description="Largest file downloaded from a device"
    )
    staged_file_ttl: float = Field(
        default=3600, gt=0, le=7 * 86400, description="Seconds a staged file is kept"
    )
    # -- configurations in git and operational data (docs/configs.md) --
    config_git: bool = Field(
        default=True, description="Commit every stored configuration and show output to git"
    )
    config_git_dir: Path | None = Field(
        default=None, description="The bare git repository (default <data_dir>/configs.git)"
    )
    config_git_remote: str | None = Field(
        default=None, max_length=2000, description="A git URL or path pushed to after commits"
    )
    config_git_push: bool = Field(default=True, description="Push to config_git_remote if set")
    operational_commands: dict[str, list[str]] = Field(
        default_factory=lambda: dict(DEFAULT_OPERATIONAL_COMMANDS),
        description="Per platform: the show commands a configuration backup also stores",
    )
    operational_volatile: dict[str, list[str]] = Field(
        default_factory=lambda: dict(DEFAULT_VOLATILE_PATTERNS),
        description="Per show command: regexes of output parts ignored when comparing",
    )

    @field_validator("operational_commands")
    @classmethod
    def _check_operational(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return check_commands(value, "operational_commands")

    @field_validator("operational_volatile")
    @classmethod
    def _check_volatile(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        checked: dict[str, list[str]] = {}
        for command, patterns in value.items():
            for pattern in patterns:
                try:
                    check_regex(pattern)
                except ValueError as exc:
                    raise ValueError(f"operational_volatile.{command}: {exc}") from exc
            checked[normalize_command(command)] = list(patterns)
        return checked

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        for item in value or ():
            try:
                ipaddress.ip_network(str(item).strip(), strict=False)
            except ValueError as exc:
                raise ValueError(f"trusted_proxies: {item!r} is not an address or CIDR") from exc
        return [str(item).strip() for item in value or ()]

    @field_validator("database_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        allowed = ("sqlite", "postgresql")
        if value.split(":", 1)[0].split("+", 1)[0] not in allowed:
            raise ValueError("database_url must be a sqlite:// or postgresql:// URL")
        return value

    @field_validator("map_tile_url")
    @classmethod
    def _check_tile_url(cls, value: str) -> str:
        value = value.strip()
        if not value:
            return value
        if not value.startswith(("http://", "https://", "/")):
            raise ValueError("map_tile_url must be an http(s):// URL or a /path on this server")
        missing = [part for part in ("{z}", "{x}", "{y}") if part not in value]
        if missing:
            raise ValueError(f"map_tile_url must contain {', '.join(missing)}")
        return value

    @field_validator("vault_url")
    @classmethod
    def _check_vault_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("vault_url must be an http:// or https:// URL")
        return value

    @model_validator(mode="after")
    def _vault_needs_auth(self) -> Settings:
        if not self.vault_url:
            return self
        if self.vault_auth_method == "token" and self.vault_token is None:
            raise ValueError("vault_token: vault auth method token needs NETWEAVE_VAULT_TOKEN")
        if self.vault_auth_method == "approle":
            for name in ("vault_role_id", "vault_secret_id"):
                if getattr(self, name) is None:
                    raise ValueError(
                        f"{name}: vault auth method approle needs NETWEAVE_{name.upper()}"
                    )
        return self

    @model_validator(mode="after")
    def _rq_needs_redis(self) -> Settings:
        if self.executor == "rq" and not self.redis_url:
            raise ValueError("redis_url: the rq executor needs NETWEAVE_REDIS_URL")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, YamlFileSource(settings_cls, _yaml_path()))

    @property
    def effective_services_dir(self) -> Path:
        return self.services_dir or self.data_dir / "services"

    @property
    def effective_playbooks_dir(self) -> Path:
        return self.playbooks_dir or self.data_dir / "playbooks"

    @property
    def effective_file_transfer_dir(self) -> Path:
        return self.file_transfer_dir or self.data_dir / "files"

    @property
    def effective_config_git_dir(self) -> Path:
        return self.config_git_dir or self.data_dir / "configs.git"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'netweave.db'}"

    @property
    def is_production(self) -> bool:
        return self.mode is Mode.production

    def resolve_secret_key(self) -> str:
        """The key that encrypts credentials: configured, or read/created in the data dir.

        In production a placeholder or short key is refused.
        """
        if self.secret_key is not None:
            key = self.secret_key.get_secret_value()
            if self.is_production and _is_placeholder(key):
                raise ConfigurationError(
                    "NETWEAVE_SECRET_KEY is a placeholder or shorter than "
                    f"{MIN_SECRET_KEY_LENGTH} characters; set a real secret "
                    "(or unset it to have one generated in the data dir)",
                    field="secret_key",
                )
            return key
        path = self.data_dir / SECRET_KEY_FILE
        if path.exists():
            return path.read_text().strip()
        private_dir(self.data_dir)
        key = secrets.token_urlsafe(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key + "\n")
        return key

    def check_admin_password(self) -> None:
        if self.admin_password is None:
            return
        if self.is_production and _is_placeholder(self.admin_password.get_secret_value()):
            raise ConfigurationError(
                "NETWEAVE_ADMIN_PASSWORD is a placeholder or too short", field="admin_password"
            )


def _is_placeholder(value: str) -> bool:
    return value.strip().lower() in PLACEHOLDER_SECRETS or len(value) < MIN_SECRET_KEY_LENGTH


def load_settings(**overrides: Any) -> Settings:
    return Settings(**overrides)
