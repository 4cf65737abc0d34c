"""Annotated dependencies: runtime, database session, caller and role guards."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from netweave.core.access.tokens import Principal, authenticate_api_key, authenticate_session
from netweave.core.runtime import Runtime
from netweave.db.models import Role
from netweave.foundation.errors import AuthenticationFailed, PermissionDenied

SESSION_COOKIE = "netweave_session"

api_key_header = APIKeyHeader(name="X-API-KEY", auto_error=False, description="Per-user API key")
session_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="UI login")
bearer = HTTPBearer(auto_error=False, description="The API key as a bearer token (Prometheus)")


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_db(runtime: RuntimeDep) -> Iterator[Session]:
    """A session per request. Routes that write call ``db.commit()`` themselves, so a failed
    commit becomes an error response rather than a lost write after a 2xx."""
    with runtime.sessions() as session:
        yield session


DbSession = Annotated[Session, Depends(get_db)]


def get_principal(
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
            return authenticate_session(session, cookie)
    raise AuthenticationFailed("authentication required: send X-API-KEY or log in")


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require(role: Role) -> Callable[[Principal], Principal]:
    def guard(principal: CurrentPrincipal) -> Principal:
        if not principal.has_role(role):
            raise PermissionDenied(f"requires the {role.value} role (you are {principal.role})")
        return principal

    return guard


Viewer = Annotated[Principal, Depends(require(Role.viewer))]
Operator = Annotated[Principal, Depends(require(Role.operator))]
Admin = Annotated[Principal, Depends(require(Role.admin))]
