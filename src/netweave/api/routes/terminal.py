"""The web SSH terminal (a WebSocket) and the audit of terminal sessions.

``/api/v1/devices/{device_id}/terminal``: sign in with the UI's login cookie or an
X-API-KEY header; operators and admins only (a terminal can change the configuration).
A login cookie is accepted only from a page of this server (the Origin header matches the
Host), or with ``?csrf=`` equal to the ``netweave_csrf`` cookie; a cross-site handshake is
refused with 403 before anything else. Optional ``?cols=&rows=`` set the first terminal
size. The frames are described in :mod:`netweave.core.terminal.protocol`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, WebSocket
from fastapi.responses import JSONResponse
from starlette.websockets import WebSocketState

from netweave.api.clientaddr import client_address
from netweave.api.deps import CSRF_COOKIE, SESSION_COOKIE, DbSession, Viewer
from netweave.api.errors import AUTH_USER
from netweave.api.params import Id, Limit, Offset
from netweave.api.responses import NOT_FOUND
from netweave.core import terminal
from netweave.core.access import failures
from netweave.core.access.tokens import (
    Principal,
    authenticate_api_key,
    authenticate_session,
    csrf_token,
)
from netweave.core.inventory.schemas import Page
from netweave.core.runtime import Runtime
from netweave.core.text_filter import CONTAINS_HELP
from netweave.db.models import Role
from netweave.foundation.errors import (
    AuthenticationFailed,
    NetWeaveError,
    NotFound,
    PermissionDenied,
)

router = APIRouter(prefix="/api/v1/devices", tags=["terminal"])
sessions_router = APIRouter(prefix="/api/v1/terminal-sessions", tags=["terminal"])


class _WebSocketPeer:
    """The core's :class:`terminal.Peer` over a Starlette WebSocket (one send at a time)."""

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self.sending = asyncio.Lock()

    async def receive(self) -> terminal.Inbound:
        message = await self.websocket.receive()
        if message["type"] == "websocket.disconnect":
            return terminal.Hangup()
        return terminal.parse_frame(message.get("text"), message.get("bytes"))

    async def send(self, data: bytes) -> None:
        async with self.sending:
            await self.websocket.send_bytes(data)

    async def notify(self, event: dict[str, Any]) -> None:
        async with self.sending:
            await self.websocket.send_text(json.dumps(event))


def _netloc(url: str) -> str:
    parts = urlsplit(url)
    default = {"http": 80, "https": 443, "ws": 80, "wss": 443}.get(parts.scheme)
    host = (parts.hostname or "").lower()
    port = parts.port
    return host if port is None or port == default else f"{host}:{port}"


