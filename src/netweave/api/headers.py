"""Security headers on every response: a Content-Security-Policy (scripts only from this
server, no framing), X-Frame-Options, Referrer-Policy and X-Content-Type-Options. Also the
reading of a request's header from an ASGI scope, for the middlewares.

The UI's scripts and styles are files under /ui/assets (no inline script); its map tiles
come from ``map_tile_url`` (allowed in img-src); the terminal's WebSocket is on this host.
Leaflet and xterm set styles from script, hence ``style-src 'unsafe-inline'``. The
Swagger page's one inline script is allowed by its hash (see :func:`inline_script_hashes`).
"""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def tile_source(url: str) -> str | None:
    """The CSP source of a tile URL template (``{s}.host`` becomes ``*.host``); None for a
    path on this server or no tiles."""
    if not url or url.startswith("/"):
        return None
    parts = urlsplit(url)
    host = re.sub(r"^(\{[^}]*\}\.)+", "*.", parts.netloc)
    if "{" in host or not host:
        return f"{parts.scheme}:"  # a placeholder elsewhere: allow the scheme only
    return f"{parts.scheme}://{host}"


def policy(tile_url: str, scripts: str = "'self'") -> str:
    tiles = tile_source(tile_url)
    images = "'self' data: blob:" + (f" {tiles}" if tiles else "")
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src {scripts}",
            "style-src 'self' 'unsafe-inline'",
            f"img-src {images}",
            "font-src 'self' data:",
            "connect-src 'self' ws: wss:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def inline_script_hashes(html: str) -> str:
    """``'sha256-…'`` sources for the inline scripts of a page we generate."""
    return " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html)
    )


def request_header(scope: Scope, name: bytes) -> bytes | None:
    """A request header's value from an ASGI scope (``name`` in lower case, as ASGI
    servers give them); None when absent."""
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value)
    return None


def security_headers(tile_url: str) -> dict[str, str]:
    """The headers every response carries unless it sets them itself."""
    return {
        "Content-Security-Policy": policy(tile_url),
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "X-Content-Type-Options": "nosniff",
    }


class SecurityHeaders:
    """Adds the headers to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp, *, tile_url: str) -> None:
        self.app = app
        self.headers = security_headers(tile_url)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
