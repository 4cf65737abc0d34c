"""``GET /jobs/{id}``, NetPulse's poll and the API's busiest request, answered before
FastAPI's routing when nothing about the request needs it.

Routing over ~230 routes, solving the route's nine dependencies and validating its answer
cost about 0.8 ms of CPU per request, more than the database read. A request qualifies
when it is exactly ``GET /jobs/{id}`` with no query or only ``wait=<seconds>`` (within the
route's bounds), and carries an ``X-API-KEY`` verified recently (in the key cache: no
database read) whose owner holds the viewer role. Its answer is the route's: the same
service call (:meth:`JobService.wait_async`), the same download URLs, the same JSON bytes
(the route's response model, serialised as FastAPI serialises it).

Every other request, and any that fails (no such job, the database away), goes on to the
FastAPI route, which stays the one definition of the endpoint: its OpenAPI entry, its
errors and their wording. tests/api/test_job_poll.py holds both paths to the same answers.
"""

from __future__ import annotations

import re

from pydantic import TypeAdapter
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from netweave.api.deps import refusal
from netweave.api.file_transfer import absolute_downloads
from netweave.core.access.tokens import cached_api_key
from netweave.core.jobs.schemas import JobRead
from netweave.core.runtime import Runtime
from netweave.db.models import Role

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


def _api_key(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"x-api-key":  # ASGI servers give header names in lower case
            return value.decode("latin-1")
    return None


class JobPoll:
    """ASGI middleware in front of the application's routes. ``answered`` counts the
    requests it served itself."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime
        self.answered = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and scope["path"].startswith(PREFIX)
            and not scope.get("root_path")
        ):
            body = await self._answer(scope)
            if body is not None:
                self.answered += 1
                await send(
                    {
                        "type": "http.response.start",
                        "status": 200,
                        "headers": [
                            (b"content-length", str(len(body)).encode()),
                            (b"content-type", b"application/json"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope) -> bytes | None:
        job_id = scope["path"][len(PREFIX) :]
        if not job_id or "/" in job_id:
            return None
        wait = _wait(scope["query_string"])
        key = _api_key(scope)
        if wait is None or not key:
            return None
        principal = cached_api_key(key)
        if principal is None or refusal(principal, Role.viewer) is not None:
            return None
        try:
            job = await self.runtime.jobs.wait_async(job_id, wait)
        except Exception:  # the route answers it: its error, in its words
            return None
        return _JOB.dump_json(absolute_downloads(job, Request(scope)), by_alias=True)