def _same_site(websocket: WebSocket) -> bool | None:
    """True: the page that opened the socket is this server's; False: another site's;
    None: no Origin header (not a browser)."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return None
    served = {
        _netloc(f"{websocket.url.scheme}://{host.strip()}")
        for host in (websocket.headers.get("host", ""), websocket.headers.get("x-forwarded-host"))
        if host
    }
    return _netloc(origin) in served


def _csrf_ok(websocket: WebSocket) -> bool:
    cookie = websocket.cookies.get(SESSION_COOKIE)
    presented = websocket.query_params.get("csrf", "")
    if not cookie or not presented:
        return False
    return secrets.compare_digest(presented, csrf_token(cookie))


def _authenticate(runtime: Runtime, websocket: WebSocket, trusted: bool) -> Principal:
    api_key = websocket.headers.get("x-api-key")
    cookie = websocket.cookies.get(SESSION_COOKIE)
    with runtime.transaction() as session:
        if api_key:
            principal = authenticate_api_key(session, api_key)
        elif cookie:
            principal = authenticate_session(session, cookie)
            setattr(websocket.state, AUTH_USER, principal.username)
            if not trusted:
                raise failures.CsrfRejected(
                    "a login cookie is accepted from this server's pages only (Origin) "
                    f"or with ?csrf= set to the {CSRF_COOKIE} cookie"
                )
        else:
            raise AuthenticationFailed("authentication required: send X-API-KEY or log in")
    setattr(websocket.state, AUTH_USER, principal.username)
    if principal.scope != "full":
        raise PermissionDenied("this API key may only fire triggers")
    if not principal.has_role(Role.operator):
        raise PermissionDenied(
            f"a terminal requires the operator role (you are {principal.role.value})"
        )
    return principal


def _service(websocket: WebSocket, runtime: Runtime) -> terminal.TerminalService:
    state = websocket.app.state
    service: terminal.TerminalService | None = getattr(state, "terminals", None)
    if service is None:
        service = terminal.TerminalService(runtime.sessions, runtime.box, runtime.settings)
        state.terminals = service
    return service


def _size(websocket: WebSocket) -> tuple[int, int]:
    def number(name: str) -> int | None:
        value = websocket.query_params.get(name, "")
        return int(value) if value.isdigit() else None

    return terminal.clamp_size(number("cols"), number("rows"))


async def _audit(websocket: WebSocket, exc: NetWeaveError) -> None:
    """Refused credentials, CSRF/Origin failures and 403s go to the audit of auth failures."""
    failure = failures.classify(
        exc,
        username=getattr(websocket.state, AUTH_USER, None),
        client_ip=client_address(websocket),
        method="WEBSOCKET",
        path=websocket.url.path,  # never the query string (it may carry ?csrf=)
    )
    runtime: Runtime = websocket.app.state.runtime
    bounds = failures.Bounds.of(runtime.settings)
    await asyncio.to_thread(failures.note, runtime.sessions, failure, bounds)


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    if websocket.application_state is WebSocketState.CONNECTED:
        with contextlib.suppress(Exception):
            await websocket.close(code, terminal.close_reason(reason))


@router.websocket("/{device_id}/terminal")
async def device_terminal(websocket: WebSocket, device_id: str) -> None:
    runtime: Runtime = websocket.app.state.runtime
    same_site = _same_site(websocket)
    trusted = same_site is True or _csrf_ok(websocket)
    if same_site is False and not trusted:
        detail = {"detail": "cross-site WebSocket refused: the Origin is not this server"}
        await _audit(websocket, failures.CsrfRejected(detail["detail"]))
        if "websocket.http.response" in websocket.scope.get("extensions", {}):
            await websocket.send_denial_response(JSONResponse(detail, status_code=403))
        else:
            await websocket.close(4403, detail["detail"])
        return
    await websocket.accept()
    try:
        caller = await asyncio.to_thread(_authenticate, runtime, websocket, trusted)
        if not device_id.isdigit():
            raise NotFound(f"no device with id {device_id!r}", field="device_id")
        client = client_address(websocket)
        cols, rows = _size(websocket)
        outcome = await _service(websocket, runtime).run(
            caller, int(device_id), _WebSocketPeer(websocket), cols, rows, client
        )
    except NetWeaveError as exc:
        await _audit(websocket, exc)
        await _close(websocket, 4000 + exc.status_code, exc.message)
        return
    await _close(websocket, outcome.code, outcome.reason)


@sessions_router.get("", response_model=Page[terminal.TerminalSessionRead])
def list_terminal_sessions(
    caller: Viewer,
    db: DbSession,
    user: Annotated[str | None, Query(description=f"User name. {CONTAINS_HELP}")] = None,
    device: Annotated[str | None, Query(description=f"Device name. {CONTAINS_HELP}")] = None,
    q: Annotated[
        str | None, Query(description=f"Device, user or close reason. {CONTAINS_HELP}")
    ] = None,
    open: Annotated[bool, Query(description="Only sessions still open")] = False,
    sort: Annotated[str | None, Query(description="A field, '-' for descending")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[terminal.TerminalSessionRead]:
    """Newest first. Admins see every user's terminal sessions, others only their own."""
    rows, total = terminal.list_sessions(
        db,
        caller,
        username=user,
        device=device,
        q=q,
        open_only=open,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    items = [terminal.to_read(row) for row in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


@sessions_router.get(
    "/{session_id}", response_model=terminal.TerminalSessionDetail, responses=NOT_FOUND
)
def get_terminal_session(
    session_id: Id, caller: Viewer, db: DbSession
) -> terminal.TerminalSessionDetail:
    """One session with its transcript (what the user typed; password input hidden)."""
    return terminal.to_detail(terminal.get_session(db, caller, session_id))
