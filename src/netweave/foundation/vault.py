"""Secrets read from Vault/OpenBao (KV v2) by reference, through hvac.

One :class:`VaultClient` per process, shared by every thread: it logs in lazily (a token, or
AppRole with renewal before the lease runs out and a new login when the server answers 403),
reads KV v2 secrets (latest or a pinned version) and keeps them a short while in memory,
keyed by (mount, path, version), so a 1,000-device bulk on one credential reads once.

Nothing here logs, returns in an error or ``repr``s a secret value. Every failure is a
:class:`VaultError` with a message an operator can act on ("vault: permission denied ...").
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from netweave.foundation.errors import NetWeaveError

if TYPE_CHECKING:  # hvac (and requests under it) is imported on the first Vault request:
    import hvac  # a process that never reads Vault never pays its ~40 ms import

    from netweave.foundation.settings import Settings

log = logging.getLogger(__name__)

AuthMethod = Literal["token", "approle"]
# Renew an AppRole token when this fraction of its lease has passed; a renewal that grants
# less than MIN_LEASE seconds (the role's max TTL is near) is replaced by a new login.
RENEW_AFTER = 2 / 3
MIN_LEASE = 5.0


class VaultError(NetWeaveError):
    """Vault/OpenBao could not give a credential's secret. 424: the request was fine, the
    secret store it depends on failed (never a 500)."""

    status_code = 424


@dataclass(frozen=True, repr=False)
class VaultConfig:
    url: str
    auth_method: AuthMethod = "token"
    token: str | None = None
    role_id: str | None = None
    secret_id: str | None = None
    approle_mount: str = "approle"
    namespace: str | None = None
    verify: bool | str = True  # False, True or a CA bundle path
    timeout: float = 10.0
    cache_ttl: float = 30.0

    def __repr__(self) -> str:  # never print the token or the secret id
        return f"VaultConfig(url={self.url!r}, auth_method={self.auth_method!r}, secrets=<hidden>)"

    @classmethod
    def from_settings(cls, settings: Settings) -> VaultConfig | None:
        """The configuration in ``NETWEAVE_VAULT_*``; ``None`` when no vault URL is set."""
        if not settings.vault_url:
            return None

        def reveal(value: Any) -> str | None:
            return None if value is None else str(value.get_secret_value())

        verify: bool | str = settings.vault_tls_verify
        if verify and settings.vault_ca_cert is not None:
            verify = str(settings.vault_ca_cert)
        return cls(
            url=settings.vault_url,
            auth_method=settings.vault_auth_method,
            token=reveal(settings.vault_token),
            role_id=reveal(settings.vault_role_id),
            secret_id=reveal(settings.vault_secret_id),
            approle_mount=settings.vault_approle_mount,
            namespace=settings.vault_namespace,
            verify=verify,
            timeout=settings.vault_timeout,
            cache_ttl=settings.vault_cache_ttl,
        )


@dataclass(frozen=True, repr=False)
class VaultSecret:
    """One version of a KV v2 secret: its key/value pairs and its version number."""

    data: Mapping[str, Any]
    version: int

    def __repr__(self) -> str:
        return f"VaultSecret(version={self.version}, keys={sorted(self.data)!r})"


def api_path(mount: str, path: str, version: int | None = None) -> str:
    """How an operator finds the secret: ``secret/data/net/core`` (+ ``version 2``)."""
    where = f"{mount}/data/{path}"
    return f"{where} version {version}" if version is not None else where


@dataclass
class _Cached:
    secret: VaultSecret
    expires: float


@dataclass
class _Token:
    renew_at: float | None = None  # None: never expires (or not ours to renew)
    renewable: bool = False
    fresh: bool = False  # just logged in: a 403 now is the policy, not an old token


@dataclass(repr=False)
class VaultClient:
    """Thread-safe KV v2 reader with a TTL cache. ``clock`` is monotonic seconds (tests
    pass their own to step over the cache TTL and the token lease without sleeping)."""

    config: VaultConfig
    clock: Callable[[], float] = time.monotonic
    _client: hvac.Client | None = field(default=None, init=False)
    _token: _Token = field(default_factory=_Token, init=False)
    _cache: dict[tuple[str, str, int | None], _Cached] = field(default_factory=dict, init=False)
    _cache_lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _io_lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __repr__(self) -> str:
        return f"VaultClient({self.config.url!r}, auth={self.config.auth_method!r})"

    # -- public ---------------------------------------------------------------------------
    def read(self, mount: str, path: str, version: int | None = None) -> VaultSecret:
        """The secret at ``<mount>/data/<path>`` (latest, or ``version``), cached for
        ``cache_ttl`` seconds."""
        key = (mount, path, version)
        hit = self._cached(key)
        if hit is not None:
            return hit
        with self._io_lock:  # one request at a time; waiting readers then hit the cache
            hit = self._cached(key)
            if hit is not None:
                return hit
            secret = self._fetch(mount, path, version)
            if self.config.cache_ttl > 0:
                with self._cache_lock:
                    self._cache[key] = _Cached(secret, self.clock() + self.config.cache_ttl)
        return secret

    def clear_cache(self) -> None:
        with self._cache_lock:
            self._cache.clear()

    @property
    def token(self) -> str | None:
        """The token in use (tests compare it across a renewal and a new login)."""
        return None if self._client is None else self._client.token

    # -- cache ----------------------------------------------------------------------------
    def _cached(self, key: tuple[str, str, int | None]) -> VaultSecret | None:
        with self._cache_lock:
            hit = self._cache.get(key)
            if hit is None:
                return None
            if hit.expires > self.clock():
                return hit.secret
            del self._cache[key]
            return None

    # -- requests (under _io_lock) --------------------------------------------------------
    def _fetch(self, mount: str, path: str, version: int | None) -> VaultSecret:
        import hvac.exceptions

        where = api_path(mount, path, version)
        client = self._ready()
        try:
            response = self._read(client, mount, path, version)
        except hvac.exceptions.Forbidden:
            if self.config.auth_method != "approle" or self._token.fresh:
                raise VaultError(f"vault: permission denied for {where}") from None
            log.info("vault: token refused, logging in again (AppRole)")
            self._login()  # the token expired or was revoked: one new login, one retry
            try:
                response = self._read(client, mount, path, version)
            except hvac.exceptions.Forbidden:
                raise VaultError(f"vault: permission denied for {where}") from None
            except Exception as exc:
                raise _translate(exc, where, self.config.url) from None
        except Exception as exc:
            raise _translate(exc, where, self.config.url) from None
        finally:
            self._token.fresh = False
        try:
            data = response["data"]["data"]
            number = int(response["data"]["metadata"]["version"])
        except (KeyError, TypeError, ValueError):
            raise VaultError(f"vault: {where} is not a KV v2 secret") from None
        if not isinstance(data, dict):
            raise VaultError(f"vault: {where} holds no key/value data (deleted?)")
        return VaultSecret(data, number)

    @staticmethod
    def _read(client: hvac.Client, mount: str, path: str, version: int | None) -> Any:
        return client.secrets.kv.v2.read_secret_version(
            path=path, version=version, mount_point=mount, raise_on_deleted_version=True
        )

    def _ready(self) -> hvac.Client:
        """The client, logged in and with a token that is not about to expire."""
        import hvac

        config = self.config
        if self._client is None:
            self._client = hvac.Client(
                url=config.url,
                token=config.token if config.auth_method == "token" else None,
                verify=config.verify,
                timeout=config.timeout,
                namespace=config.namespace or None,
            )
            if config.auth_method == "approle":
                self._client.token = None  # not one hvac found in VAULT_TOKEN/~/.vault-token
        if config.auth_method == "approle":
            renew_at = self._token.renew_at
            if not self._client.token:
                self._login()
            elif renew_at is not None and self.clock() >= renew_at:
                if self._token.renewable:
                    self._renew()
                else:
                    self._login()
        return self._client

    def _login(self) -> None:
        import hvac.exceptions

        assert self._client is not None
        config = self.config
        try:
            answer = self._client.auth.approle.login(
                role_id=config.role_id,
                secret_id=config.secret_id,
                mount_point=config.approle_mount,
            )
        except (hvac.exceptions.InvalidRequest, hvac.exceptions.Forbidden) as exc:
            reason = ", ".join(getattr(exc, "errors", None) or []) or "refused"
            raise VaultError(f"vault: AppRole login failed: {reason}") from None
        except Exception as exc:
            raise _translate(exc, f"auth/{config.approle_mount}/login", config.url) from None
        self._remember(answer, fresh=True)
        log.info("vault: logged in with AppRole (lease %s s)", answer["auth"]["lease_duration"])

    def _renew(self) -> None:
        assert self._client is not None
        try:
            answer = self._client.auth.token.renew_self()
        except Exception:  # revoked, past its max TTL, or not renewable: log in again
            log.info("vault: token renewal refused, logging in again (AppRole)")
            self._login()
            return
        if float(answer["auth"].get("lease_duration") or 0) < MIN_LEASE:
            self._login()
            return
        self._remember(answer, fresh=False)
        log.debug("vault: token renewed (lease %s s)", answer["auth"]["lease_duration"])

    def _remember(self, answer: Mapping[str, Any], *, fresh: bool) -> None:
        auth = answer.get("auth") or {}
        lease = float(auth.get("lease_duration") or 0)
        self._token = _Token(
            renew_at=self.clock() + lease * RENEW_AFTER if lease > 0 else None,
            renewable=bool(auth.get("renewable")),
            fresh=fresh,
        )


def _translate(exc: Exception, where: str, url: str) -> VaultError:
    """hvac/requests exceptions → one clear line (server messages never carry secrets)."""
    import hvac.exceptions
    import requests

    if isinstance(exc, VaultError):
        return exc
    if isinstance(exc, hvac.exceptions.InvalidPath):
        return VaultError(f"vault: secret {where} not found")
    if isinstance(exc, hvac.exceptions.Forbidden):
        return VaultError(f"vault: permission denied for {where}")
    if isinstance(exc, hvac.exceptions.Unauthorized):
        return VaultError(f"vault: not authorized for {where} (check the token)")
    if isinstance(exc, hvac.exceptions.VaultDown):
        return VaultError(f"vault: {url} is sealed or down")
    if isinstance(exc, hvac.exceptions.VaultError):
        reason = ", ".join(exc.errors or []) or type(exc).__name__
        return VaultError(f"vault: {where}: {reason}")
    if isinstance(exc, requests.exceptions.SSLError):
        return VaultError(f"vault: TLS verification of {url} failed")
    if isinstance(exc, requests.exceptions.RequestException):
        return VaultError(f"vault: cannot reach {url} ({type(exc).__name__})")
    return VaultError(f"vault: {where}: {type(exc).__name__}")
