"""REST call: method, URL, headers and payload with Jinja2 variables, credential auth,
expected status codes; the JSON answer becomes the step's result.

A privileged type (it reaches any host from a NetWeave host). The URL's scheme, host and
port are literal, templates only in its path and query: whoever runs the service with
variables cannot send the request (and its credential) to another host."""

from __future__ import annotations

import json
import re
from typing import Any, Literal

import httpx
from pydantic import Field, SecretStr, field_validator

from netweave.services.base import Service, ServiceContext, ServiceInputs, ServiceOutcome


class RestInputs(ServiceInputs):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    url: str = Field(min_length=1, description="URL; Jinja2 variables allowed")
    params: dict[str, str] = Field(default_factory=dict, description="Query parameters")
    headers: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="Headers (templated); their values often carry tokens, so they are "
        "stored encrypted and never shown",
    )
    payload: dict[str, Any] | list[Any] | None = Field(
        default=None, description="JSON body; string values are Jinja2 templates"
    )
    auth: Literal["none", "basic", "bearer"] = "none"
    credential: str | None = Field(
        default=None, description="Credential giving the user/password (basic) or token (bearer)"
    )
    expected_status: list[int] = Field(default_factory=lambda: [200, 201, 202, 204])
    verify_tls: bool = True
    timeout: float = Field(default=10, gt=0, le=300)

    @field_validator("url")
    @classmethod
    def _literal_origin(cls, value: str) -> str:
        origin(value)
        return value


def origin(url: str) -> str:
    """``scheme://host:port`` of a URL as saved; ValueError when any of it is templated."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https"):
        raise ValueError("must start with http:// or https:// (literally, not a template)")
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if "{" in authority or "}" in authority:
        raise ValueError(
            "the scheme, host and port must be literal: templates are allowed only in the "
            "path and query"
        )
    if not authority:
        raise ValueError("needs a host")
    return f"{scheme}://{authority}"


def _same_origin(saved: str, rendered: str) -> bool:
    try:
        want, got = httpx.URL(origin(saved)), httpx.URL(rendered)
    except (ValueError, httpx.InvalidURL):
        return False
    return (want.scheme, want.host, want.port, want.userinfo) == (
        got.scheme,
        got.host,
        got.port,
        got.userinfo,
    )


def _render(value: Any, ctx: ServiceContext) -> Any:
    if isinstance(value, str):
        return ctx.render(value)
    if isinstance(value, dict):
        return {key: _render(item, ctx) for key, item in value.items()}
    if isinstance(value, list):
        return [_render(item, ctx) for item in value]
    return value


class RestCall(Service[RestInputs]):
    title = "REST call"
    description = "Call an HTTP API with templated URL and payload; check the status code."
    Inputs = RestInputs
    per_device = False
    privileged = True

    def run(self, ctx: ServiceContext, inputs: RestInputs) -> ServiceOutcome:
        headers = {
            key: ctx.render(value.get_secret_value()) for key, value in inputs.headers.items()
        }
        auth: httpx.Auth | None = None
        url = ctx.render(inputs.url)
        if not _same_origin(inputs.url, url):  # checked again where it runs
            return ServiceOutcome(
                False, {"url": url, "error": "url: the rendered URL leaves the saved host"}
            )
        if inputs.auth != "none":
            if not inputs.credential:
                return ServiceOutcome(False, {"error": "credential: needed for auth"})
            try:  # the credential goes only to a host inside its scope: the URL's
                parsed = httpx.URL(url)
            except httpx.InvalidURL as exc:
                return ServiceOutcome(False, {"url": url, "error": f"url: {exc}"})
            if not parsed.host:
                return ServiceOutcome(False, {"url": url, "error": "url: no host"})
            user, password = ctx.secret(inputs.credential, parsed.host, parsed.port)
            if inputs.auth == "basic":
                auth = httpx.BasicAuth(user, password)
            else:
                headers["Authorization"] = f"Bearer {password}"
        try:
            with httpx.Client(timeout=inputs.timeout, verify=inputs.verify_tls) as client:
                response = client.request(
                    inputs.method,
                    url,
                    params={key: ctx.render(value) for key, value in inputs.params.items()},
                    headers=headers,
                    json=_render(inputs.payload, ctx) if inputs.payload is not None else None,
                    auth=auth,
                )
        except httpx.HTTPError as exc:
            return ServiceOutcome(False, {"url": url, "error": f"{type(exc).__name__}: {exc}"})
        try:
            body: Any = response.json()
        except (json.JSONDecodeError, ValueError):
            body = None
        return ServiceOutcome(
            response.status_code in inputs.expected_status,
            {
                "url": url,
                "method": inputs.method,
                "status_code": response.status_code,
                "json": body,
                "text": response.text[:100_000] if body is None else "",
            },
        )
