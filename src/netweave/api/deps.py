"""Annotated dependencies: runtime, database session, caller and role guards."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyCookie, APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from netweave.api.errors import AUTH_USER
from netweave.core.access.failures import CsrfRejected
from netweave.core.access.tokens import (
    Principal,
    authenticate_api_key,
    authenticate_session,
    cached_api_key,
    csrf_token,
    record_use,
)
from netweave.core.audit import REQUEST_KEY
from netweave.core.runtime import Runtime
from netweave.db.engine import POOL_OVERFLOW, POOL_SIZE
from netweave.db.models import Role
from netweave.foundation.errors import AuthenticationFailed, PermissionDenied
from netweave.foundation.secrets import sha256_hex

SESSION_COOKIE = "netweave_session"
CSRF_COOKIE = "netweave_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

api_key_header = APIKeyHeader(name="X-API-KEY", auto_error=False, description="Per-user API key")
session_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="UI login")
bearer = HTTPBearer(auto_error=False, description="The API key as a bearer token (Prometheus)")


async def get_runtime(request: Request) -> Runtime:
    """Async (as every dependency that does no I/O): a sync one costs a thread-pool hop."""
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


# Requests holding a session at once. A request keeps its session (and the pooled connection
# it checked out) until the response is sent, and FastAPI validates a sync route's answer in
# the same thread pool the routes run in. Without a cap, under load (bench/api_load.py) every
# pool thread ends up in a route waiting for a connection while the requests holding all the
# connections wait for a thread: a deadlock broken only by the pool timeout (HTTP 500 after
# 30 s). The cap is taken in the event loop, before a thread or a connection, and leaves
# connections over for the routes and background work that use short sessions of their own.
API_DB_SESSIONS = POOL_SIZE + POOL_OVERFLOW - 10
DbSession = Annotated[Session, Depends(get_db, max_concurrency=API_DB_SESSIONS)]


async def get_principal(
    request: Request,
    runtime: RuntimeDep,
    api_key: Annotated[str | None, Depends(api_key_header)],
    cookie: Annotated[str | None, Depends(session_cookie)],
    token: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """In the event loop for a key verified recently (no thread, no database); otherwise
    the key or the login session is checked against the database in the thread pool."""
    if not api_key and token is not None:
        api_key = token.credentials
    if api_key:
        cached = cached_api_key(api_key)
        if cached is None:
            cached = await _verify_once(request, runtime, api_key)
        setattr(request.state, AUTH_USER, cached.username)
        return cached
    return await run_in_threadpool(_authenticate, request, runtime, api_key, cookie)


# Keys being verified now, per event loop: when a key drops out of the cache (every
# key_cache.TTL seconds), the hundreds of requests a busy client has in flight with it
# wait for one verification instead of each reading the database and recording the use.
# The verification is a task of its own: a caller that goes away does not cancel it.
_verifying: dict[tuple[asyncio.AbstractEventLoop, str], asyncio.Future[Principal]] = {}


async def _verify_once(request: Request, runtime: Runtime, api_key: str) -> Principal:
    slot = (asyncio.get_running_loop(), sha256_hex(api_key))
    verifying = _verifying.get(slot)
    if verifying is None:
        verifying = asyncio.ensure_future(
            run_in_threadpool(_authenticate, request, runtime, api_key, None)
        )
        _verifying[slot] = verifying
        verifying.add_done_callback(lambda done: _settled(slot, done))
    return await asyncio.shield(verifying)


def _settled(slot: tuple[asyncio.AbstractEventLoop, str], done: asyncio.Future[Principal]) -> None:
    _verifying.pop(slot, None)
    if not done.cancelled():
        done.exception()  # retrieved: no warning when every caller had gone


def _authenticate(
    request: Request, runtime: Runtime, api_key: str | None, cookie: str | None
) -> Principal:
    with runtime.sessions() as session:  # reads; a key's last use is committed best-effort
        if api_key:
            principal = authenticate_api_key(session, api_key)
            record_use(session)
            setattr(request.state, AUTH_USER, principal.username)
            return principal
        if cookie:
            principal = authenticate_session(session, cookie)
            setattr(request.state, AUTH_USER, principal.username)
            if request.method not in SAFE_METHODS and not secrets.compare_digest(
                request.headers.get(CSRF_HEADER, ""), csrf_token(cookie)
            ):
                raise CsrfRejected(
                    f"missing or wrong {CSRF_HEADER} header (required with a login cookie)"
                )
            return principal
    raise AuthenticationFailed("authentication required: send X-API-KEY or log in")


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def refusal(principal: Principal, role: Role) -> PermissionDenied | None:
    """Why ``principal`` may not act with ``role`` (None: it may)."""
    if principal.scope != "full":
        return PermissionDenied(
            "this API key may only fire triggers (POST /api/v1/triggers/{name}/fire)"
        )
    if principal.must_change_password:
        return PermissionDenied(
            "signed in with a one-time password: choose a new password first "
            "(POST /api/v1/auth/password)"
        )
    if not principal.has_role(role):
        return PermissionDenied(f"requires the {role.value} role (you are {principal.role})")
    return None


def require(role: Role) -> Callable[..., Awaitable[Principal]]:
    async def guard(principal: CurrentPrincipal, request: Request) -> Principal:
        refused = refusal(principal, role)
        if refused is not None:
            raise refused
        request.state.actor = principal.username
        return principal

    return guard


async def signed_in(principal: CurrentPrincipal, request: Request) -> Principal:
    """Any caller with a full-scope key or a login session, including one that must still
    choose a new password (who they are, changing that password)."""
    if principal.scope != "full":
        raise PermissionDenied(
            "this API key may only fire triggers (POST /api/v1/triggers/{name}/fire)"
        )
    request.state.actor = principal.username
    return principal


async def trigger_caller(principal: CurrentPrincipal, request: Request) -> Principal:
    """Firing a trigger: a trigger-scoped key or any operator; the key's user needs the
    operator role either way (a trigger starts runs)."""
    if not principal.has_role(Role.operator):
        raise PermissionDenied(f"requires the operator role (you are {principal.role})")
    request.state.actor = principal.username
    return principal


TriggerCaller = Annotated[Principal, Depends(trigger_caller)]
SignedIn = Annotated[Principal, Depends(signed_in)]
Viewer = Annotated[Principal, Depends(require(Role.viewer))]
Operator = Annotated[Principal, Depends(require(Role.operator))]
Admin = Annotated[Principal, Depends(require(Role.admin))]
