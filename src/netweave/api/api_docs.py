"""The interactive API reference (Swagger UI at ``/docs``) served from the
``swagger-ui-bundle`` package: no CDN, so it works on an offline management network."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from netweave.api.headers import inline_script_hashes, policy

ASSETS = "/docs/assets"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"


def install_api_docs(app: FastAPI) -> None:
    """``/docs`` (Swagger UI) with its scripts and styles from this server."""
    app.mount(ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    tile_url = app.state.runtime.settings.map_tile_url

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
            oauth2_redirect_url=OAUTH2_REDIRECT,
        )
        return _with_inline_scripts(page, tile_url)

    @app.get(OAUTH2_REDIRECT, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return _with_inline_scripts(get_swagger_ui_oauth2_redirect_html(), tile_url)


def _with_inline_scripts(page: HTMLResponse, tile_url: str) -> HTMLResponse:
    """Its own CSP allowing exactly the page's inline scripts (by hash), nothing else."""
    hashes = inline_script_hashes(bytes(page.body).decode())
    page.headers["Content-Security-Policy"] = policy(tile_url, f"'self' {hashes}".strip())
    return page
