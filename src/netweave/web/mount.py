"""Serve the built UI: assets under ``/ui/assets``, every other ``/ui/...`` path answers
the single page (the UI routes client-side), ``/`` redirects to it."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

STATIC = Path(__file__).parent / "static"
# Vite names every asset after its content hash: a name never changes meaning, so browsers
# and proxies keep it for a year; index.html (which names them) is revalidated every time.
IMMUTABLE = "public, max-age=31536000, immutable"


class HashedAssets(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            response.headers["Cache-Control"] = IMMUTABLE
        return response


def mount_ui(app: FastAPI, static: Path = STATIC) -> bool:
    """False (and nothing mounted) when the UI was not built (``make web``)."""
    index = static / "index.html"
    if not index.exists():
        return False
    app.mount("/ui/assets", HashedAssets(directory=static / "assets"), name="ui-assets")

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/ui/")

    icons = {"favicon.ico": "image/x-icon", "favicon.svg": "image/svg+xml"}
    for name, media_type in icons.items():  # web/public/: copied beside index.html
        if (static / name).exists():
            _icon(app, static / name, media_type)

    @app.get("/ui", include_in_schema=False)
    @app.get("/ui/{path:path}", include_in_schema=False)
    def page(path: str = "") -> FileResponse:
        return FileResponse(index, headers={"Cache-Control": "no-cache"})

    return True


def _icon(app: FastAPI, path: Path, media_type: str) -> None:
    """The browser asks ``/favicon.ico`` whatever the page says; the page names ``/ui/...``."""
    headers = {"Cache-Control": "public, max-age=86400"}

    def icon() -> FileResponse:
        return FileResponse(path, media_type=media_type, headers=headers)

    for url in (f"/{path.name}", f"/ui/{path.name}"):
        app.add_api_route(url, icon, methods=["GET"], include_in_schema=False)
