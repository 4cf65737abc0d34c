"""Request body caps: an ASGI middleware refusing bodies over the configured size with 413,
by the Content-Length header up front and by counting streamed (chunked) bytes."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from netweave.api.headers import request_header

# the import routes take whole inventories and automation bundles: their own larger cap
IMPORT_PATHS = frozenset({"/api/v1/inventory/import", "/api/v1/automations/import"})
# NetPulse file uploads (a multipart form): the upload cap plus room for the form itself;
# the route refuses a file over the cap itself, naming ``file``
UPLOAD_PATHS = frozenset({"/device/exec"})
UPLOAD_FORM_SLACK = 2**20


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` once the streamed body passes the cap (an HTTPException so
    FastAPI's body parsing re-raises it and the default handler answers 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, detail=too_large(limit))


def too_large(limit: int) -> str:
    return f"request body larger than {limit} bytes"


class BodyLimit:
    def __init__(
        self, app: ASGIApp, *, max_bytes: int, max_import_bytes: int, max_upload_bytes: int = 0
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_import_bytes = max_import_bytes
        self.max_upload_bytes = max_upload_bytes

    def limit_for(self, path: str, multipart: bool = False) -> int:
        path = path.rstrip("/")
        if multipart and path in UPLOAD_PATHS:
            return max(self.max_bytes, self.max_upload_bytes + UPLOAD_FORM_SLACK)
        return self.max_import_bytes if path in IMPORT_PATHS else self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"], _is_multipart(scope))
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(scope, receive, send, limit)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:
            if started:
                raise
            await _refuse(scope, receive, send, limit)


def _is_multipart(scope: Scope) -> bool:
    return (request_header(scope, b"content-type") or b"").startswith(b"multipart/form-data")


def _content_length(scope: Scope) -> int | None:
    declared = request_header(scope, b"content-length")
    try:
        return None if declared is None else int(declared)
    except ValueError:
        return None


async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    response = JSONResponse({"detail": too_large(limit)}, status_code=413)
    response.headers["Connection"] = "close"  # the rest of the body is not read
    await response(scope, receive, send)
