"""A small client of a remote NetWeave's REST API for ``netweave run --server``.

It speaks the NetPulse-compatible device API (``POST /device/bulk``, ``GET /jobs/{id}``
with ``?wait=`` long polls) and reads the inventory (``/api/v1/devices``, ``/api/v1/pools``)
to check names. Answers are plain JSON (dicts); every failure is a ``RemoteError`` whose
message says what to do. The API key is sent in the ``X-API-KEY`` header and never appears
in a message.
"""

from __future__ import annotations

import ipaddress
import ssl
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

MAX_WAIT = 60.0  # the server's bound on ?wait=
PAGE = 1000


class RemoteError(Exception):
    """The server could not be used (reached, trusted, authenticated) or refused a request."""


def tls_verify(insecure: bool, ca_cert: Path | None) -> bool | ssl.SSLContext:
    """``--insecure`` turns verification off; ``--ca-cert`` trusts that CA bundle (on top
    of nothing else: a private CA's server); otherwise the system's trust store."""
    if insecure and ca_cert is not None:
        raise RemoteError("--insecure and --ca-cert contradict each other: give one")
    if insecure:
        return False
    if ca_cert is None:
        return True
    try:
        return ssl.create_default_context(cafile=str(ca_cert))
    except (OSError, ssl.SSLError) as exc:
        raise RemoteError(f"--ca-cert {ca_cert}: not a readable PEM certificate file") from exc


def check_server_url(server: str) -> str:
    parts = urlsplit(server.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RemoteError(
            f"--server {server!r}: give the server's URL, e.g. https://netweave.example.com"
        )
    return server.strip().rstrip("/")


def sends_key_in_clear(server: str) -> bool:
    """Plain HTTP to anything but this machine: the key could be read on the way."""
    parts = urlsplit(server)
    if parts.scheme != "http":
        return False
    host = parts.hostname or ""
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


class RemoteClient:
    def __init__(
        self,
        server: str,
        api_key: str,
        *,
        verify: bool | ssl.SSLContext = True,
        timeout: float = 30.0,
    ) -> None:
        self.server = check_server_url(server)
        self.timeout = timeout
        self._http = httpx.Client(
            base_url=self.server,
            headers={"X-API-KEY": api_key, "Accept": "application/json"},
            verify=verify,
            timeout=timeout,
            follow_redirects=False,  # a redirect elsewhere must not take the key along
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RemoteClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- the API ------------------------------------------------------------------------

    def whoami(self) -> dict[str, Any]:
        """The key's user (checks the server and the key before anything is sent)."""
        return self._json("GET", "/api/v1/auth/me")

    def unknown_devices(self, names: list[str]) -> list[str]:
        """The names that are not inventory devices."""
        unknown = []
        for name in names:
            page = self._json("GET", "/api/v1/devices", params={"name": name, "limit": 10})
            if not any(item.get("name") == name for item in page.get("items", [])):
                unknown.append(name)
        return unknown

    def pool_members(self, pool: str) -> list[str]:
        found = self._json("GET", "/api/v1/pools", params={"name": pool, "limit": 10})
        match = [item for item in found.get("items", []) if item.get("name") == pool]
        if not match:
            raise RemoteError(f"--pool: no pool named {pool!r} on {self.server}")
        names: list[str] = []
        offset = 0
        while True:
            page = self._json(
                "GET",
                f"/api/v1/pools/{match[0]['id']}/devices",
                params={"limit": PAGE, "offset": offset},
            )
            items = page.get("items", [])
            names += [str(item["name"]) for item in items]
            offset += len(items)
            if not items or offset >= int(page.get("total", 0)):
                return names

    def submit_bulk(self, request: dict[str, Any]) -> dict[str, Any]:
        """``POST /device/bulk``: ``{"succeeded": [job, ...], "failed": [...]}``."""
        return self._json("POST", "/device/bulk", json=request)

    def job(self, job_id: str, wait: float = 0.0) -> dict[str, Any]:
        """``GET /jobs/{id}``, as a long poll of up to ``wait`` seconds."""
        wait = max(0.0, min(wait, MAX_WAIT))
        params = {"wait": f"{wait:.1f}"} if wait >= 0.1 else {}
        return self._json("GET", f"/jobs/{job_id}", params=params, timeout=self.timeout + wait)

    # -- plumbing -----------------------------------------------------------------------

    def _json(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        timeout: float | None = None,
    ) -> Any:
        try:
            response = self._http.request(
                method, path, params=params, json=json, timeout=timeout or self.timeout
            )
        except httpx.TimeoutException as exc:
            raise RemoteError(
                f"{self.server} did not answer {method} {path} in time ({type(exc).__name__})"
            ) from exc
        except httpx.TransportError as exc:
            raise RemoteError(self._transport_problem(exc)) from exc
        if response.status_code >= 400:
            raise RemoteError(self._refusal(response))
        if response.is_redirect:
            raise RemoteError(
                f"{self.server} redirects {path} to {response.headers.get('location')!r}: "
                "give that address as --server"
            )
        try:
            return response.json()
        except ValueError as exc:
            kind = response.headers.get("content-type", "no content type")
            raise RemoteError(
                f"{self.server} did not answer like a NetWeave server "
                f"({method} {path}: HTTP {response.status_code}, {kind})"
            ) from exc

    def _transport_problem(self, exc: httpx.TransportError) -> str:
        cause: BaseException | None = exc
        while cause is not None:
            if isinstance(cause, ssl.SSLCertVerificationError):
                return (
                    f"TLS: the certificate of {self.server} is not trusted "
                    f"({cause.verify_message}); give its CA with --ca-cert FILE "
                    "(or --insecure to skip the check)"
                )
            if isinstance(cause, ssl.SSLError):
                return f"TLS with {self.server} failed: {cause.reason or cause}"
            cause = cause.__cause__ or cause.__context__
        return f"cannot reach the server at {self.server}: {exc or type(exc).__name__}"

    def _refusal(self, response: httpx.Response) -> str:
        detail = _detail(response)
        status = response.status_code
        if status == 401:
            return (
                f"{self.server} refused the API key (401: {detail}); check --api-key "
                "or NETWEAVE_API_KEY (create one with `netweave user api-key USER`)"
            )
        if status == 403:
            return f"{self.server} refused the request for this API key's user (403: {detail})"
        request = response.request
        return f"{self.server} refused {request.method} {request.url.path} ({status}: {detail})"


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase or "no detail"
    if isinstance(body, dict) and body.get("detail") is not None:
        detail = body["detail"]
        return detail if isinstance(detail, str) else str(detail)
    return str(body)[:500]
