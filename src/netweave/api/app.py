"""Application factory."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from starlette.types import ASGIApp

import netweave
from netweave.api.api_docs import install_api_docs
from netweave.api.errors import install_error_handlers
from netweave.api.headers import SecurityHeaders, security_headers
from netweave.api.hot_paths import POLL, SUBMIT, HotPaths
from netweave.api.limits import BodyLimit
from netweave.api.query_guard import reject_unknown_query
from netweave.api.responses import AUTHENTICATED, LOOKUP_CONFLICT, errors
from netweave.api.routes import (
    api_keys,
    audit,
    auth,
    automations,
    bastions,
    changelog,
    configs,
    credentials,
    dashboard,
    detached_tasks,
    device_ops,
    devices,
    events,
    groups,
    health,
    inventory,
    links,
    metrics,
    migration,
    network,
    object_access,
    pools,
    runs,
    storage,
    tasks,
    terminal,
    triggers,
    users,
)
from netweave.core.runtime import Runtime
from netweave.db.async_reads import serving


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The serving loop reads jobs on asyncio connections of its own (PostgreSQL),
    closed when it stops."""
    async with serving():
        yield


class NetWeaveAPI(FastAPI):
    """FastAPI, with NetPulse's poll answered in front of every middleware (hot_paths)."""

    def build_middleware_stack(self) -> ASGIApp:
        runtime: Runtime = self.state.runtime
        return HotPaths(
            super().build_middleware_stack(),
            runtime,
            serves=POLL,
            answered=self.state.hot_paths_answered,
            headers=security_headers(runtime.settings.map_tile_url),
        )


def create_app(runtime: Runtime) -> FastAPI:
    app = NetWeaveAPI(
        lifespan=_lifespan,
        title="NetWeave",
        version=netweave.__version__,
        description="Network automation: device operations API and NMS. "
        "Authenticate with the X-API-KEY header (create keys under /api/v1/api-keys).",
        docs_url=None,  # served from a Python package below, not from a CDN
        redoc_url=None,
        dependencies=[Depends(reject_unknown_query)],  # an unknown query parameter: 422
    )
    app.state.runtime = runtime
    app.state.hot_paths_answered = Counter()
    install_error_handlers(app)
    app.add_middleware(  # innermost: behind the two below
        HotPaths, runtime=runtime, serves=SUBMIT, answered=app.state.hot_paths_answered
    )
    app.add_middleware(
        BodyLimit,
        max_bytes=runtime.settings.max_body_bytes,
        max_import_bytes=runtime.settings.max_import_bytes,
        max_upload_bytes=runtime.settings.file_upload_max_bytes,
    )
    app.add_middleware(SecurityHeaders, tile_url=runtime.settings.map_tile_url)
    install_api_docs(app)
    app.include_router(health.router)
    # the error codes of every route are documented (see api.responses): authentication
    # for each router here, lookups and conflicts per route (auth and credentials: here)
    app.include_router(auth.router, responses={**AUTHENTICATED, **errors(429)})  # login throttle
    app.include_router(credentials.router, responses={**AUTHENTICATED, **LOOKUP_CONFLICT})
    for module in (
        device_ops,  # first: the NetPulse paths (/device, /jobs) are the hottest, and a
        # request is matched against the routes in order
        users,
        groups,
        object_access,
        api_keys,
        bastions,
        devices,
        links,
        pools,
        inventory,
        migration,
        detached_tasks,
        storage,
        metrics,
        runs,
        configs,
        tasks,
        changelog,
        audit,
        triggers,
        dashboard,
    ):
        app.include_router(module.router, responses=AUTHENTICATED)
    for router in (
        automations.types_router,
        automations.services_router,
        automations.workflows_router,
        automations.transfer_router,
        events.syslog_router,
        events.rules_router,
        terminal.router,
        terminal.sessions_router,
        network.router,
        network.ui_router,
    ):
        app.include_router(router, responses=AUTHENTICATED)
    return app
