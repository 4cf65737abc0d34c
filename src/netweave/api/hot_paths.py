"""NetPulse's two hottest requests, answered before FastAPI's routing when nothing about
them needs it: ``GET /jobs/{id}`` (the poll) and ``POST /device/exec`` (a JSON job).

Routing over ~230 routes and solving a route's dependencies cost about 0.8 ms of CPU per
request, more than the database read of a poll. A request qualifies when it carries an
``X-API-KEY`` verified recently (in the key cache: no database read) whose owner holds the
route's role (viewer to poll, operator to submit) and, for a poll, no query or only
``wait=<seconds>`` within the route's bounds; a submission, a JSON body (not NetPulse's
multipart upload) and no query. Its answer is the route's: the same service call, the
same status and JSON bytes (the route's response model, serialised as FastAPI does), and
an error from the service goes through the application's own exception handlers.

Every other request goes on to the FastAPI route, which stays the one definition of the
endpoint (its OpenAPI entry, its errors and their wording): a poll that fails (no such
job, the database away) is asked again there, a submission whose body does not parse is
handed over with its body. tests/api/test_hot_paths.py holds both paths to the same
answers.

Where each sits (``api/app.py``): the poll, a GET without a body, in front of every
middleware (it adds the security headers itself): the error, telemetry, body-limit and
header layers it would otherwise pass through cost ~15 % of its CPU. The submission, which
has a body, behind the body limit and the security headers, as every route is.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import TypeAdapter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from netweave.api.deps import refusal
from netweave.api.errors import AUTH_USER
from netweave.api.file_transfer import absolute_downloads, parse_exec_json
from netweave.api.headers import request_header
from netweave.core.access.principal import Principal
from netweave.core.access.tokens import cached_api_key
from netweave.core.jobs.schemas import JobRead
from netweave.core.runtime import Runtime
from netweave.db.models import Role

POLL = "GET /jobs/{id}"
SUBMIT = "POST /device/exec"
PREFIX = "/jobs/"
MAX_WAIT_S = 60.0  # the route's bound on ?wait= (device_ops.get_job)
_WAIT = re.compile(rb"wait=(\d{1,2}(?:\.\d{1,6})?)")
_JOB = TypeAdapter(JobRead)


def _wait(query: bytes) -> float | None:
    """The long poll's seconds; None when the query is anything the route must judge."""
    if not query:
        return 0.0
    match = _WAIT.fullmatch(query)
    if match is None:
        return None
    seconds = float(match.group(1))
    return seconds if seconds <= MAX_WAIT_S else None


def _no_body(scope: Scope) -> bool:
    length = request_header(scope, b"content-length")
    return length in (None, b"0") and request_header(scope, b"transfer-encoding") is None


def _caller(scope: Scope, role: Role) -> Principal | None:
    key = request_header(scope, b"x-api-key")
    if not key:
        return None
    principal = cached_api_key(key.decode("latin-1"))
    if principal is None or refusal(principal, role) is not None:
        return None
    state = scope.setdefault("state", {})  # what the route's guard records
    state[AUTH_USER] = state["actor"] = principal.username
    return principal


async def _json(
    status: int, body: bytes, send: Send, extra: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    headers = [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": status, "headers": [*headers, *extra]})
    await send({"type": "http.response.body", "body": body})


class HotPaths:
    """ASGI middleware answering the route ``serves`` (:data:`POLL` or :data:`SUBMIT`).
    ``answered`` counts the requests it served itself, by route (one counter for both);
    ``headers``: what the layers it stands in front of would have added."""

    def __init__(
        self,
        app: ASGIApp,
        runtime: Runtime,
        *,
        serves: str,
        answered: Counter[str],
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.app = app
        self.runtime = runtime
        self.serves = serves
        self.answered = answered
        self.headers = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("root_path"):
            method, path = scope["method"], scope["path"]
            if self.serves == POLL and method == "GET" and path.startswith(PREFIX):
                body = await self._poll(scope) if _no_body(scope) else None
                if body is not None:
                    self.answered[POLL] += 1
                    await _json(200, body, send, self.headers)
                    return
            elif self.serves == SUBMIT and method == "POST" and path == "/device/exec":
                handed_over = await self._submit(scope, receive, send)
                if handed_over is None:
                    self.answered[SUBMIT] += 1
                    return
                receive = handed_over
        await self.app(scope, receive, send)

    async def _poll(self, scope: Scope) -> bytes | None:
        job_id = scope["path"][len(PREFIX) :]
        wait = _wait(scope["query_string"])
        if not job_id or "/" in job_id or wait is None:
            return None
        if _caller(scope, Role.viewer) is None:
            return None
        try:
            job = await self.runtime.jobs.wait_async(job_id, wait)
        except Exception:  # the route answers it: its error, in its words
            return None
        return _JOB.dump_json(absolute_downloads(job, Request(scope)), by_alias=True)

    async def _submit(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """None once answered; else the ``receive`` the route is to read the body from."""
        content_type = request_header(scope, b"content-type") or b""
        if scope["query_string"] or not content_type.startswith(b"application/json"):
            return receive
        principal = _caller(scope, Role.operator)
        if principal is None:
            return receive
        chunks: list[bytes] = []
        while True:  # through the body limit's counting receive: a 413 if too large
            message = await receive()
            if message["type"] != "http.request":
                return _replay(b"".join(chunks), receive, message)
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        try:
            request = parse_exec_json(body)
        except Exception:  # the route reads it again and says what is wrong
            return _replay(body, receive)
        try:
            job = await run_in_threadpool(
                self.runtime.files.submit_exec, request, principal, None, ""
            )
        except Exception as exc:
            handler = _handler_for(scope, exc)
            if handler is None:
                raise
            replayed = _replay(body, receive)
            response = await handler(Request(scope, replayed), exc)
            await response(scope, replayed, send)
            return None
        await _json(201, _JOB.dump_json(job, by_alias=True), send, self.headers)
        return None


def _replay(body: bytes, receive: Receive, ended: Message | None = None) -> Receive:
    """A ``receive`` that gives ``body`` again, then what ``receive`` gives."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            if ended is not None and not body:
                return ended
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _handler_for(scope: Scope, exc: Exception) -> Any:
    """The application's handler for ``exc``, looked up as Starlette does (by the
    exception's class, then its bases)."""
    handlers = getattr(scope.get("app"), "exception_handlers", {})
    for kind in type(exc).__mro__:
        if kind in handlers:
            return handlers[kind]
    return None
