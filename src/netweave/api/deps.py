"""Annotated dependencies: runtime, database session, caller and role guards."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from netweave.core.access.tokens import (
    Principal,
    authenticate_api_key,
    authenticate_session,
    csrf_token,
)
from netweave.core.audit import REQUEST_KEY
from netweave.core.runtime import Runtime
from netweave.db.models import Role
from netweave.foundation.errors import AuthenticationFailed, PermissionDenied

SESSION_COOKIE = "netweave_session"
CSRF_COOKIE = "netweave_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

api_key_header = APIKeyHeader(name="X-API-KEY", auto_error=False, description="Per-user API key")
session_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="UI login")
bearer = HTTPBearer(auto_error=False, description="The API key as a bearer token (Prometheus)")


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_db(runtime: RuntimeDep, request: Request) -> Iterator[Session]:
    """A session per request. Routes that write call ``db.commit()`` themselves, so a failed
    commit becomes an error response rather than a lost write after a 2xx. The changelog
    reads the caller from the request (set by the role guard)."""
    with runtime.sessions() as session:
        session.info[REQUEST_KEY] = request.state
        yield session


DbSession = Annotated[Session, Depends(get_db)]


def get_principal(
    request: Request,
    runtime: RuntimeDep,
    api_key: Annotated[str | None, Depends(api_key_header)],
    cookie: Annotated[str | None, Depends(session_cookie)],
    token: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if not api_key and token is not None:
        api_key = token.credentials
    with runtime.transaction() as session:
        if api_key:
            return authenticate_api_key(session, api_key)
        if cookie:
            principal = authenticate_session(session, cookie)
            if request.method not in SAFE_METHODS and not secrets.compare_digest(
                request.headers.get(CSRF_HEADER, ""), csrf_token(cookie)
            ):
                raise PermissionDenied(
                    f"missing or wrong {CSRF_HEADER} header (required with a login cookie)"
                )
            return principal
    raise AuthenticationFailed("authentication required: send X-API-KEY or log in")


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require(role: Role) -> Callable[..., Principal]:
    def guard(principal: CurrentPrincipal, request: Request) -> Principal:
        if principal.scope != "full":
            raise PermissionDenied(
                "this API key may only fire triggers (POST /api/v1/triggers/{name}/fire)"
            )
        if not principal.has_role(role):
            raise PermissionDenied(f"requires the {role.value} role (you are {principal.role})")
        request.state.actor = principal.username
        return principal

    return guard


def trigger_caller(principal: CurrentPrincipal, request: Request) -> Principal:
    """Firing a trigger: a trigger-scoped key or any operator; the key's user needs the
    operator role either way (a trigger starts runs)."""
    if not principal.has_role(Role.operator):
        raise PermissionDenied(f"requires the operator role (you are {principal.role})")
    request.state.actor = principal.username
    return principal


TriggerCaller = Annotated[Principal, Depends(trigger_caller)]
Viewer = Annotated[Principal, Depends(require(Role.viewer))]
Operator = Annotated[Principal, Depends(require(Role.operator))]
Admin = Annotated[Principal, Depends(require(Role.admin))]
